import Foundation
import Synchronization

/// A webhook endpoint on loopback for tests: records every request and answers with the status
/// `respond` chooses (a 500 on the first receipt, say, to see Stripe's retry).
public final class FakeWebhookReceiver: Sendable {
    public struct Received: Sendable, Equatable {
        public var body: Data
        public var signature: String?
        /// `id` of the event in the body, if it parses.
        public var eventID: String?
        /// How many times this event has arrived, this time included.
        public var receipt: Int
        /// What the receiver answered.
        public var status: Int
    }

    private final class Log: Sendable {
        let entries = Mutex<[Received]>([])
    }

    private let server: LoopbackServer
    private let log: Log

    private init(server: LoopbackServer, log: Log) {
        self.server = server
        self.log = log
    }

    public static func start(respond: @escaping @Sendable (Received) -> Int = { _ in 200 }) async throws -> FakeWebhookReceiver {
        let log = Log()
        let server = try await LoopbackServer.start(name: "fake-webhook-receiver") { request in
            let eventID = FakeJSON.decode(request.body)?["id"]?.string
            let status: Int = log.entries.withLock { entries in
                var received = Received(body: request.body, signature: request.header("Stripe-Signature"), eventID: eventID,
                                        receipt: 1 + entries.filter { $0.eventID != nil && $0.eventID == eventID }.count, status: 0)
                received.status = respond(received)
                entries.append(received)
                return received.status
            }
            return .text(status, status < 300 ? "ok" : "refused")
        }
        return FakeWebhookReceiver(server: server, log: log)
    }

    public var url: String { server.baseURL + "/webhooks/stripe" }

    public func received() -> [Received] { log.entries.withLock { $0 } }

    public func shutdown() async { await server.shutdown() }
}
