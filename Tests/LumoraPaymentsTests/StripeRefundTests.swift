import Foundation
import LumoraFakes
import LumoraPayments
import Testing

@Suite struct StripeRefundTests {
    typealias H = StripeHarness

    @Test func thePaymentIntentAndItsChargeCarryTheOrdersMetadata() async throws {
        try await H.with { h in
            let (session, charge) = try await h.paidSession()
            #expect(session.status == "complete")
            #expect(session.isPaid)
            #expect(session.url == nil)
            #expect(charge.paymentIntent == session.paymentIntent)
            #expect(charge.amount == 5499)
            #expect(charge.metadata == ["store": "acme", "order_id": "42"])
            let intentID = try #require(session.paymentIntent)
            let intentJSON = try #require(h.fake.object(intentID))
            let intent = try #require(try JSONSerialization.jsonObject(with: intentJSON) as? [String: Any])
            #expect(intent["metadata"] as? [String: String] == ["store": "acme", "order_id": "42"])
            #expect(h.fake.events().map(\.type) == ["charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"])
        }
    }

    @Test func partialThenFullThenTooMuch() async throws {
        try await H.with { h in
            let (session, charge) = try await h.paidSession()
            let intent = try #require(session.paymentIntent)

            let partial = try await h.client.createRefund(paymentIntent: intent, amount: 1000, reason: "requested_by_customer",
                                                          metadata: ["return_id": "r1"], account: H.storeA, idempotencyKey: "refund-1")
            #expect(partial.id.hasPrefix("re_"))
            #expect(partial.amount == 1000)
            #expect(partial.status == "succeeded")
            #expect(partial.paymentIntent == intent)
            #expect(partial.charge == charge.id)
            #expect(partial.reason == "requested_by_customer")
            #expect(partial.metadata == ["return_id": "r1"])

            let over = try #require(await caught {
                try await h.client.createRefund(paymentIntent: intent, amount: 5000, reason: nil, metadata: [:], account: H.storeA, idempotencyKey: "refund-2")
            } as? StripeError)
            #expect(over.httpStatus == 400)
            #expect(over.param == "amount")
            #expect(over.message == "Refund amount ($50.00) is greater than unrefunded amount on charge ($44.99)")
            #expect(over.lumoraError.code == "payment_provider_refused")
            #expect(over.lumoraError.message.contains("$44.99"))

            let rest = try await h.client.createRefund(paymentIntent: intent, amount: nil, reason: nil, metadata: [:], account: H.storeA, idempotencyKey: "refund-2")
            #expect(rest.amount == 4499)
            let refunded = try JSONDecoder().decode(StripeCharge.self, from: try #require(h.fake.object(charge.id)))
            #expect(refunded.amountRefunded == 5499)
            #expect(refunded.refunded)
            #expect(refunded.refunds?.map(\.id) == [rest.id, partial.id])

            let again = try #require(await caught {
                try await h.client.createRefund(paymentIntent: intent, amount: 1, reason: nil, metadata: [:], account: H.storeA, idempotencyKey: "refund-3")
            } as? StripeError)
            #expect(again.code == "charge_already_refunded")

            // Each refund emitted refund.created and charge.refunded, with the request that caused it.
            let types = h.fake.events().map(\.type).filter { $0.hasPrefix("refund.") || $0 == "charge.refunded" }
            #expect(types == ["refund.created", "charge.refunded", "refund.created", "charge.refunded"])
            let last = try #require(h.fake.events().last)
            let event = try StripeEvent.decode(try #require(h.fake.event(last.id)).body)
            #expect(event.account == H.storeA)
            #expect(event.object == .charge(refunded.withoutRefunds))
            #expect(event.metadata == ["store": "acme", "order_id": "42"])
        }
    }

    @Test func aRefundForAnotherStoresPaymentIsNotFound() async throws {
        try await H.with { h in
            let (session, _) = try await h.paidSession()
            let intent = try #require(session.paymentIntent)
            let error = try #require(await caught {
                try await h.client.createRefund(paymentIntent: intent, amount: nil, reason: nil, metadata: [:],
                                                account: H.storeB, idempotencyKey: "r")
            } as? StripeError)
            #expect(error.httpStatus == 404)
            #expect(error.code == "resource_missing")
            #expect(error.param == "payment_intent")
        }
    }

    @Test func aDashboardRefundIsSeenOnlyThroughItsEvents() async throws {
        try await H.with { h in
            let (session, charge) = try await h.paidSession()
            let before = h.fake.requests().count
            let intent = try #require(session.paymentIntent)
            let refundID = try await h.fake.refundOutsideLumora(paymentIntent: intent, amount: 499)
            #expect(h.fake.requests().count == before)
            let events = h.fake.events().suffix(2)
            #expect(events.map(\.type) == ["refund.created", "charge.refunded"])
            #expect(events.first?.objectID == refundID)
            let lastID = try #require(events.last?.id)
            let refunded = try StripeEvent.decode(try #require(h.fake.event(lastID)).body)
            guard case .charge(let updated) = refunded.object else {
                Issue.record("charge.refunded carried \(refunded.object)")
                return
            }
            #expect(updated.id == charge.id)
            #expect(updated.amountRefunded == 499)
            #expect(!updated.refunded)
            // The dashboard is bound by the same arithmetic.
            await #expect(throws: FakeStripeError.self) {
                try await h.fake.refundOutsideLumora(paymentIntent: intent, amount: 99_999)
            }
        }
    }
}

extension StripeCharge {
    var withoutRefunds: StripeCharge {
        var charge = self
        charge.refunds = nil
        return charge
    }
}
