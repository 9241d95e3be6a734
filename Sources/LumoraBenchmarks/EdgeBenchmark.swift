import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import LumoraCore
import LumoraDatabase
import LumoraProcess
import LumoraHTTP
import NIOCore
import PostgresNIO

/// `lumora bench edge`: what the edge costs compared with nginx doing the same job, on the same
/// machine in the same run. One shared cell (a real `lumora cell`), one real `lumora edge`
/// in front of it, and an nginx child with a generated configuration; wrk on loopback picks a
/// store host at random per request.
///
/// - API path: `GET /api/store/products?limit=20` through the edge (host → store → signed
///   request to the cell) vs nginx doing the same with `map $host` and signatures computed
///   just before each run (nginx cannot compute an HMAC; signatures are valid 30 s, so runs are
///   at most 25 s and nginx is restarted with fresh ones before each run).
/// - Page path: a product page from the edge's warm page cache vs the same HTML as a static
///   file served by nginx.
public struct EdgeBenchmark: Sendable {
    public let server: BenchmarkServer
    public let binary: URL
    public let stores: Int
    public let seconds: Int
    public let nginxWorkers: Int
    /// Measure only this path ("api" or "page"), for quicker runs while working on one.
    public let only: String?
    /// ABBA rounds per path (each is two runs per server).
    public let rounds: Int
    public let logger: Logger

    public init(server: BenchmarkServer, binary: URL, stores: Int = 10, seconds: Int = 15, nginxWorkers: Int = 2, only: String? = nil, rounds: Int = 1, logger: Logger) {
        self.server = server
        self.binary = binary
        self.stores = stores
        self.seconds = seconds
        self.nginxWorkers = nginxWorkers
        self.only = only
        self.rounds = rounds
        self.logger = logger
    }

    static let secret = "bench-secret"
    static let rootDomain = "bench.localhost"
    static let apiPath = "/api/store/products?limit=20"
    /// What the cell sees (and what the signature covers) for `apiPath`.
    static let cellPath = "/store/products?limit=20"
    static let pagePath = "/products/product-1"
    static let warmUpSeconds = 3
    /// The cell's response cache and the edge's page cache outlive the whole benchmark (nothing
    /// changes while it runs): an expiry would land in whichever server's run was going on and
    /// hand it a burst of slow requests the other never sees.
    static let cacheSeconds = 3600

    enum Server: String { case edge, nginx }

    public func run() async throws -> String {
        guard stores >= 1 else { throw BenchmarkError(message: "the edge benchmark needs at least 1 store") }
        guard (1...25).contains(seconds) else {
            throw BenchmarkError(message: "--seconds must be 1…25: nginx's precomputed signatures are valid for 30 s, warm-up included")
        }
        guard nginxWorkers >= 1 else { throw BenchmarkError(message: "--nginx-workers must be at least 1") }
        guard only == nil || only == "api" || only == "page" else { throw BenchmarkError(message: "--only is api or page") }
        guard rounds >= 1 else { throw BenchmarkError(message: "--rounds must be at least 1") }
        let nginx = try NginxProcess.binary()
        let nginxVersion = await NginxProcess.version(nginx)
        _ = try LoadTools.require("wrk")

        return try await ScratchDatabase.with(on: server, logger: logger) { scratch in
            let slugs = try (1...stores).map { try StoreSlug(validating: String(format: "bench-%04d", $0)) }
            let hosts = slugs.map { "\($0.rawValue).\(Self.rootDomain)" }
            let machine = try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: 4), logger: logger) { client in
                try await BenchmarkStores.seed(client, slugs: slugs, logger: logger)
                return try await MachineDescription.read(client: client)
            }

            let cell = try await CellProcess.start(binary: binary, database: scratch.cellURL, secret: Self.secret,
                                                   extra: ["--store-rate", "1000000000", "--store-burst", "1000000000",
                                                           "--store-concurrency", "100000", "--cache-seconds", "\(Self.cacheSeconds)"])
            defer { cell.stop() }
            let edge = try await EdgeProcess.start(binary: binary, database: scratch.edgeURL, secret: Self.secret,
                                                   rootDomain: Self.rootDomain, cell: cell.baseURL)
            defer { edge.stop() }

