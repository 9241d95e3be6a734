import Foundation
import Logging
import LumoraCell
import LumoraCore
import LumoraDatabase
import LumoraProcess
import LumoraMail
import LumoraManager
import LumoraMedia
import LumoraTestSupport
import NIOCore
import Testing

/// The dashboard in a real browser (headless Chromium, `scripts/dashboard_check.py`): a
/// merchant signs up on the landing page, lands in the dashboard, adds a product with two
/// options, sees it on the storefront; sets up checkout (test cards, a flat shipping rate and a
/// tax rate for the shopper's country); a shopper buys it, has one test card declined and pays
/// with another, and gets the confirmation mail; the merchant refunds part of the order, fulfils
/// it and invites a staff member, who can work on orders but cannot open Staff. A screenshot of every
/// page goes to `.build/dashboard-screenshots` (docs/DASHBOARD.md shows them).
@Suite struct DashboardBrowserTests {
    static let steps = ["landing", "overview", "product-saved", "product-picture", "products", "checkout-payments", "checkout-shipping",
                        "checkout-tax", "storefront-product", "storefront-shipping", "storefront-declined", "storefront-confirmation", "order",
                        "order-refunded", "order-fulfilled", "product-new", "orders", "collections", "settings", "checkout", "domains", "tokens",
                        "staff", "overview-after", "password", "staff-invited", "login", "staff-overview", "staff-forbidden"]

    @Test(.enabled(if: BrowserSupport.available, Comment(rawValue: BrowserSupport.skipReason)), .timeLimit(.minutes(10)))
    func aMerchantRunsTheirStoreFromTheBrowser() async throws {
        let screenshots = BrowserSupport.repositoryRoot.appendingPathComponent(".build/dashboard-screenshots")
        let mail = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-mail-\(UUID().uuidString)")
        try? FileManager.default.removeItem(at: screenshots)
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: mail, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mail) }

        // The merchant's photo, as a file on their computer.
        let photo = mail.appendingPathComponent("trail-runner.jpg")
        try Data(buffer: try await TestImages.make(.jpeg, width: 1800, height: 1200, seed: 11, grainy: true)).write(to: photo)

        // Every mail also goes over SMTP to a mail catcher, as under `lumora dev`.
        let catcher = try await MailCatcher.start(logger: Logger(label: "lumora.test.mail"))
        let smtp = try SMTPMailer(configuration: SMTPConfiguration(host: "127.0.0.1", port: catcher.port, security: .none, timeout: .seconds(30)),
                                  from: "no-reply@lumora.test", logger: Logger(label: "lumora.test.mail"))

        // Test cards besides manual payment, as `lumora dev` offers them.
        do {
            try await walk(mail: mail, photo: photo, screenshots: screenshots, catcher: catcher, smtp: smtp)
        } catch {
            try? await catcher.shutdown()
            throw error
        }
        try await catcher.shutdown()
    }

    private func walk(mail: URL, photo: URL, screenshots: URL, catcher: MailCatcher, smtp: SMTPMailer) async throws {
        try await DashboardHarness.run(mailFolder: mail, mailForward: smtp, payments: .init(available: [.manual, .test])) { platform in
            let script = BrowserSupport.repositoryRoot.appendingPathComponent("scripts/dashboard_check.py").path
            let (status, output) = try await ChildProcess.run([
                try #require(BrowserSupport.python), script,
                "--edge-port", String(platform.edgePort), "--root-domain", DashboardHarness.rootDomain, "--store", "shoes",
                "--owner-email", "owner@shoes.test", "--password", "correct horse battery",
                "--staff-email", "clerk@shoes.test", "--staff-password", "clerk password",
                "--screenshots", screenshots.path, "--mail-dir", mail.path, "--photo", photo.path,
            ])
            try? output.write(to: screenshots.appendingPathComponent("dashboard_check.log"), atomically: true, encoding: .utf8)
            try #require(status == 0, "dashboard_check.py exited with \(status):\n\(output)")
            #expect(output.contains("dashboard_check: all steps passed"))
            for step in Self.steps {
                let file = screenshots.appendingPathComponent("dashboard-\(step).png").path
                #expect(FileManager.default.fileExists(atPath: file), "no screenshot \(file)\n\(output)")
            }
            // What the browser did is in the database: the order paid by test card (after one
            // declined), 5.00 of it refunded, fulfilled; the clerk on staff.
            #expect(try await platform.count("SELECT count(*)::int FROM store_shoes.orders WHERE status = 'fulfilled' AND refunded_amount = 500") == 1)
            #expect(try await platform.count("SELECT count(*)::int FROM store_shoes.payments WHERE provider = 'test' AND status = 'succeeded'") == 1)
            #expect(try await platform.count("SELECT count(*)::int FROM store_shoes.payments WHERE provider = 'test' AND status = 'failed'") == 1)
            #expect(try await platform.count("SELECT count(*)::int FROM store_shoes.shipping_zones") == 1)
            #expect(try await platform.count("SELECT count(*)::int FROM store_shoes.tax_rates WHERE country = 'US'") == 1)
            // The shopper's confirmation went out over SMTP too, with the total the pages showed:
            // 89.00 + 5.00 shipping + 20 % tax on both = 112.80, in its text and its HTML part.
            let confirmation = try await catcher.waitForMail(where: { mail in
                mail.subject.contains("is confirmed") && mail.to.contains { $0.address == "shopper@example.com" }
            }, timeout: .seconds(90))
            #expect(confirmation.text?.contains("$112.80") == true, "\(confirmation.text ?? "")")
            #expect(confirmation.html?.contains("$112.80") == true)
            #expect(try await platform.count("""
                SELECT count(*)::int FROM lumora.memberships m JOIN lumora.accounts a ON a.id = m.account_id
                WHERE a.email = 'clerk@shoes.test' AND m.store_slug = 'shoes' AND m.role = 'staff'
                """) == 1)
        }
    }
}
