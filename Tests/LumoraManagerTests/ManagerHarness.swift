import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import LumoraEdge
import LumoraHTTP
import LumoraManager
import LumoraTestSupport
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Testing

/// A manager on a fresh database, driven through Hummingbird's test client with the operator
/// token. Cells, when a test needs them, are real `lumora cell` processes (local runtime).
struct ManagerHarness: Sendable {
    static let operatorToken = "operator-test-token"
    static let secret = "manager-test-secret"

    let database: TestDatabase
    let http: any TestClientProtocol
    /// The local runtime, unless the test runs other drivers.
    let runtime: LocalCellRuntime?

    /// Drivers other than the local ones (the production drivers against their fakes).
    struct Drivers: Sendable {
        let runtime: @Sendable (TestDatabase, PostgresClient) -> any CellRuntime
        let domains: any DomainProvider
    }

    static func run(
        drivers: Drivers? = nil,
        configure: @Sendable (inout ManagerConfiguration) -> Void = { _ in },
        _ body: @Sendable (ManagerHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.withFresh { database in
            var configuration = ManagerConfiguration(
                port: 0, database: database.url, operatorToken: operatorToken, rootDomain: "lumora.test",
                cellVersion: CellVersion(name: LumoraVersion.current, binary: try LumoraBinary.url().path),
                runsSharedCell: false, workers: 3, jobLease: .seconds(5), jobBackoff: .init(base: .milliseconds(50), cap: .milliseconds(500)),
                warmPoolSize: 2, signupsPerMinute: 3, stopsCellsOnShutdown: true,
                cellMetricsToken: MetricsToken.derived(fromSigningSecret: secret))
            configure(&configuration)
            let runtimeBox = RuntimeBox()
            var runtimeConfiguration = LocalCellRuntime.Configuration(
                database: database.cellURL, signingSecret: secret,
                sharedCellArguments: ["--store-rate", "100000", "--store-burst", "100000", "--store-concurrency", "1000", "--plugin-deadline-ms", "600000"],
                drainTime: .milliseconds(500))
            // No plugin call is judged by how fast this machine runs a debug build: fuel bounds
            // them; the deadline itself is tested with a clock the test moves (PluginSandboxTests).
            runtimeConfiguration.dedicatedCellArguments = ["--plugin-deadline-ms", "600000"]
            let manager = try buildManager(
                configuration: configuration,
                runtime: { client in
                    if let drivers { return drivers.runtime(database, client) }
                    let runtime = LocalCellRuntime(configuration: runtimeConfiguration, client: client, logger: database.logger)
                    runtimeBox.runtime = runtime
                    return runtime
                },
                domains: drivers?.domains ?? LocalDomainProvider(edgeHost: "edge.lumora.test"), logger: database.logger)
            try await manager.application.test(.router) { client in
                try await body(ManagerHarness(database: database, http: client, runtime: runtimeBox.runtime))
            }
        }
    }

    /// A real edge on this manager's database for the duration of `body`, given its port;
    /// stopped gracefully afterwards, not cancelled: shoppers keep connecting until then, and
    /// NIO traps on a connection accepted but not yet handed over when its server is cancelled.
    func withEdge<Result: Sendable>(_ body: (_ port: Int) async throws -> Result) async throws -> Result {
        let listening = ListeningPort()
        let edge = try await LumoraEdge.buildApplication(
            configuration: EdgeConfiguration(port: 0, rootDomain: "lumora.test", database: database.edgeURL, signingSecret: Self.secret),
            logger: database.logger, onListening: { listening.report($0) })
        let group = ServiceGroup(configuration: .init(services: [edge], gracefulShutdownSignals: [], logger: database.logger))
        let running = Task { try await group.run() }
        do {
            let result = try await body(try await listening.value)
            await group.triggerGracefulShutdown()
            _ = await running.result
            return result
        } catch {
            await group.triggerGracefulShutdown()
            _ = await running.result
            throw error
        }
    }

    @discardableResult
    func request(_ method: HTTPRequest.Method, _ path: String, json: String? = nil, token: String? = ManagerHarness.operatorToken,
                 headers extra: [(String, String)] = []) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        return try await http.execute(uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// Creates a store through the API and waits until its provisioning job succeeded.
    @discardableResult
    func createStore(_ slug: String, plan: String = "standard") async throws -> [String: Any] {
        let created = try await request(.post, "/v1/stores", json: #"{"slug":"\#(slug)","name":"\#(slug.capitalized)","plan":"\#(plan)","owner_email":"owner@\#(slug).test"}"#)
        try #require(created.status == .accepted, "\(String(buffer: created.body))")
        let body = try created.object()
        let job = try #require((body["job"] as? [String: Any])?["id"] as? Int)
        try await waitForJob(job)
        return body
    }

    /// `timeout` guards against a hang: a loaded CI run took over 60 s to provision through a storm of 429s.
    func waitForJob(_ id: Int, state: String = "succeeded", timeout: Duration = .seconds(180)) async throws {
        try await waitUntil(timeout: timeout) {
            let job = try await request(.get, "/v1/jobs/\(id)").object()["job"] as? [String: Any]
            let current = job?["state"] as? String
            if current == "dead", state != "dead" {
                Issue.record("job \(id) died: \(job?["last_error"] ?? "")")
                return true
            }
            return current == state
        }
    }

    func count(_ query: PostgresQuery) async throws -> Int {
        try await database.withClient { client in try await client.scalar(query, as: Int.self) ?? -1 }
    }
}

final class RuntimeBox: @unchecked Sendable {
    var runtime: LocalCellRuntime?
}

extension TestResponse {
    func object() throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
    }

    var errorCode: String? { ((try? object())?["error"] as? [String: Any])?["code"] as? String }
}
