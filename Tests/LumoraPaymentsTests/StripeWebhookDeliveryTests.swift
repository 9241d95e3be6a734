import Foundation
import LumoraFakes
import LumoraPayments
import Testing

/// The fake's webhooks reach a real HTTP endpoint, signed so that `StripeWebhook.verify` accepts
/// them, and are retried after a failure.
@Suite struct StripeWebhookDeliveryTests {
    typealias H = StripeHarness

    @Test func aPaidSessionIsDeliveredSignedAndRetriedAfterA500() async throws {
        // The endpoint refuses the first receipt of every event, as a receiver that is
        // restarting would.
        let receiver = try await FakeWebhookReceiver.start { $0.receipt == 1 ? 500 : 200 }
        try await H.with { h in
            h.fake.setWebhookEndpoint(receiver.url, enabledEvents: ["checkout.session.completed"])
            h.fake.setDeliverySchedule([.milliseconds(10), .milliseconds(50)])
            let session = try await h.client.createCheckoutSession(H.parameters(), account: H.storeA, idempotencyKey: UUID().uuidString)
            try await h.fake.completeSession(session.id)

            let event = try #require(h.fake.events().first { $0.type == "checkout.session.completed" })
            #expect(event.account == H.storeA)
            #expect(event.objectID == session.id)
            try await h.fake.waitForDelivery(of: event.id, succeeded: false, timeout: .seconds(180))
            try await h.fake.waitForDelivery(of: event.id, timeout: .seconds(180))

            let attempts = h.fake.deliveries().filter { $0.eventID == event.id }
            #expect(attempts.map(\.attempt) == [1, 2])
            #expect(attempts.map(\.status) == [500, 200])
            // Only the subscribed type was sent.
            #expect(h.fake.deliveries().allSatisfy { $0.type == "checkout.session.completed" })

            let received = receiver.received().filter { $0.eventID == event.id }
            #expect(received.count == 2)
            for delivery in received {
                try StripeWebhook.verify(payload: delivery.body, signatureHeader: delivery.signature, secret: h.fake.webhookSecret, now: Date())
                #expect(throws: StripeWebhookError.noMatchingSignature) {
                    try StripeWebhook.verify(payload: delivery.body, signatureHeader: delivery.signature, secret: "whsec_someone_else", now: Date())
                }
            }
            let decoded = try StripeEvent.decode(try #require(received.last).body)
            #expect(decoded.id == event.id)
            #expect(decoded.type == "checkout.session.completed")
            #expect(decoded.account == H.storeA)
            guard case .checkoutSession(let paid) = decoded.object else {
                Issue.record("checkout.session.completed carried \(decoded.object)")
                return
            }
            #expect(paid.id == session.id)
            #expect(paid.status == "complete")
            #expect(paid.isPaid)
            #expect(paid.paymentIntent?.hasPrefix("pi_") == true)
            #expect(paid.metadata == ["store": "acme", "order_id": "42"])
            #expect(try StripeEventRouting.decode(try #require(received.last).body).metadata["order_id"] == "42")

            // A replay by hand carries a fresh valid signature for the same body.
            let replay = try #require(h.fake.event(event.id))
            #expect(replay.body == received.last?.body)
            try StripeWebhook.verify(payload: replay.body, signatureHeader: replay.signature, secret: h.fake.webhookSecret, now: Date())
        }
        await receiver.shutdown()
    }

    @Test func anUnreachableEndpointIsRetriedUntilTheScheduleEnds() async throws {
        try await H.with { h in
            // Port 1 refuses connections; each attempt ends at the delivery timeout.
            h.fake.setWebhookEndpoint("http://127.0.0.1:1/webhooks")
            h.fake.setDeliverySchedule([.milliseconds(5)], timeout: .milliseconds(300))
            let session = try await h.client.createCheckoutSession(H.parameters(), account: H.storeB, idempotencyKey: "k")
            _ = try await h.client.expireCheckoutSession(id: session.id, account: H.storeB, idempotencyKey: "k2")
            let event = try #require(h.fake.events().first)
            try await h.fake.waitForDelivery(of: event.id, succeeded: false, timeout: .seconds(180))
            #expect(h.fake.deliveries().first?.attempt == 1)
            #expect(h.fake.deliveries().first?.status == nil)
            #expect(h.fake.deliveries().first?.error != nil)
        }
    }
}
