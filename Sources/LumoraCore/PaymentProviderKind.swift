/// How a store takes money.
/// - `manual`: bank transfer or cash on delivery; the merchant marks an order paid.
/// - `test`: a payment page with test cards, for `lumora dev` and tests; never real money.
/// - `stripe`: Stripe Checkout on the store's own connected account.
public enum PaymentProviderKind: String, Sendable, Codable, CaseIterable, Comparable {
    case manual
    case test
    case stripe

    public init(validating raw: String) throws(LumoraError) {
        guard let kind = PaymentProviderKind(rawValue: raw) else {
            throw LumoraError(.unprocessable, code: "invalid_payment_provider",
                              message: "payment_provider must be one of \(PaymentProviderKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = kind
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
