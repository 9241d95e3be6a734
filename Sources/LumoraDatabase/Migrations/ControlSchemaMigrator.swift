import Logging
import PostgresNIO

/// Brings the control schema (`lumora.*`) up to date: all pending control migrations in one
/// transaction under an advisory lock, so concurrent starts are safe and a failure changes
/// nothing.
public struct ControlSchemaMigrator: Sendable {
    public let client: PostgresClient
    public let migrations: MigrationSet
    public let logger: Logger

    public init(client: PostgresClient, migrations: MigrationSet, logger: Logger) {
        self.client = client
        self.migrations = migrations
        self.logger = logger
    }

    /// Returns the migrations it applied (empty when already current).
    @discardableResult
    public func migrate() async throws -> [Migration] {
        try await client.transaction(logger: logger) { connection in
            try await connection.run(SQL.controlLock, logger: logger)
            try await connection.run(SQL.createControlSchema, logger: logger)
            try await connection.run(SQL.createControlMigrations, logger: logger)

            var applied: [Int: String] = [:]
            for try await (version, checksum) in try await connection.query(SQL.appliedControlMigrations, logger: logger).decode((Int, String).self) {
                applied[version] = checksum
            }
            try verify(applied: applied, against: migrations)

            let pending = Array(migrations.pending(after: applied.keys.max() ?? 0))
            for migration in pending {
                logger.info("applying control migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                for statement in migration.statements {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.run(SQL.recordControlMigration(migration), logger: logger)
            }
            return pending
        }
    }
}

/// Refuses a database that ran a different text for a known version, or that is ahead of us.
func verify(applied: [Int: String], against migrations: MigrationSet) throws {
    for migration in migrations.migrations {
        if let checksum = applied[migration.version], checksum != migration.checksum {
            throw MigrationError.checksumMismatch(set: migrations.name, version: migration.version, name: migration.name)
        }
    }
    if let newest = applied.keys.max(), newest > migrations.latestVersion {
        throw MigrationError.databaseAhead(set: migrations.name, databaseVersion: newest, knownVersion: migrations.latestVersion)
    }
}
