import Foundation

/// The objects the Stripe fake keeps, one ledger per account, and how each renders as JSON
/// (field names and nullability from the OpenAPI document's `checkout.session`,
/// `payment_intent`, `charge`, `refund`, `account` and `event` schemas).
enum StripeObjects {
    struct LineItem: Sendable {
        var name: String
        var unitAmount: Int64
        var quantity: Int64
    }

    struct Session: Sendable {
        var id: String
        var created: Int
        var expiresAt: Int
        var currency: String
        var lineItems: [LineItem]
        var amountTotal: Int64
        var successURL: String
        var cancelURL: String?
        var customerEmail: String?
        var clientReferenceID: String?
        var metadata: [String: String]
        var paymentIntentMetadata: [String: String]
        var paymentIntentDescription: String?
        var status = "open"
        var paymentStatus = "unpaid"
        var paymentIntent: String?
    }

    struct PaymentIntent: Sendable {
        var id: String
        var created: Int
        var amount: Int64
        var currency: String
        var metadata: [String: String]
        var description: String?
        var latestCharge: String?
    }

    struct Charge: Sendable {
        var id: String
        var created: Int
        var paymentIntent: String
        var amount: Int64
        var amountRefunded: Int64 = 0
        var currency: String
        var metadata: [String: String]
        var refunds: [String] = []
        var remaining: Int64 { amount - amountRefunded }
    }

    struct Refund: Sendable {
        var id: String
        var created: Int
        var amount: Int64
        var charge: String
        var paymentIntent: String
        var currency: String
        var reason: String?
        var metadata: [String: String]
        var status = "succeeded"
    }

    struct Account: Sendable {
        var id: String
        var chargesEnabled: Bool
        var created: Int
    }

    /// Everything one account owns: another account's ids are `resource_missing` here.
    struct Ledger: Sendable {
        var sessions: [String: Session] = [:]
        var paymentIntents: [String: PaymentIntent] = [:]
        var charges: [String: Charge] = [:]
        var refunds: [String: Refund] = [:]
        var events: Set<String> = []
    }

    struct Event: Sendable {
        var id: String
        var type: String
        /// Nil for the platform's own events (no `account` field).
        var account: String?
        var objectID: String
        var body: Data
    }

    static func metadata(_ values: [String: String]) -> FakeJSON { .object(values.mapValues(FakeJSON.string)) }
    static func optional(_ value: String?) -> FakeJSON { value.map(FakeJSON.string) ?? .null }

    static func render(_ session: Session, baseURL: String, paymentIntent: FakeJSON? = nil) -> FakeJSON {
        [
            "id": .string(session.id),
            "object": "checkout.session",
            "amount_subtotal": .int(Int(session.amountTotal)),
            "amount_total": .int(Int(session.amountTotal)),
            "automatic_tax": ["enabled": false, "liability": nil, "provider": nil, "status": nil],
            "cancel_url": optional(session.cancelURL),
            "client_reference_id": optional(session.clientReferenceID),
            "created": .int(session.created),
            "currency": .string(session.currency),
            "custom_fields": [],
            "custom_text": ["after_submit": nil, "shipping_address": nil, "submit": nil, "terms_of_service_acceptance": nil],
            "customer": nil,
            "customer_details": session.status == "complete"
                ? ["email": optional(session.customerEmail ?? "shopper@example.com"), "name": nil, "phone": nil, "tax_exempt": "none", "tax_ids": []]
                : nil,
            "customer_email": optional(session.customerEmail),
            "expires_at": .int(session.expiresAt),
            "livemode": false,
            "metadata": metadata(session.metadata),
            "mode": "payment",
            "payment_intent": paymentIntent ?? optional(session.paymentIntent),
            "payment_method_types": ["card"],
            "payment_status": .string(session.paymentStatus),
            "shipping_options": [],
            "status": .string(session.status),
            "success_url": .string(session.successURL),
            "ui_mode": "hosted_page",
            // "This value is only present when the session is active."
            "url": session.status == "open" ? .string("\(baseURL)/checkout/pay/\(session.id)") : nil,
        ]
    }

