import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraWire
import PostgresNIO

/// A store's checkout settings as checkout uses them.
struct CheckoutSettings: Sendable {
    let provider: PaymentProviderKind
    let stripeAccount: String?
    let pricesIncludeTax: Bool
    let paymentInstructions: String
    let orderNoticeEmail: String?
    let branding: MailBrandingWire
}

/// How a store is paid, where it ships and what tax it charges (admin API).
struct CheckoutRepository: Sendable {
    let scope: TenantScope
    let payments: CellConfiguration.Payments
    let logger: Logger

    // MARK: Settings

    func settings(_ store: StoreSlug) async throws -> CheckoutSettingsWire {
        try await scope.withStore(store) { connection in wire(try await settings(on: connection)) }
    }

    func updateSettings(_ store: StoreSlug, _ request: UpdateCheckoutSettingsRequest) async throws -> CheckoutSettingsWire {
        let provider = try request.paymentProvider.map { raw throws(LumoraError) in try PaymentProviderKind(validating: raw) }
        if let provider, !payments.available.contains(provider) {
            throw LumoraError(.unprocessable, code: "payment_provider_unavailable",
                              message: "this platform offers \(payments.available.map { $0.rawValue }.joined(separator: ", ")); '\(provider.rawValue)' is not configured")
        }
        var setAccount = false
        var account: String?
        switch request.stripeAccountId {
        case .absent: break
        case .null: setAccount = true
        case .value(let raw):
            setAccount = true
            account = try Self.stripeAccount(raw)
        }
        var setNotice = false
        var notice: String?
        switch request.orderNoticeEmail {
        case .absent: break
        case .null: setNotice = true
        case .value(let raw):
            setNotice = true
            notice = try EmailAddress(validating: raw).rawValue
        }
        let instructions = try request.paymentInstructions.map { text throws(LumoraError) in
            let trimmed = text.trimmingASCIIWhitespace()
            guard trimmed.count <= 2000 else {
                throw LumoraError.badRequest("invalid_payment_instructions", "payment_instructions is longer than 2000 characters")
            }
            return trimmed
        }
        return try await scope.withStore(store) { connection in
            try await connection.run(CellSQL.updateCheckoutSettings(
                provider: provider?.rawValue, setAccount: setAccount, account: account, pricesIncludeTax: request.pricesIncludeTax,
                instructions: instructions, setNoticeEmail: setNotice, noticeEmail: notice), logger: logger)
            let updated = try await settings(on: connection)
            if updated.provider == .stripe, updated.stripeAccount == nil {
                throw LumoraError(.unprocessable, code: "stripe_account_required", message: "link a Stripe account (stripe_account_id) before choosing stripe")
            }
            return wire(updated)
        }
    }

    func settings(on connection: PostgresConnection) async throws -> CheckoutSettings {
        guard let row = try await connection.query(CellSQL.checkoutSettings, logger: logger)
            .collect((String?, String?, Bool, String, String?, String, String?, String, String).self).first else {
            throw LumoraError.internalError("a store without settings")
        }
        // A provider the platform stopped offering falls back to manual rather than to a page
        // that cannot take money.
        var provider = try row.0.map { raw throws(LumoraError) in try PaymentProviderKind(validating: raw) } ?? payments.defaultProvider
        if !payments.available.contains(provider) { provider = .manual }
        return CheckoutSettings(
            provider: provider, stripeAccount: row.1, pricesIncludeTax: row.2, paymentInstructions: row.3, orderNoticeEmail: row.4,
            branding: MailBrandingWire(name: row.5, logoUrl: row.6, primaryColor: row.7, accentColor: row.8))
    }

    private func wire(_ settings: CheckoutSettings) -> CheckoutSettingsWire {
        CheckoutSettingsWire(
            paymentProvider: settings.provider.rawValue, availableProviders: payments.available.map { $0.rawValue },
            stripeAccountId: settings.stripeAccount, pricesIncludeTax: settings.pricesIncludeTax,
            paymentInstructions: settings.paymentInstructions, orderNoticeEmail: settings.orderNoticeEmail)
    }

