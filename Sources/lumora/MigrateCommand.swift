import ArgumentParser
import LumoraDatabase
import PostgresNIO

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the control schema and every store schema up to date."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "Store schemas migrated at once (each in its own transaction).")
    var concurrency: Int = 4

    @Flag(name: .customLong("allow-incompatible"), help: "Apply store migrations marked `-- lumora: incompatible` (only once no cell runs a version that needs the old schema).")
    var allowIncompatible = false

    func run() async throws {
        let logger = options.makeLogger("lumora.migrate")
        let outcome = try await DatabaseHandle.with(dataDirectory: options.dataDirectoryURL, logger: logger) { database in
            try await PostgresClient.withRunning(database.url.clientConfiguration(maximumConnections: concurrency + 1), logger: logger) { client in
                try await PlatformMigrator(client: client, concurrency: concurrency, logger: logger).migrate(allowIncompatible: allowIncompatible)
            }
        }
        print("control schema: \(outcome.controlApplied.isEmpty ? "up to date" : "applied \(outcome.controlApplied.map { "\($0.version)_\($0.name)" }.joined(separator: ", "))")")
        print("store schemas: \(outcome.stores.migrated.count) migrated, \(outcome.stores.failures.count) failed")
        for failure in outcome.stores.failures {
            print("  failed: \(failure)")
        }
        if !outcome.stores.succeeded {
            throw ExitCode(1)
        }
    }
}
