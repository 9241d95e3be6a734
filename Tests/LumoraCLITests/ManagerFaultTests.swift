import AsyncHTTPClient
import Foundation
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraTestSupport
import NIOCore
import NIOHTTP1
import PostgresNIO
import Synchronization
import Testing

@Suite struct ManagerFaultTests {
    /// SIGKILL the manager while it provisions 20 stores (half enterprise, each needing a cell
    /// process, held at a gate so none can finish before the kill); start it again: every store ends active exactly once, with one schema and (for
    /// enterprise) one cell process — the cells the dead manager started are adopted, not
    /// duplicated. Then kill a cell: it is restarted and answers again.
    @Test(.timeLimit(.minutes(10))) func aKilledManagerFinishesEveryStoreExactlyOnce() async throws {
        try await TestDatabase.withFresh { db in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-fault-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let log = folder.appendingPathComponent("manager.log")
            let environment = ["DATABASE_URL": db.url.string, "LUMORA_CELL_DATABASE_URL": db.cellURL.string, "LUMORA_OPERATOR_TOKEN": "fault-token",
                               "LUMORA_EDGE_SECRET": "fault-secret", "LUMORA_CELL_LOG_LEVEL": "error", "LUMORA_LOG_LEVEL": "warning"]
            // Cells start only once the test opens a gate (creates a file): until then no
            // enterprise store can finish, so the kill lands in the middle of provisioning by
            // construction, however fast or slow the machine.
            let gate = folder.appendingPathComponent("gate")
            let gatedCell = folder.appendingPathComponent("gated-lumora")
            try "#!/bin/sh\nwhile [ ! -e '\(gate.path)' ]; do sleep 0.05; done\nexec '\(try LumoraBinary.url().path)' \"$@\"\n"
                .write(to: gatedCell, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: gatedCell.path)
            let arguments = ["--no-shared-cell", "--root-domain", "lumora.test", "--workers", "2", "--cell-binary", gatedCell.path]
            let http = HTTPClient.shared

            var (manager, firstURL) = try await LumoraBinary.startManager(arguments, folder: folder, environment: environment, output: log)
            let base = ManagerURL(firstURL)  // a restarted manager listens elsewhere
            func call(_ method: HTTPMethod, _ path: String, _ json: String? = nil) async throws -> HTTPClientResponse {
                var request = HTTPClientRequest(url: base.value + path)
                request.method = method
                request.headers.add(name: "Authorization", value: "Bearer fault-token")
                if let json {
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: json))
                }
                return try await http.execute(request, timeout: patientRequestDeadline)
            }
            func scalar(_ query: PostgresQuery) async throws -> Int {
                try await db.withClient { client in try await client.scalar(query, as: Int.self) ?? -1 }
            }

