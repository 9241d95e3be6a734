import LumoraCore

/// The name of a store schema, live (`store_<slug>`) or waiting in the warm pool (`pool_<hex>`).
///
/// PostgreSQL cannot bind identifiers as parameters, so DDL pastes schema names into SQL. Only
/// a `SchemaName` may be pasted: it is built from a validated `StoreSlug` or generated here,
/// and re-checked against `^(store|pool)_[a-z0-9_]{1,40}$` when read back from the database.
public struct SchemaName: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(store slug: StoreSlug) {
        rawValue = slug.schemaName
    }

    /// A fresh, unique name for a warm-pool schema.
    public static func newPoolSchema() -> SchemaName {
        var generator = SystemRandomNumberGenerator()
        let suffix = (0..<16).map { _ in String(UInt8.random(in: 0..<16, using: &generator), radix: 16) }.joined()
        return SchemaName(unchecked: "pool_" + suffix)
    }

    /// Re-validates a name that came back from the database.
    public init?(validating raw: String) {
        guard raw.utf8.count <= 46,
              raw.hasPrefix("store_") || raw.hasPrefix("pool_"),
              raw.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }),
              raw.utf8.count > (raw.hasPrefix("pool_") ? 5 : 6)
        else { return nil }
        rawValue = raw
    }

    private init(unchecked raw: String) {
        rawValue = raw
    }

    public var isPool: Bool { rawValue.hasPrefix("pool_") }

    public var description: String { rawValue }
}

extension StoreSlug {
    /// The store a `store_…` schema belongs to (`_` back to `-`; slugs never contain `_`).
    public init?(schemaName: String) {
        guard schemaName.hasPrefix("store_") else { return nil }
        let raw = String(schemaName.dropFirst(6).map { $0 == "_" ? "-" : $0 })
        guard let slug = try? StoreSlug(validating: raw) else { return nil }
        self = slug
    }
}
