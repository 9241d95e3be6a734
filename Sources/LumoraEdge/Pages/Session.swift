import CLumoraSystem
import Crypto
import Foundation
import NIOCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore

/// The visitor's cookies on a store's host: `lumora_session` (random, binds CSRF tokens) and
/// `lumora_cart` (the cart's secret id). Both `HttpOnly`, `SameSite=Lax`, host-only (no
/// `Domain`), `Secure` behind HTTPS — so a cart made on one store's host is never sent to
/// another's.
struct Session {
    static let sessionCookie = "lumora_session"
    static let cartCookie = "lumora_cart"

    let id: String
    let isNew: Bool
    let cartID: String?

    init(request: Request) {
        let cookies = request.cookies
        if let value = cookies[Self.sessionCookie]?.value, value.count == 32, value.allSatisfy(\.isHexDigit) {
            id = value
            isNew = false
        } else {
            id = Self.randomHex(16)
            isNew = true
        }
        if let cart = cookies[Self.cartCookie]?.value, cart.hasPrefix("cart_"), cart.count == 37,
           cart.dropFirst(5).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            cartID = cart
        } else {
            cartID = nil
        }
    }

    static func cookie(_ name: String, _ value: String, secure: Bool, maxAge: Int = 60 * 60 * 24 * 30) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// Adds the session cookie when this visitor had none.
    func stamp(_ response: inout Response, secure: Bool) {
        if isNew { response.headers.append(HTTPField(name: .setCookie, value: Self.cookie(Self.sessionCookie, id, secure: secure))) }
    }

    /// `bytes` random bytes as lowercase hex (one random call per 8 bytes).
    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var words = (0..<(bytes + 7) / 8).map { _ in generator.next() as UInt64 }
        let raw = words.withUnsafeMutableBytes { Array($0.prefix(bytes)) }
        return hex(raw)
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// CSRF tokens: an HMAC of the host and the session id with the edge's secret. A form posted
/// from another site cannot know it; a token from one store's host is useless on another's.
struct CSRFTokens: Sendable {
    /// Keyed once; each token copies it (the key schedule is most of an HMAC's cost here).
    private let keyed: HMAC<SHA256>
    /// Rendered into cached pages and replaced per visitor when served.
    static let placeholder = "__LUMORA_CSRF__"

    init(secret: String) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: Data(("csrf|" + secret).utf8)))
    }

    func token(host: String, session: Session) -> String {
        var mac = keyed
        mac.update(data: Array("\(host)|\(session.id)".utf8))
        return Session.hex(mac.finalize().prefix(16))
    }

    /// The page with every placeholder replaced by `token`, byte-wise (the hot path of every
    /// cached page: no String round trip).
    static func substitute(in page: ByteBuffer, token: String) -> ByteBuffer {
        let needle = Array(placeholder.utf8)
        let replacement = Array(token.utf8)
        return page.withUnsafeReadableBytes { haystack -> ByteBuffer in
            var output = ByteBuffer()
            output.reserveCapacity(haystack.count + 64)
            var start = 0
            while start < haystack.count {
                let found = needle.withUnsafeBytes { needleBytes -> Int? in
                    guard let base = haystack.baseAddress,
                          let match = lumora_memmem(base + start, haystack.count - start, needleBytes.baseAddress!, needleBytes.count) else { return nil }
                    return base.distance(to: UnsafeRawPointer(match))
                }
                guard let index = found else { break }
                output.writeBytes(UnsafeRawBufferPointer(rebasing: haystack[start..<index]))
                output.writeBytes(replacement)
                start = index + needle.count
            }
            output.writeBytes(UnsafeRawBufferPointer(rebasing: haystack[start...]))
            return output
        }
    }

    func verify(_ presented: String?, host: String, session: Session) throws(LumoraError) {
        guard !session.isNew, let presented, presented == token(host: host, session: session) else {
            throw LumoraError(.forbidden, code: "invalid_csrf", message: "This form has expired. Please go back, reload the page and try again.")
        }
    }
}
