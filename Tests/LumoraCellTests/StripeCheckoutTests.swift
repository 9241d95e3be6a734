import Foundation
import LumoraTestSupport
import Testing

/// Checkout on Stripe's hosted page against the Stripe fake: the session on the store's
/// connected account, paid by webhook or on the shopper's return, and Stripe being down.
@Suite struct StripeCheckoutTests {
    @Test func anOrderGetsOneSessionOnTheStoresAccountForItsTotal() async throws {
        try await StripeCell.run { stripe in
            let cartID = try await stripe.cart()
            // A Stripe store needs to know where the shopper comes back to; nothing is written.
            let noReturn = try await stripe.complete(cartID, returnURL: nil)
            #expect(noReturn.status == .unprocessableContent && noReturn.errorCode == "return_url_required", "\(noReturn.text)")
            #expect(try await stripe.complete(cartID, returnURL: "javascript:alert(1)").errorCode == "invalid_return_url")
            #expect(try await stripe.cell.request(.get, "/store/carts/\(cartID)/order", store: "acme").status == .notFound)

            let placed = try await stripe.complete(cartID, key: "checkout-1")
            #expect(placed.status == .created, "\(placed.text)")
            let order = try placed.json["order"]
            let orderID = try #require(order["id"].string)
            #expect(order["status"].string == "pending_payment")
            #expect(order["payment"]["provider"].string == "stripe")
            #expect(order["payment"]["status"].string == "requires_payment")
            #expect(order["total"]["amount"].int == StripeCell.total)
            let session = try stripe.session(of: order)

            let created = stripe.fake.requests().filter { $0.method == "POST" && $0.path == "/v1/checkout/sessions" }
            try #require(created.count == 1)
            let request = created[0]
            #expect(request.status == 200)
            #expect(request.account == StripeCell.account)
            #expect(request.idempotencyKey == "lumora-acme-\(orderID)-session")
            #expect(request.form["mode"] == "payment")
            #expect(request.form["metadata[lumora_store]"] == "acme" && request.form["metadata[lumora_order]"] == orderID)
            #expect(request.form["payment_intent_data[metadata][lumora_store]"] == "acme")
            #expect(request.form["payment_intent_data[metadata][lumora_order]"] == orderID)
            #expect(request.form["success_url"] == StripeCell.returnURL + "?session_id={CHECKOUT_SESSION_ID}")
            #expect(request.form["cancel_url"] == StripeCell.returnURL)
            #expect(request.form["customer_email"] == "ada@example.com")
            // The lines are the order's: the items, then shipping and tax, adding up to its total.
            var lines: [(name: String, amount: Int, quantity: Int)] = []
            while let amount = request.form["line_items[\(lines.count)][price_data][unit_amount]"].flatMap({ Int($0) }) {
                let index = lines.count
                #expect(request.form["line_items[\(index)][price_data][currency]"] == "usd")
                lines.append((request.form["line_items[\(index)][price_data][product_data][name]"] ?? "",
                              amount, Int(request.form["line_items[\(index)][quantity]"] ?? "") ?? 0))
            }
            #expect(lines.map(\.amount) == [1999, 300, 382])
            #expect(lines.map(\.quantity) == [2, 1, 1])
            #expect(lines[1].name == "Shipping: Light parcel" && lines[2].name == "Tax")
            #expect(lines.reduce(0) { $0 + $1.amount * $1.quantity } == StripeCell.total)

            // Again with the key, or the cart again: the same order and session, Stripe not asked.
            let again = try await stripe.complete(cartID, key: "checkout-1")
            #expect(again.status == .ok)
            #expect(try again.json["order"]["id"].string == orderID)
            #expect(try stripe.session(of: try again.json["order"]) == session)
            let cartAgain = try await stripe.complete(cartID)
            #expect(try stripe.session(of: try cartAgain.json["order"]) == session)
            #expect(stripe.fake.requests().filter { $0.path == "/v1/checkout/sessions" }.count == 1)

            // As if the cell had stopped after Stripe made the session but before it was
            // recorded: the next attempt sends the same key and Stripe gives the same session.
            try await stripe.run("UPDATE store_acme.orders SET payment_session = NULL, payment_url = NULL")
            let recovered = try await stripe.complete(cartID)
            #expect(recovered.status == .ok, "\(recovered.text)")
            #expect(try stripe.session(of: try recovered.json["order"]) == session)
            let sent = stripe.fake.requests().filter { $0.path == "/v1/checkout/sessions" }
            #expect(sent.count == 2)
            #expect(sent.last?.replayed == true && sent.last?.idempotencyKey == request.idempotencyKey)
            #expect(try await stripe.stripeState(orderID).session == session)
        }
    }

