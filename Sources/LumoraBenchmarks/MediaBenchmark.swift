import AsyncHTTPClient
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraProcess
import LumoraHTTP
import LumoraMedia
import NIOCore
import PostgresNIO

/// `lumora bench media`: what an image costs the platform, on real processes.
///
/// - Upload: a 12-megapixel JPEG posted to a real `lumora cell`'s `POST /admin/media` until
///   its answer (every size made and written): p50/p99 and the cell's CPU per upload. Each
///   upload has its own bytes (a comment segment differs), so none is answered as a repeat.
/// - Serving: one hot rendition (640 wide, the size a product card loads) from a real
///   `lumora edge` (memory cache, fast path) vs nginx serving the same file from disk with the
///   same caching headers, wrk on loopback, ABBA order; requests/s, latency, CPU per request.
public struct MediaBenchmark: Sendable {
    public let server: BenchmarkServer
    public let binary: URL
    public let uploads: Int
    public let seconds: Int
    public let nginxWorkers: Int
    public let rounds: Int
    public let logger: Logger

    public init(server: BenchmarkServer, binary: URL, uploads: Int = 20, seconds: Int = 15, nginxWorkers: Int = 2, rounds: Int = 1, logger: Logger) {
        self.server = server
        self.binary = binary
        self.uploads = uploads
        self.seconds = seconds
        self.nginxWorkers = nginxWorkers
        self.rounds = rounds
        self.logger = logger
    }

    static let secret = "bench-media-secret"
    static let rootDomain = "bench.localhost"
    static let store = "bench-media"

    enum Server: String { case edge, nginx }

