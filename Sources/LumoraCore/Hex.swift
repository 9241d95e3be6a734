/// Lowercase hexadecimal, two digits a byte (tokens, signatures, ids). Byte-level: it runs on
/// the edge's hot paths (request signatures, session ids, CSRF tokens).
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `hex` (either case) spells `bytes`, compared in constant time.
    public static func matches(_ hex: String, _ bytes: some Sequence<UInt8>) -> Bool {
        var hex = hex
        return hex.withUTF8 { digits -> Bool in
            var difference: UInt8 = 0
            var index = 0
            for byte in bytes {
                guard index + 1 < digits.count else { return false }
                difference |= (value(digits[index]) << 4 | value(digits[index + 1])) ^ byte
                difference |= invalid(digits[index]) | invalid(digits[index + 1])
                index += 2
            }
            return index == digits.count && difference == 0
        }
    }

    private static func value(_ digit: UInt8) -> UInt8 {
        switch digit {
        case 0x30...0x39: return digit - 0x30
        case 0x61...0x66: return digit - 0x61 + 10
        case 0x41...0x46: return digit - 0x41 + 10
        default: return 0
        }
    }

    /// Non-zero for a byte that is not a hex digit.
    private static func invalid(_ digit: UInt8) -> UInt8 {
        switch digit {
        case 0x30...0x39, 0x61...0x66, 0x41...0x46: return 0
        default: return 1
        }
    }
}
