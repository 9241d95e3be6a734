import LumoraCore
import LumoraPayments
import Testing

@Suite struct StripeConfigurationTests {
    static let full = ["LUMORA_STRIPE_SECRET_KEY": "sk_test_abc123", "LUMORA_STRIPE_WEBHOOK_SECRET": "whsec_xyz789"]

    @Test func noVariablesMeansNoPayments() throws {
        #expect(try StripeConfiguration.fromEnvironment([:]) == nil)
        #expect(try StripeConfiguration.fromEnvironment(["LUMORA_STRIPE_SECRET_KEY": "  "]) == nil)
    }

    @Test func bothSecretsGiveAConfigurationOnStripesOwnURL() throws {
        let configuration = try #require(try StripeConfiguration.fromEnvironment(Self.full))
        #expect(configuration.apiBase == "https://api.stripe.com")
        #expect(configuration.secretKey == "sk_test_abc123")
        #expect(configuration.webhookSecret == "whsec_xyz789")
        #expect(configuration.apiVersion == StripeConfiguration.pinnedAPIVersion)
        #expect(!configuration.description.contains("abc123"))
        #expect(!configuration.description.contains("xyz789"))

        var local = Self.full
        local["LUMORA_STRIPE_URL"] = "http://127.0.0.1:4242/"
        #expect(try StripeConfiguration.fromEnvironment(local)?.apiBase == "http://127.0.0.1:4242")
        local["LUMORA_STRIPE_SECRET_KEY"] = "rk_live_restricted"
        #expect(try StripeConfiguration.fromEnvironment(local)?.secretKey == "rk_live_restricted")
    }

    @Test func aPartialOrWrongConfigurationIsAClearError() {
        func failure(_ environment: [String: String]) -> LumoraError? {
            do {
                _ = try StripeConfiguration.fromEnvironment(environment)
                return nil
            } catch {
                return error
            }
        }
        let noSecret = failure(["LUMORA_STRIPE_SECRET_KEY": "sk_test_1"])
        #expect(noSecret?.code == "configuration_missing")
        #expect(noSecret?.message.contains("LUMORA_STRIPE_WEBHOOK_SECRET") == true)
        let onlyURL = failure(["LUMORA_STRIPE_URL": "https://api.stripe.com"])
        #expect(onlyURL?.message.contains("LUMORA_STRIPE_SECRET_KEY and LUMORA_STRIPE_WEBHOOK_SECRET are not set") == true)

        let publishable = failure(["LUMORA_STRIPE_SECRET_KEY": "pk_test_secretpart", "LUMORA_STRIPE_WEBHOOK_SECRET": "whsec_1"])
        #expect(publishable?.code == "configuration_invalid")
        #expect(publishable?.message.contains("secretpart") == false)
        #expect(failure(["LUMORA_STRIPE_SECRET_KEY": "sk_test_1", "LUMORA_STRIPE_WEBHOOK_SECRET": "sk_test_1"])?.code == "configuration_invalid")
        #expect(failure(Self.full.merging(["LUMORA_STRIPE_URL": "ftp://x"]) { $1 })?.code == "configuration_invalid")
    }
}
