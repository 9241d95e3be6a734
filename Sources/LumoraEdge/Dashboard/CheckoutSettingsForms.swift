import Foundation
import LumoraCore
import LumoraWire

/// The Checkout page's three forms as the merchant typed them: kept as typed (a refused form
/// comes back filled), turned into the admin API's requests, and each refusal of the cell mapped
/// to the field it is about. The cell checks everything; the edge only refuses what it cannot
/// send at all (an amount that is not a number).

/// How shoppers pay (`PUT /admin/settings/checkout`).
struct PaymentsDraft {
    var provider: String
    /// Nil when the form had no such field (Stripe is not offered): left as it is.
    var stripeAccount: String?
    var pricesIncludeTax: Bool
    var instructions: String
    var noticeEmail: String

    init(_ settings: CheckoutSettingsWire) {
        provider = settings.paymentProvider
        stripeAccount = settings.stripeAccountId ?? ""
        pricesIncludeTax = settings.pricesIncludeTax
        instructions = settings.paymentInstructions
        noticeEmail = settings.orderNoticeEmail ?? ""
    }

    init(_ form: FormFields) {
        provider = (form["payment_provider"] ?? "").trimmingASCIIWhitespace()
        stripeAccount = form["stripe_account_id"].map { $0.trimmingASCIIWhitespace() }
        // An unticked box is not sent at all.
        pricesIncludeTax = form["prices_include_tax"] == "yes"
        instructions = form["payment_instructions"] ?? ""
        noticeEmail = (form["order_notice_email"] ?? "").trimmingASCIIWhitespace()
    }

    /// Every field at once: an empty account or notice address clears it.
    var request: UpdateCheckoutSettingsRequest {
        UpdateCheckoutSettingsRequest(
            paymentProvider: provider.isEmpty ? nil : provider,
            stripeAccountId: stripeAccount.map { $0.isEmpty ? .null : .value($0) } ?? .absent,
            pricesIncludeTax: pricesIncludeTax, paymentInstructions: instructions,
            orderNoticeEmail: noticeEmail.isEmpty ? .null : .value(noticeEmail))
    }

    static func field(for error: LumoraError) -> String {
        switch error.code {
        case "invalid_payment_provider", "payment_provider_unavailable": return "payment_provider"
        case "invalid_stripe_account", "stripe_account_required": return "stripe_account_id"
        case "invalid_payment_instructions": return "payment_instructions"
        case "invalid_email": return "order_notice_email"
        default: return "payments_form"
        }
    }

    /// A sentence for each provider, so the merchant knows what the shopper will meet.
    static func sentence(_ provider: String) -> String {
        switch provider {
        case PaymentProviderKind.manual.rawValue:
            return "Shoppers place the order and pay you as your instructions say (a bank transfer, cash on delivery); you mark each order paid."
        case PaymentProviderKind.test.rawValue:
            return "Shoppers pay on a test page that takes test card numbers only: no money moves. For trying the store out."
        case PaymentProviderKind.stripe.rawValue:
            return "Shoppers pay by card on Stripe's page; the money goes to your connected Stripe account."
        default:
            return ""
        }
    }

    static func title(_ provider: String) -> String {
        switch provider {
        case PaymentProviderKind.manual.rawValue: return "Manual payment"
        case PaymentProviderKind.test.rawValue: return "Test cards"
        case PaymentProviderKind.stripe.rawValue: return "Stripe"
        default: return provider
        }
    }
}

/// A new shipping zone with its first rate (`POST /admin/shipping-zones`); more rates are the
/// API's (`PUT /admin/shipping-zones/:id`).
struct ZoneDraft {
    var name = ""
    var countries = ""
    var rateName = ""
    var kind = "flat"
    var amount = ""
    var freeOver = ""

    init() {}

