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
    /// How many items the cart held when the edge last showed it: the header's count on cached
    /// pages, without asking the cell on every view.
    static let cartItemsCookie = "lumora_cart_items"

    let id: String
    let isNew: Bool
    let cartID: String?
    let cartItems: Int

    init(request: Request) {
        self.init(cookieHeaders: request.headers.lazy.filter { $0.name == .cookie }.map(\.value))
    }

    /// From the values of the request's Cookie headers.
    init(cookieHeaders: some Sequence<String>) {
        // The Cookie header(s) read byte-wise, first cookie of each name wins (as Hummingbird's
        // `request.cookies` does), without building a dictionary of every cookie.
        var session: Substring.UTF8View?
        var cart: Substring.UTF8View?
        var items: Substring.UTF8View?
        for header in cookieHeaders {
            Self.scan(header) { name, value in
                if session == nil, name.elementsEqual(Self.sessionCookie.utf8) { session = value }
                if cart == nil, name.elementsEqual(Self.cartCookie.utf8) { cart = value }
                if items == nil, name.elementsEqual(Self.cartItemsCookie.utf8) { items = value }
            }
        }
        var count = 0
        if let items, (1...5).contains(items.count), items.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            count = Int(Substring(items)) ?? 0
        }
        if let session, session.count == 32, session.allSatisfy(Self.isHexDigit) {
            id = String(Substring(session))
            isNew = false
        } else {
            id = Self.randomHex(16)
            isNew = true
        }
        if let cart, cart.count == 37, cart.starts(with: "cart_".utf8), cart.dropFirst(5).allSatisfy(Self.isLetterOrDigit) {
            cartID = String(Substring(cart))
        } else {
            cartID = nil
        }
        // No cart, no items (a count cookie outliving its cart says nothing).
        cartItems = cartID == nil ? 0 : count
    }

    /// Calls `body` with each `name=value` of a Cookie header: pairs split at `;`, leading
    /// whitespace dropped, the name up to the first `=`; a pair without `=` is skipped.
    static func scan(_ header: String, _ body: (Substring.UTF8View, Substring.UTF8View) -> Void) {
        var rest = Substring(header).utf8
        while !rest.isEmpty {
            let end = rest.firstIndex(of: UInt8(ascii: ";")) ?? rest.endIndex
            var pair = rest[rest.startIndex..<end]
            while let first = pair.first, first == 0x20 || (first >= 0x09 && first <= 0x0D) { pair = pair.dropFirst() }
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                body(pair[pair.startIndex..<equals], pair[pair.index(after: equals)...])
            }
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
    }

    static func cookie(_ name: String, _ value: String, secure: Bool, maxAge: Int = 60 * 60 * 24 * 30) -> String {
        var cookie = name
        cookie.reserveCapacity(name.utf8.count + value.utf8.count + 64)
        cookie += "="
        cookie += value
        cookie += "; Path=/; Max-Age="
        cookie += maxAge == 60 * 60 * 24 * 30 ? "2592000" : String(maxAge)
        cookie += secure ? "; HttpOnly; SameSite=Lax; Secure" : "; HttpOnly; SameSite=Lax"
        return cookie
    }

    /// Adds the session cookie when this visitor had none.
    func stamp(_ response: inout Response, secure: Bool) {
        stamp(&response.headers, secure: secure)
    }

    func stamp(_ headers: inout HTTPFields, secure: Bool) {
        if isNew { headers.append(HTTPField(name: .setCookie, value: Self.cookie(Self.sessionCookie, id, secure: secure))) }
    }

    /// `bytes` random bytes as lowercase hex (one random call per 8 bytes).
    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        if bytes == 16 {  // the session id: no intermediate arrays
            let words = (generator.next() as UInt64, generator.next() as UInt64)
            return withUnsafeBytes(of: words) { Hex.lowercase($0) }
        }
        var words = (0..<(bytes + 7) / 8).map { _ in generator.next() as UInt64 }
        let raw = words.withUnsafeMutableBytes { Array($0.prefix(bytes)) }
        return Hex.lowercase(raw)
    }
}

/// CSRF tokens: an HMAC of the host and the session id with the edge's secret. A form posted
/// from another site cannot know it; a token from one store's host is useless on another's.
struct CSRFTokens: Sendable {
    /// Keyed once; each token copies it (the key schedule is most of an HMAC's cost here).
    private let keyed: HMAC<SHA256>
    /// Rendered where a template places the form's token, in cached pages, and replaced per
    /// visitor when served. Random per process and never sent to anyone, so no merchant text
    /// (a product's image URL, say) can contain it and receive each visitor's token.
    let placeholder: String
    private let placeholderBytes: [UInt8]

    init(secret: String) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: Data(("csrf|" + secret).utf8)))
        placeholder = "__lumora_csrf_" + Session.randomHex(16) + "__"
        placeholderBytes = Array(placeholder.utf8)
    }

    func token(host: String, session: Session) -> String {
        // host | id, fed in pieces (the same MAC as over the joined string).
        var mac = keyed
        var host = host, id = session.id
        host.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(ascii: "|")) { mac.update(data: $0) }
        id.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return Hex.lowercase(mac.finalize().prefix(16))
    }

    /// The page with every placeholder replaced by `token`.
    func substitute(in page: ByteBuffer, token: String) -> ByteBuffer {
        page.replacing(placeholderBytes, with: Array(token.utf8))
    }

    func verify(_ presented: String?, host: String, session: Session) throws(LumoraError) {
        guard !session.isNew, let presented, ConstantTime.equals(presented, token(host: host, session: session)) else {
            throw LumoraError(.forbidden, code: "invalid_csrf", message: "This form has expired. Please go back, reload the page and try again.")
        }
    }
}

/// The header's cart count in pages cached for every visitor: a random per-process placeholder
/// (no merchant text can contain it), replaced with the visitor's count when served.
enum CartCount {
    static let placeholder = "__lumora_cart_count_" + Session.randomHex(8) + "__"
    static let placeholderBytes = Array(placeholder.utf8)

    static func substitute(in page: ByteBuffer, count: Int) -> ByteBuffer {
        page.replacing(placeholderBytes, with: Array(String(count).utf8))
    }
}

extension ByteBuffer {
    /// This buffer with every occurrence of `needle` replaced by `replacement`, byte-wise (the
    /// hot path of every cached page: no String round trip).
    func replacing(_ needle: [UInt8], with replacement: [UInt8]) -> ByteBuffer {
        withUnsafeReadableBytes { haystack -> ByteBuffer in
            var output = ByteBufferAllocator().buffer(capacity: haystack.count + 64)
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
}
