import LumoraCore

/// The `test` provider's cards: Stripe's published test numbers, so a developer who knows one
/// knows both. Nothing else is accepted — the test provider never sees a real card.
struct TestCard: Sendable, Equatable {
    enum Outcome: String, Sendable {
        case succeeded
        case failed
        case requiresAction = "requires_action"
    }

    static let succeeds = "4242424242424242"
    static let declined = "4000000000000002"
    static let needsAuthentication = "4000002500003155"

    let outcome: Outcome
    let message: String?

    init(number raw: String) throws(LumoraError) {
        let digits = raw.filter { $0 != " " && $0 != "-" }
        switch digits {
        case Self.succeeds: self.init(outcome: .succeeded, message: nil)
        case Self.declined: self.init(outcome: .failed, message: "Your card was declined.")
        case Self.needsAuthentication: self.init(outcome: .requiresAction, message: "Your bank asks you to confirm this payment.")
        default:
            throw LumoraError(.unprocessable, code: "invalid_test_card",
                              message: "use a test card: 4242 4242 4242 4242 (succeeds), 4000 0000 0000 0002 (declined), 4000 0025 0000 3155 (asks to confirm)")
        }
    }

    private init(outcome: Outcome, message: String?) {
        self.outcome = outcome
        self.message = message
    }
}
