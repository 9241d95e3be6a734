#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// WCAG 2.x contrast between colours, for store themes: the primary and accent colours carry
/// white text (the header, buttons), so each must reach AA's 4.5:1 against white.
public enum ColorContrast {
    public static let minimumWithWhite = 4.5

    /// The contrast ratio of `#rrggbb` with white, from 1 to 21; nil for anything else.
    public static func withWhite(_ hex: String) -> Double? {
        guard let luminance = relativeLuminance(hex) else { return nil }
        return 1.05 / (luminance + 0.05)
    }

    /// WCAG's relative luminance of an sRGB `#rrggbb` colour.
    public static func relativeLuminance(_ hex: String) -> Double? {
        let digits = Array(hex.utf8)
        guard digits.count == 7, digits[0] == UInt8(ascii: "#") else { return nil }
        var channels: [Double] = []
        for index in stride(from: 1, to: 7, by: 2) {
            guard let value = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            let c = Double(value) / 255
            channels.append(c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4))
        }
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    }
}