            // Every store answers through the edge (routing table loaded, cell reachable), and
            // its product page is in the edge's page cache.
            var pages: [String: String] = [:]
            var pageCache: [String] = []
            for host in hosts {
                try await HostRequest.waitFor(edge.baseURL + Self.apiPath, host: host, status: 200)
                _ = try await HostRequest.get(edge.baseURL + Self.pagePath, host: host)
                let page = try await HostRequest.get(edge.baseURL + Self.pagePath, host: host)
                guard page.status == 200 else { throw BenchmarkError(message: "\(host)\(Self.pagePath) answered \(page.status) from the edge") }
                pages[host] = page.body
                pageCache.append(page.pageCache ?? "?")
            }
            let pageBytes = pages.values.map(\.utf8.count)

            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-bench-nginx-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("pages"), withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            for (host, html) in pages {
                try html.write(to: folder.appendingPathComponent("pages/\(host).html"), atomically: true, encoding: .utf8)
            }
            let apiScript = try HostScript.make(hosts: hosts, path: Self.apiPath)
            defer { try? FileManager.default.removeItem(at: apiScript) }
            let pageScript = try HostScript.make(hosts: hosts, path: Self.pagePath)
            defer { try? FileManager.default.removeItem(at: pageScript) }

            let cellPort = Int(cell.baseURL.split(separator: ":").last ?? "") ?? 0
            let signer = StoreRequestSigner(secret: Self.secret)

            /// One measured run, and the proxy's CPU time per request in it (the edge process;
            /// nginx's master and workers). nginx is started afresh (new signatures) and stopped
            /// after.
            func measure(_ server: Server, script: URL, path: String) async throws -> (LoadTools.WrkResult, cpu: Duration) {
                func perRequest(_ seconds: Double, _ result: LoadTools.WrkResult) -> Duration {
                    .nanoseconds(Int64(seconds / Double(max(result.requests, 1)) * 1e9))
                }
                switch server {
                case .edge:
                    _ = try await LoadTools.wrk(url: edge.baseURL + path, script: script, seconds: Self.warmUpSeconds)
                    let before = LoadTools.cpuSeconds(pid: edge.pid)
                    let result = try await LoadTools.wrk(url: edge.baseURL + path, script: script, seconds: seconds)
                    return (result, perRequest(LoadTools.cpuSeconds(pid: edge.pid) - before, result))
                case .nginx:
                    let signed = slugs.map { slug in
                        (host: "\(slug.rawValue).\(Self.rootDomain)", headers: signer.headers(store: slug.rawValue, method: "GET", path: Self.cellPath))
                    }
                    let process = try await NginxProcess.start(nginx: nginx, folder: folder, workers: nginxWorkers, cellPort: cellPort,
                                                               signed: signed, probeHost: hosts[0])
                    defer { process.stop() }
                    _ = try await LoadTools.wrk(url: process.baseURL + path, script: script, seconds: Self.warmUpSeconds)
                    let before = LoadTools.cpuSeconds(processGroup: process.pid)
                    let result = try await LoadTools.wrk(url: process.baseURL + path, script: script, seconds: seconds)
                    let used = LoadTools.cpuSeconds(processGroup: process.pid) - before
                    await process.terminate()
                    return (result, perRequest(used, result))
                }
            }

            // Rounds of ABBA order (edge, nginx, nginx, edge) per path: a drift over the run
            // (warm-up, a neighbour on the machine) falls on both servers alike.
            let api = "API \(Self.apiPath)", page = "page \(Self.pagePath)"
            let paths: [(name: String, path: String, script: URL)] = [
                (api, Self.apiPath, apiScript),
                (page, Self.pagePath, pageScript),
            ].filter { only == nil || $0.name.lowercased().hasPrefix(only!) }
            var results: [String: [Server: [(LoadTools.WrkResult, cpu: Duration)]]] = [:]
            for entry in paths {
                for server in Array(repeating: [Server.edge, .nginx, .nginx, .edge], count: rounds).joined() {
                    logger.info("measuring", metadata: ["path": "\(entry.path)", "server": "\(server.rawValue)"])
                    results[entry.name, default: [:]][server, default: []].append(try await measure(server, script: entry.script, path: entry.path))
                }
            }
            let edgeMemory = LoadTools.residentMegabytes(edge.pid)
            await edge.terminate()
            await cell.terminate()

