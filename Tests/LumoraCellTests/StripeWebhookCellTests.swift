import Foundation
import LumoraTestSupport
import PostgresNIO
import Testing

/// Stripe's webhooks at the cell: only what Stripe signed, for this store, from this store's
/// connected account, is applied; a payment that does not match the order flags it.
@Suite struct StripeWebhookCellTests {
    @Test func forgedStaleAndMisdirectedEventsAreRefusedAndChangeNothing() async throws {
        try await StripeCell.run { stripe in
            let cartID = try await stripe.cart()
            let order = try await stripe.complete(cartID).json["order"]
            let orderID = try #require(order["id"].string)
            let session = try stripe.session(of: order)
            try await stripe.fake.completeSession(session)
            let completed = try stripe.event("checkout.session.completed", about: session)
            let genuine = try #require(stripe.fake.event(completed))
            let now = Int(Date().timeIntervalSince1970)

            var refusals: [(String, Data, String?, String)] = [
                ("no signature", genuine.body, nil, "invalid_signature"),
                ("a made-up signature", genuine.body, "t=\(now),v1=" + String(repeating: "ab", count: 32), "invalid_signature"),
                ("another secret", genuine.body, try stripe.rewritten(completed, secret: "whsec_forger") { _, _ in }.signature, "invalid_signature"),
                ("a changed body", Data(String(decoding: genuine.body, as: UTF8.self).replacingOccurrences(of: "\"paid\"", with: "\"unpaid\"").utf8),
                 genuine.signature, "invalid_signature"),
            ]
            // Signed by Stripe's secret, but ten minutes ago: a captured delivery replayed.
            let stale = try stripe.rewritten(completed, timestamp: now - 600) { _, _ in }
            refusals.append(("a stale timestamp", stale.body, stale.signature, "invalid_signature"))
            // Signed properly, but naming another store, or from another merchant's account
            // that put this store's name in its metadata.
            let otherStore = try stripe.rewritten(completed) { _, object in
                object["metadata"] = ["lumora_store": "globex", "lumora_order": orderID]
            }
            refusals.append(("another store", otherStore.body, otherStore.signature, "event_for_another_store"))
            let otherAccount = try stripe.rewritten(completed) { event, _ in event["account"] = StripeCell.otherAccount }
            refusals.append(("another account", otherAccount.body, otherAccount.signature, "event_from_another_account"))
            let platform = try stripe.rewritten(completed) { event, _ in event["account"] = nil }
            refusals.append(("the platform's own account", platform.body, platform.signature, "event_from_another_account"))

            for (what, body, signature, code) in refusals {
                let refused = try await stripe.post(body, signature: signature)
                #expect(refused.status == .badRequest, "\(what): \(refused.text)")
                #expect(refused.errorCode == code, "\(what): \(refused.text)")
            }
            #expect(try await stripe.order(orderID)["status"].string == "pending_payment")
            #expect(try await stripe.payments(orderID).isEmpty)
            #expect(try await stripe.eventCount() == 0)

            // The genuine delivery is still taken after all that.
            let accepted = try await stripe.deliver(completed)
            #expect(try accepted.json["applied"].int == 1, "\(accepted.text)")
            #expect(try await stripe.order(orderID)["status"].string == "paid")
        }
    }

