import Foundation
import LumoraCore
import Logging
import LumoraDatabase
import PostgresNIO

/// Durations of repeated operations, summarised the way the benchmark tables report them.
public struct LatencySample: Sendable {
    public private(set) var durations: [Duration] = []

    public init() {}

    public mutating func record(_ duration: Duration) { durations.append(duration) }
    public mutating func append(contentsOf other: LatencySample) { durations += other.durations }

    public func percentile(_ p: Double) -> Duration {
        guard !durations.isEmpty else { return .zero }
        let sorted = durations.sorted()
        let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

extension Duration {
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    public var seconds: Double { milliseconds / 1000 }

    public var microseconds: Double { milliseconds * 1000 }

    func formattedMilliseconds() -> String { String(format: "%.1f ms", milliseconds) }
    func formattedSeconds() -> String { String(format: "%.2f s", seconds) }
}

/// Times `body`.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try await body()
    return (result, clock.now - start)
}

/// The PostgreSQL server benchmarks run on: an administrator's URL (scratch databases) and what
/// the platform roles' passwords derive from, as the tests do.
public struct BenchmarkServer: Sendable {
    public let admin: DatabaseURL
    public let seed: String

    /// Lumora's own cluster, or `DATABASE_URL` (which must be able to create databases and roles).
    public static func from(_ handle: DatabaseHandle, logger: Logger) async throws -> BenchmarkServer {
        if let cluster = handle.cluster {
            return BenchmarkServer(admin: cluster.superuserURL, seed: cluster.superuserURL.password ?? "")
        }
        let seed = handle.url.password ?? "lumora-bench"
        try await PlatformRoles.bootstrap(admin: handle.url, seed: seed, database: nil, logger: logger)
        return BenchmarkServer(admin: handle.url, seed: seed)
    }
}

/// A throwaway database for one benchmark run, owned by the platform's owner role, dropped
/// afterwards (with its store roles). `url` is the owner's; cells and edges log in with theirs.
struct ScratchDatabase {
    let url: DatabaseURL
    let cellURL: DatabaseURL
    let edgeURL: DatabaseURL
    /// The server's administrator on this database (replication between databases needs it).
    let adminURL: DatabaseURL

    static func with<T: Sendable>(on server: BenchmarkServer, logger: Logger, _ body: (ScratchDatabase) async throws -> T) async throws -> T {
        let name = "lumora_bench_\(Int(Date().timeIntervalSince1970))_\(UInt16.random(in: 0...UInt16.max))"
        let admin = server.admin.clientConfiguration(maximumConnections: 1)
        try await PostgresClient.withRunning(admin, logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) OWNER \(PlatformRole.owner.rawValue)"))
        }
        let base = server.admin.database(name)
        let scratch = ScratchDatabase(url: PlatformRole.owner.url(from: base, seed: server.seed), cellURL: PlatformRole.cell.url(from: base, seed: server.seed),
                                      edgeURL: PlatformRole.edge.url(from: base, seed: server.seed), adminURL: base)
        do {
            let result = try await body(scratch)
            try await drop(name, server: server, logger: logger)
            return result
        } catch {
            try? await drop(name, server: server, logger: logger)
            throw error
        }
    }

    private static func drop(_ name: String, server: BenchmarkServer, logger: Logger) async throws {
        try await PostgresClient.withRunning(server.admin.clientConfiguration(maximumConnections: 1), logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
        try await PlatformRoles.dropStoreRoles(ofDatabase: name, admin: server.admin, logger: logger)
    }
}

/// What the benchmark ran on, for the header of its table.
public struct MachineDescription: Sendable {
    public let text: String

    static func read(client: PostgresClient) async throws -> MachineDescription {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("MemTotal") }
            .flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Double($0) } }
            .map { String(format: "%.0f GiB", $0 / 1024 / 1024) } ?? "?"
        let version = try await client.query("SELECT current_setting('server_version'), current_setting('fsync')").collect((String, String).self).first
        let date = ISO8601DateFormatter().string(from: Date())
        return MachineDescription(text: "\(date) · \(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)) · \(memory) RAM · PostgreSQL \(version?.0 ?? "?") (fsync \(version?.1 ?? "?"))")
    }
}

func markdownTable(_ header: [String], _ rows: [[String]]) -> String {
    var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
    lines += rows.map { "| " + $0.joined(separator: " | ") + " |" }
    return lines.joined(separator: "\n")
}

/// Stores with the same catalog, for the benchmarks that need a realistic read path.
enum BenchmarkStores {
    /// Creates `slugs` (through the warm pool) with 2 collections, 20 published products and
    /// 3 variants each.
    static func seed(_ client: PostgresClient, slugs: [StoreSlug], logger: Logger) async throws {
        try await ControlSchemaMigrator(client: client, migrations: try .control(), logger: logger).migrate()
        let migrations = try MigrationSet.store()
        logger.info("creating stores", metadata: ["stores": "\(slugs.count)"])
        try await SchemaPool(client: client, migrations: migrations, logger: logger).refill(to: slugs.count)
        let directory = StoreDirectory(client: client, migrations: migrations, logger: logger)
        let scope = TenantScope(client: client, logger: logger)
        for slug in slugs {
            _ = try await directory.create(try NewStore(slug: slug, name: "Bench \(slug)"))
            try await scope.withStore(slug) { connection in
                for statement in catalogSQL {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
        }
    }

    static let catalogSQL = [
        "INSERT INTO collections (handle, title) VALUES ('featured', 'Featured'), ('basics', 'Basics')",
        """
        INSERT INTO products (handle, title, description, status, collection_id, images)
        SELECT 'product-' || n, 'Product ' || n, 'A well made product, number ' || n || ', for every day.', 'published',
               (SELECT id FROM collections WHERE handle = CASE WHEN n % 2 = 0 THEN 'featured' ELSE 'basics' END),
               ARRAY['https://cdn.example/products/' || n || '.jpg']
        FROM generate_series(1, 20) AS n
        """,
        """
        INSERT INTO variants (product_id, title, sku, price_amount, currency, position)
        SELECT p.id, s.size, p.handle || '-' || s.size, 1000 + p.id * 100, 'USD', s.position
        FROM products p CROSS JOIN (VALUES ('S', 0), ('M', 1), ('L', 2)) AS s(size, position)
        """,
        "INSERT INTO inventory (variant_id, stocked) SELECT id, 100 FROM variants",
    ]
}
