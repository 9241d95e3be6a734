import Foundation
import LumoraDatabase
import LumoraTestSupport
import NIOCore
import NIOPosix
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
            // A normal start logs nothing that looks like an error.
            #expect(!text.contains("error") && !text.contains("PSQLError"), "\(text)")
            let status = try #require(PostmasterFile(folder.appendingPathComponent("pg")))
            // Operator commands pointed at the folder find the manager on its port.
            let listed = try await LumoraBinary.run(["stores", "list", "--data-dir", folder.path], environment: ["LUMORA_MANAGER_URL": ""])
            #expect(listed.status == 0, "\(listed.output)")

            dev.signal(SIGTERM)
            #expect(await dev.waitForExit() == 0)
            // The server it started is gone too.
            #expect(kill(status.pid, 0) != 0)
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("pg/postmaster.pid").path))
        }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("operator-token").path))
    }
}

extension DevCommandTests {
    /// A port another program holds: said at once, with the flag that changes it, before
    /// PostgreSQL or anything else starts.
    @Test func aTakenPortIsReportedBeforeAnythingStarts() async throws {
        let held = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { held.close(promise: nil) }
        let port = try #require(held.localAddress?.port)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-dev-busy-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (flag, other) in [("--edge-port", "--manager-port"), ("--manager-port", "--edge-port")] {
            let run = try await LumoraBinary.run(["dev", "--data-dir", folder.path, flag, String(port), other, "0"], environment: ["DATABASE_URL": ""])
            #expect(run.status != 0)
            #expect(run.output.contains("port \(port)") && run.output.contains(flag), "\(run.output)")
            #expect(!run.output.contains("Lumora is running"))
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("pg").path))
        }
    }

    /// Operator commands against a manager that is not there: quickly, the URL tried and how to
    /// start the platform; without a token, what to do (and no stray usage line).
    @Test func operatorCommandsSayWhatIsMissing() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-op-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let noToken = try await LumoraBinary.run(["stores", "list", "--data-dir", folder.path], environment: ["LUMORA_OPERATOR_TOKEN": ""])
        #expect(noToken.status != 0 && noToken.output.contains("no operator token") && !noToken.output.contains("Usage:"), "\(noToken.output)")
        let unreachable = try await LumoraBinary.run(["stores", "list", "--data-dir", folder.path, "--token", "t", "--manager-url", "http://127.0.0.1:1"])
        #expect(unreachable.status != 0)
        #expect(unreachable.output.contains("http://127.0.0.1:1") && unreachable.output.contains("connection refused")
                && unreachable.output.contains("lumora dev"), "\(unreachable.output)")
    }

    /// `releases package` makes a version folder: the binary and its resource bundles.
    @Test func releasesPackageMakesAVersionFolder() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-version-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try await LumoraBinary.run(["releases", "package", folder.path])
        #expect(made.status == 0, "\(made.output)")
        let contents = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        #expect(contents.contains("lumora") && contents.contains("lumora_LumoraDatabase.resources") && contents.contains("lumora_LumoraEdge.resources"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("lumora_LumoraDatabase.resources/Migrations/store").path))
        // A second time into the same, now full, folder: refused.
        #expect(try await LumoraBinary.run(["releases", "package", folder.path]).status != 0)
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
