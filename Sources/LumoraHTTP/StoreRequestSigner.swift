import Crypto
import Foundation
import HTTPTypes
import LumoraCore
import NIOCore

/// How a cell knows a request came from the edge, for the store it names: an HMAC-SHA256, with
/// a secret the two share, over everything that decides what the request does — the store, the
/// method, the target (path and query), a timestamp, the visitor the edge vouches for, a digest
/// of the body, `Authorization` and `Idempotency-Key` — and, for writes, a nonce the cell
/// refuses to see twice (`NonceRegistry`). A signature older or newer than the tolerance is
/// refused, so a captured request cannot be replayed, redirected to another store or path, or
/// given another body or token.
public struct StoreRequestSigner: Sendable {
    public static let storeHeader = "x-store-id"
    public static let timestampHeader = "x-lumora-timestamp"
    public static let signatureHeader = "x-lumora-signature"
    public static let nonceHeader = "x-lumora-nonce"
    /// The client address the edge saw (after its trusted proxies): the cell's per-visitor limits.
    public static let visitorHeader = "x-lumora-visitor"
    /// The dashboard's signed-in person and their role in the store (`<account id>:<role>`): the
    /// cell's admin API believes it instead of an API token, only under the edge's signature.
    public static let actorHeader = "x-lumora-actor"

    static let storeField = HTTPField.Name(storeHeader)!
    static let timestampField = HTTPField.Name(timestampHeader)!
    static let signatureField = HTTPField.Name(signatureHeader)!
    static let nonceField = HTTPField.Name(nonceHeader)!
    static let visitorField = HTTPField.Name(visitorHeader)!
    static let actorField = HTTPField.Name(actorHeader)!
    static let idempotencyField = HTTPField.Name("Idempotency-Key")!

    /// What one signature covers. Every part is a header value or request target the forwarder
    /// has already checked holds no line break, so the line-per-part message is unambiguous.
    public struct Parts: Sendable, Equatable {
        public var store: String
        public var method: String
        public var target: String
        public var timestamp: Int64
        public var nonce: String?
        public var visitor: String?
        /// Hex SHA-256 of the body; nil (or an empty body) for none.
        public var bodyDigest: String?
        public var authorization: String?
        public var idempotencyKey: String?
        public var actor: String?

        public init(store: String, method: String, target: String, timestamp: Int64, nonce: String? = nil, visitor: String? = nil,
                    bodyDigest: String? = nil, authorization: String? = nil, idempotencyKey: String? = nil, actor: String? = nil) {
            self.store = store
            self.method = method
            self.target = target
            self.timestamp = timestamp
            self.nonce = nonce
            self.visitor = visitor
            self.bodyDigest = bodyDigest
            self.authorization = authorization
            self.idempotencyKey = idempotencyKey
            self.actor = actor
        }
    }

    /// Keyed once; every signature copies it (the key schedule is half an HMAC's cost on
    /// messages this short, and every forwarded request is signed).
    private let keyed: HMAC<SHA256>
    public let tolerance: TimeInterval

    public init(secret: String, tolerance: TimeInterval = 30) {
        self.keyed = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        self.tolerance = tolerance
    }

    /// Whether requests with `method` must carry a nonce: everything that may change state.
    public static func isWrite(_ method: String) -> Bool {
        method != "GET" && method != "HEAD"
    }

    public func signature(_ parts: Parts) -> String {
        Hex.lowercase(mac(parts))
    }

    /// The HMAC of `parts`: the message is fed in pieces, with no string built and no array of
    /// parts allocated (every request to a cell is signed by the edge and checked by the cell).
    func mac(_ parts: Parts) -> HashedAuthenticationCode<SHA256> {
        var mac = keyed
        func feed(_ text: String) {
            var text = text
            text.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        }
        func separator() {
            withUnsafeBytes(of: UInt8(ascii: "\n")) { mac.update(data: $0) }
        }
        feed("lumora-v2\n")
        feed(parts.store)
        separator()
        feed(parts.method.utf8.allSatisfy({ $0 < 0x61 || ($0 > 0x7A && $0 < 0x80) }) ? parts.method : parts.method.uppercased())
        separator()
        feed(parts.target)
        separator()
        feed(String(parts.timestamp))
        separator()
        if let nonce = parts.nonce { feed(nonce) }
        separator()
        if let visitor = parts.visitor { feed(visitor) }
        separator()
        if let digest = parts.bodyDigest { feed(digest) }
        separator()
        if let authorization = parts.authorization { feed(authorization) }
        separator()
        if let key = parts.idempotencyKey { feed(key) }
        // Only requests with an actor get the extra line: the messages of all others are as before.
        if let actor = parts.actor {
            separator()
            feed(actor)
        }
        return mac.finalize()
    }

