import LumoraCore

/// A mailbox: an address and, optionally, the name shown beside it.
///
/// The address goes into SMTP commands (`MAIL FROM:<…>`) as well as headers, so it is held to
/// what cannot break either: exactly one `@`, no control characters or white space, none of
/// `<>()[],;:\"`, ASCII only (non-ASCII addresses need SMTPUTF8, which Lumora does not speak),
/// at most 254 bytes. The display name may be any text without control characters; the
/// encoder quotes or RFC 2047-encodes it.
public struct MailAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    public let address: String
    public let displayName: String?

    public init(_ address: String, displayName: String? = nil) throws(LumoraError) {
        try Self.validate(address: address)
        if let displayName {
            try Self.validate(displayName: displayName)
        }
        self.address = address
        self.displayName = displayName.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A store owner's or customer's address, already validated by the core.
    public init(_ email: EmailAddress, displayName: String? = nil) throws(LumoraError) {
        try self.init(email.rawValue, displayName: displayName)
    }

    /// The part after the `@` (where a generated Message-ID says it comes from).
    public var domain: Substring {
        address[address.index(after: address.firstIndex(of: "@")!)...]
    }

    public var description: String {
        displayName.map { "\($0) <\(address)>" } ?? address
    }

    static let maximumDisplayNameLength = 200

    private static func validate(address: String) throws(LumoraError) {
        func refuse(_ why: String) -> LumoraError {
            LumoraError(.badRequest, code: "invalid_mail_address", message: "'\(address.shownInError())' is not a usable mail address: \(why)")
        }
        guard address.utf8.count <= 254 else { throw refuse("longer than 254 bytes") }
        guard !ControlCharacters.contains(address) else { throw refuse("it holds a control character") }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw refuse("it needs exactly one @") }
        guard !parts[0].isEmpty, !parts[1].isEmpty else { throw refuse("nothing before or after the @") }
        guard parts[0].utf8.count <= 64 else { throw refuse("the part before the @ is longer than 64 bytes") }
        guard address.utf8.allSatisfy({ $0 < 0x80 }) else { throw refuse("non-ASCII addresses are not supported") }
        guard !address.utf8.contains(where: { forbiddenInAddress.contains($0) }) else {
            throw refuse("spaces and <>()[],;:\\\" cannot appear in it")
        }
    }

    private static let forbiddenInAddress: Set<UInt8> = Set(" <>()[],;:\\\"".utf8)

    private static func validate(displayName: String) throws(LumoraError) {
        guard !ControlCharacters.contains(displayName) else {
            throw LumoraError(.badRequest, code: "invalid_mail_address", message: "a display name cannot hold control characters or line breaks")
        }
        guard displayName.count <= maximumDisplayNameLength else {
            throw LumoraError(.badRequest, code: "invalid_mail_address", message: "a display name is at most \(maximumDisplayNameLength) characters")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case address, displayName
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(try container.decode(String.self, forKey: .address),
                      displayName: try container.decodeIfPresent(String.self, forKey: .displayName))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(address, forKey: .address)
        try container.encodeIfPresent(displayName, forKey: .displayName)
    }
}
