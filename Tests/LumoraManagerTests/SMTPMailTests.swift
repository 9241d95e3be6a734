import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import LumoraCore
import LumoraHTTP
import LumoraMail
import LumoraManager
import LumoraTestSupport
import LumoraWire
import NIOCore
import Testing

/// The outbox over real SMTP: the manager's `SMTPMailer` sends to a `MailCatcher` on loopback,
/// and the tests read what it caught — order mail with its HTML part, mail held back while the
/// server refuses, an account mail, and `lumora dev`'s page of caught mail.
@Suite struct SMTPMailTests {
    static let logger = Logger(label: "lumora.mail.tests")
    /// Guards against a hang only.
    static let patience: Duration = .seconds(180)

    static func withCatcher(maximumMessageSize: Int = 10 * 1024 * 1024, _ body: (MailCatcher, SMTPMailer) async throws -> Void) async throws {
        let catcher = try await MailCatcher.start(maximumMessageSize: maximumMessageSize, logger: logger)
        do {
            let mailer = try SMTPMailer(configuration: SMTPConfiguration(host: "127.0.0.1", port: catcher.port, security: .none, timeout: .seconds(30)),
                                        from: "no-reply@lumora.test", logger: logger)
            try await body(catcher, mailer)
        } catch {
            try? await catcher.shutdown()
            throw error
        }
        try await catcher.shutdown()
    }

    static func money(_ amount: Int64) -> Money { Money(amount: amount, currency: .usd) }

    /// A shopper's order mail, as a cell queues it.
    static func orderMail(to: String, store: String = "acme", name: String = "Acme Rockets") -> OrderMailWire {
        let order = OrderWire(
            id: "order_6", displayId: 1001, cartId: "cart_abc", email: to,
            shippingAddress: ShippingAddress(firstName: "Bugs", lastName: "Bunny", address1: "1 Carrot Lane", city: "Toontown",
                                             postalCode: "12345", countryCode: "US"),
            status: "pending_payment", currency: "USD",
            items: [OrderLineWire(id: "oline_7", variantId: "variant_3", productTitle: "Anvil <heavy>", variantTitle: "Heavy", sku: nil,
                                  quantity: 2, unitPrice: money(12000), total: money(24000))],
            subtotal: money(24000), shippingTotal: money(0), taxTotal: money(0), total: money(24000),
            createdAt: Date(timeIntervalSince1970: 1_700_000_000), updatedAt: Date(timeIntervalSince1970: 1_700_000_000))
        return OrderMailWire(template: .orderReceived, to: to, replyTo: "orders@acme.test", store: store,
                             branding: MailBrandingWire(name: name, logoUrl: "javascript:alert(1)", primaryColor: "#7c2d12",
                                                        accentColor: "red;background:url(x)"),
                             order: order, instructions: "Pay to IBAN DE00 1234")
    }

    /// Queues a `send_mail` job the way a store's checkout does (the cell's encoder, the
    /// store's attempt budget); returns its id.
    static func enqueue(_ mail: OrderMailWire, in manager: ManagerHarness) async throws -> Int {
        let payload = String(decoding: try JSONWire.encoder.encode(mail), as: UTF8.self)
        return try await manager.count(
            "INSERT INTO lumora.jobs (kind, store_slug, payload, max_attempts) VALUES ('send_mail', \(mail.store), \(payload)::jsonb, 12) RETURNING id::int")
    }

    static func job(_ id: Int, in manager: ManagerHarness) async throws -> [String: Any] {
        try #require(try await manager.request(.get, "/v1/jobs/\(id)").object()["job"] as? [String: Any])
    }

    @Test func anOrderMailArrivesWithTextHTMLAndTheStoresName() async throws {
        try await Self.withCatcher { catcher, mailer in
            try await ManagerHarness.run(configure: { $0.mailer = mailer }) { manager in
                let id = try await Self.enqueue(Self.orderMail(to: "bugs@example.test"), in: manager)
                try await manager.waitForJob(id)
                let caught = try await catcher.waitForMail(where: { $0.envelopeTo == ["bugs@example.test"] }, timeout: Self.patience)
                #expect(caught.subject == "Order #1001 at Acme Rockets: how to pay")
                #expect(caught.from?.name == "Acme Rockets" && caught.from?.address == "no-reply@lumora.test")
                #expect(caught.header("reply-to")?.contains("orders@acme.test") == true)
                let text = try #require(caught.text)
                #expect(text.contains("2 × Anvil <heavy> (Heavy)") && text.contains("Total: $240.00") && text.contains("Pay to IBAN DE00 1234"))
                let html = try #require(caught.html)
                // Store data escaped; the brand colour used; what is not a colour or an https: logo left out.
                #expect(html.contains("Anvil &lt;heavy&gt;") && !html.contains("<heavy>"))
                #expect(html.contains("background:#7c2d12"))
                #expect(!html.contains("url(x)") && !html.contains("javascript:"))
                #expect(html.contains("$240.00") && html.contains("1 Carrot Lane"))
            }
        }
    }