    /// Hex SHA-256 of a body; nil for none or an empty one.
    public static func digest(_ body: ByteBuffer?) -> String? {
        guard let body, body.readableBytes > 0 else { return nil }
        return body.withUnsafeReadableBytes { Hex.lowercase(SHA256.hash(data: $0)) }
    }

    /// A fresh nonce: 16 random bytes, hex.
    public static func makeNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let words = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeBytes(of: words) { Hex.lowercase($0) }
    }

    /// The headers the edge adds to a request it forwards (the visitor's own `Authorization`
    /// and `Idempotency-Key` travel as they are; the signature covers them).
    public func headers(store: String, method: String, path: String, body: ByteBuffer? = nil, authorization: String? = nil,
                        idempotencyKey: String? = nil, visitor: String? = nil, nonce: String? = nil, actor: String? = nil,
                        now: Date = Date()) -> [(name: String, value: String)] {
        let parts = Parts(store: store, method: method, target: path, timestamp: Int64(now.timeIntervalSince1970),
                          nonce: nonce ?? (Self.isWrite(method) ? Self.makeNonce() : nil), visitor: visitor,
                          bodyDigest: Self.digest(body), authorization: authorization, idempotencyKey: idempotencyKey, actor: actor)
        return Self.headers(parts, signature: signature(parts))
    }

    /// The edge's headers for `parts` signed as `signature`.
    public static func headers(_ parts: Parts, signature: String) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            (storeHeader, parts.store), (timestampHeader, String(parts.timestamp)), (signatureHeader, signature),
        ]
        if let nonce = parts.nonce { headers.append((nonceHeader, nonce)) }
        if let visitor = parts.visitor { headers.append((visitorHeader, visitor)) }
        if let actor = parts.actor { headers.append((actorHeader, actor)) }
        return headers
    }

    /// A request the signature vouches for.
    public struct Verified: Sendable, Equatable {
        public let store: String
        public let visitor: String?
        /// Present on writes: the cell refuses to see it twice within the tolerance.
        public let nonce: String?
        public let timestamp: Int64
        /// The dashboard's person, when the edge named one.
        public let actor: String?
    }

    /// Checks a request's headers against its method, target and body.
    public func verify(_ fields: HTTPFields, method: String, target: String, body: ByteBuffer?, now: Date = Date()) throws(LumoraError) -> Verified {
        guard let store = fields[Self.storeField], !store.isEmpty else {
            throw LumoraError(.unauthorized, code: "missing_store", message: "the request names no store (x-store-id)")
        }
        guard let signature = fields[Self.signatureField], let timestamp = fields[Self.timestampField], let seconds = Int64(timestamp) else {
            throw LumoraError(.unauthorized, code: "unsigned_request", message: "the request is not signed by the edge")
        }
        let nonce = fields[Self.nonceField]
        if Self.isWrite(method) {
            guard let nonce, nonce.utf8.count >= 16, nonce.utf8.count <= 64 else {
                throw LumoraError(.unauthorized, code: "unsigned_request", message: "a write needs the edge's nonce")
            }
        }
        guard abs(now.timeIntervalSince1970 - TimeInterval(seconds)) <= tolerance else {
            throw LumoraError(.unauthorized, code: "stale_signature", message: "the request's signature has expired")
        }
        let parts = Parts(store: store, method: method, target: target, timestamp: seconds, nonce: nonce, visitor: fields[Self.visitorField],
                          bodyDigest: Self.digest(body), authorization: fields[.authorization], idempotencyKey: fields[Self.idempotencyField],
                          actor: fields[Self.actorField])
        // The presented hex against the MAC's bytes, without encoding the MAC or copying the hex.
        guard Hex.matches(signature, mac(parts)) else {
            throw LumoraError(.unauthorized, code: "invalid_signature", message: "the request's signature does not match")
        }
        return Verified(store: store, visitor: parts.visitor, nonce: nonce, timestamp: seconds, actor: parts.actor)
    }
}