    public func run() async throws -> String {
        guard uploads >= 2, rounds >= 1, (1...120).contains(seconds) else {
            throw BenchmarkError(message: "--uploads must be at least 2, --rounds at least 1, --seconds 1…120")
        }
        let nginx = try NginxProcess.binary()
        let nginxVersion = await NginxProcess.version(nginx)
        _ = try LoadTools.require("wrk")
        let slug = try StoreSlug(validating: Self.store)
        let host = "\(Self.store).\(Self.rootDomain)"

        return try await ScratchDatabase.with(on: server, logger: logger) { scratch in
            let (token, machine) = try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: 4), logger: logger) { client in
                try await ControlSchemaMigrator(client: client, migrations: try .control(), logger: logger).migrate()
                let directory = StoreDirectory(client: client, migrations: try MigrationSet.store(), logger: logger)
                let created = try await directory.create(try NewStore(slug: slug, name: "Bench media"))
                return (created.adminToken, try await MachineDescription.read(client: client))
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-bench-media-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let media = folder.appendingPathComponent("media").path

            let cell = try await CellProcess.start(binary: binary, database: scratch.cellURL, secret: Self.secret,
                                                   extra: ["--store-rate", "1000000000", "--store-burst", "1000000000", "--store-concurrency", "100000",
                                                           "--media-dir", media])
            defer { cell.stop() }

            // The photo, made once; each upload differs by a JPEG comment (a new hash).
            logger.info("drawing a 12-megapixel photo")
            let photo = Array(try await SVGRenderer.render(Self.photoSVG, as: .jpeg, quality: 90).readableBytesView)
            let signer = StoreRequestSigner(secret: Self.secret)
            var latencies = LatencySample()
            var firstMedia: [String: Any] = [:]
            let cpuBefore = LoadTools.cpuSeconds(pid: cell.pid)
            for index in 0..<uploads {
                let text = Array("lumora bench upload \(index)".utf8)
                let comment: [UInt8] = [0xFF, 0xFE, UInt8((text.count + 2) >> 8), UInt8((text.count + 2) & 0xFF)] + text
                let body = ByteBuffer(bytes: Array(photo[0..<2]) + comment + Array(photo[2...]))
                var request = HTTPClientRequest(url: cell.baseURL + "/admin/media")
                request.method = .POST
                let authorization = "Bearer \(token)"
                for (name, value) in signer.headers(store: Self.store, method: "POST", path: "/admin/media", body: body, authorization: authorization) {
                    request.headers.add(name: name, value: value)
                }
                request.headers.add(name: "Authorization", value: authorization)
                request.headers.add(name: "Content-Type", value: "image/jpeg")
                request.body = .bytes(body)
                let (answer, took) = try await measure {
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                    return (Int(response.status.code), try await response.body.collect(upTo: 1 << 20))
                }
                guard answer.0 == 201 else { throw BenchmarkError(message: "upload \(index) answered \(answer.0): \(String(buffer: answer.1).prefix(300))") }
                latencies.record(took)
                if index == 0 { firstMedia = (try JSONSerialization.jsonObject(with: Data(buffer: answer.1)) as? [String: Any]) ?? [:] }
            }
            let uploadCPU = (LoadTools.cpuSeconds(pid: cell.pid) - cpuBefore) / Double(uploads)
            let mediaObject = firstMedia["media"] as? [String: Any] ?? [:]
            let sizes = mediaObject["sizes"] as? [[String: Any]] ?? []
            guard let hot = sizes.first(where: { ($0["width"] as? Int) == 640 })?["url"] as? String else {
                throw BenchmarkError(message: "the upload has no 640-wide size: \(mediaObject)")
            }
            let totalBytes = mediaObject["bytes"] as? Int ?? 0

            let edge = try await EdgeProcess.start(binary: binary, database: scratch.edgeURL, secret: Self.secret, rootDomain: Self.rootDomain,
                                                   cell: cell.baseURL, extra: ["--media-dir", media])
            defer { edge.stop() }
            try await HostRequest.waitFor(edge.baseURL + hot, host: host, status: 200)
            let file = try Data(contentsOf: URL(fileURLWithPath: media + "/stores/\(Self.store)/" + String(hot.dropFirst("/media/".count))))
            let nginxRoot = folder.appendingPathComponent("nginx/media", isDirectory: true)
            try FileManager.default.createDirectory(at: nginxRoot, withIntermediateDirectories: true)
            try file.write(to: nginxRoot.appendingPathComponent(String(hot.dropFirst("/media/".count))))
            let script = try HostScript.make(hosts: [host], path: hot)
            defer { try? FileManager.default.removeItem(at: script) }

            func measureRun(_ server: Server) async throws -> (LoadTools.WrkResult, cpu: Double) {
                switch server {
                case .edge:
                    _ = try await LoadTools.wrk(url: edge.baseURL + hot, script: script, seconds: 3)
                    let before = LoadTools.cpuSeconds(pid: edge.pid)
                    let result = try await LoadTools.wrk(url: edge.baseURL + hot, script: script, seconds: seconds)
                    return (result, (LoadTools.cpuSeconds(pid: edge.pid) - before) / Double(max(result.requests, 1)))
                case .nginx:
                    let process = try await StaticNginx.start(nginx: nginx, folder: folder.appendingPathComponent("nginx"), workers: nginxWorkers, probe: hot)
                    defer { process.stop() }
                    _ = try await LoadTools.wrk(url: process.baseURL + hot, script: script, seconds: 3)
                    let before = LoadTools.cpuSeconds(processGroup: process.pid)
                    let result = try await LoadTools.wrk(url: process.baseURL + hot, script: script, seconds: seconds)
                    let used = LoadTools.cpuSeconds(processGroup: process.pid) - before
                    await process.terminate()
                    return (result, used / Double(max(result.requests, 1)))
                }
            }
            var runs: [Server: [(LoadTools.WrkResult, cpu: Double)]] = [:]
            for server in Array(repeating: [Server.edge, .nginx, .nginx, .edge], count: rounds).joined() {
                logger.info("measuring", metadata: ["server": "\(server.rawValue)"])
                runs[server, default: []].append(try await measureRun(server))
            }
            await edge.terminate()
            await cell.terminate()

            func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
            var rows: [[String]] = []
            var rate: [Server: Double] = [:], cpu: [Server: Double] = [:]
            for server in [Server.edge, .nginx] {
                let measured = runs[server] ?? []
                rate[server] = mean(measured.map(\.0.requestsPerSecond))
                cpu[server] = mean(measured.map { $0.cpu * 1e6 })
                rows.append([server == .edge ? "lumora edge" : "nginx \(nginxVersion) (\(nginxWorkers) workers)",
                             measured.map { String(format: "%.0f", $0.0.requestsPerSecond) }.joined(separator: ", "),
                             String(format: "%.2f ms", mean(measured.map(\.0.p50.milliseconds))),
                             String(format: "%.2f ms", mean(measured.map(\.0.p99.milliseconds))),
                             String(format: "%.1f µs", cpu[server] ?? 0),
                             "\(measured.map(\.0.non2xx).reduce(0, +))", "\(measured.map(\.0.errors).reduce(0, +))"])
            }
            let ratio = (rate[.nginx] ?? 0) > 0 ? (rate[.edge] ?? 0) / (rate[.nginx] ?? 1) : 0
            let cpuRatio = (cpu[.nginx] ?? 0) > 0 ? (cpu[.edge] ?? 0) / (cpu[.nginx] ?? 1) : 0
            return """
                lumora bench media --uploads \(uploads) --seconds \(seconds) --rounds \(rounds)
                \(machine.text)

                Upload of a 12-megapixel JPEG (4000×3000, \(ByteCount.text(photo.count))) to POST /admin/media, until the answer
                (all \(sizes.count) widths × 2 formats made and written, \(ByteCount.text(totalBytes)) in all):

                \(markdownTable(["uploads", "p50", "p99", "max", "cell CPU per upload"],
                                [["\(uploads)", latencies.percentile(50).formattedMilliseconds(), latencies.percentile(99).formattedMilliseconds(),
                                  latencies.percentile(100).formattedMilliseconds(),
                                  String(format: "%.0f ms", uploadCPU * 1000)]]))

                A hot image (\(hot.split(separator: "-").last ?? ""), \(ByteCount.text(file.count))) on the store's host, wrk 2 threads × 64 connections,
                \(seconds) s runs, ABBA order:

                \(markdownTable(["server", "requests/s (runs)", "p50", "p99", "CPU per request", "non-2xx", "errors"], rows))

                edge / nginx: \(String(format: "%.2f", ratio))× the requests per second, \(String(format: "%.2f", cpuRatio))× the CPU per request.
                """
        }
    }

    /// A photo-like picture: soft clouds of colour over a gradient, and a sensor's grain (JPEG
    /// compresses it as it does a real photo: megabytes at 12 MP, not hundreds of kilobytes).
    static let photoSVG = """
        <svg xmlns="http://www.w3.org/2000/svg" width="4000" height="3000">
        <defs><linearGradient id="sky" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1e3a8a"/><stop offset="1" stop-color="#f59e0b"/></linearGradient>
        <filter id="clouds"><feTurbulence type="fractalNoise" baseFrequency="0.004" numOctaves="6" seed="7"/>
        <feColorMatrix values="1 0 0 0 0  0 1 0 0 0  0 0 1 0 0  0 0 0 0.6 0"/></filter></defs>
        <rect width="4000" height="3000" fill="url(#sky)"/>
        <rect width="4000" height="3000" filter="url(#clouds)"/>
        <filter id="grain"><feTurbulence type="fractalNoise" baseFrequency="0.5" numOctaves="2" seed="3"/>
        <feColorMatrix values="0 0 0 0 0.5  0 0 0 0 0.5  0 0 0 0 0.5  0 0 0 0.25 0"/></filter>
        <rect width="4000" height="3000" filter="url(#grain)"/>
        <circle cx="2600" cy="1200" r="700" fill="#fde68a" fill-opacity=".5"/>
        </svg>
        """
}