    /// The server refuses (421, as one down for maintenance does): the job retries and keeps
    /// the mail; once the server takes mail again, it arrives exactly once.
    @Test func mailWaitsWhileTheServerRefusesAndGoesOnce() async throws {
        try await Self.withCatcher { catcher, mailer in
            try await ManagerHarness.run(configure: { $0.mailer = mailer }) { manager in
                catcher.setRefusing(true)
                let id = try await Self.enqueue(Self.orderMail(to: "daffy@example.test"), in: manager)
                try await waitUntil(timeout: Self.patience) {
                    let job = try await Self.job(id, in: manager)
                    return job["state"] as? String == "retrying" && (job["attempts"] as? Int ?? 0) >= 2
                }
                let waiting = try await Self.job(id, in: manager)
                #expect((waiting["last_error"] as? String)?.contains("421") == true, "\(waiting)")
                #expect(catcher.messages().isEmpty)

                catcher.setRefusing(false)
                try await manager.waitForJob(id, timeout: Self.patience)
                // The server had accepted it before the job was recorded as done.
                #expect(catcher.messages().filter { $0.envelopeTo == ["daffy@example.test"] }.count == 1)
                #expect(try await Self.job(id, in: manager)["last_error"] as? String == nil)
            }
        }
    }

    /// A password reset goes through the outbox and reaches the server; once sent, its job no
    /// longer holds the link (the database keeps the reset token hashed).
    @Test func aPasswordResetArrivesThroughTheOutbox() async throws {
        try await Self.withCatcher { catcher, mailer in
            try await ManagerHarness.run(configure: {
                $0.accountsToken = AccountAPITests.accountsToken
                $0.passwordLogRounds = 4
                $0.mailer = mailer
                $0.signupsPerMinute = 100
            }) { manager in
                let edge = [("x-lumora-visitor", "203.0.113.9")]
                let signup = try await manager.request(.post, "/accounts/v1/signup", json: #"{"slug":"acme","name":"Acme","email":"wile@acme.test","password":"correct horse"}"#,
                                                       token: AccountAPITests.accountsToken, headers: edge)
                try #require(signup.status == .created, "\(String(buffer: signup.body))")
                let asked = try await manager.request(.post, "/accounts/v1/password-resets", json: #"{"email":"wile@acme.test"}"#,
                                                      token: AccountAPITests.accountsToken, headers: edge)
                #expect(asked.status == .accepted)
                let caught = try await catcher.waitForMail(where: { $0.envelopeTo == ["wile@acme.test"] }, timeout: Self.patience)
                #expect(caught.subject == "Reset your Lumora password")
                #expect(caught.from?.name == "Lumora" && caught.from?.address == "no-reply@lumora.test")
                #expect(caught.text?.contains("http://app.lumora.test/reset/lpr_") == true)
                try await waitUntil(timeout: Self.patience) {
                    try await manager.count("SELECT count(*)::int FROM lumora.jobs WHERE kind = 'send_account_mail' AND state = 'succeeded'") == 1
                }
                #expect(try await manager.count("SELECT count(*)::int FROM lumora.jobs WHERE payload::text LIKE '%lpr_%'") == 0)
            }
        }
    }

    /// What the server refuses for good (here a message over its size limit) ends the job at
    /// once; a server that is down is trouble that passes.
    @Test func permanentRefusalsEndTheJobAndPassingOnesRetry() async throws {
        try await Self.withCatcher(maximumMessageSize: 2000) { catcher, mailer in
            let big = Mail(to: "big@example.test", subject: "Big", body: String(repeating: "x", count: 5000), fromName: "Acme")
            await #expect(throws: PermanentJobFailure.self) { try await mailer.send(big) }
            catcher.setRefusing(true)
            let small = Mail(to: "small@example.test", subject: "Small", body: "hello")
            let refused = await #expect(throws: SMTPError.self) { try await mailer.send(small) }
            #expect(refused?.isTransient == true && refused?.code == 421)
        }
    }

    /// `lumora dev`'s page lists caught mail with everything escaped, serves a mail's HTML
    /// sandboxed, and the same mail as JSON.
    @Test func theDevMailPageEscapesWhatItShows() async throws {
        try await Self.withCatcher { catcher, mailer in
            try await mailer.send(Mail(to: "shopper@example.test", subject: "<script>alert(1)</script> & more",
                                       body: "Hello <b>there</b>", html: "<p>Hello <script>alert(2)</script></p>", fromName: "Acme \"Rockets\""))
            _ = try await catcher.waitForMail(timeout: Self.patience)
            let page = try CaughtMailPage.buildApplication(catcher: catcher, logger: Self.logger)
            try await page.test(.router) { client in
                let list = try await client.execute(uri: "/", method: .get)
                let body = String(buffer: list.body)
                #expect(list.status == .ok)
                #expect(body.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"))
                #expect(!body.contains("<script>"))
                #expect(body.contains("Hello &lt;b&gt;there&lt;/b&gt;"))
                #expect(body.contains("Acme &quot;Rockets&quot;"))
                #expect(body.contains(#"<iframe sandbox src="/messages/1/html""#))
                #expect(list.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)

                let html = try await client.execute(uri: "/messages/1/html", method: .get)
                #expect(html.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") == true)
                #expect(String(buffer: html.body).contains("<p>Hello"))
                #expect(try await client.execute(uri: "/messages/2/html", method: .get).status == .notFound)

                let json = try await client.execute(uri: "/messages.json", method: .get)
                let mails = try #require(try JSONSerialization.jsonObject(with: Data(buffer: json.body)) as? [[String: Any]])
                #expect(mails.count == 1)
                #expect(mails.first?["subject"] as? String == "<script>alert(1)</script> & more")
            }
        }
    }
}
