import Foundation
import HummingbirdTesting
import Logging
import LumoraCore
import LumoraFakes
import LumoraPayments
import LumoraTestSupport
import NIOCore
import PostgresNIO
import Testing

/// A cell taking Stripe payments from the Stripe fake: `acme` has chosen `stripe` and is linked
/// to a connected account, ships to the US (New York tax) and its carts total 46.80. Webhooks
/// are posted to the cell's `/store/stripe-events` by the test, as the edge passes them on: the
/// fake's own body and signature (`fake.event(id)`), or a payload the test signs itself.
struct StripeCell: Sendable {
    static let account = "acct_1AcmeStore0000000"
    static let otherAccount = "acct_1GlobexStore00000"
    static let returnURL = "https://acme.example/order/confirmation"
    /// 2 × 19.99 + Light parcel 3.00 + 8.875 % NY tax on each line (3.55 + 0.27).
    static let total = 4680

    let cell: CellHarness
    let fake: FakeStripe

    static var logger: Logger {
        var logger = Logger(label: "lumora.cell.stripe-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["LUMORA_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    static func run(clock: any MonotonicClock = SystemClock(), _ body: @Sendable (StripeCell) async throws -> Void) async throws {
        let fake = try await FakeStripe.start(logger: logger)
        fake.addConnectedAccount(account)
        fake.addConnectedAccount(otherAccount)
        let configuration = StripeConfiguration(apiBase: fake.baseURL, secretKey: fake.secretKey, webhookSecret: fake.webhookSecret)
        do {
            try await CellHarness.run(clock: clock, stripe: configuration) { cell in
                let settings = try await cell.request(.put, "/admin/settings/checkout", store: "acme", admin: "acme",
                                                      json: #"{"payment_provider":"stripe","stripe_account_id":"\#(account)"}"#)
                try #require(settings.status == .ok, "\(settings.text)")
                try await PaymentCheckoutTests.setUpShipping(cell)
                try await body(StripeCell(cell: cell, fake: fake))
            }
        } catch {
            await fake.shutdown()
            throw error
        }
        await fake.shutdown()
    }

    // MARK: Shopping

    /// A cart of 2 × 19.99 (a product of its own, 10 in stock) with a New York address and the
    /// Light parcel rate chosen: ready to complete.
    func cart() async throws -> String {
        let cartID = try await PaymentCheckoutTests.cart(cell)
        try await cell.request(.post, "/store/carts/\(cartID)", store: "acme",
                               json: #"{"email":"ada@example.com","shipping_address":\#(PaymentCheckoutTests.address(country: "US", province: "NY"))}"#)
        let options = try await cell.request(.get, "/store/carts/\(cartID)/shipping-options", store: "acme").json["shipping_options"].array
        let light = try #require(options.first { $0["name"].string == "Light parcel" }?["id"].string)
        try await cell.request(.post, "/store/carts/\(cartID)/shipping-method", store: "acme", json: #"{"option_id":"\#(light)"}"#)
        return cartID
    }

    func complete(_ cartID: String, key: String? = nil, returnURL: String? = StripeCell.returnURL) async throws -> TestResponse {
        try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: returnURL.map { #"{"return_url":"\#($0)"}"# } ?? "{}",
                               headers: key.map { [("Idempotency-Key", $0)] } ?? [])
    }

    /// The session behind the order's payment URL (the fake's hosted page).
    func session(of order: JSONValue) throws -> String {
        let url = try #require(order["payment"]["url"].string, "no payment url in \(order)")
        let prefix = fake.baseURL + "/checkout/pay/"
        try #require(url.hasPrefix(prefix), "\(url) is not the fake's hosted page")
        return String(url.dropFirst(prefix.count))
    }

    func order(_ id: String) async throws -> JSONValue {
        try await cell.request(.get, "/admin/orders/\(id)", store: "acme", admin: "acme").json["order"]
    }

    /// A placed order the shopper paid on Stripe's page, its `checkout.session.completed`
    /// delivered: (cart, order id, session).
    func paidOrder() async throws -> (cart: String, order: String, session: String) {
        let cartID = try await cart()
        let placed = try await complete(cartID).json["order"]
        let orderID = try #require(placed["id"].string)
        let session = try session(of: placed)
        try await fake.completeSession(session)
        let delivered = try await deliver(try event("checkout.session.completed", about: session))
        try #require(delivered.status == .ok, "\(delivered.text)")
        return (cartID, orderID, session)
    }

    // MARK: Webhooks

    /// The newest event of `type` (about `objectID`, when given).
    func event(_ type: String, about objectID: String? = nil, after: Int = 0) throws -> String {
        try #require(fake.events().dropFirst(after).last { $0.type == type && (objectID == nil || $0.objectID == objectID) }?.id,
                     "no \(type) event among \(fake.events().map(\.type))")
    }

    /// The fake's event as Stripe delivers it: its body, signed now.
    func deliver(_ eventID: String) async throws -> TestResponse {
        let event = try #require(fake.event(eventID))
        return try await post(event.body, signature: event.signature)
    }

    func post(_ body: Data, signature: String?) async throws -> TestResponse {
        var headers = [("Content-Type", "application/json; charset=utf-8")]
        if let signature { headers.append(("Stripe-Signature", signature)) }
        return try await cell.request(.post, "/store/stripe-events", store: "acme", body: ByteBuffer(bytes: body), headers: headers)
    }

    /// The fake's event `eventID` with its JSON changed by `change` and a new id, signed with the
    /// endpoint's secret at `timestamp` — a payload Stripe could have sent (or, with another
    /// secret, a forger).
    func rewritten(_ eventID: String, secret: String? = nil, timestamp: Int = Int(Date().timeIntervalSince1970),
                   _ change: (inout [String: Any], inout [String: Any]) -> Void) throws -> (body: Data, signature: String) {
        let original = try #require(fake.event(eventID)).body
        var json = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
        var data = try #require(json["data"] as? [String: Any])
        var object = try #require(data["object"] as? [String: Any])
        json["id"] = "evt_rewritten\(UInt32.random(in: 0...UInt32.max))"
        change(&json, &object)
        data["object"] = object
        json["data"] = data
        let body = try JSONSerialization.data(withJSONObject: json)
        return (body, StripeWebhook.signatureHeader(payload: Array(body), secret: secret ?? fake.webhookSecret, timestamp: timestamp))
    }

    // MARK: The store's rows

    /// (payment_session, payment_intent, flag) of the order.
    func stripeState(_ orderID: String) async throws -> (session: String?, intent: String?, flag: String?) {
        try await query("SELECT payment_session, payment_intent, flag FROM store_acme.orders WHERE id = \(displayID(orderID))")
            .collect((String?, String?, String?).self).first.map { ($0.0, $0.1, $0.2) } ?? (nil, nil, nil)
    }

    /// (provider, reference, amount, currency) of every payment of the order.
    func payments(_ orderID: String) async throws -> [(provider: String, reference: String?, amount: Int64, currency: String)] {
        try await query("SELECT provider, reference, amount, currency FROM store_acme.payments WHERE order_id = \(displayID(orderID)) ORDER BY id")
            .collect((String, String?, Int64, String).self).map { ($0.0, $0.1, $0.2, $0.3) }
    }

    /// Stripe's ids of the order's refunds, oldest first.
    func refundReferences(_ orderID: String) async throws -> [String] {
        try await query("SELECT reference FROM store_acme.refunds WHERE order_id = \(displayID(orderID)) ORDER BY id").collect(String.self)
    }

    /// The templates of the mails queued for the order, oldest first.
    func mails(_ orderID: String) async throws -> [String] {
        try await query("SELECT payload->>'template' FROM lumora.jobs WHERE kind = 'send_mail' AND payload->'order'->>'id' = \(orderID) ORDER BY id")
            .collect(String.self)
    }

    func eventCount() async throws -> Int64 {
        try await query("SELECT count(*) FROM store_acme.payment_events").collect(Int64.self)[0]
    }

    func run(_ sql: PostgresQuery) async throws {
        _ = try await query(sql).collect(Int.self)
    }

    private func displayID(_ orderID: String) throws -> Int64 {
        try #require(Int64(orderID.split(separator: "_").last ?? ""), "not an order id: \(orderID)")
    }

    private func query(_ sql: PostgresQuery) async throws -> PostgresRowCollection {
        try await cell.database.withClient { client in
            PostgresRowCollection(rows: try await client.query(sql, logger: cell.database.logger).collect())
        }
    }
}

/// Rows read whole, so they outlive the connection they came on.
struct PostgresRowCollection: Sendable {
    let rows: [PostgresRow]

    func collect<each T: PostgresDecodable>(_: (repeat each T).Type) throws -> [(repeat each T)] {
        try rows.map { try $0.decode((repeat each T).self) }
    }
}