            func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
            struct Summary { var rate: Double; var p50: Double; var p99: Double; var cpu: Double }
            var summaries: [String: [Server: Summary]] = [:]
            var rows: [[String]] = []
            for entry in paths {
                for server in [Server.edge, .nginx] {
                    let measured = results[entry.name]?[server] ?? []
                    let runs = measured.map(\.0), cpu = measured.map { $0.cpu.microseconds }
                    let summary = Summary(rate: mean(runs.map(\.requestsPerSecond)), p50: mean(runs.map(\.p50.milliseconds)),
                                          p99: mean(runs.map(\.p99.milliseconds)), cpu: mean(cpu))
                    summaries[entry.name, default: [:]][server] = summary
                    func list(_ values: [Double], _ format: String) -> String { values.map { String(format: format, $0) }.joined(separator: ", ") }
                    rows.append([
                        entry.name, server == .edge ? "lumora edge" : "nginx",
                        String(format: "%.0f (%@)", summary.rate, list(runs.map(\.requestsPerSecond), "%.0f")),
                        String(format: "%.2f ms (%@)", summary.p50, list(runs.map(\.p50.milliseconds), "%.2f")),
                        String(format: "%.2f ms (%@)", summary.p99, list(runs.map(\.p99.milliseconds), "%.2f")),
                        String(format: "%.1f µs (%@)", summary.cpu, list(cpu, "%.1f")),
                        "\(runs.map(\.non2xx).reduce(0, +))", "\(runs.map(\.errors).reduce(0, +))",
                    ])
                }
            }
            func ratio(_ name: String) -> Double {
                guard let edge = summaries[name]?[.edge], let nginx = summaries[name]?[.nginx], nginx.rate > 0 else { return 0 }
                return edge.rate / nginx.rate
            }
            func addedP99(_ name: String) -> Double {
                (summaries[name]?[.edge]?.p99 ?? 0) - (summaries[name]?[.nginx]?.p99 ?? 0)
            }
            func verdict(_ met: Bool) -> String { met ? "met" : "NOT met" }
            func cpuRatio(_ name: String) -> Double {
                guard let edge = summaries[name]?[.edge], let nginx = summaries[name]?[.nginx], nginx.cpu > 0 else { return 0 }
                return edge.cpu / nginx.cpu
            }
            let apiRatio = ratio(api), apiAdded = addedP99(api), pageRatio = ratio(page)
            let hits = pageCache.filter { $0 == "hit" }.count

            return """
                lumora bench edge --stores \(stores) --rounds \(rounds)
                \(machine.text)
                wrk -t2 -c64 -d\(seconds)s (after \(Self.warmUpSeconds) s warm-up), Host picked at random per request from \(stores) stores at <slug>.\(Self.rootDomain); \
                each row is the mean of \(2 * rounds) runs, ordered \(Array(repeating: "edge, nginx, nginx, edge", count: rounds).joined(separator: ", ")) (the runs in parentheses); \
                proxy CPU is the user and system time of the edge process, or of nginx's master and workers, per request served
                one shared cell (response cache on for the whole run, store limits off); nginx \(nginxVersion) with worker_processes \(nginxWorkers), \
                access_log off, keepalive 64 to the cell (HTTP/1.1), signatures precomputed per store in map $host blocks and refreshed before each run; \
                product page \(pageBytes.min() ?? 0)–\(pageBytes.max() ?? 0) bytes (edge page cache warm: \(hits) of \(pageCache.count) stores answered "hit" before the runs), \
                served by nginx as a static file per host

                \(markdownTable(["path", "server", "requests/s", "p50", "p99", "proxy CPU per request", "non-2xx", "socket errors"], rows))

                \(only == "page" ? "" : """
                API: edge ÷ nginx throughput \(String(format: "%.2f×", apiRatio)) (goal ≥ 0.80×: \(verdict(apiRatio >= 0.8))); \
                added p99 \(String(format: "%+.2f ms", apiAdded)) (goal ≤ 1 ms: \(verdict(apiAdded <= 1))); \
                proxy CPU per request edge ÷ nginx \(String(format: "%.2f×", cpuRatio(api)))
                """)
                \(only == "api" ? "" : """
                page: edge ÷ nginx throughput \(String(format: "%.2f×", pageRatio)) (goal ≥ 0.50×: \(verdict(pageRatio >= 0.5))); \
                added p99 \(String(format: "%+.2f ms", addedP99(page)))
                """)
                edge RSS after the runs: \(String(format: "%.0f MB", edgeMemory))
                """
        }
    }
}

