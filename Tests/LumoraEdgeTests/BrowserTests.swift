import Foundation
import LumoraDatabase
import LumoraTestSupport
import Testing

/// The storefront in a real browser: headless Chromium, driven by `scripts/browser_check.py`,
/// buys a product on two stores' hosts through the edge. Runs only where Debian's `chromium`
/// and `chromium-driver` and the `selenium` Python module are installed (`.ci/run` tries to
/// install them); elsewhere it is skipped.
@Suite struct BrowserTests {
    static let steps = ["home", "products", "search", "product", "cart", "checkout", "confirmation"]

    /// The Python interpreters that could run the check: `LUMORA_PYTHON`, every `python3` on
    /// `PATH` (a pyenv shim first, say) and the system's.
    static var pythonCandidates: [String] {
        var candidates: [String] = []
        if let chosen = ProcessInfo.processInfo.environment["LUMORA_PYTHON"], !chosen.isEmpty { candidates.append(chosen) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        candidates += (path.split(separator: ":").map(String.init) + ["/usr/bin"]).map { "\($0)/python3" }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
        var seen = Set<String>()
        return candidates.filter { seen.insert(URL(fileURLWithPath: $0).resolvingSymlinksInPath().path).inserted }
    }

    /// The first candidate that imports selenium. Synchronous, because a trait's condition is
    /// evaluated while the tests are being planned.
    static let python: String? = pythonCandidates.first { candidate in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: candidate)
        process.arguments = ["-c", "import selenium"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationReason == .exit && process.terminationStatus == 0
    }

    static let browserAvailable = executable("chromium") != nil && executable("chromedriver") != nil && python != nil

    /// Why the test is skipped, naming what was looked for and where.
    static var skipReason: Comment {
        var missing: [String] = []
        if executable("chromium") == nil { missing.append("chromium") }
        if executable("chromedriver") == nil { missing.append("chromedriver (Debian: chromium-driver)") }
        if python == nil { missing.append("the selenium module in any of \(pythonCandidates.joined(separator: ", ")) (or LUMORA_PYTHON)") }
        return Comment(rawValue: "needs " + missing.joined(separator: "; "))
    }

    /// The first executable `name` on `PATH`, or in /usr/bin.
    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The package's root: this file is `<root>/Tests/LumoraEdgeTests/BrowserTests.swift`.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(.enabled(if: BrowserTests.browserAvailable, BrowserTests.skipReason),
          .timeLimit(.minutes(5)))
    func aShopperBuysInEachStoreWithHeadlessChromium() async throws {
        try await PlatformHarness.run { platform in
            let stores = [
                ("acme", ##"{"name":"Acme Goods","primary_color":"#aa0000","description":"Tools for coyotes."}"##),
                ("globex", ##"{"name":"Globex Supply","primary_color":"#00663a","description":"Everything for the modern villain."}"##),
            ]
            for (store, settings) in stores {
                let reply = try await platform.admin(store, .PUT, "/settings", json: settings)
                try #require(reply.status == 200, "\(store) settings: \(reply.body)")
            }
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil", price: 4999, stocked: 5, variants: ["Small", "Large"])
            try await platform.createProduct("acme", handle: "rocket-skates", title: "Rocket Skates", price: 12900, stocked: 3)
            try await platform.createProduct("globex", handle: "hammock", title: "Hammock", price: 7900, stocked: 4)
            try await platform.createProduct("globex", handle: "doomsday-device", title: "Doomsday Device", price: 99900, stocked: 2,
                                             variants: ["Standard", "Deluxe"])

            let hosts = ["acme", "globex"].map(platform.host)
            let screenshots = Self.repositoryRoot.appendingPathComponent(".build/browser-screenshots")
            try? FileManager.default.removeItem(at: screenshots)
            try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)

            let script = Self.repositoryRoot.appendingPathComponent("scripts/browser_check.py").path
            let (status, output) = try await ChildProcess.run([
                try #require(Self.python), script,
                "--edge-port", String(platform.edgePort),
                "--hosts", hosts.joined(separator: ","),
                "--root-domain", PlatformHarness.rootDomain,
                "--screenshots", screenshots.path,
            ])
            try? output.write(to: screenshots.appendingPathComponent("browser_check.log"), atomically: true, encoding: .utf8)
            try #require(status == 0, "browser_check.py exited with \(status):\n\(output)")

            // Each host showed its own store's name in the header.
            #expect(output.contains("ok   acme.lumora.test: store 'Acme Goods'"), "\(output)")
            #expect(output.contains("ok   globex.lumora.test: store 'Globex Supply'"), "\(output)")
            for host in hosts {
                for step in Self.steps {
                    let file = screenshots.appendingPathComponent("\(host)-\(step).png").path
                    #expect(FileManager.default.fileExists(atPath: file), "no screenshot \(file)\n\(output)")
                }
            }
            // The orders the browser placed reached each store's own cell, and no other's.
            for store in ["acme", "globex"] {
                let orders = try await platform.admin(store, .GET, "/orders")
                let json = try JSONSerialization.jsonObject(with: Data(orders.body.utf8)) as? [String: Any]
                #expect(json?["count"] as? Int == 1, "\(store) orders: \(orders.body)\n\(output)")
                #expect(orders.body.contains("grace.hopper@example.com"))
            }
        }
    }
}
