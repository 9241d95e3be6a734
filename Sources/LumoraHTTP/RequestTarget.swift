/// A request target (RFC 9112 origin-form: `/path?query`) that is safe to write on the wire.
///
/// The one way Lumora builds the targets it sends: every path segment and query value that
/// Lumora did not write itself is percent-encoded (`RequestTarget.path("store", "carts", id)`),
/// and a target taken from elsewhere (a visitor's `/api/…` request) is accepted only when every
/// byte is one RFC 3986 allows there (`RequestTarget(validating:)`). Nothing a visitor sends can
/// end the request line, start a header or smuggle a second request onto a shared connection.
public struct RequestTarget: Sendable, Hashable, CustomStringConvertible {
    /// The target as written on the request line.
    public private(set) var text: String

    private init(text: String) {
        self.text = text
    }

    /// `/segment/segment…`, each segment percent-encoded (a `/` inside one is `%2F`).
    public static func path(_ segments: String...) -> RequestTarget {
        path(segments)
    }

    public static func path(_ segments: [String]) -> RequestTarget {
        var text = ""
        for segment in segments {
            text += "/"
            text += Self.encode(segment)
        }
        return RequestTarget(text: text.isEmpty ? "/" : text)
    }

    /// This target with `name=value` appended to its query (nothing when `value` is nil).
    public func query(_ name: String, _ value: String?) -> RequestTarget {
        guard let value else { return self }
        var copy = self
        copy.text += text.utf8.contains(UInt8(ascii: "?")) ? "&" : "?"
        copy.text += Self.encode(name)
        copy.text += "="
        copy.text += Self.encode(value)
        return copy
    }

    public func query(_ name: String, _ value: Int) -> RequestTarget {
        query(name, String(value))
    }

    /// A target received from elsewhere, kept byte for byte when every byte is allowed in
    /// origin-form (and every `%` starts a valid escape); nil otherwise.
    public init?(validating raw: String) {
        guard Self.isValid(raw) else { return nil }
        self.text = raw
    }

    public var description: String { text }

    /// The path, without the query.
    public var path: Substring { text.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(text) }

    /// Whether `bytes` are an origin-form target: `/` first, then only unreserved characters,
    /// sub-delimiters, `:`, `@`, `/`, `?` and `%XX` escapes.
    public static func isValid(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isValid($0) }
    }

    public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.first == UInt8(ascii: "/") else { return false }
        var pendingHexDigits = 0
        for byte in bytes {
            if pendingHexDigits > 0 {
                guard isHexDigit(byte) else { return false }
                pendingHexDigits -= 1
            } else if byte == UInt8(ascii: "%") {
                pendingHexDigits = 2
            } else if !isAllowed(byte) {
                return false
            }
        }
        return pendingHexDigits == 0
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    public static func encode(_ text: String) -> String {
        let utf8 = text.utf8
        if utf8.allSatisfy(isUnreserved) { return text }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 3)
        for byte in utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    /// unreserved / sub-delims / ":" / "@" / "/" / "?" (pchar, plus what a path and query add).
    private static func isAllowed(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"),
             UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "?"):
            return true
        default:
            return false
        }
    }
}

/// What may go in a header the edge writes: names are RFC 9110 tokens, values visible ASCII,
/// space, tab and (as obs-text) bytes from 0x80 — never CR, LF, NUL or another control.
public enum HeaderBytes {
    public static func isValidName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in !bytes.isEmpty && bytes.allSatisfy(isTokenCharacter) }
    }

    public static func isValidValue(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in bytes.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) } }
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
