import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import PostgresNIO

/// `lumora bench migrate`: `lumora migrate` over many stores when there is nothing to do, and
/// when every store gets a new column and index.
public struct MigrateBenchmark: Sendable {
    public let server: BenchmarkServer
    public let stores: Int
    public let concurrency: Int
    public let logger: Logger

    public init(server: BenchmarkServer, stores: Int, concurrency: Int = 4, logger: Logger) {
        self.server = server
        self.stores = stores
        self.concurrency = concurrency
        self.logger = logger
    }

    public func run() async throws -> String {
        try await ScratchDatabase.with(on: server, logger: logger) { scratch in
            try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: concurrency + 1), logger: logger) { client in
                try await ControlSchemaMigrator(client: client, migrations: try .control(), logger: logger).migrate()
                let shipped = try MigrationSet.store()
                let machine = try await MachineDescription.read(client: client)

                logger.info("creating stores", metadata: ["stores": "\(stores)"])
                try await SchemaPool(client: client, migrations: shipped, logger: logger).refill(to: stores)
                let directory = StoreDirectory(client: client, migrations: shipped, logger: logger)
                for index in 0..<stores {
                    _ = try await directory.create(try NewStore(slug: StoreSlug(validating: "store-\(index)"), name: "Store \(index)"))
                }

                // Nothing to do: the run is decided from the control schema alone.
                var noop = LatencySample()
                for _ in 0..<5 {
                    let (report, took) = try await measure {
                        try await PlatformMigrator(client: client, storeMigrations: shipped, concurrency: concurrency, logger: logger).migrate()
                    }
                    guard report.stores.migrated.isEmpty else { throw BenchmarkError(message: "no-op run migrated something") }
                    noop.record(took)
                }

                // A real migration: a column and an index in every store.
                let real = try shipped.appending([
                    Migration(version: shipped.latestVersion + 1, name: "bench_subtitle", sql: """
                        ALTER TABLE products ADD COLUMN bench_subtitle text;
                        CREATE INDEX products_bench_subtitle ON products (bench_subtitle);
                        """),
                ])
                let (report, realWall) = try await measure {
                    try await PlatformMigrator(client: client, storeMigrations: real, concurrency: concurrency, logger: logger).migrate()
                }
                guard report.stores.succeeded, report.stores.migrated.count == stores else {
                    throw BenchmarkError(message: "real migration: \(report.stores.migrated.count) migrated, \(report.stores.failures.count) failed")
                }

                let rows = [
                    ["no-op (all \(stores) stores current), median of 5", "\(stores)", noop.percentile(50).formattedMilliseconds(), "max \(noop.percentile(100).formattedMilliseconds())"],
                    ["real: ADD COLUMN + CREATE INDEX in every store, \(concurrency) connections", "\(stores)", realWall.formattedSeconds(),
                     String(format: "%.0f stores/s", Double(stores) / realWall.seconds)],
                ]
                return """
                    lumora bench migrate --stores \(stores)
                    \(machine.text)

                    \(markdownTable(["run", "stores", "wall", "note"], rows))
                    """
            }
        }
    }
}
