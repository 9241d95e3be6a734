import Foundation

/// `POST /v1/checkout/sessions` in `payment` mode with ad-hoc prices, retrieval, expiry, and
/// what the shopper does on the hosted page.
extension StripeState {
    /// Parameters of the 2026-07-29 document's `PostCheckoutSessions` body.
    static let sessionParameters: Set<String> = [
        "adaptive_pricing", "after_expiration", "allow_promotion_codes", "automatic_tax", "billing_address_collection", "branding_settings",
        "cancel_url", "client_reference_id", "consent_collection", "currency", "custom_fields", "custom_text", "customer", "customer_account",
        "customer_creation", "customer_email", "customer_update", "discounts", "excluded_payment_method_types", "expand", "expires_at",
        "integration_identifier", "invoice_creation", "line_items", "locale", "managed_payments", "metadata", "mode", "name_collection",
        "optional_items", "origin_context", "payment_intent_data", "payment_method_collection", "payment_method_configuration",
        "payment_method_data", "payment_method_options", "payment_method_types", "permissions", "phone_number_collection",
        "redirect_on_completion", "return_url", "saved_payment_method_options", "setup_intent_data", "shipping_address_collection",
        "shipping_options", "submit_type", "subscription_data", "success_url", "tax_id_collection", "ui_mode", "wallet_options",
    ]
    static let lineItemParameters: Set<String> = ["adjustable_quantity", "dynamic_tax_rates", "metadata", "price", "price_data", "quantity", "tax_rates"]
    static let priceDataParameters: Set<String> = ["currency", "product", "product_data", "recurring", "tax_behavior", "unit_amount", "unit_amount_decimal"]
    static let productDataParameters: Set<String> = ["description", "images", "metadata", "name", "tax_code", "unit_label"]
    static let paymentIntentDataParameters: Set<String> = [
        "application_fee_amount", "capture_method", "description", "metadata", "on_behalf_of", "receipt_email", "setup_future_usage",
        "shipping", "statement_descriptor", "statement_descriptor_suffix", "transfer_data", "transfer_group",
    ]

    mutating func createSession(_ parameters: StripeParameters, context: Context) throws(StripeFailure) -> FakeJSON {
        let p = parameters.root
        try StripeParam.check(p, prefix: nil, modelled: [
            "cancel_url", "client_reference_id", "currency", "customer_email", "expand", "expires_at", "line_items", "metadata", "mode",
            "payment_intent_data", "success_url", "ui_mode",
        ], known: Self.sessionParameters)

        let mode = try StripeParam.requiredString(p["mode"], "mode")
        guard ["payment", "setup", "subscription"].contains(mode) else {
            throw .invalid("Invalid mode: must be one of payment, setup, or subscription", param: "mode")
        }
        guard mode == "payment" else { throw .unmodelled("mode=\(mode)") }
        if let ui = try StripeParam.string(p["ui_mode"], "ui_mode"), ui != "hosted_page" {
            guard ["elements", "embedded_page"].contains(ui) else {
                throw .invalid("Invalid ui_mode: must be one of elements, embedded_page, or hosted_page", param: "ui_mode")
            }
            throw .unmodelled("ui_mode=\(ui)")
        }

        let successURL = try StripeParam.requiredString(p["success_url"], "success_url")
        try Self.requireURL(successURL, "success_url")
        let cancelURL = try StripeParam.string(p["cancel_url"], "cancel_url")
        if let cancelURL { try Self.requireURL(cancelURL, "cancel_url") }

        guard let itemsNode = p["line_items"] else { throw .missing("line_items") }
        guard let items = itemsNode.elements, !items.isEmpty else { throw .invalid("Invalid array", param: "line_items") }
        guard items.count <= 100 else { throw .invalid("You can only have up to 100 line items in payment mode.", param: "line_items") }
        var lineItems: [StripeObjects.LineItem] = []
        var currency: String?
        var total: Int64 = 0
        for (index, node) in items.enumerated() {
            let item = try Self.lineItem(node, index: index)
            if let currency, currency != item.currency {
                throw .invalid("All line items must use the same currency (line_items[\(index)][price_data][currency] is \(item.currency), not \(currency)).",
                               param: "line_items[\(index)][price_data][currency]")
            }
            currency = item.currency
            let (amount, overflow1) = item.line.unitAmount.multipliedReportingOverflow(by: item.line.quantity)
            let (sum, overflow2) = total.addingReportingOverflow(amount)
            guard !overflow1, !overflow2, sum <= 99_999_999 else {
                throw .invalid("The Checkout Session's total amount due must be no more than 99999999.", param: "line_items", code: "amount_too_large")
            }
            total = sum
            lineItems.append(item.line)
        }
        let sessionCurrency = currency ?? "usd"
        if let top = try StripeParam.string(p["currency"], "currency"), top.lowercased() != sessionCurrency {
            throw .invalid("The currency provided (\(top)) does not match the currency of the line items (\(sessionCurrency)).", param: "currency")
        }

        let created = Self.now
        var expiresAt = created + 24 * 3600
        if let requested = try StripeParam.integer(p["expires_at"], "expires_at") {
            guard requested >= Int64(created + 30 * 60) else {
                throw .invalid("The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.", param: "expires_at")
            }
            guard requested <= Int64(created + 24 * 3600) else {
                throw .invalid("The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.", param: "expires_at")
            }
            expiresAt = Int(requested)
        }
        let email = try StripeParam.string(p["customer_email"], "customer_email")
        if let email, email.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) == nil {
            throw .invalid("Invalid email address: \(email)", param: "customer_email", code: "email_invalid")
        }
        let reference = try StripeParam.string(p["client_reference_id"], "client_reference_id")
        if let reference, reference.count > 200 {
            throw .invalid("Invalid client_reference_id: must be at most 200 characters", param: "client_reference_id")
        }
        let metadata = try StripeParam.metadata(p["metadata"], "metadata")
        var intentMetadata: [String: String] = [:]
        var intentDescription: String?
        if let data = try StripeParam.hash(p["payment_intent_data"], "payment_intent_data") {
            try StripeParam.check(data, prefix: "payment_intent_data", modelled: ["description", "metadata"], known: Self.paymentIntentDataParameters)
            intentMetadata = try StripeParam.metadata(data["metadata"], "payment_intent_data[metadata]")
            intentDescription = try StripeParam.string(data["description"], "payment_intent_data[description]")
        }
        let expand = try Self.expandFields(p["expand"], allowed: ["payment_intent"])