    static func stripeAccount(_ raw: String) throws(LumoraError) -> String {
        let text = raw.trimmingASCIIWhitespace()
        guard text.hasPrefix("acct_"), text.count <= 69, text.count > 5,
              text.dropFirst(5).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw LumoraError(.unprocessable, code: "invalid_stripe_account", message: "stripe_account_id is a Stripe account id such as acct_1Nv0FGQ9RKHgCVdK")
        }
        return text
    }

    // MARK: Shipping zones

    func zones(_ store: StoreSlug, currency: CurrencyCode) async throws -> [ShippingZoneWire] {
        try await scope.withStore(store) { connection in try await zones(currency: currency, on: connection) }
    }

    func createZone(_ store: StoreSlug, _ request: ShippingZoneRequest, currency: CurrencyCode) async throws -> ShippingZoneWire {
        let valid = try ValidZone(request, currency: currency)
        return try await scope.withStore(store) { connection in
            try await refuseSharedCountries(valid.countries, except: nil, on: connection)
            let id = try await connection.query(CellSQL.insertShippingZone(name: valid.name, countries: valid.countries), logger: logger).collect(Int64.self)[0]
            try await insertRates(valid.rates, zoneID: id, on: connection)
            return try await zone(id: id, currency: currency, on: connection)
        }
    }

    func replaceZone(_ store: StoreSlug, id: Int64, _ request: ShippingZoneRequest, currency: CurrencyCode) async throws -> ShippingZoneWire {
        let valid = try ValidZone(request, currency: currency)
        return try await scope.withStore(store) { connection in
            try await refuseSharedCountries(valid.countries, except: id, on: connection)
            guard try await connection.query(CellSQL.updateShippingZone(id: id, name: valid.name, countries: valid.countries), logger: logger).hasRows() else {
                throw ResourceID.shippingZone.notFound(ResourceID.shippingZone.format(id))
            }
            try await connection.run(CellSQL.deleteShippingRates(zoneID: id), logger: logger)
            try await insertRates(valid.rates, zoneID: id, on: connection)
            return try await zone(id: id, currency: currency, on: connection)
        }
    }

    func deleteZone(_ store: StoreSlug, id: Int64) async throws {
        try await scope.withStore(store) { connection in
            guard try await connection.query(CellSQL.deleteShippingZone(id: id), logger: logger).hasRows() else {
                throw ResourceID.shippingZone.notFound(ResourceID.shippingZone.format(id))
            }
        }
    }

    private func zone(id: Int64, currency: CurrencyCode, on connection: PostgresConnection) async throws -> ShippingZoneWire {
        guard let zone = try await zones(currency: currency, on: connection).first(where: { $0.id == ResourceID.shippingZone.format(id) }) else {
            throw ResourceID.shippingZone.notFound(ResourceID.shippingZone.format(id))
        }
        return zone
    }

    private func zones(currency: CurrencyCode, on connection: PostgresConnection) async throws -> [ShippingZoneWire] {
        let zones = try await connection.query(CellSQL.shippingZones, logger: logger).collect((Int64, String, [String]).self)
        var rates: [Int64: [ShippingRateWire]] = [:]
        for rate in try await connection.query(CellSQL.shippingRates, logger: logger).collect(ShippingRateRow.self) {
            rates[rate.1, default: []].append(Self.wire(rate, currency: currency))
        }
        return zones.map { id, name, countries in
            ShippingZoneWire(id: ResourceID.shippingZone.format(id), name: name, countries: countries, rates: rates[id] ?? [])
        }
    }

    private func refuseSharedCountries(_ countries: [String], except zoneID: Int64?, on connection: PostgresConnection) async throws {
        let taken = try await connection.query(CellSQL.countriesInOtherZones(countries, except: zoneID), logger: logger).collect(String.self)
        guard taken.isEmpty else {
            throw LumoraError.conflict("country_in_another_zone", "another shipping zone already ships to \(taken.joined(separator: ", "))")
        }
    }

    private func insertRates(_ rates: [ValidZone.Rate], zoneID: Int64, on connection: PostgresConnection) async throws {
        for (position, rate) in rates.enumerated() {
            try await connection.run(CellSQL.insertShippingRate(
                zoneID: zoneID, name: rate.name, kind: rate.kind, amount: rate.amount, freeOver: rate.freeOver,
                minWeight: rate.minWeight, maxWeight: rate.maxWeight, position: position), logger: logger)
        }
    }

    typealias ShippingRateRow = (Int64, Int64, String, String, Int64, Int64?, Int64?, Int64?)

    static func wire(_ row: ShippingRateRow, currency: CurrencyCode) -> ShippingRateWire {
        ShippingRateWire(id: ResourceID.shippingRate.format(row.0), name: row.2, kind: row.3, amount: Money(amount: row.4, currency: currency),
                         freeOver: row.5.map { Money(amount: $0, currency: currency) }, minWeightGrams: row.6, maxWeightGrams: row.7)
    }

    static func rule(_ row: ShippingRateRow) -> ShippingRule? {
        switch row.3 {
        case "flat": return .flat(amount: row.4)
        case "free_over": return row.5.map { .freeOver(amount: row.4, threshold: $0) }
        case "weight":
            guard let minimum = row.6, let maximum = row.7 else { return nil }
            return .weight(amount: row.4, minimumGrams: minimum, maximumGrams: maximum)
        default: return nil
        }
    }

    // MARK: Tax rates

    func taxRates(_ store: StoreSlug) async throws -> [TaxRateWire] {
        try await scope.withStore(store) { connection in try await taxRates(on: connection) }
    }

    /// Creates the rate, or replaces the one for the same country and region.
    func putTaxRate(_ store: StoreSlug, _ request: TaxRateWire) async throws -> TaxRateWire {
        let country = try Self.country(request.country, field: "country")
        let region = try request.region.flatMap { raw throws(LumoraError) -> String? in
            let text = raw.trimmingASCIIWhitespace()
            guard text.count <= 100 else { throw LumoraError.badRequest("invalid_region", "region is longer than 100 characters") }
            return text.isEmpty ? nil : text
        }
        let name = request.name.trimmingASCIIWhitespace()
        guard (1...100).contains(name.count) else { throw LumoraError.badRequest("invalid_name", "name is 1 to 100 characters") }
        let rate = try TaxRate(percentText: request.percent)
        return try await scope.withStore(store) { connection in
            let id = try await connection.query(CellSQL.upsertTaxRate(country: country, region: region, name: name, partsPerMillion: rate.partsPerMillion),
                                                logger: logger).collect(Int64.self)[0]
            return TaxRateWire(id: ResourceID.taxRate.format(id), country: country, region: region, name: name, percent: rate.percentText)
        }
    }

    func deleteTaxRate(_ store: StoreSlug, id: Int64) async throws {
        try await scope.withStore(store) { connection in
            guard try await connection.query(CellSQL.deleteTaxRate(id: id), logger: logger).hasRows() else {
                throw ResourceID.taxRate.notFound(ResourceID.taxRate.format(id))
            }
        }
    }

    private func taxRates(on connection: PostgresConnection) async throws -> [TaxRateWire] {
        try await connection.query(CellSQL.taxRates, logger: logger).collect((Int64, String, String?, String, Int64).self).map { id, country, region, name, ppm in
            TaxRateWire(id: ResourceID.taxRate.format(id), country: country, region: region, name: name,
                        percent: ((try? TaxRate(partsPerMillion: ppm)) ?? .zero).percentText)
        }
    }

    static func country(_ raw: String, field: String) throws(LumoraError) -> String {
        let code = raw.trimmingASCIIWhitespace().uppercased()
        guard code.count == 2, code.allSatisfy({ $0 >= "A" && $0 <= "Z" }) else {
            throw LumoraError.badRequest("invalid_country", "\(field) must be a two-letter ISO 3166 code, not '\(raw.prefix(20))'")
        }
        return code
    }
}