    /// Money that is not the order's total (or not its currency) is never taken as payment for
    /// it: the order is flagged for the merchant and stays unpaid, however often it is reported.
    @Test func anAmountOrCurrencyMismatchFlagsTheOrderInsteadOfPayingIt() async throws {
        try await StripeCell.run { stripe in
            for (field, value, shown) in [("amount_total", 100 as Any, "paid 100 USD"), ("currency", "eur" as Any, "paid 4680 EUR")] {
                let cartID = try await stripe.cart()
                let order = try await stripe.complete(cartID).json["order"]
                let orderID = try #require(order["id"].string)
                let session = try stripe.session(of: order)
                try await stripe.fake.completeSession(session)
                let completed = try stripe.event("checkout.session.completed", about: session)
                let crafted = try stripe.rewritten(completed) { _, object in object[field] = value }

                let delivered = try await stripe.post(crafted.body, signature: crafted.signature)
                #expect(delivered.status == .ok, "\(delivered.text)")
                var flagged = try await stripe.order(orderID)
                #expect(flagged["status"].string == "pending_payment")
                let flag = try #require(flagged["flag"].string)
                #expect(flag.hasPrefix("amount_mismatch") && flag.contains(shown), "\(flag)")
                #expect(try await stripe.mails(orderID).isEmpty)

                // The same payment reported again — the genuine event, the shopper's return —
                // is answered calmly (no 409 that Stripe would retry for days) and pays nothing.
                let again = try await stripe.deliver(completed)
                #expect(again.status == .ok, "\(again.text)")
                let back = try await stripe.cell.request(.post, "/store/carts/\(cartID)/stripe-return", store: "acme")
                #expect(back.status == .ok, "\(back.text)")
                flagged = try await stripe.order(orderID)
                #expect(flagged["status"].string == "pending_payment" && flagged["flag"].string == flag)
                #expect(try await stripe.payments(orderID).count == 1)
            }
        }
    }

    /// The money came after the order's window closed (its stock may be sold again): the
    /// payment is recorded and the order flagged for the merchant, not revived.
    @Test func aPaymentAfterTheOrderExpiredIsRecordedAndFlagged() async throws {
        try await StripeCell.run { stripe in
            let order = try await stripe.complete(try await stripe.cart()).json["order"]
            let orderID = try #require(order["id"].string)
            let id = try #require(order["display_id"].int)
            // As the manager's expiry job does at the deadline.
            let expired = try await stripe.cell.database.withClient { client in
                try await client.transaction(logger: stripe.cell.database.logger) { connection in
                    try await connection.query("SET LOCAL search_path TO store_acme", logger: stripe.cell.database.logger)
                    try await connection.query("UPDATE orders SET payment_due_at = now() - interval '1 second' WHERE id = \(id)", logger: stripe.cell.database.logger)
                    return try await connection.query("SELECT expire_unpaid_order(\(id))", logger: stripe.cell.database.logger).collect(Bool.self)[0]
                }
            }
            #expect(expired)
            #expect(try await stripe.order(orderID)["status"].string == "canceled")

            let session = try stripe.session(of: order)
            try await stripe.fake.completeSession(session)
            let delivered = try await stripe.deliver(try stripe.event("checkout.session.completed", about: session))
            #expect(delivered.status == .ok, "\(delivered.text)")
            let late = try await stripe.order(orderID)
            #expect(late["status"].string == "canceled")
            #expect(late["flag"].string?.hasPrefix("paid_after_expiry") == true, "\(late)")
            #expect(try await stripe.payments(orderID).map(\.amount) == [Int64(StripeCell.total)])
            #expect(try await stripe.mails(orderID).isEmpty)
        }
    }

    @Test func aSessionThatIsNotTheOrdersFlagsIt() async throws {
        try await StripeCell.run { stripe in
            let first = try await stripe.complete(try await stripe.cart()).json["order"]
            let second = try await stripe.complete(try await stripe.cart()).json["order"]
            let secondID = try #require(second["id"].string)
            let session = try stripe.session(of: first)
            try await stripe.fake.completeSession(session)
            // The first order's session, its metadata pointing at the second order.
            let crafted = try stripe.rewritten(try stripe.event("checkout.session.completed", about: session)) { _, object in
                object["metadata"] = ["lumora_store": "acme", "lumora_order": secondID]
            }
            let delivered = try await stripe.post(crafted.body, signature: crafted.signature)
            #expect(delivered.status == .ok, "\(delivered.text)")
            let order = try await stripe.order(secondID)
            #expect(order["status"].string == "pending_payment")
            #expect(order["flag"].string?.contains(session) == true, "\(order)")
        }
    }
}
