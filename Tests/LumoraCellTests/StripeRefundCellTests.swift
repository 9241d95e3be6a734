import Foundation
import LumoraTestSupport
import Testing

/// Refunds of orders paid on Stripe: made on the store's connected account, recorded by
/// Stripe's refund id so the webhooks reporting them count them once; refunds made in Stripe's
/// dashboard arrive by `charge.refunded`.
@Suite struct StripeRefundCellTests {
    @Test func partialThenFullRefundsGoThroughStripeAndTheirWebhooksCountOnce() async throws {
        try await StripeCell.run { stripe in
            let (_, orderID, _) = try await stripe.paidOrder()
            let intent = try #require(try await stripe.stripeState(orderID).intent)
            let before = stripe.fake.events().count

            let partial = try await stripe.cell.request(.post, "/admin/orders/\(orderID)/refunds", store: "acme", admin: "acme",
                                                        json: #"{"amount":{"amount":1000,"currency":"USD"},"reason":"scratched"}"#)
            #expect(partial.status == .created, "\(partial.text)")
            #expect(try partial.json["order"]["status"].string == "paid")
            #expect(try partial.json["order"]["refunded_amount"]["amount"].int == 1000)
            #expect(try partial.json["order"]["payment"]["status"].string == "partially_refunded")
            let rest = try await stripe.cell.request(.post, "/admin/orders/\(orderID)/refunds", store: "acme", admin: "acme", json: "{}")
            #expect(rest.status == .created, "\(rest.text)")
            #expect(try rest.json["order"]["status"].string == "refunded")
            #expect(try rest.json["order"]["refunded_amount"]["amount"].int == StripeCell.total)

            let sent = stripe.fake.requests().filter { $0.method == "POST" && $0.path == "/v1/refunds" }
            #expect(sent.count == 2)
            #expect(sent.allSatisfy { $0.account == StripeCell.account && $0.form["payment_intent"] == intent && $0.status == 200 })
            #expect(sent.map { $0.form["amount"] } == ["1000", String(StripeCell.total - 1000)])
            #expect(sent.map(\.idempotencyKey) == ["lumora-acme-\(orderID)-refund-0-1000", "lumora-acme-\(orderID)-refund-1000-3680"])
            #expect(sent[0].form["metadata[reason]"] == "scratched" && sent[0].form["metadata[lumora_store]"] == "acme")
            #expect(sent[0].form["reason"] == nil)  // Stripe's own reason is one of three words

            // Stripe reports both refunds (refund.created, charge.refunded each): nothing new.
            let reported = stripe.fake.events().dropFirst(before)
            #expect(reported.map(\.type) == ["refund.created", "charge.refunded", "refund.created", "charge.refunded"])
            for event in reported {
                let delivered = try await stripe.deliver(event.id)
                #expect(delivered.status == .ok, "\(event.type): \(delivered.text)")
            }
            let order = try await stripe.order(orderID)
            #expect(order["status"].string == "refunded")
            #expect(order["refunded_amount"]["amount"].int == StripeCell.total)
            #expect(order["refunds"].array.map { $0["amount"]["amount"].int } == [1000, 3680])
            #expect(try await stripe.mails(orderID) == ["order_confirmation", "new_order", "refund_notice", "refund_notice"])
            // Nothing left to refund; the unshipped units are back on sale.
            #expect(try await stripe.cell.request(.post, "/admin/orders/\(orderID)/refunds", store: "acme", admin: "acme", json: "{}").errorCode
                == "order_not_refundable")
            #expect(order["items"].array.count == 1)
            let variant = try #require(order["items"][0]["variant_id"].string)
            let products = try await stripe.cell.request(.get, "/admin/products?limit=100", store: "acme", admin: "acme").json["products"].array
            #expect(products.flatMap { $0["variants"].array }.first { $0["id"].string == variant }?["reserved"].int == 0)
        }
    }

    @Test func aRefundMadeInStripesDashboardArrivesByChargeRefunded() async throws {
        try await StripeCell.run { stripe in
            let (_, orderID, _) = try await stripe.paidOrder()
            let intent = try #require(try await stripe.stripeState(orderID).intent)
            let before = stripe.fake.events().count
            let refund = try await stripe.fake.refundOutsideLumora(paymentIntent: intent, amount: 500)

            // Its refund.created carries no Lumora metadata (the edge cannot route it); the
            // charge's event does, and the cell reads the charge's refunds from Stripe.
            let chargeRefunded = try stripe.event("charge.refunded", after: before)
            let delivered = try await stripe.deliver(chargeRefunded)
            #expect(delivered.status == .ok, "\(delivered.text)")
            #expect(try delivered.json["applied"].int == 1)
            let reads = stripe.fake.requests().filter { $0.method == "GET" && $0.path.hasPrefix("/v1/charges/") }
            #expect(reads.count == 1 && reads[0].account == StripeCell.account && reads[0].form["expand[]"] == "refunds", "\(reads)")
            var order = try await stripe.order(orderID)
            #expect(order["status"].string == "paid")
            #expect(order["refunded_amount"]["amount"].int == 500)
            #expect(order["refunds"].array.count == 1)
            #expect(try await stripe.mails(orderID).last == "refund_notice")
            #expect(try await stripe.deliver(chargeRefunded).json["applied"].int == 0)

            // The rest, through Lumora: Stripe refunds what is left and the order is refunded.
            let rest = try await stripe.cell.request(.post, "/admin/orders/\(orderID)/refunds", store: "acme", admin: "acme", json: "{}")
            #expect(rest.status == .created, "\(rest.text)")
            order = try rest.json["order"]
            #expect(order["status"].string == "refunded")
            #expect(order["refunded_amount"]["amount"].int == StripeCell.total)
            let references = try await stripe.refundReferences(orderID)
            #expect(references.count == 2 && references.first == refund && references.allSatisfy { $0.hasPrefix("re_") })
        }
    }
}
