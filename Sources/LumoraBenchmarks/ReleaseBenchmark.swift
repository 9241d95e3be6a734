import AsyncHTTPClient
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import NIOCore
import PostgresNIO
import Synchronization

/// `lumora bench release`: a platform release over many stores under storefront load — real
/// `lumora manager` (shared cell + dedicated cells) and `lumora edge` processes, and a new
/// version made of this binary plus one real store migration (a column with a default and an
/// index on every store's products). Reports the wall time of each phase and every request
/// that failed while the release ran.
public struct ReleaseBenchmark: Sendable {
    public let server: BenchmarkServer
    public let binary: URL
    public let stores: Int
    public let dedicated: Int
    public let batchSize: Int
    public let healthWindowMilliseconds: Int
    public let loadConcurrency: Int
    public let logger: Logger

    public init(server: BenchmarkServer, binary: URL, stores: Int = 1000, dedicated: Int = 20, batchSize: Int = 5,
                healthWindowMilliseconds: Int = 2000, loadConcurrency: Int = 8, logger: Logger) {
        self.server = server
        self.binary = binary
        self.stores = stores
        self.dedicated = dedicated
        self.batchSize = batchSize
        self.healthWindowMilliseconds = healthWindowMilliseconds
        self.loadConcurrency = loadConcurrency
        self.logger = logger
    }

    static let token = "bench-operator-token"
    static let secret = "bench-secret"
    static let rootDomain = "bench.localhost"
    static let version = "0.2.0-bench"
    /// Backward compatible: old cells ignore the column and the index.
    static let migration = """
        ALTER TABLE products ADD COLUMN subtitle text NOT NULL DEFAULT '';
        CREATE INDEX products_updated ON products (updated_at DESC);
        """

