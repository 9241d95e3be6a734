import Foundation
import LumoraDatabase
import LumoraProcess
import LumoraTestSupport
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
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
            // Only a guard against a hang: initdb and migrations on a loaded CI runner took over 60 s.
            try await waitUntil(timeout: .seconds(180)) {
                (try? String(contentsOf: output, encoding: .utf8))?.components(separatedBy: "Press Ctrl-C").count == run + 1
            }
            let text = try String(contentsOf: output, encoding: .utf8)
            #expect(text.contains("Lumora is running"))
            #expect(text.contains("PostgreSQL"))
            // The mail catcher and its page, on loopback (this run's: the log holds both).
            let mailPage = try #require(text.matches(of: /caught mails at (http:\/\/127\.0\.0\.1:[0-9]+\/)/).last.map { String($0.output.1) }, "\(text)")
            #expect(text.contains("Mail                 smtp://127.0.0.1:"))
            let page = try await HTTPClient.shared.execute(HTTPClientRequest(url: mailPage), timeout: .seconds(10))
            #expect(page.status == .ok)
            #expect(String(buffer: try await page.body.collect(upTo: 1 << 20)).contains("Caught mail"))
            // A normal start logs nothing that looks like an error.
            #expect(!text.contains("error") && !text.contains("PSQLError"), "\(text)")
            let status = try #require(PostmasterFile(folder.appendingPathComponent("pg")))
            // Operator commands pointed at the folder find the manager on its port.
            let listed = try await LumoraBinary.run(["stores", "list", "--data-dir", folder.path], environment: ["LUMORA_MANAGER_URL": ""])
            #expect(listed.status == 0, "\(listed.output)")
            let command: @Sendable ([String]) async throws -> (status: Int32, output: String) = { arguments in
                try await LumoraBinary.run(arguments + ["--data-dir", folder.path], environment: ["LUMORA_MANAGER_URL": ""])
            }
            let databases = try await command(["databases", "list"])
            #expect(databases.status == 0 && databases.output.contains("(control database)"), "\(databases.output)")
            #expect(try await command(["databases", "close", "main"]).output.contains("main is full"))
            #expect(try await command(["databases", "list"]).output.contains("full"))
            #expect(try await command(["databases", "open", "main"]).output.contains("main is open for new stores"))

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

    /// An SMTP URL that cannot work is refused at once, naming the flag, before anything starts;
    /// a password on the command line (readable by every user of the machine) too, without
    /// repeating it.
    @Test func aBadSMTPURLIsRefusedBeforeAnythingStarts() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-dev-smtp-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        for command in ["dev", "manager"] {
            let scheme = try await LumoraBinary.run([command, "--data-dir", folder.path, "--smtp-url", "ftp://mail.example.com"],
                                                   environment: ["DATABASE_URL": "", "LUMORA_SMTP_URL": ""])
            #expect(scheme.status != 0 && scheme.output.contains("--smtp-url") && scheme.output.contains("expected smtp or smtps"), "\(scheme.output)")
            let password = try await LumoraBinary.run([command, "--data-dir", folder.path, "--smtp-url", "smtp://wile:hunter2@mail.example.com"],
                                                     environment: ["DATABASE_URL": "", "LUMORA_SMTP_URL": ""])
            #expect(password.status != 0 && password.output.contains("LUMORA_SMTP_URL") && !password.output.contains("hunter2"), "\(password.output)")
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

extension DevCommandTests {
    /// The demo stores come with owners: `lumora dev` prints each one's e-mail and password,
    /// which sign in on the dashboard. A data folder from before the dashboard (demo stores
    /// without owners) gets them on its next start.
    @Test(.timeLimit(.minutes(10))) func theDemoStoresHaveOwnersWhoSignIn() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathExtension("log")
        defer { try? FileManager.default.removeItem(at: output) }
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        defer { _ = http.shutdown() }

        for run in 1...2 {
            let edgePort = try FreePort.pick()
            let dev = try LumoraBinary.start(["dev", "--data-dir", folder.path, "--warm-pool", "3",
                                              "--edge-port", String(edgePort), "--manager-port", String(try FreePort.pick())],
                                             environment: ["DATABASE_URL": ""], output: output)
            // The first run draws and uploads every demo product's photo.
            try await waitUntil(timeout: .seconds(240)) {
                (try? String(contentsOf: output, encoding: .utf8))?.components(separatedBy: "Press Ctrl-C").count == run + 1
            }
            let text = try String(contentsOf: output, encoding: .utf8).components(separatedBy: "Lumora is running").last ?? ""
            #expect(text.contains("Dashboard            http://app.lumora.localhost:\(edgePort)/"), "\(text)")
            let owner = try #require(text.firstMatch(of: /owner (owner@acme\.example)  password ([a-z0-9]+)/), "\(text)")

            // Sign in as a browser would: the form's token, then the form.
            func send(_ method: HTTPMethod, _ path: String, cookies: String, form: String? = nil) async throws -> HTTPClientResponse {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(edgePort)\(path)")
                request.method = method
                request.headers.add(name: "Host", value: "app.lumora.localhost:\(edgePort)")
                if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies) }
                if let form {
                    request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                    request.body = .bytes(ByteBuffer(string: form))
                }
                return try await http.execute(request, timeout: patientRequestDeadline)
            }
            func cookies(_ response: HTTPClientResponse) -> [String] {
                response.headers["Set-Cookie"].compactMap { $0.split(separator: ";").first.map(String.init) }
            }
            let login = try await send(.GET, "/login", cookies: "")
            let session = cookies(login).joined(separator: "; ")
            let page = String(buffer: try await login.body.collect(upTo: 1 << 20))
            let csrf = try #require(page.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
            let signedIn = try await send(.POST, "/login", cookies: session,
                                          form: "csrf=\(csrf)&email=\(owner.1.replacingOccurrences(of: "@", with: "%40"))&password=\(owner.2)&next=%2Fstores%2Facme")
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers.first(name: "Location") == "/stores/acme")
            let overview = try await send(.GET, "/stores/acme", cookies: (cookies(login) + cookies(signedIn)).joined(separator: "; "))
            #expect(overview.status == .ok)
            #expect(String(buffer: try await overview.body.collect(upTo: 1 << 20)).contains("Acme Hardware"))

            dev.signal(SIGTERM)
            #expect(await dev.waitForExit() == 0)
            if run == 1 {
                // As a folder from before the dashboard left it: no owners in demo-stores.json.
                let file = folder.appendingPathComponent("demo-stores.json")
                var stores = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]])
                for index in stores.indices { stores[index]["owner"] = nil }
                try JSONSerialization.data(withJSONObject: stores).write(to: file)
            }
        }
    }
}