        if let account = accounts[context.account], !account.chargesEnabled {
            // Not a message from the OpenAPI document: Stripe refuses payments for accounts that
            // have not finished onboarding; the fake says so in its own words.
            throw StripeFailure(status: 400, message: "The connected account \(account.id) cannot currently accept payments (charges_enabled is false): it must finish onboarding first.",
                                saved: true)
        }

        let session = StripeObjects.Session(
            id: StripeObjects.id("cs_test_"), created: created, expiresAt: expiresAt, currency: sessionCurrency, lineItems: lineItems,
            amountTotal: total, successURL: successURL, cancelURL: cancelURL, customerEmail: email, clientReferenceID: reference,
            metadata: metadata, paymentIntentMetadata: intentMetadata, paymentIntentDescription: intentDescription)
        ledgers[context.account]?.sessions[session.id] = session
        return render(session, in: context.account, expand: expand)
    }

    private static func lineItem(_ node: StripeFormNode, index: Int) throws(StripeFailure) -> (line: StripeObjects.LineItem, currency: String) {
        let prefix = "line_items[\(index)]"
        guard let item = node.hash else { throw .invalid("Invalid object", param: prefix) }
        try StripeParam.check(item, prefix: prefix, modelled: ["metadata", "price_data", "quantity"], known: lineItemParameters)
        guard let priceData = try StripeParam.hash(item["price_data"], "\(prefix)[price_data]") else {
            throw .invalid("You must specify either `price` or `price_data` in \(prefix).", param: "\(prefix)[price_data]", code: "parameter_missing")
        }
        let pricePrefix = "\(prefix)[price_data]"
        try StripeParam.check(priceData, prefix: pricePrefix, modelled: ["currency", "product_data", "unit_amount"], known: priceDataParameters)
        let currency = try StripeParam.requiredString(priceData["currency"], "\(pricePrefix)[currency]").lowercased()
        guard currency.wholeMatch(of: /[a-z]{3}/) != nil else {
            throw .invalid("Invalid currency: \(currency). Stripe currently supports these currencies: usd, eur, gbp, …", param: "\(pricePrefix)[currency]")
        }
        guard let unitAmount = try StripeParam.integer(priceData["unit_amount"], "\(pricePrefix)[unit_amount]") else {
            throw .missing("\(pricePrefix)[unit_amount]")
        }
        guard unitAmount >= 0 else {
            throw .invalid("This value must be greater than or equal to 0.", param: "\(pricePrefix)[unit_amount]", code: "parameter_invalid_integer")
        }
        guard let product = try StripeParam.hash(priceData["product_data"], "\(pricePrefix)[product_data]") else {
            throw .missing("\(pricePrefix)[product_data]")
        }
        try StripeParam.check(product, prefix: "\(pricePrefix)[product_data]", modelled: ["description", "images", "metadata", "name"],
                              known: productDataParameters)
        let name = try StripeParam.requiredString(product["name"], "\(pricePrefix)[product_data][name]")
        guard let quantity = try StripeParam.integer(item["quantity"], "\(prefix)[quantity]") else {
            throw .missing("\(prefix)[quantity]")
        }
        guard (1...999_999).contains(quantity) else {
            throw .invalid("This value must be greater than or equal to 1 and at most 999999.", param: "\(prefix)[quantity]", code: "parameter_invalid_integer")
        }
        _ = try StripeParam.metadata(item["metadata"], "\(prefix)[metadata]")
        return (StripeObjects.LineItem(name: name, unitAmount: unitAmount, quantity: quantity), currency)
    }

    static func requireURL(_ text: String, _ param: String) throws(StripeFailure) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host?.isEmpty == false else {
            throw .invalid("Not a valid URL", param: param, code: "url_invalid")
        }
    }

    static func expandFields(_ node: StripeFormNode?, allowed: Set<String>) throws(StripeFailure) -> [String] {
        guard let node else { return [] }
        guard let fields = node.elements?.compactMap(\.string) else { throw .invalid("Invalid array", param: "expand") }
        for (index, field) in fields.enumerated() where !allowed.contains(field) {
            throw .invalid("This property cannot be expanded (\(field)).", param: "expand[\(index)]")
        }
        return fields
    }

    func render(_ session: StripeObjects.Session, in account: String, expand: [String] = []) -> FakeJSON {
        var intent: FakeJSON?
        if expand.contains("payment_intent"), let id = session.paymentIntent, let pi = ledgers[account]?.paymentIntents[id] {
            intent = StripeObjects.render(pi)
        }
        return StripeObjects.render(session, baseURL: baseURL, paymentIntent: intent)
    }

    func renderSession(_ id: String, in account: String, parameters: StripeParameters) throws(StripeFailure) -> FakeJSON {
        guard let session = ledgers[account]?.sessions[id] else { throw .notFound("checkout.session", id, param: "session") }
        return render(session, in: account, expand: try Self.expandFields(parameters.root["expand"], allowed: ["payment_intent"]))
    }

    mutating func expireSession(_ id: String, in account: String, context: Context?) throws(StripeFailure) -> FakeJSON {
        guard var session = ledgers[account]?.sessions[id] else { throw .notFound("checkout.session", id, param: "session") }
        guard session.status == "open" else {
            throw StripeFailure(status: 400, message: "Only Checkout Sessions with a status in [\"open\"] can be expired.", saved: true)
        }
        session.status = "expired"
        ledgers[account]?.sessions[id] = session
        let json = render(session, in: account)
        emit("checkout.session.expired", object: json, objectID: id, account: account, request: context)
        return json
    }

    /// The account holding session `id` (shopper and dashboard actions come with no account).
    func owner(ofSession id: String) -> String? {
        ledgers.first { $0.value.sessions[id] != nil }?.key
    }

    /// The shopper paid on the hosted page: a payment intent and its charge are created, the
    /// session completes, and the events Stripe sends for a card payment are emitted.
    mutating func pay(_ id: String) throws(FakeStripeError) {
        guard let account = owner(ofSession: id), var session = ledgers[account]?.sessions[id] else { throw .unknownSession(id) }
        guard session.status == "open" else { throw .sessionNotOpen(id, session.status) }
        let now = Self.now
        let chargeID = StripeObjects.id("ch_")
        // The spec documents payment_intent_data[metadata] as going to the PaymentIntent; that
        // Stripe also copies it onto the charge the intent creates is not in the document (see
        // docs/STRIPE.md) — the fake does, as Stripe's API does today.
        let intent = StripeObjects.PaymentIntent(
            id: StripeObjects.id("pi_"), created: now, amount: session.amountTotal, currency: session.currency,
            metadata: session.paymentIntentMetadata, description: session.paymentIntentDescription, latestCharge: chargeID)
        let charge = StripeObjects.Charge(id: chargeID, created: now, paymentIntent: intent.id, amount: intent.amount, currency: intent.currency,
                                          metadata: intent.metadata)
        session.status = "complete"
        session.paymentStatus = "paid"
        session.paymentIntent = intent.id
        ledgers[account]?.paymentIntents[intent.id] = intent
        ledgers[account]?.charges[charge.id] = charge
        ledgers[account]?.sessions[id] = session
        emit("charge.succeeded", object: StripeObjects.render(charge), objectID: charge.id, account: account, request: nil)
        emit("payment_intent.succeeded", object: StripeObjects.render(intent), objectID: intent.id, account: account, request: nil)
        emit("checkout.session.completed", object: render(session, in: account), objectID: id, account: account, request: nil)
    }
}

/// A shopper or dashboard action the fake cannot perform.
public enum FakeStripeError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownSession(String)
    case sessionNotOpen(String, String)
    case unknownPaymentIntent(String)
    case refundRefused(String)
    case deliveryTimedOut(eventID: String, succeeded: Bool, seen: [String])

    public var description: String {
        switch self {
        case .unknownSession(let id): "no checkout session \(id) in any account"
        case let .sessionNotOpen(id, status): "checkout session \(id) is \(status), not open"
        case .unknownPaymentIntent(let id): "no payment intent \(id) in any account"
        case .refundRefused(let message): "the refund was refused: \(message)"
        case let .deliveryTimedOut(id, succeeded, seen):
            "no \(succeeded ? "successful" : "failed") delivery of \(id) before the deadline; deliveries of it: \(seen.isEmpty ? "none" : seen.joined(separator: ", "))"
        }
    }
}
