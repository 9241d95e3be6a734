import Foundation
import LumoraDatabase
import LumoraTestSupport
import Testing

@Suite struct DevCommandTests {
    /// `lumora dev` on an empty folder: creates and starts its own PostgreSQL, migrates, says so;
    /// SIGTERM stops it and its PostgreSQL; a second run reuses the folder.
    @Test func runsItsOwnDatabaseAndStopsCleanly() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-dev-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathExtension("log")
        defer { try? FileManager.default.removeItem(at: output) }

        for run in 1...2 {
            let dev = try LumoraBinary.start(["dev", "--data-dir", folder.path, "--warm-pool", "3", "--no-demo",
                                              "--edge-port", String(try FreePort.pick()), "--manager-port", String(try FreePort.pick())],
                                             environment: ["DATABASE_URL": ""], output: output)
            try await waitUntil(timeout: .seconds(60)) {
                (try? String(contentsOf: output, encoding: .utf8))?.components(separatedBy: "Press Ctrl-C").count == run + 1
            }
            let text = try String(contentsOf: output, encoding: .utf8)
            #expect(text.contains("Lumora is running"))
            #expect(text.contains("PostgreSQL"))
            let status = try #require(PostmasterFile(folder.appendingPathComponent("pg")))

            dev.signal(SIGTERM)
            #expect(await dev.waitForExit() == 0)
            // The server it started is gone too.
            #expect(kill(status.pid, 0) != 0)
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("pg/postmaster.pid").path))
        }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("operator-token").path))
    }
}

struct PostmasterFile {
    let pid: pid_t

    init?(_ directory: URL) {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("postmaster.pid"), encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = pid_t(first) else { return nil }
        self.pid = pid
    }
}