    static func render(_ intent: PaymentIntent) -> FakeJSON {
        [
            "id": .string(intent.id),
            "object": "payment_intent",
            "amount": .int(Int(intent.amount)),
            "amount_received": .int(Int(intent.amount)),
            "capture_method": "automatic_async",
            "confirmation_method": "automatic",
            "created": .int(intent.created),
            "currency": .string(intent.currency),
            "description": optional(intent.description),
            "latest_charge": optional(intent.latestCharge),
            "livemode": false,
            "metadata": metadata(intent.metadata),
            "payment_method_types": ["card"],
            "status": "succeeded",
        ]
    }

    static func render(_ charge: Charge, refunds: [FakeJSON]? = nil) -> FakeJSON {
        var json: FakeJSON = [
            "id": .string(charge.id),
            "object": "charge",
            "amount": .int(Int(charge.amount)),
            "amount_captured": .int(Int(charge.amount)),
            "amount_refunded": .int(Int(charge.amountRefunded)),
            "billing_details": ["address": nil, "email": nil, "name": nil, "phone": nil],
            "captured": true,
            "created": .int(charge.created),
            "currency": .string(charge.currency),
            "disputed": false,
            "livemode": false,
            "metadata": metadata(charge.metadata),
            "paid": true,
            "payment_intent": .string(charge.paymentIntent),
            "refunded": .bool(charge.amountRefunded == charge.amount),
            "status": "succeeded",
        ]
        // Since API 2022-11-15 a charge embeds its refunds only when expanded.
        if let refunds {
            json["refunds"] = [
                "object": "list", "data": .array(refunds), "has_more": false, "url": .string("/v1/charges/\(charge.id)/refunds"),
            ]
        }
        return json
    }

    static func render(_ refund: Refund) -> FakeJSON {
        [
            "id": .string(refund.id),
            "object": "refund",
            "amount": .int(Int(refund.amount)),
            "balance_transaction": nil,
            "charge": .string(refund.charge),
            "created": .int(refund.created),
            "currency": .string(refund.currency),
            "metadata": metadata(refund.metadata),
            "payment_intent": .string(refund.paymentIntent),
            "reason": optional(refund.reason),
            "receipt_number": nil,
            "status": .string(refund.status),
        ]
    }

    static func render(_ account: Account) -> FakeJSON {
        [
            "id": .string(account.id),
            "object": "account",
            "charges_enabled": .bool(account.chargesEnabled),
            "payouts_enabled": .bool(account.chargesEnabled),
            "details_submitted": .bool(account.chargesEnabled),
            "country": "US",
            "created": .int(account.created),
            "default_currency": "usd",
            "metadata": [:],
            "type": "standard",
        ]
    }

    // MARK: ids and amounts

    static func id(_ prefix: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        return prefix + String((0..<24).map { _ in alphabet.randomElement() ?? "0" })
    }

    static let zeroDecimal: Set<String> = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
    static let threeDecimal: Set<String> = ["bhd", "jod", "kwd", "omr", "tnd"]

    /// `$15.00`, `¥1500`, `12.50 CHF` — as Stripe's refund messages print amounts.
    static func format(_ amount: Int64, _ currency: String) -> String {
        let digits = zeroDecimal.contains(currency) ? 0 : threeDecimal.contains(currency) ? 3 : 2
        var divisor: Int64 = 1
        for _ in 0..<digits { divisor *= 10 }
        var number = String(amount / divisor)
        if digits > 0 {
            let fraction = String(amount % divisor)
            number += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        switch currency {
        case "usd": return "$" + number
        case "eur": return "€" + number
        case "gbp": return "£" + number
        case "jpy": return "¥" + number
        default: return number + " " + currency.uppercased()
        }
    }
}
