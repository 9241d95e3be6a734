import AsyncHTTPClient
import Foundation
import LumoraDatabase
import LumoraProcess
import LumoraTestSupport
import NIOCore
import NIOHTTP1
import PostgresNIO
import Synchronization
import Testing

/// A manager and an edge as real `lumora` processes over a fresh database, with the calls a
/// test makes to them. Cells are the manager's children (the local runtime).
final class PlatformProcesses: @unchecked Sendable {
    static let operatorToken = "release-token"
    static let secret = "release-secret"
    static let rootDomain = "lumora.test"

    let db: TestDatabase
    let folder: URL
    /// Where the manager listens, from `<folder>/manager.url` (it binds port 0).
    private(set) var managerURL: String
    let edgePort: Int
    private(set) var manager: ChildProcess
    let edge: ChildProcess

    var log: URL { folder.appendingPathComponent("manager.log") }

    /// Each role logs in as its own database role, as deployed.
    private static func environment(_ db: TestDatabase) -> [String: String] {
        ["DATABASE_URL": db.url.string, "LUMORA_CELL_DATABASE_URL": db.cellURL.string, "LUMORA_OPERATOR_TOKEN": operatorToken,
         "LUMORA_EDGE_SECRET": secret, "LUMORA_CELL_LOG_LEVEL": "error", "LUMORA_LOG_LEVEL": "warning"]
    }

    private static func startManager(db: TestDatabase, folder: URL, log: URL) async throws -> (ChildProcess, String) {
        try await LumoraBinary.startManager(["--root-domain", rootDomain], folder: folder, environment: environment(db), output: log)
    }

    private init(db: TestDatabase, folder: URL) async throws {
        self.db = db
        self.folder = folder
        (manager, managerURL) = try await Self.startManager(db: db, folder: folder, log: folder.appendingPathComponent("manager.log"))
        (edge, edgePort) = try await LumoraBinary.startListening(["edge", "--root-domain", Self.rootDomain, "--manager-url", managerURL],
                                                                 environment: ["DATABASE_URL": db.edgeURL.string, "LUMORA_EDGE_SECRET": Self.secret,
                                                                               "LUMORA_LOG_LEVEL": "warning"],
                                                                 output: folder.appendingPathComponent("edge.log"))
    }

    /// Runs `body` against a manager and an edge on a fresh database; stops them and every
    /// cell afterwards.
    static func with(_ body: (PlatformProcesses) async throws -> Void) async throws {
        try await TestDatabase.withFresh { db in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-platform-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let platform = try await PlatformProcesses(db: db, folder: folder)
            do {
                try await platform.waitUntilUp()
                try await body(platform)
            } catch {
                let log = (try? String(contentsOf: platform.log, encoding: .utf8))?.suffix(4000) ?? ""
                Issue.record("manager log:\n\(log)")
                await platform.stop()
                throw error
            }
            await platform.stop()
        }
    }

