/// A store's tenant key, validated once where it enters the system.
///
/// Rule: `^[a-z][a-z0-9-]{1,30}[a-z0-9]$`, no `--`, and not a reserved word. The slug names the
/// store's subdomain and its schema; because a slug never contains `_`, replacing `-` with `_`
/// in ``schemaName`` is injective, so two stores can never share a schema.
public struct StoreSlug: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    public static let minimumLength = 3
    public static let maximumLength = 32

    /// Names that would collide with the platform's own hosts, paths or mail, or mislead users.
    public static let reservedWords: Set<String> = [
        "www", "app", "api", "admin", "manager", "edge", "static", "assets", "sites", "lumora",
        "mail", "email", "smtp", "imap", "pop", "ftp", "status", "docs", "help", "support",
        "blog", "cdn", "dashboard", "account", "accounts", "billing", "login", "logout",
        "signup", "register", "auth", "oauth", "sso", "root", "system", "internal", "public",
        "store", "stores", "shop", "shops", "cell", "cells", "metrics", "health", "ready",
        "test", "dev", "staging", "prod", "production", "localhost", "null", "undefined",
        "pool", "security", "abuse", "postmaster", "hostmaster", "webmaster", "info",
    ]

    public init(validating raw: String) throws(LumoraError) {
        guard raw.utf8.count >= Self.minimumLength, raw.utf8.count <= Self.maximumLength else {
            throw Self.invalid(raw, "must be \(Self.minimumLength) to \(Self.maximumLength) characters long")
        }
        // Byte by byte, without allocating: the edge checks the label of every request's host.
        let bytes = raw.utf8
        guard bytes.allSatisfy({ Self.isLowercaseLetter($0) || Self.isDigit($0) || $0 == UInt8(ascii: "-") }) else {
            throw Self.invalid(raw, "may contain only lowercase letters a-z, digits and '-'")
        }
        guard let first = bytes.first, Self.isLowercaseLetter(first) else {
            throw Self.invalid(raw, "must start with a lowercase letter")
        }
        guard bytes.last != UInt8(ascii: "-") else {
            throw Self.invalid(raw, "must not end with '-'")
        }
        guard !zip(bytes, bytes.dropFirst()).contains(where: { $0 == UInt8(ascii: "-") && $1 == UInt8(ascii: "-") }) else {
            throw Self.invalid(raw, "must not contain '--'")
        }
        guard !Self.reservedWords.contains(raw) else {
            throw LumoraError(.badRequest, code: "reserved_slug", message: "'\(raw)' is reserved; choose another store name")
        }
        self.rawValue = raw
    }

    /// The PostgreSQL schema that holds this store's data: `store_<slug with - as _>`.
    /// Safe to paste into SQL as an identifier: only `[a-z0-9_]`, at most 38 characters.
    public var schemaName: String {
        "store_" + String(rawValue.map { $0 == "-" ? "_" : $0 })
    }

    public var description: String { rawValue }

    public static func < (lhs: StoreSlug, rhs: StoreSlug) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        self = try StoreSlug(validating: raw)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static func isLowercaseLetter(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func invalid(_ raw: String, _ reason: String) -> LumoraError {
        // Echo at most a short, printable prefix of what was sent: it may be hostile.
        let shown = String(raw.unicodeScalars.prefix(40).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
        return LumoraError(.badRequest, code: "invalid_slug", message: "store slug '\(shown)' \(reason)")
    }
}
