import Foundation
import Logging
import Synchronization

/// Stripe's API on loopback for the endpoints Lumora uses — Checkout Sessions, refunds,
/// connected accounts, events — written from Stripe's OpenAPI document (`stripe/openapi`,
/// version 2026-07-29.dahlia; docs/STRIPE.md), plus what the shopper and the dashboard do and
/// the webhooks Stripe sends.
///
/// Faithful where a client can go wrong: form bodies only, `Stripe-Account` scoping (403
/// `account_invalid`, 404 `resource_missing`), Stripe's parameter errors, idempotency keys per
/// account with replay and mismatch, rate limits and outages on demand, signed webhooks retried
/// until they succeed.
public final class FakeStripe: Sendable {
    private final class Box: Sendable {
        let state: Mutex<StripeState>
        init(_ state: StripeState) { self.state = Mutex(state) }
    }

    private let server: LoopbackServer
    private let box: Box
    private let webhooks: FakeStripeWebhooks

    public let secretKey: String
    public let webhookSecret: String
    /// The platform's own account: requests without `Stripe-Account` act on it.
    public let platformAccount: String

    private init(server: LoopbackServer, box: Box, webhooks: FakeStripeWebhooks, secretKey: String, webhookSecret: String, platformAccount: String) {
        self.server = server
        self.box = box
        self.webhooks = webhooks
        self.secretKey = secretKey
        self.webhookSecret = webhookSecret
        self.platformAccount = platformAccount
    }

    public static func start(secretKey: String = "sk_test_lumora", webhookSecret: String = "whsec_lumora", logger: Logger) async throws -> FakeStripe {
        let platform = "acct_1LumoraPlatform0000"
        let box = Box(StripeState(secretKey: secretKey, platformAccount: platform))
        let webhooks = FakeStripeWebhooks(secret: webhookSecret, logger: logger)
        let server = try await LoopbackServer.start(name: "fake-stripe") { request in
            let (response, events) = box.state.withLock { state in
                let response = state.hostedPage(request) ?? state.handle(request)
                return (response, state.takeOutbox())
            }
            webhooks.enqueue(events)
            return response
        }
        box.state.withLock { $0.baseURL = server.baseURL }
        return FakeStripe(server: server, box: box, webhooks: webhooks, secretKey: secretKey, webhookSecret: webhookSecret, platformAccount: platform)
    }

    /// Use as the client's API base (`https://api.stripe.com` in production).
    public var baseURL: String { server.baseURL }

    public func shutdown() async {
        await webhooks.close()
        await server.shutdown()
    }

    /// Runs a state change and hands the events it emitted to the webhook delivery.
    private func perform<T: Sendable>(_ body: (inout StripeState) throws(FakeStripeError) -> T) throws(FakeStripeError) -> T {
        let (result, events): (Result<T, FakeStripeError>, [StripeObjects.Event]) = box.state.withLock { state in
            let result: Result<T, FakeStripeError>
            do throws(FakeStripeError) { result = .success(try body(&state)) } catch { result = .failure(error) }
            return (result, state.takeOutbox())
        }
        webhooks.enqueue(events)
        return try result.get()
    }

    // MARK: accounts and failures

    /// A connected account the platform key can act on with `Stripe-Account`.
    public func addConnectedAccount(_ id: String, chargesEnabled: Bool = true) {
        box.state.withLock { state in
            let created = state.accounts[id]?.created ?? StripeState.now
            state.accounts[id] = StripeObjects.Account(id: id, chargesEnabled: chargesEnabled, created: created)
            if state.ledgers[id] == nil { state.ledgers[id] = StripeObjects.Ledger() }
        }
    }

    /// The next `count` API requests answer `status` before anything runs: 429 is Stripe's
    /// rate limit (`invalid_request_error`, code `rate_limit`), any other an `api_error`.
    public func failNext(_ count: Int, status: Int = 429) {
        box.state.withLock { $0.injectedFailures += Array(repeating: status, count: max(count, 0)) }
    }

    /// Every API request so far, in order.
    public func requests() -> [FakeStripeRequest] {
        box.state.withLock { $0.requestLog }
    }