    private func waitUntilUp() async throws {
        try await waitUntil {
            let manager = (try? await self.call(.GET, "/health").status) == .ok
            let edge = (try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(self.edgePort)/_platform/health"),
                                                             timeout: .seconds(2)).status) != nil
            let shared = try await self.scalar("SELECT count(*)::int FROM lumora.cells WHERE kind = 'shared' AND status = 'ready'") == 1
            return manager && edge && shared
        }
        // A signup takes a schema from the warm pool, as on a running platform; with the pool
        // still empty it builds one itself, which a loaded CI machine took longer than the
        // edge waits for the manager (a 502 on the landing page's signup).
        try await waitUntil(timeout: .seconds(180)) {
            try await self.scalar("SELECT count(*)::int FROM lumora.store_schemas WHERE store_slug IS NULL") >= 1
        }
    }

    /// SIGKILL the manager (its cells keep serving), then start it again.
    func killAndRestartManager() async throws {
        manager.signal(SIGKILL)
        _ = await manager.waitForExit()
        (manager, managerURL) = try await Self.startManager(db: db, folder: folder, log: log)
        try await waitUntil { (try? await self.call(.GET, "/health").status) == .ok }
    }

    func stop() async {
        edge.signal(SIGTERM)
        manager.signal(SIGTERM)
        _ = await edge.waitForExit()
        _ = await manager.waitForExit()
        // `lumora manager` leaves its cells serving for the next manager: stop them.
        let pids = (try? await db.withClient { client in
            try await client.query("SELECT process_id FROM lumora.cells WHERE process_id IS NOT NULL").collect(Int32.self)
        }) ?? []
        for pid in pids { kill(pid_t(pid), SIGTERM) }
    }

    // MARK: Calls

    func call(_ method: HTTPMethod, _ path: String, _ json: String? = nil) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: managerURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(Self.operatorToken)")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        return try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    }

    /// The manager's JSON answer, or a failure naming the status and body.
    func json(_ method: HTTPMethod, _ path: String, _ body: String? = nil, expect status: HTTPResponseStatus? = nil) async throws -> [String: Any] {
        let response = try await call(method, path, body)
        let data = Data(buffer: try await response.body.collect(upTo: 4 << 20))
        if let status { #expect(response.status == status, "\(method) \(path): \(String(decoding: data, as: UTF8.self))") }
        return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    func scalar(_ query: PostgresQuery) async throws -> Int {
        try await db.withClient { client in try await client.scalar(query, as: Int.self) ?? -1 }
    }

    /// Creates stores and waits until all are active.
    func createStores(_ slugs: [String], plan: String) async throws {
        for slug in slugs {
            _ = try await json(.POST, "/v1/stores", #"{"slug":"\#(slug)","name":"\#(slug)","plan":"\#(plan)","owner_email":"o@x.test"}"#,
                               expect: .accepted)
        }
        try await waitUntil(timeout: .seconds(120)) {
            try await self.scalar("SELECT count(*)::int FROM lumora.stores WHERE status = 'active' AND slug = ANY(\(slugs))") == slugs.count
        }
    }

    /// Starts a release and returns its id.
    func release(_ body: String) async throws -> Int {
        let answer = try await json(.POST, "/v1/releases", body, expect: .accepted)
        return try #require((answer["release"] as? [String: Any])?["id"] as? Int)
    }

    /// Waits until the release leaves `running`; returns its final status.
    func waitForRelease(_ id: Int, timeout: Duration = .seconds(180), until states: Set<String> = ["succeeded", "failed", "aborted", "paused"]) async throws -> [String: Any] {
        var status: [String: Any] = [:]
        try await waitUntil(timeout: timeout) {
            status = try await self.json(.GET, "/v1/releases/\(id)")
            return states.contains((status["release"] as? [String: Any])?["state"] as? String ?? "")
        }
        return status
    }

    /// `cell id → version` as recorded.
    func cellVersions() async throws -> [String: String] {
        let rows = try await db.withClient { client in
            try await client.query("SELECT id, version FROM lumora.cells").collect((String, String).self)
        }
        return Dictionary(uniqueKeysWithValues: rows)
    }

    /// A storefront request through the edge, as a shopper's browser makes it: a GET whose
    /// pooled connection turns out closed before the request could be written (the edge ends
    /// a keep-alive connection that waited too long just as the client takes it) is sent again
    /// on a new one, as browsers do. Nothing reached the edge, so no answer is hidden.
    func storefront(_ slug: String, _ path: String) async throws -> HTTPResponseStatus {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(edgePort)\(path)")
        request.headers.add(name: "Host", value: "\(slug).\(Self.rootDomain)")
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        } catch ChannelError.ioOnClosedChannel {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        }
        _ = try await response.body.collect(upTo: 8 << 20)
        return response.status
    }
}

/// Shoppers browsing while something changes underneath: counts every answer that is not a
/// success (and every request that failed outright).
final class StorefrontLoad: Sendable {
    private final class Counts: Sendable {
        let state = Mutex<(ok: Int, failed: [String])>((0, []))
        func record(_ outcome: String?) {
            state.withLock { counts in
                if let outcome { counts.failed.append(outcome) } else { counts.ok += 1 }
            }
        }
        var snapshot: (ok: Int, failed: [String]) { state.withLock { $0 } }
    }

    private let counts = Counts()
    private let task: Task<Void, Never>

    init(_ platform: PlatformProcesses, stores: [String], concurrency: Int = 4) {
        let counts = self.counts
        task = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<concurrency {
                    group.addTask {
                        var index = worker
                        while !Task.isCancelled {
                            let slug = stores[index % stores.count]
                            let path = index % 2 == 0 ? "/" : "/api/store/products"
                            index += 1
                            let started = ContinuousClock.now
                            do {
                                let status = try await platform.storefront(slug, path)
                                counts.record(status == .ok ? nil : "\(slug)\(path): \(status.code)")
                            } catch {
                                if Task.isCancelled { return }
                                // How long it took says whether a connection was dead when taken
                                // (at once) or closed while the edge answered.
                                counts.record("\(slug)\(path): \(error) after \(ContinuousClock.now - started)")
                            }
                        }
                    }
                }
            }
        }
    }

    var succeeded: Int { counts.snapshot.ok }

    /// Stops the load; returns (successes, failures).
    func stop() async -> (ok: Int, failed: [String]) {
        task.cancel()
        await task.value
        return counts.snapshot
    }
}
