import Foundation
import LumoraCore

/// The platform's Stripe access: one secret key for every store (each store is a connected
/// account reached with `Stripe-Account`), the signing secret of the webhook endpoint, and the
/// API version the client and its decoders were written against.
public struct StripeConfiguration: Sendable, Equatable, CustomStringConvertible {
    public static let defaultAPIBase = "https://api.stripe.com"
    /// The version of Stripe's OpenAPI document the client was checked against (docs/STRIPE.md).
    /// Pinned so an account-level upgrade in the dashboard cannot change the shapes we decode.
    public static let pinnedAPIVersion = "2026-07-29.dahlia"

    public var apiBase: String
    public var secretKey: String
    public var webhookSecret: String
    public var apiVersion: String

    public init(apiBase: String = StripeConfiguration.defaultAPIBase, secretKey: String, webhookSecret: String,
                apiVersion: String = StripeConfiguration.pinnedAPIVersion) {
        self.apiBase = apiBase
        self.secretKey = secretKey
        self.webhookSecret = webhookSecret
        self.apiVersion = apiVersion
    }

    /// Reads `LUMORA_STRIPE_SECRET_KEY`, `LUMORA_STRIPE_WEBHOOK_SECRET` and (optionally)
    /// `LUMORA_STRIPE_URL`. Nil when none is set — payments are simply off; an error when only
    /// some are, because a half-configured payment setup would fail at the first checkout
    /// instead of at start-up.
    public static func fromEnvironment(_ environment: [String: String]) throws(LumoraError) -> StripeConfiguration? {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        let url = value("LUMORA_STRIPE_URL")
        let key = value("LUMORA_STRIPE_SECRET_KEY")
        let secret = value("LUMORA_STRIPE_WEBHOOK_SECRET")
        if url == nil && key == nil && secret == nil { return nil }

        let missing = [("LUMORA_STRIPE_SECRET_KEY", key), ("LUMORA_STRIPE_WEBHOOK_SECRET", secret)].filter { $0.1 == nil }.map(\.0)
        guard let key, let secret else {
            throw LumoraError.badRequest(
                "configuration_missing",
                "Stripe is partly configured: \(missing.joined(separator: " and ")) \(missing.count == 1 ? "is" : "are") not set. "
                    + "Set LUMORA_STRIPE_SECRET_KEY (sk_… or rk_…) and LUMORA_STRIPE_WEBHOOK_SECRET (whsec_…), or none of the LUMORA_STRIPE_* variables to run without payments")
        }
        // Only the prefix is echoed: the rest of a key is a secret even when it is wrong.
        guard key.hasPrefix("sk_") || key.hasPrefix("rk_") else {
            throw LumoraError.badRequest(
                "configuration_invalid",
                "LUMORA_STRIPE_SECRET_KEY does not look like a Stripe secret or restricted key (it starts with '\(key.prefix(3))', expected 'sk_' or 'rk_'; a publishable 'pk_' key cannot create Checkout Sessions)")
        }
        guard secret.hasPrefix("whsec_") else {
            throw LumoraError.badRequest(
                "configuration_invalid",
                "LUMORA_STRIPE_WEBHOOK_SECRET does not look like a webhook signing secret (expected 'whsec_…', from the endpoint's page in the Stripe dashboard)")
        }
        var base = url ?? defaultAPIBase
        while base.hasSuffix("/") { base.removeLast() }
        guard let parsed = URL(string: base), let scheme = parsed.scheme?.lowercased(), scheme == "https" || scheme == "http",
              parsed.host?.isEmpty == false
        else {
            throw LumoraError.badRequest("configuration_invalid", "LUMORA_STRIPE_URL '\(base.prefix(100))' is not an http(s) URL")
        }
        return StripeConfiguration(apiBase: base, secretKey: key, webhookSecret: secret)
    }

    /// Safe to log: the secrets are reduced to their prefixes.
    public var description: String {
        "StripeConfiguration(apiBase: \(apiBase), secretKey: \(Self.redacted(secretKey)), webhookSecret: \(Self.redacted(webhookSecret)), apiVersion: \(apiVersion))"
    }

    static func redacted(_ secret: String) -> String {
        for prefix in ["sk_test_", "sk_live_", "rk_test_", "rk_live_", "whsec_"] where secret.hasPrefix(prefix) {
            return prefix + "…"
        }
        return "…"
    }
}
