import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraProcess
import LumoraHTTP
import PostgresNIO

/// `lumora bench cell`: one shared cell (a real `lumora cell` process) serving the product list
/// of 1000 stores with the same catalog; wrk on loopback drives it with all traffic on one
/// store, then spread at random over all of them — with the response cache (as deployed) and
/// without (every request in the database, `search_path` switching per transaction). Then a
/// noisy neighbour: hey sends one store 20× the rate of each quiet store, and the quiet
/// stores' p99 is compared with their p99 when the noisy store is silent.
public struct CellBenchmark: Sendable {
    public let server: BenchmarkServer
    public let binary: URL
    public let stores: Int
    public let seconds: Int
    public let logger: Logger

    public init(server: BenchmarkServer, binary: URL, stores: Int = 1000, seconds: Int = 15, logger: Logger) {
        self.server = server
        self.binary = binary
        self.stores = stores
        self.seconds = seconds
        self.logger = logger
    }

    static let secret = "bench-secret"
    static let path = "/store/products?limit=20"

    public func run() async throws -> String {
        guard stores >= 2 else { throw BenchmarkError(message: "the cell benchmark needs at least 2 stores") }
        return try await ScratchDatabase.with(on: server, logger: logger) { scratch in
            let slugs = try (1...stores).map { try StoreSlug(validating: String(format: "bench-%04d", $0)) }
            let machine = try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: 4), logger: logger) { client in
                try await BenchmarkStores.seed(client, slugs: slugs, logger: logger)
                return try await MachineDescription.read(client: client)
            }

            var rows: [[String]] = []
            var throughput: [String: Double] = [:]
            for cached in [true, false] {
                let label = cached ? "cache on" : "cache off"
                let cell = try await CellProcess.start(binary: binary, database: scratch.cellURL, secret: Self.secret,
                                                       extra: ["--store-rate", "1000000000", "--store-burst", "1000000000",
                                                               "--store-concurrency", "100000", "--cache-seconds", cached ? "60" : "0"])
                defer { cell.stop() }
                // Two alternating rounds of each traffic shape, averaged: run-to-run noise on
                // a 2-core machine is ±10%, and order effects (warm-up) are cancelled out.
                let shapes: [(String, [StoreSlug])] = [("1 store", [slugs[0]]), ("\(stores) stores, random", slugs)]
                var results: [String: [LoadTools.WrkResult]] = [:]
                for round in 0..<2 {
                    for (name, targets) in shapes {
                        let script = try WrkScript.make(stores: targets, path: Self.path, secret: Self.secret)
                        defer { try? FileManager.default.removeItem(at: script) }
                        if round == 0 { _ = try await LoadTools.wrk(url: cell.baseURL, script: script, seconds: 3) }  // warm up
                        results[name, default: []].append(try await LoadTools.wrk(url: cell.baseURL, script: script, seconds: seconds))
                    }
                }
                for (name, _) in shapes {
                    let runs = results[name] ?? []
                    let rate = runs.map(\.requestsPerSecond).reduce(0, +) / Double(max(runs.count, 1))
                    throughput["\(label) \(name)"] = rate
                    rows.append([label, name, String(format: "%.0f (%@)", rate, runs.map { String(format: "%.0f", $0.requestsPerSecond) }.joined(separator: ", ")),
                                 String(format: "%.2f ms", runs.map(\.p50.milliseconds).max() ?? 0), String(format: "%.2f ms", runs.map(\.p99.milliseconds).max() ?? 0),
                                 "\(runs.map { $0.non2xx + $0.errors }.reduce(0, +))", String(format: "%.0f MB", LoadTools.residentMegabytes(cell.pid))])
                }
                await cell.terminate()
            }
            func ratio(_ label: String) -> String {
                let single = throughput["\(label) 1 store"] ?? 0
                let spread = throughput["\(label) \(stores) stores, random"] ?? 0
                return String(format: "%.2f×", single > 0 ? spread / single : 0)
            }

