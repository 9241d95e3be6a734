import Foundation
import Logging
import PostgresNIO

/// The database a command uses: `DATABASE_URL` when set, otherwise Lumora's own cluster in
/// the data folder (started, or joined when another Lumora process already runs it).
public struct DatabaseHandle: Sendable {
    /// The owner's URL (manager, migrations, operator commands).
    public let url: DatabaseURL
    /// What cells log in with: the cluster's `lumora_cell`, else `LUMORA_CELL_DATABASE_URL`,
    /// else (a server set up with one role) `DATABASE_URL`.
    public let cellURL: DatabaseURL
    /// What edges log in with: `lumora_edge`, else `LUMORA_EDGE_DATABASE_URL`, else the cells'.
    public let edgeURL: DatabaseURL
    /// The cluster this process started or joined; nil with `DATABASE_URL`.
    public let cluster: LocalPostgres?

    public static let defaultDataDirectory = ".lumora"

    /// - Parameter dataDirectory: Lumora's data folder; the cluster lives in `<folder>/pg`.
    public static func open(
        dataDirectory: URL,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger
    ) async throws -> DatabaseHandle {
        if let raw = environment["DATABASE_URL"], !raw.isEmpty {
            let url = try DatabaseURL(string: raw)
            func named(_ variable: String) throws -> DatabaseURL? {
                guard let value = environment[variable], !value.isEmpty else { return nil }
                return try DatabaseURL(string: value)
            }
            let cell = try named("LUMORA_CELL_DATABASE_URL") ?? url
            return DatabaseHandle(url: url, cellURL: cell, edgeURL: try named("LUMORA_EDGE_DATABASE_URL") ?? cell, cluster: nil)
        }
        let cluster = try await LocalPostgres.start(dataDirectory: dataDirectory.appendingPathComponent("pg"), logger: logger)
        return DatabaseHandle(url: cluster.url, cellURL: cluster.url(for: .cell), edgeURL: cluster.url(for: .edge), cluster: cluster)
    }

    /// Stops the cluster if this process started it.
    public func close() async {
        await cluster?.stop()
    }

    /// Opens, runs `body`, and closes even when `body` throws.
    public static func with<Result: Sendable>(
        dataDirectory: URL,
        logger: Logger,
        _ body: (DatabaseHandle) async throws -> Result
    ) async throws -> Result {
        let handle = try await open(dataDirectory: dataDirectory, logger: logger)
        do {
            let result = try await body(handle)
            await handle.close()
            return result
        } catch {
            await handle.close()
            throw error
        }
    }
}

/// Both migration sets, in order: the control schema, then every store schema.
public struct PlatformMigrator: Sendable {
    public let client: PostgresClient
    public let storeMigrations: MigrationSet
    public let concurrency: Int
    public let logger: Logger

    public init(client: PostgresClient, storeMigrations: MigrationSet? = nil, concurrency: Int = 4, logger: Logger) throws {
        self.client = client
        self.storeMigrations = try storeMigrations ?? .store()
        self.concurrency = concurrency
        self.logger = logger
    }

    public struct Outcome: Sendable {
        public var controlApplied: [Migration]
        public var stores: StoreMigrationReport
    }

    public func migrate(allowIncompatible: Bool = false) async throws -> Outcome {
        let control = try await ControlSchemaMigrator(client: client, migrations: try .control(), logger: logger).migrate()
        let stores = try await StoreSchemaMigrator(client: client, migrations: storeMigrations, concurrency: concurrency, logger: logger).migrateAll(allowIncompatible: allowIncompatible)
        return Outcome(controlApplied: control, stores: stores)
    }
}