/// nginx serving `folder/media/…` as static files, with the caching the edge gives media.
struct StaticNginx: Sendable {
    let process: ChildProcess
    let baseURL: String
    var pid: pid_t { process.pid }

    static func start(nginx: String, folder: URL, workers: Int, probe: String) async throws -> StaticNginx {
        let port = try FreePort.pick()
        let directory = folder.path
        let configuration = folder.appendingPathComponent("nginx.conf")
        let errorLog = folder.appendingPathComponent("error.log")
        try """
            \(geteuid() == 0 ? "user root;" : "")
            worker_processes \(workers);
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log error;
            events { worker_connections 4096; }
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
                open_file_cache max=1000;
                types { image/jpeg jpg; image/png png; image/webp webp; }
                server {
                    listen 127.0.0.1:\(port);
                    root \(directory);
                    location /media/ {
                        etag on;
                        add_header Cache-Control "public, max-age=31536000, immutable";
                        add_header X-Content-Type-Options nosniff;
                    }
                }
            }
            """.write(to: configuration, atomically: true, encoding: .utf8)
        let process = try ChildProcess.spawn(
            [nginx, "-p", directory + "/", "-c", configuration.path, "-e", errorLog.path, "-g", "daemon off;"],
            standardOutput: .null, standardError: .file(errorLog), newProcessGroup: true)
        let started = StaticNginx(process: process, baseURL: "http://127.0.0.1:\(port)")
        do {
            try await HostRequest.waitFor(started.baseURL + probe, host: "localhost", status: 200, timeout: .seconds(15), giveUp: { process.hasExited })
        } catch {
            started.stop()
            throw BenchmarkError(message: "nginx did not start: \(error)\n\(((try? String(contentsOf: errorLog, encoding: .utf8)) ?? "").suffix(2000))")
        }
        return started
    }

    func terminate() async { await NginxGroup.terminate(process) }

    func stop() { NginxGroup.kill(process) }
}
