import Foundation
import LumoraDatabase
import LumoraProcess
import LumoraTestSupport
import Testing

/// The storefront in a real browser: headless Chromium, driven by `scripts/browser_check.py`,
/// buys a product on two stores' hosts through the edge. Runs only where Debian's `chromium`
/// and `chromium-driver` and the `selenium` Python module are installed (`.ci/run` tries to
/// install them); elsewhere it is skipped.
@Suite struct BrowserTests {
    static let steps = ["home", "products", "search", "product", "cart", "checkout", "confirmation"]

    @Test(.enabled(if: BrowserSupport.available, Comment(rawValue: BrowserSupport.skipReason)),
          .timeLimit(.minutes(10)))
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
            let screenshots = BrowserSupport.repositoryRoot.appendingPathComponent(".build/browser-screenshots")
            try? FileManager.default.removeItem(at: screenshots)
            try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)

            let script = BrowserSupport.repositoryRoot.appendingPathComponent("scripts/browser_check.py").path
            let (status, output) = try await ChildProcess.run([
                try #require(BrowserSupport.python), script,
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
