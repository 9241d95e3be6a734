import Foundation
import Logging
import LumoraCore
import PostgresNIO

/// Creates, finds, suspends and deletes stores: the control-schema row and the store's own
/// schema change together, in one transaction, so no half-made store can exist.
public struct StoreDirectory: Sendable {
    public let client: PostgresClient
    public let live: LiveMigrationSet
    public let logger: Logger

    public init(client: PostgresClient, migrations: MigrationSet, logger: Logger) {
        self.init(client: client, live: LiveMigrationSet(migrations), logger: logger)
    }

    public init(client: PostgresClient, live: LiveMigrationSet, logger: Logger) {
        self.client = client
        self.live = live
        self.logger = logger
    }

    /// The store migrations new schemas get.
    public var migrations: MigrationSet { live.current }

    /// Creates the store: takes a pre-migrated schema from the warm pool and renames it
    /// (milliseconds), or, when the pool is empty, creates the schema and replays the store
    /// migrations. Either way the schema, its settings, the control rows and the first API token's
    /// hash commit together. The token itself is returned only here.
    ///
    /// `alsoDo` runs in the same transaction, last (the manager enqueues the provisioning job
    /// there, so a store never exists without the job that finishes it).
    public func create(_ store: NewStore) async throws -> CreatedStore {
        try await create(store) { _ in }.store
    }

    /// `create`, with `alsoDo`'s result made in the same transaction.
    public func create<Extra: Sendable>(_ store: NewStore, alsoDo: (PostgresConnection) async throws -> Extra) async throws
        -> (store: CreatedStore, extra: Extra) {
        do {
            return try await client.transaction(logger: logger) { connection in
                try await connection.run(SQL.schemaBuildLock, logger: logger)
                let migrations = self.migrations
                guard try await !connection.query(SQL.storeExists(store.slug), logger: logger).hasRows() else {
                    throw Self.alreadyExists(store.slug)
                }
                let placement = try await place(store, on: connection)
                let schema = SchemaName(store: store.slug)
                if let (pooled, version) = try await claimPoolSchema(on: connection) {
                    try await connection.run(SQL.renameSchema(pooled, to: schema), logger: logger)
                    try await connection.run(SQL.renameStoreRole(pooled, to: schema), logger: logger)
                    try await connection.run(SQL.renameSchemaRecord(pooled, to: schema), logger: logger)
                    try await StoreSchemaMigrator.apply(migrations.pending(after: version), to: schema, on: connection, logger: logger)
                    if version < migrations.latestVersion {
                        try await connection.run(SQL.setSchemaVersion(schema, migrations.latestVersion), logger: logger)
                    }
                } else {
                    try await SchemaPool.build(schema, migrations: migrations, on: connection, logger: logger)
                }
                try await connection.run(SQL.enterSchema(schema), logger: logger)
                try await connection.run(SQL.initialSettings(name: store.name, currency: store.currency), logger: logger)
                let record = try await connection.query(SQL.insertStore(store, placement: placement), logger: logger).decodeStores()
                try await connection.run(SQL.attachSchema(schema, to: store.slug), logger: logger)
                let token = AdminToken.generate()
                try await connection.run(SQL.insertAPIToken(store.slug, name: AdminToken.firstTokenName, hash: AdminToken.hash(token)), logger: logger)
                guard let created = record.first else { throw LumoraError.internalError("store insert returned no row") }
                let extra = try await alsoDo(connection)
                return (CreatedStore(store: created, adminToken: token), extra)
            }
        } catch where error.hasSQLState(.uniqueViolation) || error.hasSQLState(.duplicateSchema) {
            throw Self.alreadyExists(store.slug)
        }
    }

    public func list() async throws -> [StoreRecord] {
        try await client.query(SQL.listStores, logger: logger).decodeStores()
    }

    public func get(_ slug: StoreSlug) async throws -> StoreRecord {
        guard let store = try await client.query(SQL.store(slug), logger: logger).decodeStores().first else {
            throw Self.notFound(slug)
        }
        return store
    }

    /// Sets the store's status (suspend, reactivate, mark failed …) and returns the record.
    @discardableResult
    public func setStatus(_ slug: StoreSlug, to status: StoreStatus) async throws -> StoreRecord {
        guard let store = try await client.query(SQL.setStoreStatus(slug, status), logger: logger).decodeStores().first else {
            throw Self.notFound(slug)
        }
        return store
    }

    @discardableResult
    public func suspend(_ slug: StoreSlug) async throws -> StoreRecord {
        try await setStatus(slug, to: .suspended)
    }

    /// Issues one more API token for the store (the others keep working) and returns it.
    public func issueAPIToken(_ slug: StoreSlug, name: String = AdminToken.firstTokenName) async throws -> String {
        let token = AdminToken.generate()
        guard try await client.query(SQL.insertAPIToken(slug, name: name, hash: AdminToken.hash(token)), logger: logger).hasRows() else {
            throw Self.notFound(slug)
        }
        return token
    }

    /// Drops the store's schema and its control rows (domains go with the store row).
    public func delete(_ slug: StoreSlug) async throws {
        try await client.transaction(logger: logger) { connection in
            let schemas = try await connection.query(SQL.lockStoreSchema(slug), logger: logger).collect(String.self)
            for schema in schemas.compactMap(SchemaName.init(validating:)) {
                try await connection.run(SQL.dropSchema(schema), logger: logger)
                try await connection.run(SQL.dropStoreRole(schema), logger: logger)
                try await connection.run(SQL.forgetSchema(schema), logger: logger)
            }
            guard try await connection.query(SQL.deleteStore(slug), logger: logger).hasRows() else {
                throw Self.notFound(slug)
            }
        }
    }

    /// Where the store goes (`SQL.placement`); refused when every database is full.
    private func place(_ store: NewStore, on connection: PostgresConnection) async throws -> StorePlacement {
        let rows = try await connection.query(SQL.placement(onSharedCell: !store.plan.hasDedicatedCell), logger: logger)
            .collect((String, String?).self)
        guard let (database, cell) = rows.first else {
            throw LumoraError(.unavailable, code: "no_room", message: "every database is full or closed to new stores; an operator must open one")
        }
        return StorePlacement(databaseID: database, cellID: cell)
    }

    private func claimPoolSchema(on connection: PostgresConnection) async throws -> (SchemaName, Int)? {
        let rows = try await connection.query(SQL.claimPoolSchema, logger: logger).collect((String, Int).self)
        guard let (name, version) = rows.first, let schema = SchemaName(validating: name) else { return nil }
        return (schema, version)
    }

    static func notFound(_ slug: StoreSlug) -> LumoraError {
        .notFound("store_not_found", "no store named '\(slug)'")
    }

    static func alreadyExists(_ slug: StoreSlug) -> LumoraError {
        .conflict("store_exists", "a store named '\(slug)' already exists")
    }
}

extension PostgresRowSequence {

    func decodeStores() async throws -> [StoreRecord] {
        var stores: [StoreRecord] = []
        for try await (slug, name, plan, status, email, currency, cell, database, created)
            in decode((String, String, String, String, String?, String, String?, String, Date).self) {
            guard let plan = Plan(rawValue: plan), let status = StoreStatus(rawValue: status) else {
                throw LumoraError.internalError("store '\(slug)' has an unknown plan or status")
            }
            stores.append(StoreRecord(
                slug: try StoreSlug(validating: slug), name: name, plan: plan, status: status,
                ownerEmail: email, currency: try CurrencyCode(validating: currency), cellID: cell, databaseID: database,
                createdAt: created))
        }
        return stores
    }
}