    public func run() async throws -> String {
        try await ScratchDatabase.with(on: server, logger: logger) { scratch in
            let sharedSlugs = try (1...max(stores, 1)).map { try StoreSlug(validating: String(format: "bench-%04d", $0)) }
            let machine = try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: 4), logger: logger) { client in
                try await BenchmarkStores.seed(client, slugs: sharedSlugs, logger: logger)
                return try await MachineDescription.read(client: client)
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-bench-release-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let newVersion = try makeVersion(in: folder)

            let manager = try await ManagerProcess.start(binary: binary, database: scratch.url, cellDatabase: scratch.cellURL, folder: folder, token: Self.token,
                                                         secret: Self.secret, rootDomain: Self.rootDomain)
            defer { manager.stop() }
            let edge = try await EdgeProcess.start(binary: binary, database: scratch.edgeURL, secret: Self.secret, rootDomain: Self.rootDomain, cell: "")
            defer { edge.stop() }

            let dedicatedSlugs = (1...max(dedicated, 1)).map { String(format: "vip-%02d", $0) }
            logger.info("creating dedicated stores", metadata: ["count": "\(dedicatedSlugs.count)"])
            for slug in dedicatedSlugs {
                _ = try await manager.call(.POST, "/v1/stores", json: #"{"slug":"\#(slug)","name":"VIP \#(slug)","plan":"enterprise","owner_email":"o@bench.test"}"#,
                                           expect: .accepted)
            }
            let hosts = (dedicatedSlugs + sharedSlugs.map(\.rawValue)).map { "\($0).\(Self.rootDomain)" }
            for host in hosts.prefix(dedicatedSlugs.count) {
                try await HostRequest.waitFor(edge.baseURL + "/api/store/products?limit=5", host: host, status: 200)
            }

            let load = BackgroundLoad(edge: edge.baseURL, hosts: hosts, workers: loadConcurrency)
            try await Task.sleep(for: .seconds(2))
            let clock = ContinuousClock()
            let started = clock.now
            let created = try await manager.call(.POST, "/v1/releases", json: """
                {"version":"\(Self.version)","binary":"\(newVersion.path)","canary":1,"batch_size":\(batchSize),"health_window_ms":\(healthWindowMilliseconds)}
                """, expect: .accepted)
            guard let id = Self.releaseID(created) else { throw BenchmarkError(message: "no release id in \(created.prefix(200))") }
            var state = "running"
            while state == "running" {
                try await Task.sleep(for: .milliseconds(100))
                state = Self.state(try await manager.call(.GET, "/v1/releases/\(id)", expect: .ok))
            }
            let wall = clock.now - started
            try await Task.sleep(for: .seconds(2))
            let outcome = await load.stop()
            guard state == "succeeded" else {
                throw BenchmarkError(message: "the release ended \(state): \(try await manager.call(.GET, "/v1/releases/\(id)", expect: .ok).prefix(1000))")
            }

            let phases = try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: 1), logger: logger) { client in
                try await client.query("""
                    SELECT EXTRACT(EPOCH FROM (SELECT min(started_at) FROM lumora.release_cells WHERE release_id = r.id) - r.created_at)::float8,
                           EXTRACT(EPOCH FROM (SELECT max(finished_at) - min(started_at) FROM lumora.release_cells WHERE release_id = r.id AND batch = 0))::float8,
                           EXTRACT(EPOCH FROM (r.finished_at - (SELECT min(started_at) FROM lumora.release_cells WHERE release_id = r.id AND batch >= 1)))::float8,
                           r.schemas_migrated, (SELECT count(*)::int FROM lumora.release_cells WHERE release_id = r.id AND state = 'updated')
                    FROM lumora.releases r WHERE r.id = \(id)
                    """).collect((Double, Double, Double, Int?, Int).self).first
            }
            await edge.terminate()
            try await manager.terminate(database: scratch.url, logger: logger)
            guard let phases else { throw BenchmarkError(message: "release \(id) has no recorded phases") }

            func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }
            let rows = [
                ["schema migration (\(phases.3 ?? 0) store schemas)", seconds(phases.0)],
                ["shared cell (start beside, switch, drain, \(healthWindowMilliseconds) ms health window)", seconds(phases.1)],
                ["\(dedicatedSlugs.count) dedicated cells (canary 1, then batches of \(batchSize), each gated)", seconds(phases.2)],
                ["total (POST /v1/releases → succeeded)", wall.formattedSeconds()],
            ]
            return """
                lumora bench release --stores \(stores) --dedicated \(dedicated) --batch-size \(batchSize) --health-window-ms \(healthWindowMilliseconds)
                \(machine.text)
                \(stores) stores on the shared cell + \(dedicatedSlugs.count) with dedicated cells; new version = this binary + 1 store migration (ADD COLUMN … DEFAULT, CREATE INDEX)
                load: \(loadConcurrency) concurrent shoppers through the edge over every store (page and product API alternately), from 2 s before the release to 2 s after

                \(markdownTable(["phase", "wall time"], rows))

                cells updated: \(phases.4) · requests during the run: \(outcome.ok + outcome.failed.count) · failed: \(outcome.failed.count)\(outcome.failed.isEmpty ? "" : " (first: \(outcome.failed.prefix(3).joined(separator: "; ")))")
                p50 \(outcome.latency.percentile(50).formattedMilliseconds()) · p99 \(outcome.latency.percentile(99).formattedMilliseconds()) · max \(outcome.latency.percentile(100).formattedMilliseconds())
                goals: 0 failed requests — \(outcome.failed.isEmpty ? "met" : "NOT met"); schema phase under 10 s — \(phases.0 < 10 ? "met" : "NOT met")
                """
        }
    }

    /// This binary linked (or copied) into a folder with its resource bundles and one more
    /// store migration: the next version, as a release sees it.
    private func makeVersion(in folder: URL) throws -> URL {
        let release = folder.appendingPathComponent("release", isDirectory: true)
        try FileManager.default.createDirectory(at: release, withIntermediateDirectories: true)
        let copy = release.appendingPathComponent("lumora")
        if link(binary.path, copy.path) != 0 { try FileManager.default.copyItem(at: binary, to: copy) }
        let buildFolder = binary.deletingLastPathComponent()
        for bundle in try FileManager.default.contentsOfDirectory(atPath: buildFolder.path) where bundle.hasPrefix("lumora_") && bundle.hasSuffix(".resources") {
            try FileManager.default.copyItem(at: buildFolder.appendingPathComponent(bundle), to: release.appendingPathComponent(bundle))
        }
        let store = release.appendingPathComponent("lumora_LumoraDatabase.resources/Migrations/store", isDirectory: true)
        let next = try MigrationSet.store(shippedWith: copy).latestVersion + 1
        try Self.migration.write(to: store.appendingPathComponent(String(format: "%04d_bench_subtitles.sql", next)), atomically: true, encoding: .utf8)
        return copy
    }

    static func releaseID(_ body: String) -> Int? {
        ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]).flatMap { ($0["release"] as? [String: Any])?["id"] as? Int }
    }

    static func state(_ body: String) -> String {
        ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]).flatMap { ($0["release"] as? [String: Any])?["state"] as? String } ?? "?"
    }
}

/// Shoppers on loopback: `workers` loops, each request to a random store's page or product
/// API through the edge; every non-200 answer or error is kept.
final class BackgroundLoad: Sendable {
    private final class Results: Sendable {
        let state = Mutex<(latency: LatencySample, failed: [String])>((LatencySample(), []))
    }

    private let results = Results()
    private let task: Task<Void, Never>

    init(edge: String, hosts: [String], workers: Int) {
        let results = self.results
        task = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var count = worker
                        let clock = ContinuousClock()
                        while !Task.isCancelled {
                            count += 1
                            guard let host = hosts.randomElement() else { return }
                            let path = count % 2 == 0 ? "/" : "/api/store/products?limit=5"
                            let start = clock.now
                            do {
                                let reply = try await HostRequest.get(edge + path, host: host, timeout: .seconds(10))
                                let elapsed = clock.now - start
                                results.state.withLock { state in
                                    if reply.status == 200 { state.latency.record(elapsed) } else { state.failed.append("\(host)\(path): \(reply.status)") }
                                }
                            } catch {
                                if Task.isCancelled { return }
                                results.state.withLock { $0.failed.append("\(host)\(path): \(error)") }
                            }
                        }
                    }
                }
            }
        }
    }

    func stop() async -> (ok: Int, failed: [String], latency: LatencySample) {
        task.cancel()
        await task.value
        return results.state.withLock { ($0.latency.durations.count, $0.failed, $0.latency) }
    }
}