    /// The current JSON of an object by id (`cs_…`, `pi_…`, `ch_…`, `re_…`) in whichever account
    /// holds it, as `GET` would render it (a charge with its refunds expanded).
    public func object(_ id: String) -> Data? {
        box.state.withLock { state -> Data? in
            for (account, ledger) in state.ledgers {
                if let session = ledger.sessions[id] { return state.render(session, in: account).encoded() }
                if let intent = ledger.paymentIntents[id] { return StripeObjects.render(intent).encoded() }
                if ledger.charges[id] != nil { return (try? state.renderCharge(id, in: account, expandRefunds: true))?.encoded() }
                if let refund = ledger.refunds[id] { return StripeObjects.render(refund).encoded() }
            }
            return nil
        }
    }

    // MARK: the shopper and the dashboard

    /// As if the shopper paid on the hosted page: the session completes (`paid`), a payment
    /// intent and its charge are created with the session's `payment_intent_data[metadata]`,
    /// and `charge.succeeded`, `payment_intent.succeeded` and `checkout.session.completed` are
    /// emitted.
    public func completeSession(_ id: String) async throws {
        try perform { (state: inout StripeState) throws(FakeStripeError) in try state.pay(id) }
    }

    /// As if the session reached its `expires_at`: `checkout.session.expired`.
    public func expireSession(_ id: String) async throws {
        try perform { (state: inout StripeState) throws(FakeStripeError) in
            guard let account = state.owner(ofSession: id) else { throw .unknownSession(id) }
            do {
                _ = try state.expireSession(id, in: account, context: nil)
            } catch {
                throw .sessionNotOpen(id, state.ledgers[account]?.sessions[id]?.status ?? "unknown")
            }
        }
    }

    /// A refund made in Stripe's dashboard, which Lumora learns of only from `charge.refunded`
    /// and `refund.created`. Returns the refund's id.
    @discardableResult
    public func refundOutsideLumora(paymentIntent: String, amount: Int64? = nil) async throws -> String {
        try perform { (state: inout StripeState) throws(FakeStripeError) in try state.dashboardRefund(paymentIntent: paymentIntent, amount: amount) }
    }

    // MARK: webhooks

    /// Where events go from now on (events created before are not sent, as with Stripe).
    /// `enabledEvents` is the endpoint's subscription; `*` is every type.
    public func setWebhookEndpoint(_ url: String, enabledEvents: Set<String> = ["*"]) {
        webhooks.setEndpoint(url, enabledEvents: enabledEvents)
        box.state.withLock { $0.webhookEndpoints = 1 }
    }

    /// Waits between delivery attempts; attempts stop after the last (default 100 ms, 500 ms,
    /// 2 s, 5 s: five attempts). `timeout` bounds one attempt (Stripe waits up to 10 s).
    public func setDeliverySchedule(_ delays: [Duration], timeout: Duration = .seconds(10)) {
        webhooks.setSchedule(delays, timeout: timeout)
    }

    public func deliveries() -> [FakeStripeDelivery] { webhooks.deliveries }

    /// Returns once an attempt to deliver `eventID` has succeeded (or, with `succeeded: false`,
    /// failed). Woken by the delivery itself; `timeout` only keeps a broken test from hanging.
    public func waitForDelivery(of eventID: String, succeeded: Bool = true, timeout: Duration) async throws {
        let webhooks = self.webhooks
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await webhooks.waitForDelivery(of: eventID, succeeded: succeeded) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw FakeStripeError.deliveryTimedOut(
                    eventID: eventID, succeeded: succeeded,
                    seen: webhooks.deliveries.filter { $0.eventID == eventID }.map { "#\($0.attempt): \($0.status.map(String.init) ?? $0.error ?? "?")" })
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// An event's body and a valid `Stripe-Signature` for it signed now, to post by hand.
    public func event(_ id: String) -> (body: Data, signature: String)? {
        guard let body = box.state.withLock({ $0.events.first { $0.id == id }?.body }) else { return nil }
        return (body, webhooks.signatureHeader(for: body))
    }

    /// Every event so far, oldest first.
    public func events() -> [FakeStripeEvent] {
        box.state.withLock { $0.events.map { FakeStripeEvent(id: $0.id, type: $0.type, account: $0.account, objectID: $0.objectID) } }
    }
}

public struct FakeStripeEvent: Sendable, Equatable {
    public var id: String
    public var type: String
    /// The connected account; nil for the platform's own events.
    public var account: String?
    /// `data.object.id`
    public var objectID: String
}
