import Foundation
import Logging
import LumoraFakes
import LumoraPayments
import Testing

/// `POST /webhooks/stripe` on the root domain: one endpoint for every store, routed by the
/// store Lumora put in the object's metadata to that store's cell, which verifies and applies.
@Suite struct StripeWebhookRoutingTests {
    static let account = "acct_1AcmeStore0000000"

    static func json(_ reply: PlatformHarness.Reply) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func stripesEventsReachTheStoresCellThroughTheRootDomain() async throws {
        var logger = Logger(label: "lumora.edge.stripe-tests")
        logger.logLevel = .warning
        let fake = try await FakeStripe.start(logger: logger)
        fake.addConnectedAccount(Self.account)
        let stripe = StripeConfiguration(apiBase: fake.baseURL, secretKey: fake.secretKey, webhookSecret: fake.webhookSecret)
        do {
            try await PlatformHarness.run(cellStripe: stripe) { platform in
                try await Self.routes(platform, fake)
            }
        } catch {
            await fake.shutdown()
            throw error
        }
        await fake.shutdown()
    }

    private static func routes(_ platform: PlatformHarness, _ fake: FakeStripe) async throws {
        let settings = try await platform.admin("acme", .PUT, "/settings/checkout",
                                                json: #"{"payment_provider":"stripe","stripe_account_id":"\#(account)"}"#)
        try #require(settings.status == 200, "\(settings.body)")
        try await platform.createProduct("acme", handle: "anvil", title: "Anvil", price: 4999)
        let host = platform.host("acme")
        let products = json(try await platform.get(host, "/api/store/products"))["products"] as? [[String: Any]]
        let variant = try #require((products?.first?["variants"] as? [[String: Any]])?.first?["id"] as? String)
        let cart = json(try await platform.send(.POST, host, "/api/store/carts", headers: [("content-type", "application/json")], body: "{}"))
        let cartID = try #require((cart["cart"] as? [String: Any])?["id"] as? String, "\(cart)")
        let added = try await platform.send(.POST, host, "/api/store/carts/\(cartID)/line-items", headers: [("content-type", "application/json")],
                                            body: #"{"variant_id":"\#(variant)","quantity":1}"#)
        try #require(added.status / 100 == 2, "\(added.body)")
        let address = #"{"first_name":"Ada","last_name":"Lovelace","address_1":"1 Main St","city":"Springfield","postal_code":"12345","country_code":"US"}"#
        let completed = try await platform.send(.POST, host, "/api/store/carts/\(cartID)/complete", headers: [("content-type", "application/json")],
                                                body: #"{"email":"ada@example.com","shipping_address":\#(address),"return_url":"https://\#(host)/order/confirmation"}"#)
        try #require(completed.status == 201, "\(completed.body)")
        let order = try #require(json(completed)["order"] as? [String: Any])
        let orderID = try #require(order["id"] as? String)
        let url = try #require((order["payment"] as? [String: Any])?["url"] as? String)
        let session = String(try #require(url.split(separator: "/").last))
        try await fake.completeSession(session)

        func post(_ body: String, signature: String?) async throws -> PlatformHarness.Reply {
            var headers = [("content-type", "application/json; charset=utf-8")]
            if let signature { headers.append(("Stripe-Signature", signature)) }
            return try await platform.send(.POST, PlatformHarness.rootDomain, "/webhooks/stripe", headers: headers, body: body)
        }
        func status(of order: String) async throws -> String? {
            (json(try await platform.admin("acme", .GET, "/orders/\(order)"))["order"] as? [String: Any])?["status"] as? String
        }

        // A forged delivery reaches the cell, which refuses it; Stripe's own pays the order.
        let event = try #require(fake.events().last { $0.type == "checkout.session.completed" })
        let signed = try #require(fake.event(event.id))
        let body = String(decoding: signed.body, as: UTF8.self)
        let forged = try await post(body, signature: "t=\(Int(Date().timeIntervalSince1970)),v1=" + String(repeating: "0", count: 64))
        #expect(forged.status == 400, "\(forged.body)")
        #expect((json(forged)["error"] as? [String: Any])?["code"] as? String == "invalid_signature")
        #expect(try await status(of: orderID) == "pending_payment")

        let delivered = try await post(body, signature: signed.signature)
        #expect(delivered.status == 200, "\(delivered.body)")
        #expect(json(delivered)["applied"] as? Bool == true)
        #expect(try await status(of: orderID) == "paid")
        let replayed = try await post(body, signature: try #require(fake.event(event.id)).signature)
        #expect(replayed.status == 200 && json(replayed)["applied"] as? Bool == false, "\(replayed.body)")

        // Events of the payment intent are routed by its metadata too, and taken.
        let intentEvent = try #require(fake.events().last { $0.type == "payment_intent.succeeded" })
        let intent = try #require(fake.event(intentEvent.id))
        let intentReply = try await post(String(decoding: intent.body, as: UTF8.self), signature: intent.signature)
        #expect(intentReply.status == 200 && json(intentReply)["applied"] as? Bool == true, "\(intentReply.body)")

        // An event no store is named in (Stripe's own, a dashboard refund's refund.created) is
        // acknowledged so Stripe stops sending it, and goes nowhere.
        let payload = Data(#"{"id":"evt_platform1","object":"event","type":"balance.available","created":1700000000,"data":{"object":{"object":"balance"}}}"#.utf8)
        let unrouted = try await post(String(decoding: payload, as: UTF8.self),
                                      signature: StripeWebhook.signatureHeader(payload: Array(payload), secret: fake.webhookSecret,
                                                                               timestamp: Int(Date().timeIntervalSince1970)))
        #expect(unrouted.status == 200, "\(unrouted.body)")
        #expect(json(unrouted)["received"] as? Bool == true && json(unrouted)["applied"] as? Bool == false)
        let gone = try await post(body.replacingOccurrences(of: #""lumora_store":"acme""#, with: #""lumora_store":"nosuchstore""#), signature: nil)
        #expect(gone.status == 200 && json(gone)["applied"] as? Bool == false, "\(gone.body)")

        // Not JSON at all: a JSON error (Stripe shows the body in its delivery log), not a page.
        let garbage = try await post("this is not json", signature: nil)
        #expect(garbage.status == 400, "\(garbage.body)")
        #expect(garbage.headers.first(name: "content-type")?.hasPrefix("application/json") == true)
        #expect((json(garbage)["error"] as? [String: Any])?["code"] as? String == "invalid_event", "\(garbage.body)")
        // Only the root domain has the endpoint.
        #expect(try await platform.send(.POST, host, "/webhooks/stripe", headers: [("content-type", "application/json")], body: body).status == 404)
    }
}
