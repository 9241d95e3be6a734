import Foundation
import Synchronization
import Logging
import LumoraCore
import LumoraDatabase
import LumoraProcess
import PostgresNIO

/// `lumora bench provision`: how fast stores are created.
///
/// Baseline: `psql` replaying the store DDL for each store, one transaction per store (what a
/// schema-per-tenant tool does). Against it, in the same run and database server: Lumora
/// replaying the same DDL (empty warm pool), filling the warm pool, and signing stores up from
/// the warm pool (a schema rename).
public struct ProvisionBenchmark: Sendable {
    public let server: BenchmarkServer
    public let stores: Int
    public let signupConcurrency: Int
    public let logger: Logger

    public init(server: BenchmarkServer, stores: Int, signupConcurrency: Int = 4, logger: Logger) {
        self.server = server
        self.stores = stores
        self.signupConcurrency = signupConcurrency
        self.logger = logger
    }

    public func run() async throws -> String {
        try await ScratchDatabase.with(on: server, logger: logger) { scratch in
            try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: signupConcurrency + 2), logger: logger) { client in
                try await ControlSchemaMigrator(client: client, migrations: try .control(), logger: logger).migrate()
                let migrations = try MigrationSet.store()
                let machine = try await MachineDescription.read(client: client)
                let directory = StoreDirectory(client: client, migrations: migrations, logger: logger)
                let pool = SchemaPool(client: client, migrations: migrations, logger: logger)

                logger.info("baseline: psql replaying the store DDL", metadata: ["stores": "\(stores)"])
                let baseline = try await PsqlReplay(url: scratch.url, migrations: migrations, logger: logger).run(stores: stores)

                logger.info("Lumora replay (empty warm pool)")
                var replay = LatencySample()
                let (_, replayWall) = try await measure {
                    for index in 0..<stores {
                        let (_, took) = try await measure {
                            try await directory.create(try NewStore(slug: StoreSlug(validating: "replay-\(index)"), name: "Replay \(index)"))
                        }
                        replay.record(took)
                    }
                }

                logger.info("warm pool refill")
                let (_, refillWall) = try await measure { try await pool.refill(to: stores, batchSize: 8, concurrency: 2) }

                logger.info("signup from the warm pool", metadata: ["concurrency": "\(signupConcurrency)"])
                let work = Counter()
                let (signup, signupWall) = try await measure {
                    try await withThrowingTaskGroup(of: LatencySample.self) { group in
                        for _ in 0..<signupConcurrency {
                            group.addTask {
                                var sample = LatencySample()
                                while let index = work.next(below: stores) {
                                    let (_, took) = try await measure {
                                        try await directory.create(try NewStore(slug: StoreSlug(validating: "pooled-\(index)"), name: "Pooled \(index)"))
                                    }
                                    sample.record(took)
                                }
                                return sample
                            }
                        }
                        var all = LatencySample()
                        for try await sample in group { all.append(contentsOf: sample) }
                        return all
                    }
                }
                let leftInPool = try await pool.available()

                func rate(_ wall: Duration) -> Double { Double(stores) / wall.seconds }
                let baselineRate = rate(baseline.wall)
                func ratio(_ wall: Duration) -> String { String(format: "%.1f×", rate(wall) / baselineRate) }
                let rows: [[String]] = [
                    ["psql replay, 1 transaction per store (baseline)", "\(stores)", baseline.wall.formattedSeconds(), String(format: "%.1f", baselineRate),
                     baseline.latency.percentile(50).formattedMilliseconds(), baseline.latency.percentile(99).formattedMilliseconds(), "1.0×"],
                    ["Lumora create, empty warm pool (replay, sequential)", "\(stores)", replayWall.formattedSeconds(), String(format: "%.1f", rate(replayWall)),
                     replay.percentile(50).formattedMilliseconds(), replay.percentile(99).formattedMilliseconds(), ratio(replayWall)],
                    ["Lumora warm-pool refill (background; 8 per transaction, 2 workers)", "\(stores)", refillWall.formattedSeconds(), String(format: "%.1f", rate(refillWall)),
                     "—", "—", ratio(refillWall)],
                    ["Lumora signup from the warm pool (rename; \(signupConcurrency) concurrent)", "\(stores)", signupWall.formattedSeconds(), String(format: "%.1f", rate(signupWall)),
                     signup.percentile(50).formattedMilliseconds(), signup.percentile(99).formattedMilliseconds(), ratio(signupWall)],
                ]
                return """
                    lumora bench provision --stores \(stores)
                    \(machine.text)

                    \(markdownTable(["path", "stores", "wall", "stores/s", "p50", "p99", "throughput vs baseline"], rows))

                    warm pool left after signups: \(leftInPool) (the signups consumed the \(stores) pre-made schemas)
                    """
            }
        }
    }
}

/// Hands out 0, 1, 2 … to concurrent workers.
final class Counter: Sendable {
    private let value = Mutex(0)

    func next(below limit: Int) -> Int? {
        value.withLock { value in
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}

/// The baseline: one psql session replays the store DDL per store, each store in its own
/// transaction, with a timestamp before each so per-store latency can be read back.
struct PsqlReplay {
    let url: DatabaseURL
    let migrations: MigrationSet
    let logger: Logger

    struct Result {
        var wall: Duration
        var latency: LatencySample
    }

    func run(stores: Int) async throws -> Result {
        let ddl = migrations.migrations.flatMap(\.statements).map { $0 + ";" }.joined(separator: "\n")
        var script = "\\set ON_ERROR_STOP 1\n\\pset tuples_only on\n\\pset format unaligned\n"
        for index in 0..<stores {
            script += "SELECT 'mark', extract(epoch FROM clock_timestamp());\n"
            script += "BEGIN;\nCREATE SCHEMA baseline_\(index);\nSET LOCAL search_path TO baseline_\(index);\n\(ddl)\nCOMMIT;\n"
        }
        script += "SELECT 'mark', extract(epoch FROM clock_timestamp());\n"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-bench-\(UUID().uuidString).sql")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let psql = (try? PostgresBinaries.locate().psql.path) ?? "psql"
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = url.password ?? ""
        let arguments = [psql, "-X", "-q", "-h", url.host, "-p", String(url.port), "-U", url.username, "-d", url.database, "-f", file.path]
        let ((status, output), wall) = try await measure { try await ChildProcess.run(arguments, environment: environment) }
        guard status == 0 else { throw BenchmarkError(message: "psql failed: \(output.suffix(500))") }

        let marks = output.split(separator: "\n").compactMap { line -> Double? in
            let parts = line.split(separator: "|")
            guard parts.count == 2, parts[0] == "mark" else { return nil }
            return Double(parts[1])
        }
        var latency = LatencySample()
        for (start, end) in zip(marks, marks.dropFirst()) {
            latency.record(.microseconds(Int64((end - start) * 1_000_000)))
        }
        return Result(wall: wall, latency: latency)
    }
}

public struct BenchmarkError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