            let database = try await databaseAlone(scratch, store: slugs[0], cellRate: throughput["cache off 1 store"] ?? 0)
            let noisy = try await noisyNeighbour(scratch.cellURL, slugs: slugs)
            return """
                lumora bench cell --stores \(stores)
                \(machine.text)
                wrk -t2 -c64 -d\(seconds)s, GET \(Self.path) (20 products with 3 variants each), one shared cell, 16 database connections

                \(markdownTable(["cell", "traffic", "requests/s (mean of 2 runs)", "p50 (worse run)", "p99 (worse run)", "non-2xx", "cell RSS after"], rows))

                spread ÷ single store: cache on \(ratio("cache on")), cache off \(ratio("cache off"))

                \(database)

                \(noisy)
                """
        }
    }

    /// The database alone: pgbench running the statements the cell runs for one uncached
    /// product list — BEGIN, the store's role, path and timeout, the page of products with their
    /// variants and pictures nested, COMMIT — with the cell's 16 connections, unprepared (as the
    /// cell sends them) and prepared; and the uncached cell's rate (one store) as a share of each.
    private func databaseAlone(_ scratch: ScratchDatabase, store: StoreSlug, cellRate: Double) async throws -> String {
        guard let pgbench = try? LoadTools.require("pgbench") else { return "pgbench not installed: no database-alone figures" }
        let script = Self.productListScript(schema: SchemaName(store: store).rawValue)
        var rows: [[String]] = []
        for mode in [PGBench.Mode.extended, .prepared] {
            let run = try await PGBench(pgbench: pgbench, url: scratch.cellURL, clients: 16, seconds: seconds, mode: mode).run(script: script)
            rows.append(["pgbench -M \(mode.rawValue)", String(format: "%.0f", run.transactionsPerSecond),
                         String(format: "%.2f ms", run.latencies.percentile(99).milliseconds),
                         String(format: "%.2f×", cellRate / max(run.transactionsPerSecond, 0.001))])
        }
        return """
            The database alone (pgbench, 16 clients as lumora_cell, \(seconds) s: the cell's statements for one uncached product list of one store):

            \(markdownTable(["run", "transactions/s", "p99", "cell (cache off, 1 store) ÷ this"], rows))
            """
    }

    /// What `CatalogRepository.products` sends for `GET /store/products?limit=20` (CellSQL's
    /// products statement), with its bound values written in.
    static func productListScript(schema: String) -> String {
        """
        BEGIN;
        SELECT set_config('role', lumora.store_role('\(schema)'), true), set_config('search_path', '\(schema)', true), set_config('statement_timeout', '5000', true);
        WITH page AS (SELECT p.id, p.created_at, count(*) OVER () AS total \
        FROM products p LEFT JOIN collections c ON c.id = p.collection_id \
        WHERE (true = false OR p.status = 'published') AND (NULL::text IS NULL OR p.title ILIKE '%' || NULL::text || '%' ESCAPE '\\') \
        AND (NULL::text IS NULL OR c.handle = NULL::text) ORDER BY p.created_at DESC, p.id DESC LIMIT 20 OFFSET 0) \
        SELECT p.id, p.handle, p.title, p.description, p.status, p.images, p.created_at, p.updated_at, c.id, c.handle, c.title, \
        ARRAY(SELECT ROW(v.id, v.title, v.sku, v.price_amount, v.currency, COALESCE(i.stocked, 0), COALESCE(i.reserved, 0), v.weight_grams::bigint) \
        FROM variants v LEFT JOIN inventory i ON i.variant_id = v.id WHERE v.product_id = p.id ORDER BY v.position, v.id), \
        ARRAY(SELECT ROW(pm.alt, m.id, m.hash, m.source, m.widths, m.heights, m.formats, m.byte_count, m.created_at) \
        FROM product_media pm JOIN media m ON m.id = pm.media_id WHERE pm.product_id = p.id ORDER BY pm.position), page.total \
        FROM page JOIN products p ON p.id = page.id LEFT JOIN collections c ON c.id = p.collection_id ORDER BY page.created_at DESC, page.id DESC;
        COMMIT;

        """
    }

    /// Quiet stores at a steady rate each; then the same with one store at 20× that rate.
    private func noisyNeighbour(_ url: DatabaseURL, slugs: [StoreSlug]) async throws -> String {
        let quiet = Array(slugs.dropFirst().prefix(10))
        let noisy = slugs[0]
        let quietRate = 10, noisyRate = quietRate * 20
        let cell = try await CellProcess.start(binary: binary, database: url, secret: Self.secret,
                                               extra: ["--store-rate", "50", "--store-burst", "50", "--store-concurrency", "8", "--visitor-share", "1", "--cache-seconds", "0"])
        defer { cell.stop() }
        let signer = StoreRequestSigner(secret: Self.secret)

        func load(includeNoisy: Bool) async throws -> (quiet: [Double], noisyStatuses: [Int]) {
            try await withThrowingTaskGroup(of: (Bool, [(latency: Double, status: Int)]).self) { group in
                for store in quiet {
                    group.addTask {
                        (false, try await LoadTools.hey(url: cell.baseURL + Self.path, headers: signer.headers(store: store.rawValue, method: "GET", path: Self.path),
                                                        perSecond: quietRate, workers: 1, seconds: seconds))
                    }
                }
                if includeNoisy {
                    group.addTask {
                        (true, try await LoadTools.hey(url: cell.baseURL + Self.path, headers: signer.headers(store: noisy.rawValue, method: "GET", path: Self.path),
                                                       perSecond: noisyRate / 10, workers: 10, seconds: seconds))
                    }
                }
                var quietLatencies: [Double] = []
                var noisyStatuses: [Int] = []
                for try await (isNoisy, results) in group {
                    if isNoisy { noisyStatuses += results.map(\.status) } else { quietLatencies += results.filter { $0.status == 200 }.map(\.latency) }
                }
                return (quietLatencies, noisyStatuses)
            }
        }
        _ = try await load(includeNoisy: false)  // warm up
        let alone = try await load(includeNoisy: false)
        let together = try await load(includeNoisy: true)
        await cell.terminate()
        let aloneP99 = alone.quiet.percentile(99), togetherP99 = together.quiet.percentile(99)
        let limited = together.noisyStatuses.filter { $0 == 429 }.count
        let rows = [
            ["quiet stores alone", "\(quiet.count) × \(quietRate)/s", "\(alone.quiet.count)",
             String(format: "%.2f ms", alone.quiet.percentile(50) * 1000), String(format: "%.2f ms", aloneP99 * 1000), "—"],
            ["with a noisy store", "\(quiet.count) × \(quietRate)/s + 1 × \(noisyRate)/s", "\(together.quiet.count)",
             String(format: "%.2f ms", together.quiet.percentile(50) * 1000), String(format: "%.2f ms", togetherP99 * 1000),
             "\(limited) of \(together.noisyStatuses.count) noisy requests got 429"],
        ]
        return """
            Noisy neighbour (cache off; per-store limit 50 requests/s, burst 50, 8 in flight; hey -q, \(seconds) s):

            \(markdownTable(["run", "offered load", "quiet requests", "quiet p50", "quiet p99", "noisy store"], rows))

            quiet p99 with the noisy store ÷ without: \(String(format: "%.2f×", aloneP99 > 0 ? togetherP99 / aloneP99 : 0))
            """
    }

}

