import AsyncHTTPClient
import Foundation
import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

/// Platform releases over real processes: a manager, an edge, the shared cell and dedicated
/// cells started by the local runtime, and a newer `lumora` that ships one more store migration.
@Suite(.serialized) struct ReleaseTests {
    /// One store migration after the shipped ones (numbered from the source folder, so a new
    /// migration in the product does not break the release tests).
    static let marker: [String: String] = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/LumoraDatabase/Resources/Migrations/store")
        let shipped = (try? FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.count) ?? 0
        let number = String(shipped + 1)
        return [String(repeating: "0", count: max(0, 4 - number.count)) + number + "_release_marker.sql": "CREATE TABLE release_marker (id integer PRIMARY KEY);\n"]
    }()

    /// The good release, under storefront load on every store: schemas first, then the shared
    /// cell, the canary and the batches; every cell ends on the new version, no shopper sees an
    /// error, and a pinned store stays where it was until it is moved on purpose.
    @Test(.timeLimit(.minutes(10))) func aGoodReleaseUpdatesEveryCellWithoutAFailedRequest() async throws {
        let binary = try ReleaseBuild.make("good", storeMigrations: Self.marker)
        defer { ReleaseBuild.remove(binary) }
        try await PlatformProcesses.with { platform in
            let dedicated = (0..<10).map { "ent-\($0)" }
            let shared = ["std-0", "std-1"]
            try await platform.createStores(dedicated, plan: "enterprise")
            try await platform.createStores(shared, plan: "standard")
            // VIP store: held on the current version.
            _ = try await platform.json(.PUT, "/v1/stores/ent-9/pin", #"{"version":"0.1.0"}"#)
            // The cells the manager started got the signing secret in their environment, not on
            // their command line (which `ps` shows to every user).
            let pids = try await platform.db.withClient { client in
                try await client.query("SELECT process_id FROM lumora.cells WHERE process_id IS NOT NULL").collect(Int32.self)
            }
            #expect(pids.count == 11)
            for pid in pids {
                let commandLine = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
                #expect(commandLine.contains("cell") && !commandLine.contains(PlatformProcesses.secret), "\(commandLine)")
            }

            let load = StorefrontLoad(platform, stores: dedicated + shared)
            try await waitUntil { load.succeeded >= 20 }
            let before = load.succeeded
            let id = try await platform.release(#"{"version":"0.2.0","binary":"\#(binary.path)","canary":1,"batch_size":3,"health_window_ms":500}"#)
            let status = try await platform.waitForRelease(id)
            let outcome = await load.stop()

            let release = try #require(status["release"] as? [String: Any])
            #expect(release["state"] as? String == "succeeded", "\(release)")
            #expect(outcome.failed.isEmpty, "failed requests: \(outcome.failed.prefix(10))")
            #expect(outcome.ok - before > 50, "too little load during the release to prove anything")

            let versions = try await platform.cellVersions()
            #expect(versions["shared"] == "0.2.0")
            for slug in dedicated.dropLast() { #expect(versions["store-\(slug)"] == "0.2.0", "\(slug)") }
            #expect(versions["store-ent-9"] == "0.1.0")
            let cells = try #require(status["cells"] as? [[String: Any]])
            #expect(cells.first { $0["cell_id"] as? String == "store-ent-9" }?["state"] as? String == "skipped")
            #expect(Set(cells.compactMap { $0["batch"] as? Int }) == [0, 1, 2, 3, 4])

            // What an operator sees.
            let report = try await LumoraBinary.run(["releases", "status", String(id), "--manager-url", platform.managerURL,
                                                     "--token", PlatformProcesses.operatorToken])
            #expect(report.status == 0)
            #expect(report.output.contains("0.2.0 · succeeded"), "\(report.output)")
            #expect(report.output.contains("canary") && report.output.contains("11/11 cells"), "\(report.output)")

            // Every store schema (and the warm pool) got the new migration.
            #expect(try await platform.scalar("SELECT count(*)::int FROM lumora.store_schemas WHERE version < 4") == 0)
            #expect(try await platform.scalar("SELECT count(*)::int FROM pg_tables WHERE tablename = 'release_marker'")
                    == platform.scalar("SELECT count(*)::int FROM lumora.store_schemas"))
            // The cells answer as the new version.
            let endpoint = try await platform.db.withClient { client in
                try await client.query("SELECT endpoint FROM lumora.cells WHERE id = 'store-ent-0'").collect(String.self).first ?? ""
            }
            let ready = try await HTTPClient.shared.execute(HTTPClientRequest(url: endpoint + "/ready"), timeout: patientRequestDeadline)
            #expect(String(buffer: try await ready.body.collect(upTo: 1 << 16)).contains("0.2.0"))

            // New stores start on the released version; the pinned one moves when asked to.
            try await platform.createStores(["ent-new"], plan: "enterprise")
            #expect(try await platform.cellVersions()["store-ent-new"] == "0.2.0")
            _ = try await platform.json(.PUT, "/v1/stores/ent-9/pin", #"{"version":"0.2.0"}"#, expect: .accepted)
            try await waitUntil(timeout: .seconds(180)) { try await platform.cellVersions()["store-ent-9"] == "0.2.0" }
            _ = try await platform.json(.DELETE, "/v1/stores/ent-9/pin", expect: .ok)
        }
    }

    /// A version whose cells never become ready is stopped at its first batch (the shared
    /// cell): the cell keeps serving on the old version, no dedicated cell is touched, and the
    /// release says why.
    @Test(.timeLimit(.minutes(10))) func aVersionThatCannotStartIsStoppedAtTheFirstBatch() async throws {
        let broken = try ReleaseBuild.script("crashes", "#!/bin/sh\necho 'this build crashes at start' >&2\nexit 3\n")
        defer { ReleaseBuild.remove(broken) }
        try await PlatformProcesses.with { platform in
            let stores = (0..<4).map { "bad-\($0)" }
            try await platform.createStores(stores, plan: "enterprise")
            let before = try await platform.cellVersions()
            let id = try await platform.release(#"{"version":"0.2.0-broken","binary":"\#(broken.path)","canary":1,"batch_size":2,"health_window_ms":200}"#)
            let status = try await platform.waitForRelease(id)
            let release = try #require(status["release"] as? [String: Any])
            #expect(release["state"] as? String == "failed")
            let reason = release["reason"] as? String ?? ""
            #expect(reason.hasPrefix("the shared cells failed"), "\(reason)")
            #expect(reason.contains("did not become ready"), "\(reason)")
            // The shared cell is batch 0 and fails first: nothing else was touched.
            #expect(try await platform.cellVersions() == before)
            let cells = try #require(status["cells"] as? [[String: Any]])
            #expect(cells.filter { $0["state"] as? String == "pending" }.count == stores.count)
            for slug in stores { #expect(try await platform.storefront(slug, "/api/store/products") == .ok) }
        }
    }

    /// A version that starts but answers 5xx passes `/ready` and is caught by the error rate
    /// over the health window: the canary is rolled back, the batches after it never start.
    @Test(.timeLimit(.minutes(10)), .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func aVersionThatAnswersErrorsIsRolledBackAtTheCanary() async throws {
        let broken = try ReleaseBuild.script("errors", Self.erroringCell)
        defer { ReleaseBuild.remove(broken) }
        try await PlatformProcesses.with { platform in
            let stores = (0..<4).map { "err-\($0)" }
            try await platform.createStores(stores, plan: "enterprise")
            let load = StorefrontLoad(platform, stores: ["err-0"], concurrency: 2)
            defer { _ = load }
            let id = try await platform.release(#"{"version":"0.2.0-errors","binary":"\#(broken.path)","canary":1,"batch_size":2,"health_window_ms":1500,"max_error_rate":0.05}"#)
            let status = try await platform.waitForRelease(id)
            _ = await load.stop()
            let release = try #require(status["release"] as? [String: Any])
            #expect(release["state"] as? String == "failed")
            let reason = release["reason"] as? String ?? ""
            #expect(reason.contains("5xx"), "\(reason)")
            let versions = try await platform.cellVersions()
            for slug in stores { #expect(versions["store-\(slug)"] == "0.1.0", "\(slug)") }
            // The shared cell (no store, no traffic) passed its own gate before the canary and
            // stays updated: only the failing batch is rolled back.
            #expect(versions["shared"] == "0.2.0-errors")
            let cells = try #require(status["cells"] as? [[String: Any]])
            #expect(cells.filter { $0["state"] as? String == "rolled_back" }.map { $0["cell_id"] as? String } == ["store-err-0"])
            #expect(cells.filter { ($0["batch"] as? Int ?? 0) >= 2 }.allSatisfy { $0["state"] as? String == "pending" })
            for slug in stores { #expect(try await platform.storefront(slug, "/api/store/products") == .ok) }
        }
    }

    /// SIGKILL the manager in the middle of a release: the restarted manager resumes from the
    /// recorded progress; every cell is updated exactly once and ends on the new version.
    @Test(.timeLimit(.minutes(10))) func aKilledManagerResumesTheReleaseWithoutUpdatingACellTwice() async throws {
        let binary = try ReleaseBuild.make("resume", storeMigrations: Self.marker)
        defer { ReleaseBuild.remove(binary) }
        try await PlatformProcesses.with { platform in
            let stores = (0..<6).map { "res-\($0)" }
            try await platform.createStores(stores, plan: "enterprise")
            let id = try await platform.release(#"{"version":"0.2.0","binary":"\#(binary.path)","canary":1,"batch_size":1,"health_window_ms":700}"#)
            try await waitUntil(timeout: .seconds(120)) {
                try await platform.scalar("SELECT count(*)::int FROM lumora.release_cells WHERE release_id = \(id) AND state = 'updated'") >= 3
            }
            try await platform.killAndRestartManager()
            let status = try await platform.waitForRelease(id)
            #expect((status["release"] as? [String: Any])?["state"] as? String == "succeeded")
            let versions = try await platform.cellVersions()
            for slug in stores { #expect(versions["store-\(slug)"] == "0.2.0") }
            // Updated once: the process each cell switched to during the release still serves it.
            #expect(try await platform.scalar("""
                SELECT count(*)::int FROM lumora.release_cells rc JOIN lumora.cells c ON c.id = rc.cell_id
                WHERE rc.release_id = \(id) AND rc.endpoint IS DISTINCT FROM c.endpoint
                """) == 0)
            #expect(try await platform.scalar("SELECT count(*)::int FROM lumora.cells WHERE next_process_id IS NOT NULL OR previous_process_id IS NOT NULL") == 0)
        }
    }

    /// Pause after the canary, resume to the end; a second release paused and then aborted
    /// leaves the cells it had not reached alone.
    @Test(.timeLimit(.minutes(10))) func pauseResumeAndAbortDoWhatTheySay() async throws {
        let binary = try ReleaseBuild.make("steer")
        defer { ReleaseBuild.remove(binary) }
        try await PlatformProcesses.with { platform in
            let stores = (0..<5).map { "pr-\($0)" }
            try await platform.createStores(stores, plan: "enterprise")
            let first = try await platform.release(#"{"version":"0.2.0","binary":"\#(binary.path)","canary":1,"batch_size":2,"pause_after_canary":true,"health_window_ms":100}"#)
            var status = try await platform.waitForRelease(first)
            #expect((status["release"] as? [String: Any])?["state"] as? String == "paused")
            #expect(try await platform.cellVersions().values.filter { $0 == "0.2.0" }.count == 2)  // shared + canary
            _ = try await platform.json(.POST, "/v1/releases/\(first)/resume", expect: .accepted)
            status = try await platform.waitForRelease(first, until: ["succeeded", "failed", "aborted"])
            #expect((status["release"] as? [String: Any])?["state"] as? String == "succeeded")
            #expect(try await platform.cellVersions().values.allSatisfy { $0 == "0.2.0" })

            // Only one release at a time.
            let second = try await platform.release(#"{"version":"0.3.0","binary":"\#(binary.path)","canary":1,"batch_size":1,"health_window_ms":1500}"#)
            let conflict = try await platform.json(.POST, "/v1/releases", #"{"version":"0.4.0"}"#, expect: .conflict)
            #expect((conflict["error"] as? [String: Any])?["code"] as? String == "release_in_progress")
            _ = try await platform.json(.POST, "/v1/releases/\(second)/pause", expect: .ok)
            status = try await platform.waitForRelease(second, until: ["paused"])
            _ = try await platform.json(.POST, "/v1/releases/\(second)/abort", expect: .ok)
            status = try await platform.waitForRelease(second, until: ["aborted"])
            let untouched = try await platform.cellVersions().values.filter { $0 == "0.2.0" }.count
            #expect(untouched >= 4, "an aborted release went on updating cells")
            let resumed = try await platform.json(.POST, "/v1/releases/\(second)/resume", expect: .conflict)
            #expect((resumed["error"] as? [String: Any])?["code"] as? String == "release_aborted")
        }
    }

    /// A build that boots and answers `/ready` but fails every request, counting its 5xx in
    /// `/metrics` like a cell does; it listens as `lumora cell` does (`--port 0 --port-file`).
    static let erroringCell = #"""
        #!/usr/bin/env python3
        import sys, http.server
        port = int(sys.argv[sys.argv.index("--port") + 1])
        port_file = sys.argv[sys.argv.index("--port-file") + 1] if "--port-file" in sys.argv else None
        errors = 0
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                global errors
                if self.path == "/ready":
                    self.reply(200, b'{"status":"ready","version":"broken"}')
                elif self.path == "/metrics":
                    self.reply(200, ('lumora_cell_requests_total{store="x",status="5xx"} %d\n' % errors).encode())
                else:
                    errors += 1
                    self.reply(500, b'{"error":{"code":"broken","message":"this build is broken"}}')
            def reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if port_file:
            with open(port_file + ".tmp", "w") as f: f.write("%d\n" % server.server_address[1])
            import os; os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """#
}
