import AsyncHTTPClient
import Foundation
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraTestSupport
import NIOCore
import Testing

@Suite struct CellCommandTests {
    @Test func refusesAmbiguousOrIncompleteInvocations() async throws {
        let neither = try await LumoraBinary.run(["cell"])
        #expect(neither.status != 0 && neither.output.contains("--shared"))
        let noSecret = try await LumoraBinary.run(["cell", "--shared"], environment: ["LUMORA_EDGE_SECRET": "", "DATABASE_URL": "postgres://u@127.0.0.1:1/x"])
        #expect(noSecret.status != 0 && noSecret.output.contains("LUMORA_EDGE_SECRET"))
        let badSlug = try await LumoraBinary.run(["cell", "--store", "Bad_Slug"])
        #expect(badSlug.status != 0 && badSlug.output.contains("invalid_slug"))
    }

    /// A real `lumora cell` process on a real socket: ready, serves a signed request, stops on SIGTERM.
    @Test func servesOverHTTPAndStopsOnSIGTERM() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                _ = try await StoreDirectory(client: client, migrations: try .store(), logger: db.logger)
                    .create(try NewStore(slug: StoreSlug(validating: "acme"), name: "Acme"))
            }
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-cell-\(UUID().uuidString).log")
            defer { try? FileManager.default.removeItem(at: log) }
            // The secret comes from the environment: a command line is readable by every user.
            let (cell, port) = try await LumoraBinary.startListening(["cell", "--shared"],
                                                                     environment: ["DATABASE_URL": db.cellURL.string, "LUMORA_EDGE_SECRET": "s3cret"], output: log)
            #expect(!(try String(contentsOfFile: "/proc/\(cell.pid)/cmdline", encoding: .utf8)).contains("s3cret"))
            let base = "http://127.0.0.1:\(port)"
            try await waitUntil {
                (try? await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/ready"), timeout: .seconds(1)).status) == .ok
            }
            var request = HTTPClientRequest(url: base + "/store/settings")
            for (name, value) in StoreRequestSigner(secret: "s3cret").headers(store: "acme", method: "GET", path: "/store/settings") {
                request.headers.add(name: name, value: value)
            }
            let response = try await HTTPClient.shared.execute(request, timeout: patientRequestDeadline)
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "x-lumora-version") == LumoraVersion.current)
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(String(buffer: body).contains(#""name":"Acme""#))

            cell.signal(SIGTERM)
            #expect(await cell.waitForExit() == 0)
        }
    }
}
