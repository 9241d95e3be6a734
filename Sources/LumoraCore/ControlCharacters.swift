/// Finding control characters in what visitors send, before they reach PostgreSQL (which
/// refuses NUL in text with an error that would otherwise become a 500) or a page, a header or a
/// log line. Tab, line feed and carriage return count as text in free-text fields only.
public enum ControlCharacters {
    /// A C0 control, DEL; tab and line breaks too unless `allowingLineBreaks`.
    public static func isControl(_ scalar: UInt32, allowingLineBreaks: Bool = false) -> Bool {
        if allowingLineBreaks, scalar == 0x09 || scalar == 0x0A || scalar == 0x0D { return false }
        return scalar < 0x20 || scalar == 0x7F
    }

    public static func contains(_ text: some StringProtocol, allowingLineBreaks: Bool = false) -> Bool {
        text.unicodeScalars.contains { isControl($0.value, allowingLineBreaks: allowingLineBreaks) }
    }

    /// Whether a request target (or form body) holds a control character, raw or
    /// percent-encoded (`%00`–`%1F`, `%7F`).
    public static func inPercentEncoded(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            if isControl(UInt32(byte)) { return true }
            guard byte == UInt8(ascii: "%") else { continue }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { continue }
            if isControl(UInt32(high << 4 | low)) { return true }
        }
        return false
    }

    /// Whether a JSON text holds, inside a string, an escaped control character other than
    /// tab and line breaks (`\u0000`, `\b`, `\f`, …). Raw control characters are not valid JSON
    /// and the decoder refuses them itself.
    public static func inJSONStrings(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var inString = false
        while let byte = iterator.next() {
            if !inString {
                if byte == UInt8(ascii: "\"") { inString = true }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = false
            case UInt8(ascii: "\\"):
                guard let escaped = iterator.next() else { return false }
                switch escaped {
                case UInt8(ascii: "b"), UInt8(ascii: "f"):
                    return true
                case UInt8(ascii: "u"):
                    var value: UInt32 = 0
                    for _ in 0..<4 {
                        guard let digit = iterator.next().flatMap(hexValue) else { return false }
                        value = value << 4 | UInt32(digit)
                    }
                    if isControl(value, allowingLineBreaks: true) { return true }
                default:
                    break
                }
            default:
                break
            }
        }
        return false
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