    init(_ form: FormFields) {
        name = form["zone_name"] ?? ""
        countries = form["zone_countries"] ?? ""
        rateName = form["rate_name"] ?? ""
        kind = (form["rate_kind"] ?? "flat").trimmingASCIIWhitespace()
        amount = form["rate_amount"] ?? ""
        freeOver = form["rate_free_over"] ?? ""
    }

    /// "GB, ie fr" → ["GB", "ie", "fr"]: the cell checks and upper-cases each.
    var countryList: [String] {
        countries.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }).map(String.init)
    }

    /// The request, or the errors (keyed by field) that keep it from being sent.
    func request(currency: CurrencyCode) -> Result<ShippingZoneRequest, ZoneErrors> {
        var errors: [String: String] = [:]
        let price = Money(parsing: amount, currency: currency)
        if price == nil { errors["rate_amount"] = "Enter the shipping price as a number, like 4.95 (0 for free)." }
        var threshold: Money?
        if kind == "free_over" {
            threshold = Money(parsing: freeOver, currency: currency)
            if threshold == nil { errors["rate_free_over"] = "Enter the order subtotal from which shipping is free, like 50." }
        }
        guard errors.isEmpty, let price else { return .failure(ZoneErrors(fields: errors)) }
        let rate = ShippingRateWire(name: rateName, kind: kind, amount: price, freeOver: threshold)
        return .success(ShippingZoneRequest(name: name, countries: countryList, rates: [rate]))
    }

    struct ZoneErrors: Error { let fields: [String: String] }

    static func field(for error: LumoraError) -> String {
        switch error.code {
        case "invalid_name": return error.message.contains("rate") ? "rate_name" : "zone_name"
        case "invalid_country", "invalid_countries", "country_in_another_zone": return "zone_countries"
        case "invalid_amount", "currency_mismatch": return error.message.hasPrefix("free_over") ? "rate_free_over" : "rate_amount"
        case "invalid_rate": return error.message.contains("free_over") ? "rate_free_over" : "rate_kind"
        case "invalid_rates": return "rate_name"
        default: return "zone_form"
        }
    }

    /// A rate as the list shows it: "Standard: $4.95", "…, free from $50.00", "…, 0–999 g".
    static func describe(_ rate: ShippingRateWire) -> String {
        switch rate.kind {
        case "free_over":
            return "\(rate.name): \(rate.amount.formatted), free from \(rate.freeOver?.formatted ?? "?")"
        case "weight":
            let upTo = rate.maxWeightGrams.map { "\($0 - 1)" } ?? "?"
            return "\(rate.name): \(rate.amount.formatted) for \(rate.minWeightGrams ?? 0)–\(upTo) g"
        default:
            return "\(rate.name): \(rate.amount.amount == 0 ? "free" : rate.amount.formatted)"
        }
    }
}

/// A tax rate (`POST /admin/tax-rates`: a rate for the same country and region replaces it).
struct TaxRateDraft {
    var country = ""
    var region = ""
    var percent = ""
    var name = "Tax"

    init() {}

    init(_ form: FormFields) {
        country = (form["tax_country"] ?? "").trimmingASCIIWhitespace()
        region = (form["tax_region"] ?? "").trimmingASCIIWhitespace()
        percent = (form["tax_percent"] ?? "").trimmingASCIIWhitespace()
        name = (form["tax_name"] ?? "").trimmingASCIIWhitespace()
    }

    var request: TaxRateWire {
        // "20 %" and "20%" are how people write it; the API takes the number.
        var number = percent
        if number.hasSuffix("%") { number = String(number.dropLast()).trimmingASCIIWhitespace() }
        return TaxRateWire(country: country, region: region.isEmpty ? nil : region, name: name.isEmpty ? "Tax" : name, percent: number)
    }

    static func field(for error: LumoraError) -> String {
        switch error.code {
        case "invalid_country": return "tax_country"
        case "invalid_region": return "tax_region"
        case "invalid_name": return "tax_name"
        case "invalid_tax_rate": return "tax_percent"
        default: return "tax_form"
        }
    }
}
