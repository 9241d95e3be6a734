import LumoraCore

/// An extra header a Lumora mail may carry. Only names on `allowedNames` pass: everything else
/// (From, Subject, Content-Type, …) is the encoder's to write, and a header name that came from
/// store data must not be able to smuggle a second sender or a body boundary in.
public struct MailHeader: Hashable, Sendable, Codable {
    /// Spelled as they are written; matched without regard to case.
    public static let allowedNames: [String] = [
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "List-Id",
        "Auto-Submitted",
        "X-Auto-Response-Suppress",
        "X-Lumora-Store",
        "X-Lumora-Mail-Kind",
        "X-Lumora-Order",
    ]

    static let maximumValueLength = 900

    public let name: String
    public let value: String

    /// Printable ASCII only in the value (trimmed of surrounding spaces): these headers are
    /// structured (URLs, slugs, tokens), so a non-ASCII value is a mistake, not something to encode.
    public init(_ name: String, _ value: String) throws(LumoraError) {
        guard let canonical = Self.allowedNames.first(where: { $0.lowercased() == name.lowercased() }) else {
            throw LumoraError(.badRequest, code: "mail_header_not_allowed",
                              message: "'\(name.shownInError(40))' is not a header a Lumora mail may set (allowed: \(Self.allowedNames.joined(separator: ", ")))")
        }
        // Leading and trailing spaces would not survive unfolding; they carry no meaning here.
        let value = value.trimmingASCIIWhitespace()
        guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw LumoraError(.badRequest, code: "invalid_mail_header", message: "\(canonical) may hold printable ASCII only (no line breaks or control characters)")
        }
        guard !value.isEmpty, value.utf8.count <= Self.maximumValueLength else {
            throw LumoraError(.badRequest, code: "invalid_mail_header", message: "\(canonical) needs a value of 1 to \(Self.maximumValueLength) bytes")
        }
        self.name = canonical
        self.value = value
    }

    private enum CodingKeys: String, CodingKey {
        case name, value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(try container.decode(String.self, forKey: .name), try container.decode(String.self, forKey: .value))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(value, forKey: .value)
    }
}
