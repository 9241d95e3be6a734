import Foundation
import LumoraCore

/// What the control schema knows about a store.
public struct StoreRecord: Sendable, Equatable, Codable {
    public var slug: StoreSlug
    public var name: String
    public var plan: Plan
    public var status: StoreStatus
    public var ownerEmail: String?
    public var currency: CurrencyCode
    /// The cell serving it: a shared cell of its database, its own dedicated cell, or nil
    /// (a store being provisioned or deleted, or one placed before any shared cell existed:
    /// the database's shared cells serve it).
    public var cellID: String?
    /// The database holding its schema (`lumora.databases`).
    public var databaseID: String
    public var createdAt: Date

    public var schema: SchemaName { SchemaName(store: slug) }
}

/// A store to create. Validation happens in the initializer, so a `NewStore` is always valid.
public struct NewStore: Sendable {
    public let slug: StoreSlug
    public let name: String
    public let plan: Plan
    public let ownerEmail: String?
    public let currency: CurrencyCode
    public let status: StoreStatus

    public init(slug: StoreSlug, name: String, plan: Plan = .standard, ownerEmail: EmailAddress? = nil,
                currency: CurrencyCode = .usd, status: StoreStatus = .active) throws(LumoraError) {
        let trimmed = name.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw LumoraError(.badRequest, code: "invalid_name", message: "a store name must be 1 to 200 characters")
        }
        self.slug = slug
        self.name = trimmed
        self.plan = plan
        self.ownerEmail = ownerEmail?.rawValue
        self.currency = currency
        self.status = status
    }
}

/// Where signup puts a store: a database, and for a standard store a shared cell on it.
public struct StorePlacement: Sendable, Equatable {
    public let databaseID: String
    public let cellID: String?
}

/// A store just created, with its admin token (shown once; only its hash is kept).
public struct CreatedStore: Sendable {
    public let store: StoreRecord
    public let adminToken: String
}
