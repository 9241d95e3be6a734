import AsyncHTTPClient
import Foundation
import LumoraCore
import LumoraFakes
import LumoraPayments
import Logging
import NIOCore
import Testing

/// A fake Stripe with two connected stores, and a client pointed at it.
struct StripeHarness {
    static let storeA = "acct_1StoreAcme000000"
    static let storeB = "acct_1StoreBolt000000"

    let fake: FakeStripe
    let client: StripeClient

    static var logger: Logger {
        var logger = Logger(label: "lumora.payments.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["LUMORA_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    /// Short backoff: the waits between retries are the client's policy, not synchronisation.
    static func with(secretKey: String? = nil, retries: Int = 2, _ body: (StripeHarness) async throws -> Void) async throws {
        let fake = try await FakeStripe.start(logger: logger)
        fake.addConnectedAccount(storeA)
        fake.addConnectedAccount(storeB)
        let configuration = StripeConfiguration(apiBase: fake.baseURL, secretKey: secretKey ?? fake.secretKey, webhookSecret: fake.webhookSecret)
        let client = StripeClient(configuration: configuration, timeout: .seconds(30), retries: retries, backoff: .milliseconds(20), logger: logger)
        do {
            try await body(StripeHarness(fake: fake, client: client))
        } catch {
            await fake.shutdown()
            throw error
        }
        await fake.shutdown()
    }

    static func parameters(metadata: [String: String] = ["store": "acme", "order_id": "42"], lineItems: [StripeCheckoutSessionParameters.LineItem]? = nil)
        -> StripeCheckoutSessionParameters
    {
        StripeCheckoutSessionParameters(
            currency: .usd,
            lineItems: lineItems ?? [.init(name: "Desk lamp", unitAmount: 2500, quantity: 2), .init(name: "Bulb", unitAmount: 499, quantity: 1)],
            successURL: "https://acme.example/orders/42?session={CHECKOUT_SESSION_ID}", cancelURL: "https://acme.example/cart",
            customerEmail: "shopper@example.com", clientReferenceID: "order_42", metadata: metadata)
    }

    /// A paid session on store A: its payment intent and charge.
    func paidSession(metadata: [String: String] = ["store": "acme", "order_id": "42"]) async throws -> (session: StripeCheckoutSession, charge: StripeCharge) {
        let created = try await client.createCheckoutSession(Self.parameters(metadata: metadata), account: Self.storeA, idempotencyKey: UUID().uuidString)
        try await fake.completeSession(created.id)
        let session = try await client.checkoutSession(id: created.id, account: Self.storeA)
        let intent = try #require(session.paymentIntent)
        let intentJSON = try #require(fake.object(intent))
        let chargeID = try #require((try JSONSerialization.jsonObject(with: intentJSON) as? [String: Any])?["latest_charge"] as? String)
        let charge = try JSONDecoder().decode(StripeCharge.self, from: try #require(fake.object(chargeID)))
        return (session, charge)
    }
}

/// Raw HTTP, for checking the fake itself without the client in between.
struct RawReply {
    let status: Int
    let headers: [(String, String)]
    let body: Data

    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

enum Raw {
    /// Redirects are what the hosted page answers; the tests look at them rather than follow.
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    static func send(_ method: String, _ url: String, bearer: String? = "sk_test_lumora", contentType: String? = "application/x-www-form-urlencoded",
                     body: String? = nil, headers extra: [(String, String)] = []) async throws -> RawReply {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body {
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            request.body = .bytes(ByteBuffer(string: body))
        }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 1 << 20)
        return RawReply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Data(buffer: buffer))
    }
}

/// The error a throwing call ended with, for assertions on its fields.
func caught<T>(_ body: () async throws -> T) async -> (any Error)? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}
