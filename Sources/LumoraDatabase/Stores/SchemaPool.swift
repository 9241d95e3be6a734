import Logging
import PostgresNIO

/// The warm pool: store schemas made ahead of time (`pool_<hex>`, all store migrations
/// applied) so that signup is a rename instead of replaying the DDL.
///
/// Refilling batches several schemas per transaction (one commit, one WAL flush) and runs
/// batches on a few connections in parallel.
public struct SchemaPool: Sendable {
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

    /// Schemas waiting for a store.
    public func available() async throws -> Int {
        var count = 0
        for try await value in try await client.query(SQL.availablePoolSchemas, logger: logger).decode(Int.self) {
            count = value
        }
        return count
    }

    /// Tops the pool up to `target` schemas; returns how many it made.
    @discardableResult
    public func refill(to target: Int, batchSize: Int = 8, concurrency: Int = 2) async throws -> Int {
        let missing = max(0, target - (try await available()))
        guard missing > 0 else { return 0 }
        let batches = stride(from: 0, to: missing, by: batchSize).map { min(batchSize, missing - $0) }
        let work = WorkQueue(batches)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<min(concurrency, batches.count) {
                group.addTask {
                    var made = 0
                    while let size = work.next() {
                        try await makeBatch(size)
                        made += size
                    }
                    return made
                }
            }
            return try await group.reduce(0, +)
        }
    }

    private func makeBatch(_ size: Int) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.run(SQL.schemaBuildLock, logger: logger)
            let migrations = self.migrations
            for _ in 0..<size {
                try await Self.build(SchemaName.newPoolSchema(), migrations: migrations, on: connection, logger: logger)
            }
        }
    }

    /// Returns once every transaction that builds schemas with the store set it read before
    /// now has committed (they hold the build lock shared; this takes it exclusively).
    public static func waitForBuildsInFlight(client: PostgresClient, logger: Logger) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.run(SQL.schemaBuildBarrier, logger: logger)
        }
    }

    /// Creates `schema`, applies every store migration and registers it at the latest
    /// version, on a connection already in a transaction.
    static func build(_ schema: SchemaName, migrations: MigrationSet, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(SQL.createSchema(schema), logger: logger)
        try await StoreSchemaMigrator.apply(migrations.pending(after: 0), to: schema, on: connection, logger: logger)
        try await connection.run(SQL.registerSchema(schema, version: migrations.latestVersion), logger: logger)
    }
}
