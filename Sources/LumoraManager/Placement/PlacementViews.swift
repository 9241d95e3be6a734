import Foundation

/// A database as `GET /v1/databases` shows it.
public struct DatabaseView: Sendable, Codable, Equatable {
    public let id: String
    /// Where its URL is kept (`env:…`, `secret:…`); nil for the control schema's own database.
    public let connectionRef: String?
    public let capacityStores: Int
    public let state: String
    public let stores: Int
    public let cells: [String]
    public let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, connectionRef = "connection_ref", capacityStores = "capacity_stores", state, stores, cells, createdAt = "created_at"
    }
}

/// A cell as `GET /v1/cells` shows it, with the stores it serves.
public struct CellView: Sendable, Codable, Equatable {
    public let id: String
    public let kind: String
    public let databaseID: String
    /// The stores a shared cell is meant for (nil: the default, 1000).
    public let capacity: Int?
    public let endpoint: String?
    public let version: String
    public let status: String
    public let runtime: String
    /// A dedicated cell's store.
    public let store: String?
    public let startedAt: Date?
    public let stores: [String]

    enum CodingKeys: String, CodingKey {
        case id, kind, databaseID = "database_id", capacity, endpoint, version, status, runtime, store, startedAt = "started_at", stores
    }
}
