import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import Synchronization

/// One delivery attempt of an event to the webhook endpoint.
public struct FakeStripeDelivery: Sendable, Equatable {
    public var eventID: String
    public var type: String
    /// From 1.
    public var attempt: Int
    /// The endpoint's status; nil when it could not be reached.
    public var status: Int?
    public var error: String?
    public var succeeded: Bool { status.map { (200..<300).contains($0) } ?? false }
}

/// Stripe's side of webhooks: every event is POSTed as JSON with a fresh `Stripe-Signature`,
/// retried on a non-2xx answer or a connection failure along a schedule (Stripe's own spans
/// three days; tests use milliseconds), each event independently and so in no guaranteed order.
final class FakeStripeWebhooks: Sendable {
    private struct Waiter: Sendable {
        var eventID: String
        var succeeded: Bool
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State: Sendable {
        var url: String?
        var enabledEvents: Set<String> = ["*"]
        var schedule: [Duration] = [.milliseconds(100), .milliseconds(500), .seconds(2), .seconds(5)]
        var timeout: Duration = .seconds(10)
        var deliveries: [FakeStripeDelivery] = []
        var waiters: [Int: Waiter] = [:]
        var cancelledWaiters: Set<Int> = []
        var nextID = 0
        var tasks: [Int: Task<Void, Never>] = [:]
        var closed = false
    }

    let secret: String
    private let logger: Logger
    private let state = Mutex(State())

    init(secret: String, logger: Logger) {
        self.secret = secret
        self.logger = logger
    }

    func setEndpoint(_ url: String?, enabledEvents: Set<String>) {
        state.withLock {
            $0.url = url
            $0.enabledEvents = enabledEvents
        }
    }

    func setSchedule(_ schedule: [Duration], timeout: Duration) {
        state.withLock {
            $0.schedule = schedule
            $0.timeout = timeout
        }
    }

    var deliveries: [FakeStripeDelivery] { state.withLock { $0.deliveries } }

    func signatureHeader(for body: Data, timestamp: Int = Int(Date().timeIntervalSince1970)) -> String {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
        hmac.update(data: Array("\(timestamp).".utf8))
        hmac.update(data: body)
        let hex = hmac.finalize().map { String(format: "%02x", $0) }.joined()
        return "t=\(timestamp),v1=\(hex)"
    }

    /// Starts delivering `events` to the endpoint, if one is set and subscribed to their type.
    func enqueue(_ events: [StripeObjects.Event]) {
        for event in events {
            state.withLock { state in
                guard !state.closed, let url = state.url,
                      state.enabledEvents.contains("*") || state.enabledEvents.contains(event.type)
                else { return }
                let (schedule, timeout) = (state.schedule, state.timeout)
                let id = state.nextID
                state.nextID += 1
                state.tasks[id] = Task { [self] in
                    await self.deliver(event, to: url, schedule: schedule, timeout: timeout)
                    _ = self.state.withLock { $0.tasks.removeValue(forKey: id) }
                }
            }
        }
    }

    private func deliver(_ event: StripeObjects.Event, to url: String, schedule: [Duration], timeout: Duration) async {
        for attempt in 1...(schedule.count + 1) {
            var status: Int?
            var failure: String?
            do {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
                request.headers.add(name: "User-Agent", value: "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
                // Signed afresh each attempt, as Stripe does: the timestamp is when it was sent.
                request.headers.add(name: "Stripe-Signature", value: signatureHeader(for: event.body))
                request.body = .bytes(ByteBuffer(bytes: event.body))
                let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
                let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(max(milliseconds, 1)))
                _ = try await response.body.collect(upTo: 1 << 20)
                status = Int(response.status.code)
            } catch is CancellationError {
                return
            } catch {
                failure = "\(error)"
            }
            let delivery = FakeStripeDelivery(eventID: event.id, type: event.type, attempt: attempt, status: status, error: failure)
            logger.debug("fake stripe delivered", metadata: [
                "event": "\(event.id)", "type": "\(event.type)", "attempt": "\(attempt)", "status": "\(status.map(String.init) ?? failure ?? "-")",
            ])
            record(delivery)
            if delivery.succeeded || attempt > schedule.count { return }
            do {
                try await Task.sleep(for: schedule[attempt - 1])
            } catch {
                return
            }
        }
    }

    private func record(_ delivery: FakeStripeDelivery) {
        let woken: [CheckedContinuation<Void, any Error>] = state.withLock { state in
            state.deliveries.append(delivery)
            let matching = state.waiters.filter { $0.value.eventID == delivery.eventID && $0.value.succeeded == delivery.succeeded }
            for id in matching.keys { state.waiters[id] = nil }
            return matching.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once an attempt of `eventID` has ended as wanted; woken by `record`, so no polling.
    func waitForDelivery(of eventID: String, succeeded: Bool) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if state.cancelledWaiters.remove(id) != nil { return .failure(CancellationError()) }
                    if state.deliveries.contains(where: { $0.eventID == eventID && $0.succeeded == succeeded }) { return .success(()) }
                    if state.closed { return .failure(CancellationError()) }
                    state.waiters[id] = Waiter(eventID: eventID, succeeded: succeeded, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelledWaiters.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Stops retries in flight and releases anyone waiting.
    func close() async {
        let (tasks, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.tasks = [:]
                state.waiters = [:]
            }
            return (Array(state.tasks.values), Array(state.waiters.values))
        }
        for task in tasks { task.cancel() }
        for waiter in waiters { waiter.continuation.resume(throwing: CancellationError()) }
        for task in tasks { await task.value }
    }
}
