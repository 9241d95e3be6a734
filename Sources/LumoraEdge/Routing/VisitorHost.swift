import Foundation
import HTTPTypes

/// The host and scheme a visitor used: `Host`, or what a trusted proxy says in
/// `x-forwarded-host` and `x-forwarded-proto`. Shared by the responder and the fast path.
enum VisitorHost {
    /// The host the visitor asked for, normalised: a trusted proxy's first `x-forwarded-host`,
    /// else the request's authority (`Host`).
    static func of(_ head: HTTPRequest, trusted: Bool) -> String {
        of(authority: head.authority, forwardedHost: trusted ? head.headerFields[EdgeHeaders.forwardedHost] : nil)
    }

    /// `of` from the `Host` header and, from a trusted proxy only, `x-forwarded-host`.
    static func of(authority: String?, forwardedHost: String?) -> String {
        normalise(host: forwardedHost?.split(separator: ",").first.map(String.init) ?? authority ?? "")
    }

    /// "https" or "http" from a trusted proxy's first `x-forwarded-proto`; nil when not told.
    static func forwardedScheme(of head: HTTPRequest, trusted: Bool) -> String? {
        scheme(forwardedProto: trusted ? head.headerFields[EdgeHeaders.forwardedProto] : nil)
    }

    /// "https" or "http" from the first value of an `x-forwarded-proto` header.
    static func scheme(forwardedProto: String?) -> String? {
        guard let proto = forwardedProto?.split(separator: ",").first else { return nil }
        return proto.trimmingCharacters(in: .whitespaces).lowercased() == "https" ? "https" : "http"
    }

    /// Lowercase, without surrounding spaces, port or trailing dot — byte by byte (every
    /// request goes through here).
    static func normalise(host: String) -> String {
        // Most hosts are already normal: no allocation then.
        var normal = !host.isEmpty
        var previous: UInt8 = 0
        for byte in host.utf8 {
            if (byte >= 0x41 && byte <= 0x5A) || byte == 0x20 || byte == 0x09 || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "[") {
                normal = false
                break
            }
            previous = byte
        }
        if normal && previous != UInt8(ascii: ".") { return host }
        var bytes = Array(host.utf8)
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        let start = bytes.firstIndex { $0 != 0x20 && $0 != 0x09 } ?? bytes.endIndex
        var end = bytes.endIndex
        if bytes[start...].first == UInt8(ascii: "[") {  // [::1]:8080
            if let close = bytes[start...].firstIndex(of: UInt8(ascii: "]")) { end = close + 1 }
        } else if let colon = bytes[start...].lastIndex(of: UInt8(ascii: ":")) {
            end = colon
        }
        if end > start && bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        var result = [UInt8]()
        result.reserveCapacity(end - start)
        for byte in bytes[start..<end] {
            result.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
        }
        return String(decoding: result, as: UTF8.self)
    }
}
