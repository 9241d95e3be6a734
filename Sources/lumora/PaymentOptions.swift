import ArgumentParser
import Foundation
import LumoraCell
import LumoraCore
import LumoraPayments

/// Which payment providers the platform offers stores besides `manual`: `--payments` (or
/// `LUMORA_PAYMENTS`), a comma-separated list of `test` and `stripe`. Stripe's platform key and
/// webhook secret come from the environment only (`LUMORA_STRIPE_SECRET_KEY`,
/// `LUMORA_STRIPE_WEBHOOK_SECRET`, optionally `LUMORA_STRIPE_URL`), never from the command line.
/// Cells started by the manager or `lumora dev` are told through their environment.
struct PaymentOptions: ParsableArguments {
    @Option(name: .customLong("payments"),
            help: "Payment providers stores may choose besides manual: test, stripe or test,stripe (default: LUMORA_PAYMENTS; lumora dev: test). stripe reads LUMORA_STRIPE_SECRET_KEY and LUMORA_STRIPE_WEBHOOK_SECRET.")
    var payments: String?

    @Option(name: .customLong("payment-window-minutes"),
            help: "Minutes an order paid online keeps its stock before it expires unpaid (default: LUMORA_PAYMENT_WINDOW_MINUTES, else 30; Stripe orders at least 35).")
    var paymentWindowMinutes: Int?

    static let variable = "LUMORA_PAYMENTS"
    static let windowVariable = "LUMORA_PAYMENT_WINDOW_MINUTES"

    func paymentWindow() throws -> Duration {
        let raw = paymentWindowMinutes.map(String.init) ?? ProcessInfo.processInfo.environment[Self.windowVariable] ?? "30"
        guard let minutes = Int(raw.trimmingCharacters(in: .whitespaces)), (1...(7 * 24 * 60)).contains(minutes) else {
            throw ValidationError("--payment-window-minutes: '\(raw.prefix(20))' is not a number of minutes from 1 to 10080 (a week)")
        }
        return .seconds(minutes * 60)
    }

    /// The providers asked for; `fallback` where neither the flag nor the variable says.
    func providers(fallback: String = "") throws -> [PaymentProviderKind] {
        let text = payments ?? ProcessInfo.processInfo.environment[Self.variable] ?? fallback
        var providers: [PaymentProviderKind] = [.manual]
        for word in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !word.isEmpty {
            guard let provider = PaymentProviderKind(rawValue: word) else {
                throw ValidationError("--payments: '\(word.prefix(40))' is not a payment provider (manual, test or stripe)")
            }
            if !providers.contains(provider) { providers.append(provider) }
        }
        return providers
    }

    /// What a cell offers, and Stripe's configuration when `stripe` is among them (refused at
    /// start when it is asked for but not configured, rather than at the first checkout).
    func cellPayments(fallback: String = "") throws -> (CellConfiguration.Payments, StripeConfiguration?) {
        let providers = try providers(fallback: fallback)
        var stripe: StripeConfiguration?
        if providers.contains(.stripe) {
            do {
                stripe = try StripeConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
            } catch {
                throw ValidationError("--payments stripe: \(error.message)")
            }
            guard stripe != nil else {
                throw ValidationError("--payments stripe needs LUMORA_STRIPE_SECRET_KEY and LUMORA_STRIPE_WEBHOOK_SECRET in the environment")
            }
        }
        return (CellConfiguration.Payments(available: providers.filter { $0 != .stripe }, paymentWindow: try paymentWindow()), stripe)
    }

    /// What cells started by this process need to offer the same providers (the Stripe
    /// variables they inherit with the rest of the environment).
    func cellEnvironment(fallback: String = "") throws -> [String: String] {
        [Self.variable: try providers(fallback: fallback).filter { $0 != .manual }.map(\.rawValue).joined(separator: ","),
         Self.windowVariable: String(try paymentWindow().components.seconds / 60)]
    }
}
