import AsyncHTTPClient
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import NIOCore
import PostgresNIO

/// `lumora bench signup`: from `POST /v1/stores` to the store's storefront answering 200 on its
/// own host through the edge — real `lumora manager` (with its shared cell) and `lumora edge`
/// processes, one signup at a time. Standard stores reuse the shared cell; enterprise stores
/// wait for a cell process of their own.
public struct SignupBenchmark: Sendable {
    public let server: BenchmarkServer
    public let binary: URL
    public let standard: Int
    public let enterprise: Int
    public let logger: Logger

    public init(server: BenchmarkServer, binary: URL, standard: Int = 200, enterprise: Int = 10, logger: Logger) {
        self.server = server
        self.binary = binary
        self.standard = standard
        self.enterprise = enterprise
        self.logger = logger
    }

    static let token = "bench-operator-token"
    static let secret = "bench-secret"
    static let rootDomain = "bench.localhost"

    public func run() async throws -> String {
        try await ScratchDatabase.with(on: server, logger: logger) { scratch in
            let machine = try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: 2), logger: logger) { client in
                try await ControlSchemaMigrator(client: client, migrations: try .control(), logger: logger).migrate()
                _ = try await StoreSchemaMigrator(client: client, migrations: try .store(), logger: logger).migrateAll()
                return try await MachineDescription.read(client: client)
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-bench-signup-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }

            let manager = try await ManagerProcess.start(binary: binary, database: scratch.url, cellDatabase: scratch.cellURL, folder: folder, token: Self.token,
                                                         secret: Self.secret, rootDomain: Self.rootDomain)
            defer { manager.stop() }
            let edge = try await EdgeProcess.start(binary: binary, database: scratch.edgeURL, secret: Self.secret, rootDomain: Self.rootDomain, cell: "")
            defer { edge.stop() }
            // The shared cell is up when a first store answers; warm everything once.
            _ = try await signup("warm-up", plan: "standard", manager: manager, edgeURL: edge.baseURL)

            var standardTimes = LatencySample()
            for index in 0..<standard {
                standardTimes.record(try await signup(String(format: "std-%04d", index), plan: "standard", manager: manager, edgeURL: edge.baseURL))
            }
            var enterpriseTimes = LatencySample()
            for index in 0..<enterprise {
                enterpriseTimes.record(try await signup(String(format: "ent-%04d", index), plan: "enterprise", manager: manager, edgeURL: edge.baseURL))
            }

            await edge.terminate()
            try await manager.terminate(database: scratch.url, logger: logger)

            func row(_ label: String, _ sample: LatencySample) -> [String] {
                [label, "\(sample.durations.count)", sample.percentile(50).formattedMilliseconds(), sample.percentile(99).formattedMilliseconds(),
                 sample.percentile(100).formattedMilliseconds()]
            }
            return """
                lumora bench signup --standard \(standard) --enterprise \(enterprise)
                \(machine.text)
                one signup at a time: POST /v1/stores → GET / on <slug>.\(Self.rootDomain) through the edge answers 200 (polled every 5 ms)

                \(markdownTable(["plan", "signups", "p50", "p99", "max"], [row("standard (shared cell)", standardTimes), row("enterprise (own cell process)", enterpriseTimes)]))

                goal: standard p99 < 500 ms — \(standardTimes.percentile(99) < .milliseconds(500) ? "met" : "NOT met")
                """
        }
    }

    /// One signup, timed until the storefront answers.
    private func signup(_ slug: String, plan: String, manager: ManagerProcess, edgeURL: String) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        _ = try await manager.call(.POST, "/v1/stores", json: #"{"slug":"\#(slug)","name":"Bench \#(slug)","plan":"\#(plan)","owner_email":"owner@bench.test"}"#,
                                   expect: .accepted)
        let host = "\(slug).\(Self.rootDomain)"
        let deadline = clock.now + .seconds(60)
        while clock.now < deadline {
            if let reply = try? await HostRequest.get(edgeURL + "/", host: host, timeout: .seconds(5)), reply.status == 200 {
                return clock.now - start
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchmarkError(message: "\(host) never answered 200")
    }
}
