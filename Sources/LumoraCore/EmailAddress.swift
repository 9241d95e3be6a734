/// A store owner's e-mail address: one `@`, a dotted domain, no spaces, at most 254 bytes.
/// Deliverability is the mail system's business; this refuses what cannot be an address.
public struct EmailAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(validating raw: String) throws(LumoraError) {
        let trimmed = raw.trimmingASCIIWhitespace()
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard trimmed.utf8.count <= 254, parts.count == 2,
              !parts[0].isEmpty, parts[0].utf8.count <= 64,
              parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !trimmed.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || "<>(),;:\\\"[]".unicodeScalars.contains($0) })
        else {
            throw LumoraError(.badRequest, code: "invalid_email", message: "'\(raw.prefix(60))' is not an e-mail address")
        }
        rawValue = String(parts[0]) + "@" + parts[1].lowercased()
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self = try EmailAddress(validating: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension String {
    /// Trims spaces, tabs and newlines (Foundation-free, so the core stays dependency-free).
    public func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
