import ArgumentParser
import Foundation
import LumoraDatabase
import PostgresNIO
import ServiceLifecycle

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run the whole platform on this machine: its own PostgreSQL, migrated, ready for stores."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "Pre-made store schemas kept ready for fast signups.")
    var warmPool: Int = 20

    func run() async throws {
        let logger = options.makeLogger("lumora.dev")
        let database = try await DatabaseHandle.open(dataDirectory: options.dataDirectoryURL, logger: logger)
        do {
            let client = PostgresClient(configuration: database.url.clientConfiguration(maximumConnections: 8), backgroundLogger: logger)
            let setup = DevSetup(client: client, warmPool: warmPool, database: database, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: client), .init(service: setup, successTerminationBehavior: .ignore)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
        } catch {
            await database.close()
            throw error
        }
        await database.close()
        print("stopped")
    }
}

/// Migrates, fills the warm pool and says what runs; then waits for Ctrl-C.
struct DevSetup: Service {
    let client: PostgresClient
    let warmPool: Int
    let database: DatabaseHandle
    let logger: Logger

    func run() async throws {
        let outcome = try await PlatformMigrator(client: client, logger: logger).migrate()
        let made = try await SchemaPool(client: client, migrations: try .store(), logger: logger).refill(to: warmPool)
        let stores = try await StoreDirectory(client: client, migrations: try .store(), logger: logger).list()
        print("""
            Lumora is running.
              PostgreSQL  \(database.url)\(database.cluster.map { "  (data: \($0.dataDirectory.path))" } ?? "")
              migrations  control +\(outcome.controlApplied.count), store schemas +\(outcome.stores.migrated.count)
              stores      \(stores.count); warm pool topped up by \(made)
            Still to come: the cell (commerce API), the edge (storefronts) and the manager (signup, demo stores).
            Press Ctrl-C to stop.
            """)
        try await gracefulShutdown()
    }
}