/// A `lumora edge` child process on a free port, in front of one shared cell.
struct EdgeProcess: Sendable {
    let process: ChildProcess
    let baseURL: String
    var pid: pid_t { process.pid }

    static func start(binary: URL, database: DatabaseURL, secret: String, rootDomain: String, cell: String,
                      extra: [String] = []) async throws -> EdgeProcess {
        let (process, port) = try await RoleProcess.start(
            [binary.path, "edge", "--root-domain", rootDomain, "--shared-cell", cell, "--page-cache-seconds", String(EdgeBenchmark.cacheSeconds)] + extra,
            environment: ["DATABASE_URL": database.string, "LUMORA_EDGE_SECRET": secret])
        let edge = EdgeProcess(process: process, baseURL: "http://127.0.0.1:\(port)")
        do {
            // Up when it answers anything for the root domain's landing page.
            try await HostRequest.waitFor(edge.baseURL + "/", host: rootDomain, status: 200)
        } catch {
            edge.stop()
            throw error
        }
        return edge
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

/// An nginx child (master and workers in a process group of their own) with a generated
/// configuration in `folder`: `/api/store/*` proxied to the cell with the signed headers,
/// everything else the host's page as a static file from `folder/pages/<host>.html`.
struct NginxProcess: Sendable {
    let process: ChildProcess
    let baseURL: String
    let folder: URL
    /// The master's, which leads the process group the workers are in.
    var pid: pid_t { process.pid }

    static func binary() throws -> String {
        if let found = try? LoadTools.require("nginx") { return found }
        for path in ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw BenchmarkError(message: "nginx is not installed: apt-get install nginx")
    }

    /// "1.22.1", from `nginx -v` (which prints "nginx version: nginx/1.22.1" on stderr).
    static func version(_ nginx: String) async -> String {
        guard let (_, output) = try? await ChildProcess.run([nginx, "-v"]) else { return "?" }
        return output.split(separator: "/").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
    }

    static func start(nginx: String, folder: URL, workers: Int, cellPort: Int,
                      signed: [(host: String, headers: [(name: String, value: String)])], probeHost: String) async throws -> NginxProcess {
        let port = try FreePort.pick()
        let configuration = folder.appendingPathComponent("nginx.conf")
        let errorLog = folder.appendingPathComponent("error.log")
        try? FileManager.default.removeItem(at: errorLog)
        try Self.configuration(folder: folder, port: port, workers: workers, cellPort: cellPort, signed: signed)
            .write(to: configuration, atomically: true, encoding: .utf8)
        let process = try ChildProcess.spawn(
            [nginx, "-p", folder.path + "/", "-c", configuration.path, "-e", errorLog.path, "-g", "daemon off;"],
            standardOutput: .null, standardError: .file(errorLog), newProcessGroup: true)
        let started = NginxProcess(process: process, baseURL: "http://127.0.0.1:\(port)", folder: folder)
        do {
            // Ready when a signed request goes through to the cell.
            try await HostRequest.waitFor(started.baseURL + EdgeBenchmark.apiPath, host: probeHost, status: 200, timeout: .seconds(15),
                                          giveUp: { process.hasExited })
        } catch {
            started.stop()
            let log = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
            throw BenchmarkError(message: "nginx did not start: \(error)\n\(log.suffix(2000))")
        }
        return started
    }

    static func configuration(folder: URL, port: Int, workers: Int, cellPort: Int,
                              signed: [(host: String, headers: [(name: String, value: String)])]) -> String {
        let directory = folder.path
        func map(_ header: String, variable: String) -> String {
            let entries = signed.map { entry in
                "        \(entry.host) \"\(entry.headers.first { $0.name == header }?.value ?? "")\";"
            }
            return "    map $host $\(variable) {\n        default \"\";\n" + entries.joined(separator: "\n") + "\n    }"
        }
        return """
            \(geteuid() == 0 ? "user root;" : "")
            worker_processes \(workers);
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log error;

            events {
                worker_connections 4096;
            }

            http {
                access_log off;
                client_body_temp_path \(directory)/client_body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                sendfile on;
                tcp_nopush on;
                keepalive_requests 1000000;
                types { text/html html; }
                default_type application/octet-stream;
                charset utf-8;

            \(map(StoreRequestSigner.storeHeader, variable: "lumora_store"))
            \(map(StoreRequestSigner.timestampHeader, variable: "lumora_timestamp"))
            \(map(StoreRequestSigner.signatureHeader, variable: "lumora_signature"))

                upstream lumora_cell {
                    server 127.0.0.1:\(cellPort);
                    keepalive 64;
                    keepalive_requests 1000000;
                }

                server {
                    listen 127.0.0.1:\(port);
                    server_name _;
                    root \(directory)/pages;

                    location /api/store/ {
                        rewrite ^/api/store/(.*)$ /store/$1 break;
                        proxy_pass http://lumora_cell;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host 127.0.0.1:\(cellPort);
                        proxy_set_header \(StoreRequestSigner.storeHeader) $lumora_store;
                        proxy_set_header \(StoreRequestSigner.timestampHeader) $lumora_timestamp;
                        proxy_set_header \(StoreRequestSigner.signatureHeader) $lumora_signature;
                    }

                    location / {
                        try_files /$host.html =404;
                    }
                }
            }
            """
    }

    func terminate() async { await NginxGroup.terminate(process) }

    /// For `defer`: gone even when the benchmark throws.
    func stop() { NginxGroup.kill(process) }
}

/// An nginx master and its workers, one process group.
enum NginxGroup {
    /// Fast shutdown (the master stops its workers), then anything left in the group is killed.
    static func terminate(_ process: ChildProcess) async {
        process.signal(SIGTERM)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await process.waitForExit() }
            group.addTask { try? await Task.sleep(for: .seconds(5)) }
            await group.next()
            group.cancelAll()
        }
        kill(process)  // whatever is left of the group
    }