            // Slugs unique to this run: cell processes are found by their command line.
            let run = String((0..<5).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
            let slugs = (0..<10).flatMap { ["ft\(run)-std-\($0)", "ft\(run)-ent-\($0)"] }
            defer {
                // However the test ends, nothing it started keeps running.
                for pid in Self.processes(where: { $0.contains("manager") && $0.contains(folder.path) }) { kill(pid, SIGKILL) }
                for slug in slugs { for pid in Self.cellProcesses(store: slug) { kill(pid, SIGKILL) } }
            }
            try await waitUntil { (try? await call(.GET, "/health").status) == .ok }

            try await withThrowingTaskGroup(of: Void.self) { group in
                for slug in slugs {
                    group.addTask {
                        let plan = slug.contains("-ent-") ? "enterprise" : "standard"
                        let response = try await call(.POST, "/v1/stores", #"{"slug":"\#(slug)","name":"\#(slug)","plan":"\#(plan)","owner_email":"o@x.test"}"#)
                        #expect(response.status == .accepted)
                    }
                }
                try await group.waitForAll()
            }
            // Kill it in the middle: an enterprise cell is starting (held at the gate).
            try await waitUntil {
                try await scalar("SELECT count(*)::int FROM lumora.cells WHERE next_process_id IS NOT NULL") >= 1
            }
            manager.signal(SIGKILL)
            #expect(await manager.waitForExit() == 128 + SIGKILL)
            let unfinished = try await scalar("SELECT count(*)::int FROM lumora.stores WHERE status <> 'active' AND plan = 'enterprise'")
            #expect(unfinished == 10, "no enterprise store can be active before the gate opens")

            try Data().write(to: gate)
            let second = try await LumoraBinary.startManager(arguments, folder: folder, environment: environment, output: log)
            manager = second.process
            base.value = second.url
            do {
                try await waitUntil(timeout: .seconds(180)) {
                    try await scalar("SELECT count(*)::int FROM lumora.stores WHERE status = 'active'") == slugs.count
                }
            } catch {
                let jobs = try await db.withClient { client in
                    try await client.query("SELECT id, store_slug, state, steps_done, attempts, last_error FROM lumora.jobs WHERE state <> 'succeeded'")
                        .collect((Int64, String?, String, [String], Int, String?).self)
                }
                Issue.record("not every store became active; unfinished jobs: \(jobs); manager log:\n\((try? String(contentsOf: log, encoding: .utf8))?.suffix(3000) ?? "")")
                throw error
            }

            // A job whose last step committed just before the kill finishes once its dead
            // worker's lease expires (it skips the recorded steps).
            do {
                try await waitUntil(timeout: .seconds(180)) {
                    try await scalar("SELECT count(*)::int FROM lumora.jobs WHERE kind = 'provision_store' AND state <> 'succeeded'") == 0
                }
            } catch {
                let jobs = try await db.withClient { client in
                    try await client.query("SELECT id, kind, store_slug, state, steps_done, attempts, last_error FROM lumora.jobs WHERE state <> 'succeeded'")
                        .collect((Int64, String, String?, String, [String], Int, String?).self)
                }
                Issue.record("provisioning jobs did not all finish: \(jobs)")
                throw error
            }
            #expect(try await scalar("SELECT count(*)::int FROM lumora.jobs WHERE kind = 'provision_store'") == slugs.count)
            #expect(try await scalar("SELECT count(*)::int FROM lumora.store_schemas WHERE store_slug LIKE \("ft\(run)-%")") == slugs.count)
            #expect(try await scalar("SELECT count(*)::int FROM pg_namespace WHERE nspname LIKE \("store_ft\(run)_%")") == slugs.count)
            #expect(try await scalar("SELECT count(*)::int FROM lumora.domains WHERE store_slug LIKE \("ft\(run)-%")") == slugs.count)

            let cells = try await db.withClient { client in
                try await client.query("SELECT id, process_id, endpoint FROM lumora.cells ORDER BY id").collect((String, Int32?, String?).self)
            }
            #expect(cells.count == 10)
            #expect(Set(cells.compactMap(\.1)).count == 10)
            for slug in slugs where slug.contains("-ent-") {
                let processes = Self.cellProcesses(store: slug)
                #expect(processes.count == 1, "\(slug) runs in \(processes.count) processes")
                #expect(processes.first.map { pid in cells.contains { $0.1 == pid } } == true)
            }

            // A dedicated cell crashes: it is restarted, and its store answers again.
            let victim = try #require(cells.first { $0.0 == "store-ft\(run)-ent-0" })
            kill(pid_t(victim.1 ?? 0), SIGKILL)
            var restarted: (Int32?, String?) = (nil, nil)
            do {
                try await waitUntil {
                    restarted = try await db.withClient { client in
                        try await client.query("SELECT process_id, endpoint FROM lumora.cells WHERE id = \("store-ft\(run)-ent-0") AND status = 'ready'")
                            .collect((Int32?, String?).self).first ?? (nil, nil)
                    }
                    return restarted.0 != nil && restarted.0 != victim.1
                }
            } catch {
                let rows = try await db.withClient { client in
                    try await client.query("SELECT status, process_id, next_process_id, previous_process_id, last_error FROM lumora.cells WHERE id = \("store-ft\(run)-ent-0")")
                        .collect((String, Int32?, Int32?, Int32?, String?).self)
                }
                Issue.record("the killed cell (pid \(victim.1 ?? 0)) was not restarted: \(rows); manager log:\n\((try? String(contentsOf: log, encoding: .utf8))?.suffix(3000) ?? "")")
                throw error
            }
            var settings = HTTPClientRequest(url: (restarted.1 ?? "") + "/store/settings")
            for (name, value) in StoreRequestSigner(secret: "fault-secret").headers(store: "ft\(run)-ent-0", method: "GET", path: "/store/settings") {
                settings.headers.add(name: name, value: value)
            }
            #expect(try await http.execute(settings, timeout: patientRequestDeadline).status == .ok)

            manager.signal(SIGTERM)
            #expect(await manager.waitForExit() == 0)
            // `lumora manager` leaves its cells serving (the next manager adopts them): stop them.
            for slug in slugs where slug.contains("-ent-") {
                for pid in Self.cellProcesses(store: slug) { kill(pid, SIGTERM) }
            }
            try await waitUntil { slugs.allSatisfy { Self.cellProcesses(store: $0).isEmpty } }
        }
    }

    /// `lumora cell … --store <slug>` processes on this machine.
    static func cellProcesses(store: String) -> [pid_t] {
        processes { arguments in
            guard let index = arguments.firstIndex(of: "--store") else { return false }
            return arguments.contains("cell") && index + 1 < arguments.count && arguments[index + 1] == store
        }
    }

    /// Live (not zombie) processes whose command line satisfies `matches`.
    static func processes(where matches: ([String]) -> Bool) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return matches(data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
                && (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z") != true
        }
    }
}

/// The manager's URL, changed when it restarts (on another port).
final class ManagerURL: Sendable {
    private let state: Mutex<String>
    init(_ url: String) { state = Mutex(url) }
    var value: String {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