/// A zone request, checked: names, countries, and rates that can price a parcel.
private struct ValidZone {
    struct Rate {
        let name: String
        let kind: String
        let amount: Int64
        let freeOver: Int64?
        let minWeight: Int64?
        let maxWeight: Int64?
    }

    let name: String
    let countries: [String]
    let rates: [Rate]

    init(_ request: ShippingZoneRequest, currency: CurrencyCode) throws(LumoraError) {
        name = request.name.trimmingASCIIWhitespace()
        guard (1...100).contains(name.count) else { throw LumoraError.badRequest("invalid_name", "a zone's name is 1 to 100 characters") }
        var seen = Set<String>()
        var countries: [String] = []
        for raw in request.countries {
            let code = try CheckoutRepository.country(raw, field: "countries")
            if seen.insert(code).inserted { countries.append(code) }
        }
        guard !countries.isEmpty, countries.count <= 250 else {
            throw LumoraError.badRequest("invalid_countries", "a zone ships to 1 to 250 countries")
        }
        self.countries = countries
        guard !request.rates.isEmpty, request.rates.count <= 20 else {
            throw LumoraError.badRequest("invalid_rates", "a zone has 1 to 20 rates")
        }
        func money(_ value: Money, _ field: String) throws(LumoraError) -> Int64 {
            guard value.currency == currency else {
                throw LumoraError(.unprocessable, code: "currency_mismatch", message: "\(field) is in \(value.currency.code); the store sells in \(currency.code)")
            }
            guard value.amount >= 0, value.amount <= 100_000_000_00 else {
                throw LumoraError.badRequest("invalid_amount", "\(field) must be from 0 to 10000000000 minor units")
            }
            return value.amount
        }
        rates = try request.rates.map { rate throws(LumoraError) in
            let name = rate.name.trimmingASCIIWhitespace()
            guard (1...100).contains(name.count) else { throw LumoraError.badRequest("invalid_name", "a rate's name is 1 to 100 characters") }
            let amount = try money(rate.amount, "amount")
            switch rate.kind {
            case "flat":
                return Rate(name: name, kind: "flat", amount: amount, freeOver: nil, minWeight: nil, maxWeight: nil)
            case "free_over":
                guard let threshold = rate.freeOver else {
                    throw LumoraError.badRequest("invalid_rate", "a free_over rate needs free_over (the subtotal from which shipping is free)")
                }
                return Rate(name: name, kind: "free_over", amount: amount, freeOver: try money(threshold, "free_over"), minWeight: nil, maxWeight: nil)
            case "weight":
                let minimum = rate.minWeightGrams ?? 0
                guard let maximum = rate.maxWeightGrams, minimum >= 0, maximum > minimum, maximum <= 1_000_000_000 else {
                    throw LumoraError.badRequest("invalid_rate", "a weight rate needs max_weight_grams above min_weight_grams")
                }
                return Rate(name: name, kind: "weight", amount: amount, freeOver: nil, minWeight: minimum, maxWeight: maximum)
            default:
                throw LumoraError.badRequest("invalid_rate", "a rate's kind is flat, free_over or weight")
            }
        }
    }
}
