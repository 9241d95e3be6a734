import Foundation
import LumoraPayments
import Testing

@Suite struct StripeEventTests {
    @Test func theObjectIsDecodedByItsType() throws {
        let completed = Data("""
            {"id":"evt_1","object":"event","api_version":"2026-07-29.dahlia","created":1760000000,"livemode":false,
             "type":"checkout.session.completed","account":"acct_store",
             "data":{"object":{"id":"cs_test_1","object":"checkout.session","status":"complete","payment_status":"paid",
               "payment_intent":"pi_1","amount_total":2500,"currency":"usd","metadata":{"order_id":"42"},"client_reference_id":"o42",
               "url":null}}}
            """.utf8)
        let event = try StripeEvent.decode(completed)
        #expect(event.id == "evt_1")
        #expect(event.account == "acct_store")
        #expect(event.created == Date(timeIntervalSince1970: 1_760_000_000))
        #expect(event.apiVersion == "2026-07-29.dahlia")
        #expect(event.object == .checkoutSession(StripeCheckoutSession(
            id: "cs_test_1", status: "complete", paymentStatus: "paid", paymentIntent: "pi_1", amountTotal: 2500, currency: "usd",
            metadata: ["order_id": "42"], clientReferenceID: "o42")))
        #expect(event.metadata == ["order_id": "42"])

        let refunded = Data("""
            {"id":"evt_2","object":"event","created":1760000001,"livemode":false,"type":"charge.refunded",
             "data":{"object":{"id":"ch_1","object":"charge","amount":2500,"amount_refunded":500,"currency":"usd","refunded":false,
               "payment_intent":{"id":"pi_1","object":"payment_intent"},"metadata":{"order_id":"42"}}}}
            """.utf8)
        let charge = try StripeEvent.decode(refunded)
        #expect(charge.account == nil)
        #expect(charge.object == .charge(StripeCharge(id: "ch_1", paymentIntent: "pi_1", amount: 2500, amountRefunded: 500, currency: "usd",
                                                      metadata: ["order_id": "42"])))

        let refundUpdated = Data("""
            {"id":"evt_3","created":1,"livemode":true,"type":"charge.refund.updated",
             "data":{"object":{"id":"re_1","object":"refund","amount":500,"status":"succeeded","charge":"ch_1","payment_intent":"pi_1","metadata":null}}}
            """.utf8)
        #expect(try StripeEvent.decode(refundUpdated).object == .refund(StripeRefund(id: "re_1", amount: 500, paymentIntent: "pi_1", charge: "ch_1")))

        let other = Data(#"{"id":"evt_4","created":1,"livemode":false,"type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","object":"payment_intent","metadata":{"a":"b"}}}}"#.utf8)
        #expect(try StripeEvent.decode(other).object == .other("payment_intent"))
    }

    @Test func routingReadsOnlyTheEnvelopeAndTheMetadata() throws {
        let payload = Data(#"{"id":"evt_5","type":"payment_intent.succeeded","account":"acct_9","data":{"object":{"id":"pi_7","object":"payment_intent","amount":"not decoded","metadata":{"store":"acme","order_id":"7"}}}}"#.utf8)
        let routing = try StripeEventRouting.decode(payload)
        #expect(try JSONDecoder().decode(StripeEventRouting.self, from: payload) == routing)
        #expect(routing.id == "evt_5")
        #expect(routing.account == "acct_9")
        #expect(routing.objectID == "pi_7")
        #expect(routing.objectType == "payment_intent")
        #expect(routing.metadata == ["store": "acme", "order_id": "7"])
    }
}
