import Crypto
import Foundation
import LumoraCore

/// How a cell knows a request's `x-store-id` came from the edge: an HMAC-SHA256, with a secret
/// the two share, over the store, the method, the path with its query, and a timestamp. A cell
/// refuses a missing or wrong signature, and one older or newer than the tolerance, so a
/// captured request cannot be replayed for long or pointed at another store or path.
public struct StoreRequestSigner: Sendable {
    public static let storeHeader = "x-store-id"
    public static let timestampHeader = "x-lumora-timestamp"
    public static let signatureHeader = "x-lumora-signature"

    /// Keyed once; every signature copies it (the key schedule is half an HMAC's cost on
    /// messages this short, and every forwarded request is signed).
    private let keyed: HMAC<SHA256>
    public let tolerance: TimeInterval

    public init(secret: String, tolerance: TimeInterval = 60) {
        self.keyed = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        self.tolerance = tolerance
    }

    public func signature(store: String, method: String, path: String, timestamp: Int64) -> String {
        var mac = keyed
        var message = "lumora-v1\n"
        message.reserveCapacity(32 + store.utf8.count + method.utf8.count + path.utf8.count)
        message += store
        message += "\n"
        message += method.utf8.allSatisfy({ $0 < 0x61 || ($0 > 0x7A && $0 < 0x80) }) ? method : method.uppercased()
        message += "\n"
        message += path
        message += "\n"
        message += String(timestamp)
        message.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return Hex.lowercase(mac.finalize())
    }

    /// The three headers the edge adds to a request it forwards.
    public func headers(store: String, method: String, path: String, now: Date = Date()) -> [(name: String, value: String)] {
        let timestamp = Int64(now.timeIntervalSince1970)
        return [
            (Self.storeHeader, store),
            (Self.timestampHeader, String(timestamp)),
            (Self.signatureHeader, signature(store: store, method: method, path: path, timestamp: timestamp)),
        ]
    }

    /// Checks a request's headers; returns the store it names.
    public func verify(store: String?, timestamp: String?, signature: String?, method: String, path: String, now: Date = Date()) throws(LumoraError) -> String {
        guard let store, !store.isEmpty else {
            throw LumoraError(.unauthorized, code: "missing_store", message: "the request names no store (x-store-id)")
        }
        guard let signature, let timestamp, let seconds = Int64(timestamp) else {
            throw LumoraError(.unauthorized, code: "unsigned_request", message: "the request is not signed by the edge")
        }
        guard abs(now.timeIntervalSince1970 - TimeInterval(seconds)) <= tolerance else {
            throw LumoraError(.unauthorized, code: "stale_signature", message: "the request's signature has expired")
        }
        let expected = self.signature(store: store, method: method, path: path, timestamp: seconds)
        guard Self.constantTimeEquals(expected, signature.lowercased()) else {
            throw LumoraError(.unauthorized, code: "invalid_signature", message: "the request's signature does not match")
        }
        return store
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
