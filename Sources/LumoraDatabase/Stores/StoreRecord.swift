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
    public var cellID: String?
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

/// A store just created, with its admin token (shown once; only its hash is kept).
public struct CreatedStore: Sendable {
    public let store: StoreRecord
    public let adminToken: String
}