    /// The whole group: killing only the master would leave the workers listening.
    static func kill(_ process: ChildProcess) {
        _ = Glibc.kill(-process.pid, SIGKILL)
    }
}

/// Plain requests with a chosen Host header (the edge and nginx route by host).
enum HostRequest {
    static func get(_ url: String, host: String, timeout: TimeAmount = .seconds(10)) async throws -> (status: Int, pageCache: String?, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.replaceOrAdd(name: "Host", value: host)
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), response.headers.first(name: "x-lumora-page-cache"), String(buffer: body))
    }

    /// Polls until `url` (with `host`) answers `status`.
    static func waitFor(_ url: String, host: String, status: Int, timeout: Duration = .seconds(60),
                        giveUp: @Sendable () -> Bool = { false }) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline && !giveUp() {
            do {
                let response = try await get(url, host: host, timeout: .seconds(2))
                if response.status == status { return }
                last = "\(response.status): \(response.body.prefix(300))"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkError(message: "\(url) (Host: \(host)) did not answer \(status); last: \(last)")
    }
}

/// A wrk Lua script that sends `GET path` with a Host picked at random from `hosts`; the
/// requests are formatted once per thread, so wrk spends its time sending, not in Lua.
enum HostScript {
    static func make(hosts: [String], path: String) throws -> URL {
        let list = hosts.map { "\"\($0)\"" }.joined(separator: ",")
        let script = """
            local hosts = {\(list)}
            local requests = {}
            local count = #hosts
            function init(args)
              math.randomseed(os.time() + math.floor(os.clock() * 1000000))
              for i, host in ipairs(hosts) do
                requests[i] = wrk.format("GET", "\(path)", {["Host"] = host})
              end
            end
            function request()
              return requests[math.random(count)]
            end
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-wrk-\(UUID().uuidString).lua")
        try script.write(to: file, atomically: true, encoding: .utf8)
        return file
    }
}
