import Foundation

/// `POST /v1/refunds` (through the API or, without a request, from the dashboard) and the
/// charge it changes.
extension StripeState {
    static let refundParameters: Set<String> = [
        "amount", "charge", "currency", "customer", "expand", "instructions_email", "metadata", "origin", "payment_intent", "reason",
        "refund_application_fee", "reverse_transfer",
    ]

    mutating func createRefund(_ parameters: StripeParameters, context: Context) throws(StripeFailure) -> FakeJSON {
        let p = parameters.root
        try StripeParam.check(p, prefix: nil, modelled: ["amount", "charge", "expand", "metadata", "payment_intent", "reason"],
                              known: Self.refundParameters)
        _ = try Self.expandFields(p["expand"], allowed: [])
        let intentID = try StripeParam.string(p["payment_intent"], "payment_intent")
        let chargeID = try StripeParam.string(p["charge"], "charge")
        if intentID != nil && chargeID != nil {
            throw .invalid("You may only specify one of these parameters: charge, payment_intent.", code: "parameters_exclusive")
        }
        guard intentID != nil || chargeID != nil else {
            throw .invalid("One of the following params should be provided for this request: payment_intent or charge.", code: "parameter_missing")
        }
        var amount: Int64?
        if let requested = try StripeParam.integer(p["amount"], "amount") {
            guard requested >= 1 else { throw .invalid("Invalid positive integer", param: "amount", code: "parameter_invalid_integer") }
            amount = requested
        }
        let reason = try StripeParam.string(p["reason"], "reason")
        if let reason, !["duplicate", "fraudulent", "requested_by_customer"].contains(reason) {
            throw .invalid("Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer", param: "reason")
        }
        let metadata = try StripeParam.metadata(p["metadata"], "metadata")

        let charge: String
        if let intentID {
            guard let intent = ledgers[context.account]?.paymentIntents[intentID] else { throw .notFound("payment_intent", intentID, param: "payment_intent") }
            guard let latest = intent.latestCharge else {
                throw StripeFailure(status: 400, code: "charge_not_refundable",
                                    message: "This PaymentIntent (\(intentID)) does not have a successful charge to refund.", saved: true)
            }
            charge = latest
        } else {
            charge = chargeID ?? ""
        }
        return try refund(charge: charge, amount: amount, reason: reason, metadata: metadata, account: context.account, context: context)
    }

    /// Refunds `amount` (nil: the rest) of a charge and emits `refund.created` and
    /// `charge.refunded`; `context` is nil for a refund made in the dashboard.
    mutating func refund(charge chargeID: String, amount: Int64?, reason: String?, metadata: [String: String], account: String,
                         context: Context?) throws(StripeFailure) -> FakeJSON {
        guard var charge = ledgers[account]?.charges[chargeID] else { throw .notFound("charge", chargeID, param: "charge") }
        guard charge.remaining > 0 else {
            throw .invalid("Charge \(charge.id) has already been refunded.", code: "charge_already_refunded")
        }
        let refunding = amount ?? charge.remaining
        guard refunding <= charge.remaining else {
            throw .invalid("Refund amount (\(StripeObjects.format(refunding, charge.currency))) is greater than unrefunded amount on charge (\(StripeObjects.format(charge.remaining, charge.currency)))",
                           param: "amount")
        }
        let refund = StripeObjects.Refund(
            id: StripeObjects.id("re_"), created: Self.now, amount: refunding, charge: charge.id, paymentIntent: charge.paymentIntent,
            currency: charge.currency, reason: reason, metadata: metadata)
        charge.amountRefunded += refunding
        charge.refunds.append(refund.id)
        ledgers[account]?.charges[charge.id] = charge
        ledgers[account]?.refunds[refund.id] = refund
        let json = StripeObjects.render(refund)
        emit("refund.created", object: json, objectID: refund.id, account: account, request: context)
        emit("charge.refunded", object: StripeObjects.render(charge), objectID: charge.id, account: account, request: context)
        return json
    }

    func renderCharge(_ id: String, in account: String, expandRefunds: Bool) throws(StripeFailure) -> FakeJSON {
        guard let ledger = ledgers[account], let charge = ledger.charges[id] else { throw .notFound("charge", id, param: "charge") }
        let refunds = expandRefunds ? charge.refunds.reversed().compactMap { ledger.refunds[$0].map(StripeObjects.render) } : nil
        return StripeObjects.render(charge, refunds: refunds)
    }

    /// A refund made in Stripe's dashboard: no API request, the same events.
    mutating func dashboardRefund(paymentIntent id: String, amount: Int64?) throws(FakeStripeError) -> String {
        guard let account = ledgers.first(where: { $0.value.paymentIntents[id] != nil })?.key,
              let charge = ledgers[account]?.paymentIntents[id]?.latestCharge
        else { throw .unknownPaymentIntent(id) }
        do {
            let json = try refund(charge: charge, amount: amount, reason: nil, metadata: [:], account: account, context: nil)
            return json["id"]?.string ?? ""
        } catch {
            throw .refundRefused(error.message)
        }
    }
}