    @Test func theWebhookPaysTheOrderOnceAndQueuesItsMails() async throws {
        try await StripeCell.run { stripe in
            let cartID = try await stripe.cart()
            let order = try await stripe.complete(cartID).json["order"]
            let orderID = try #require(order["id"].string)
            let session = try stripe.session(of: order)
            let before = stripe.fake.events().count
            try await stripe.fake.completeSession(session)
            #expect(stripe.fake.events().dropFirst(before).map(\.type) == ["charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"])

            // Every event of the payment is taken (each recorded once); the session's pays.
            for id in stripe.fake.events().dropFirst(before).map(\.id) {
                let delivered = try await stripe.deliver(id)
                #expect(delivered.status == .ok, "\(delivered.text)")
                #expect(try delivered.json["applied"].int == 1)
            }
            let paid = try await stripe.order(orderID)
            #expect(paid["status"].string == "paid")
            #expect(paid["payment"]["status"].string == "paid")
            #expect(paid["payment"]["paid_at"].exists && !paid["payment"]["paid_at"].isNull)
            #expect(!paid["flag"].exists || paid["flag"].isNull)
            let intent = try #require(try await stripe.stripeState(orderID).intent)
            #expect(intent.hasPrefix("pi_"))
            let payments = try await stripe.payments(orderID)
            #expect(payments.count == 1)
            #expect(payments.first?.provider == "stripe" && payments.first?.reference == intent)
            #expect(payments.first?.amount == Int64(StripeCell.total) && payments.first?.currency == "USD")
            #expect(try await stripe.mails(orderID) == ["order_confirmation", "new_order"])

            // Stripe delivers at least once: the same event again changes nothing.
            let completed = try stripe.event("checkout.session.completed", about: session)
            let replay = try await stripe.deliver(completed)
            #expect(replay.status == .ok)
            #expect(try replay.json["applied"].int == 0)
            #expect(try await stripe.order(orderID)["updated_at"].string == paid["updated_at"].string)
            #expect(try await stripe.payments(orderID).count == 1)
            #expect(try await stripe.mails(orderID) == ["order_confirmation", "new_order"])
        }
    }

    @Test func theShoppersReturnPaysAtOnceAndTheLaterWebhookChangesNothing() async throws {
        try await StripeCell.run { stripe in
            let cartID = try await stripe.cart()
            let order = try await stripe.complete(cartID).json["order"]
            let orderID = try #require(order["id"].string)
            let session = try stripe.session(of: order)

            // Back from the page without paying (the cancel link): still waiting.
            let unpaid = try await stripe.cell.request(.post, "/store/carts/\(cartID)/stripe-return", store: "acme")
            #expect(try unpaid.json["order"]["status"].string == "pending_payment", "\(unpaid.text)")

            try await stripe.fake.completeSession(session)
            let back = try await stripe.cell.request(.post, "/store/carts/\(cartID)/stripe-return", store: "acme")
            #expect(back.status == .ok, "\(back.text)")
            #expect(try back.json["order"]["status"].string == "paid")
            let reads = stripe.fake.requests().filter { $0.method == "GET" && $0.path == "/v1/checkout/sessions/\(session)" }
            #expect(reads.count == 2 && reads.allSatisfy { $0.account == StripeCell.account })

            let late = try await stripe.deliver(try stripe.event("checkout.session.completed", about: session))
            #expect(late.status == .ok, "\(late.text)")
            #expect(try await stripe.order(orderID)["status"].string == "paid")
            #expect(try await stripe.payments(orderID).count == 1)
            #expect(try await stripe.mails(orderID) == ["order_confirmation", "new_order"])
            // A second return reads the order as it is (no second payment).
            #expect(try await stripe.cell.request(.post, "/store/carts/\(cartID)/stripe-return", store: "acme").json["order"]["status"].string == "paid")
            #expect(try await stripe.payments(orderID).count == 1)
        }
    }

    /// Stripe rate-limited or failing beyond the client's retries: the shopper is told to try
    /// again and the cart is as it was — open, its stock not held — until Stripe answers.
    @Test func stripeDownLeavesTheCartIntactAndARetrySucceeds() async throws {
        try await StripeCell.run { stripe in
            let cartID = try await stripe.cart()
            let variant = try #require(try await stripe.cell.request(.get, "/store/carts/\(cartID)", store: "acme").json["cart"]["items"][0]["variant_id"].string)
            func reserved() async throws -> Int? {
                let products = try await stripe.cell.request(.get, "/admin/products?limit=100", store: "acme", admin: "acme").json["products"].array
                return products.flatMap { $0["variants"].array }.first { $0["id"].string == variant }?["reserved"].int
            }

            for status in [429, 500] {
                let before = stripe.fake.requests().count
                stripe.fake.failNext(3, status: status)  // the first attempt and both retries
                let refused = try await stripe.complete(cartID)
                #expect(refused.status == .serviceUnavailable, "\(refused.text)")
                #expect(refused.errorCode == "payment_unavailable")
                let message = try #require(try refused.json["error"]["message"].string)
                #expect(message.contains("try again"), "\(message)")
                #expect(stripe.fake.requests().dropFirst(before).map(\.status) == [status, status, status])

                #expect(try await stripe.cell.request(.get, "/store/carts/\(cartID)/order", store: "acme").status == .notFound)
                let cart = try await stripe.cell.request(.get, "/store/carts/\(cartID)", store: "acme").json["cart"]
                #expect(!cart["completed_at"].exists || cart["completed_at"].isNull, "\(cart)")
                #expect(cart["items"][0]["quantity"].int == 2)
                #expect(cart["total"]["amount"].int == StripeCell.total)
                #expect(try await reserved() == 0)
            }
            #expect(try await stripe.cell.request(.get, "/admin/orders", store: "acme", admin: "acme").json["orders"].array.isEmpty)

            // A short outage (one 429) is absorbed by the client's retry.
            stripe.fake.failNext(1, status: 429)
            let placed = try await stripe.complete(cartID)
            #expect(placed.status == .created, "\(placed.text)")
            #expect(try placed.json["order"]["status"].string == "pending_payment")
            _ = try stripe.session(of: try placed.json["order"])
            #expect(try await reserved() == 2)
        }
    }
}
