import Synchronization
import Logging
import PostgresNIO

/// Applies the store migration set to every store schema (live stores and the warm pool).
///
/// What is pending is decided from `lumora.store_schemas` alone, so a run with nothing to do
/// is one query however many stores exist. Each schema migrates in its own transaction that
/// also records its new version: a crash loses at most the schemas in flight, and the next
/// run continues from the record. Schemas run in parallel over a bounded number of
/// connections; one schema's failure is reported by name and the others still migrate.
public struct StoreSchemaMigrator: Sendable {
    public let client: PostgresClient
    public let migrations: MigrationSet
    public let concurrency: Int
    public let logger: Logger

    public init(client: PostgresClient, migrations: MigrationSet, concurrency: Int = 4, logger: Logger) {
        self.client = client
        self.migrations = migrations
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    /// Migrates every schema that is behind. A pending migration marked incompatible is
    /// refused (nothing is applied) unless `allowIncompatible`.
    public func migrateAll(allowIncompatible: Bool = false) async throws -> StoreMigrationReport {
        var behind: [(SchemaName, String?)] = []
        var oldest = migrations.latestVersion
        for try await (name, slug, version) in try await client.query(SQL.schemasBehind(migrations.latestVersion), logger: logger).decode((String, String?, Int).self) {
            guard let schema = SchemaName(validating: name) else { continue }
            behind.append((schema, slug))
            oldest = min(oldest, version)
        }
        if !allowIncompatible, let refused = migrations.pending(after: oldest).first(where: \.isIncompatible) {
            throw MigrationError.incompatible(set: migrations.name, version: refused.version, name: refused.name)
        }
        try await recordCatalog()
        guard !behind.isEmpty else { return StoreMigrationReport(migrated: [], failures: []) }
        logger.info("migrating store schemas", metadata: ["count": "\(behind.count)", "target": "\(migrations.latestVersion)"])

        let work = WorkQueue(behind)
        return try await withThrowingTaskGroup(of: StoreMigrationReport.self) { group in
            for _ in 0..<min(concurrency, behind.count) {
                group.addTask {
                    var report = StoreMigrationReport(migrated: [], failures: [])
                    while let (schema, slug) = work.next() {
                        try Task.checkCancellation()
                        do {
                            if try await migrate(schema) { report.migrated.append(schema) }
                        } catch {
                            let failure = StoreMigrationFailure(schema: schema, storeSlug: slug, message: error.databaseMessage)
                            logger.error("store schema migration failed", metadata: ["schema": "\(schema)", "error": "\(failure.message)"])
                            report.failures.append(failure)
                        }
                    }
                    return report
                }
            }
            var total = StoreMigrationReport(migrated: [], failures: [])
            for try await partial in group {
                total.migrated += partial.migrated
                total.failures += partial.failures
            }
            total.migrated.sort { $0.rawValue < $1.rawValue }
            total.failures.sort { $0.schema.rawValue < $1.schema.rawValue }
            return total
        }
    }

    /// Migrates one schema to the latest version; false when someone else already did (or it
    /// was deleted meanwhile).
    func migrate(_ schema: SchemaName) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            var current: Int?
            for try await version in try await connection.query(SQL.lockSchemaVersion(schema), logger: logger).decode(Int.self) {
                current = version
            }
            guard let current, current < migrations.latestVersion else { return false }
            try await Self.apply(migrations.pending(after: current), to: schema, on: connection, logger: logger)
            try await connection.run(SQL.setSchemaVersion(schema, migrations.latestVersion), logger: logger)
            return true
        }
    }

    /// Runs migrations inside `schema` on a connection that is already in a transaction — as
    /// one `DO` block, so a store's dozens of statements cost one round trip instead of one each.
    /// The store's role is granted what the migrations made (it is created with the schema's first).
    static func apply(_ pending: ArraySlice<Migration>, to schema: SchemaName, on connection: PostgresConnection, logger: Logger) async throws {
        guard !pending.isEmpty else { return }
        try await connection.run(SQL.enterSchema(schema), logger: logger)
        try await connection.run(PostgresQuery(unsafeSQL: SQLScript.doBlock(pending.flatMap(\.statements))), logger: logger)
        try await connection.run(SQL.prepareStoreRole(schema), logger: logger)
    }

    /// Records the store set's checksums, refusing edited or unknown migrations.
    func recordCatalog() async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.run(SQL.storeCatalogLock, logger: logger)
            var known: [Int: String] = [:]
            for try await (version, checksum) in try await connection.query(SQL.knownStoreMigrations, logger: logger).decode((Int, String).self) {
                known[version] = checksum
            }
            try verify(applied: known, against: migrations)
            for migration in migrations.migrations where known[migration.version] == nil {
                try await connection.run(SQL.recordStoreMigration(migration), logger: logger)
            }
        }
    }
}

public struct StoreMigrationReport: Sendable {
    /// Schemas this run moved to the latest version.
    public var migrated: [SchemaName]
    public var failures: [StoreMigrationFailure]

    public var succeeded: Bool { failures.isEmpty }
}

public struct StoreMigrationFailure: Sendable, CustomStringConvertible {
    public let schema: SchemaName
    /// nil for a warm-pool schema that no store owns yet.
    public let storeSlug: String?
    public let message: String

    public var description: String {
        "\(storeSlug.map { "store \($0)" } ?? "pool schema") (\(schema)): \(message)"
    }
}

/// Hands out items to concurrent workers.
final class WorkQueue<Item: Sendable>: Sendable {
    private let state: Mutex<(items: [Item], next: Int)>

    init(_ items: [Item]) {
        state = Mutex((items, 0))
    }

    func next() -> Item? {
        state.withLock { state in
            guard state.next < state.items.count else { return nil }
            defer { state.next += 1 }
            return state.items[state.next]
        }
    }
}
