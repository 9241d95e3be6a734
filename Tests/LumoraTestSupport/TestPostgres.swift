import Foundation
import Logging
import LumoraDatabase
import PostgresNIO

/// The PostgreSQL server a test run uses: `DATABASE_URL` when set, otherwise a private,
/// ephemeral cluster booted once per test process from the installed binaries in a temporary
/// folder. The cluster stops, and its folder is removed, when the test process exits.
public enum TestPostgres {
    public static let logger: Logger = {
        var logger = Logger(label: "lumora.test")
        logger.logLevel = ProcessInfo.processInfo.environment["LUMORA_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return logger
    }()

    /// The server's administrator URL (for making databases and roles), and what the platform's
    /// role passwords are derived from.
    public static func server() async throws -> (admin: DatabaseURL, seed: String) {
        let server = try await self.running.value
        return (server.admin, server.seed)
    }

    private struct Server: Sendable {
        let admin: DatabaseURL
        let seed: String
        /// Held for the life of the process: dropping it would not stop the server (only the
        /// process exit closes its lifeline), but keeping it makes the ownership plain.
        let cluster: LocalPostgres?
    }

    private static let running = Task<Server, any Error> {
        if let raw = ProcessInfo.processInfo.environment["DATABASE_URL"], !raw.isEmpty {
            // A server of the caller's, administered by this URL (CREATEDB and CREATEROLE).
            let admin = try DatabaseURL(string: raw)
            let seed = admin.password ?? "lumora-tests"
            try await PlatformRoles.bootstrap(admin: admin, seed: seed, database: nil, logger: logger)
            return Server(admin: admin, seed: seed, cluster: nil)
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-test-\(UUID().uuidString.prefix(8))")
        let cluster = try await LocalPostgres.start(
            dataDirectory: root.appendingPathComponent("pg"), ephemeral: true, removeOnExit: root, logger: logger)
        return Server(admin: cluster.superuserURL, seed: cluster.superuserURL.password ?? "", cluster: cluster)
    }
}

/// A database of its own for one test: created empty (or with the control schema migrated),
/// owned by the platform's owner role, dropped afterwards (with its store roles), so tests run
/// in parallel without seeing each other.
public struct TestDatabase: Sendable {
    /// As the owner role: what the manager and migrations use.
    public let url: DatabaseURL
    /// As `lumora_cell`: what cells use.
    public let cellURL: DatabaseURL
    /// As `lumora_edge`: what edges use.
    public let edgeURL: DatabaseURL
    /// As the server's administrator (what replication between databases needs).
    public let adminURL: DatabaseURL
    public let logger: Logger

    public static func withFresh<Result: Sendable>(
        controlSchema: Bool = true,
        _ body: (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let (server, seed) = try await TestPostgres.server()
        let name = "test_" + String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20))
        let admin = server.clientConfiguration(maximumConnections: 1)
        try await PostgresClient.withRunning(admin, logger: TestPostgres.logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) OWNER \(PlatformRole.owner.rawValue)"))
        }
        let base = server.database(name)
        let database = TestDatabase(url: PlatformRole.owner.url(from: base, seed: seed), cellURL: PlatformRole.cell.url(from: base, seed: seed),
                                    edgeURL: PlatformRole.edge.url(from: base, seed: seed), adminURL: base, logger: TestPostgres.logger)
        do {
            if controlSchema {
                try await database.withClient { client in
                    try await ControlSchemaMigrator(client: client, migrations: try .control(), logger: database.logger).migrate()
                }
            }
            let result = try await body(database)
            try await drop(name, admin: server)
            return result
        } catch {
            try? await drop(name, admin: server)
            throw error
        }
    }

    private static func drop(_ name: String, admin: DatabaseURL) async throws {
        try await PostgresClient.withRunning(admin.clientConfiguration(maximumConnections: 1), logger: TestPostgres.logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
        try await PlatformRoles.dropStoreRoles(ofDatabase: name, admin: admin, logger: TestPostgres.logger)
    }

    /// A running pool on this database for the duration of `body`.
    @discardableResult
    public func withClient<Result: Sendable>(
        maximumConnections: Int = 10,
        applicationName: String? = nil,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        var url = self.url
        url.applicationName = applicationName
        return try await PostgresClient.withRunning(url.clientConfiguration(maximumConnections: maximumConnections), logger: logger, body)
    }

    /// A running pool on this database as the server's administrator.
    @discardableResult
    public func withAdminClient<Result: Sendable>(_ body: (PostgresClient) async throws -> Result) async throws -> Result {
        try await PostgresClient.withRunning(adminURL.clientConfiguration(maximumConnections: 4), logger: logger, body)
    }
}

extension PostgresClient {
    /// The first column of the first row, for assertions. Reads the whole result: an
    /// abandoned result keeps its pooled connection leased.
    public func scalar<Value: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: Value.Type = Value.self) async throws -> Value? {
        try await self.query(query).collect(Value.self).first
    }
}