/// A `lumora cell --shared` child process on a free port.
struct CellProcess: Sendable {
    let process: ChildProcess
    let baseURL: String
    var pid: pid_t { process.pid }

    static func start(binary: URL, database: DatabaseURL, secret: String, extra: [String]) async throws -> CellProcess {
        let (process, port) = try await RoleProcess.start([binary.path, "cell", "--shared"] + extra,
                                                          environment: ["DATABASE_URL": database.string, "LUMORA_EDGE_SECRET": secret])
        let cell = CellProcess(process: process, baseURL: "http://127.0.0.1:\(port)")
        try await LoadTools.waitForOK(cell.baseURL + "/ready")
        return cell
    }

    func terminate() async {
        process.signal(SIGTERM)
        await process.waitForExit()
    }

    /// For `defer`: makes sure the child is gone even when the benchmark throws.
    func stop() {
        process.signal(SIGKILL)
    }
}

/// A wrk Lua script that signs each request for a store picked at random from `stores`
/// (signatures made now, valid for the tolerance window — long enough for one run).
enum WrkScript {
    static func make(stores: [StoreSlug], path: String, secret: String) throws -> URL {
        let signer = StoreRequestSigner(secret: secret)
        let entries = stores.map { store -> String in
            let headers = signer.headers(store: store.rawValue, method: "GET", path: path)
            return "{\"\(headers[0].value)\",\"\(headers[1].value)\",\"\(headers[2].value)\"}"
        }
        let script = """
            local entries = {\(entries.joined(separator: ","))}
            local count = #entries
            function init(args)
              math.randomseed(os.time() + math.floor(os.clock() * 1000000))
            end
            function request()
              local e = entries[math.random(count)]
              return wrk.format("GET", "\(path)", {["x-store-id"] = e[1], ["x-lumora-timestamp"] = e[2], ["x-lumora-signature"] = e[3]})
            end
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-wrk-\(UUID().uuidString).lua")
        try script.write(to: file, atomically: true, encoding: .utf8)
        return file
    }
}
