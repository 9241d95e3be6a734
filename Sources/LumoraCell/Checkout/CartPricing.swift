import Logging
import LumoraCore
import LumoraWire
import PostgresNIO

/// What a cart costs where it ships: the shipping options its address can use, the one chosen,
/// and the totals (`CheckoutTotals`: tax per line, at the address's rate).
struct CartPricing: Sendable {
    struct Option: Sendable, Equatable {
        let rateID: Int64
        let name: String
        let amount: Int64
    }

    let totals: CheckoutTotals
    /// The store has shipping zones: an address outside them cannot check out.
    let shippingRequired: Bool
    /// The address is in one of the store's zones (always true for a store that does not ship).
    let addressShips: Bool
    let options: [Option]
    let chosen: Option?

    func wire(_ option: Option) -> ShippingOptionWire {
        ShippingOptionWire(id: ResourceID.shippingRate.format(option.rateID), name: option.name,
                           amount: Money(amount: option.amount, currency: totals.currency))
    }

    /// Prices `lines` (line total, line weight) for `address`, with `rateID` if it still applies,
    /// after `lineDiscounts` (one per line, or none): free-shipping thresholds and tax see what
    /// the shopper pays for the goods, not their shelf price.
    /// `adjustRates` is given the rates that fit (the store's shipping.rates plugins).
    static func price(lines: [(total: Int64, weightGrams: Int64)], lineDiscounts: [Int64] = [], address: ShippingAddress?, rateID: Int64?,
                      currency: CurrencyCode, adjustRates: (([Option], ShippingAddress) async throws -> [Option])? = nil,
                      on connection: PostgresConnection, logger: Logger) async throws -> CartPricing {
        guard let (taxIncluded, shipping) = try await connection.query(CellSQL.pricingSettings, logger: logger).collect((Bool, Bool).self).first else {
            throw LumoraError.internalError("a store without settings")
        }
        let subtotal = lines.reduce(Int64(0)) { $0 &+ $1.total } &- lineDiscounts.reduce(Int64(0), &+)
        let weight = lines.reduce(Int64(0)) { $0 &+ $1.weightGrams }
        var options: [Option] = []
        var rate = TaxRate.zero
        var addressShips = !shipping
        if let address {
            if shipping {
                for row in try await connection.query(CellSQL.shippingRates(country: address.countryCode), logger: logger)
                    .collect(CheckoutRepository.ShippingRateRow.self) {
                    addressShips = true
                    if let rule = CheckoutRepository.rule(row), let amount = rule.price(subtotal: subtotal, weightGrams: weight) {
                        options.append(Option(rateID: row.0, name: row.2, amount: amount))
                    }
                }
            }
            if let ppm = try await connection.query(CellSQL.taxRate(country: address.countryCode, region: address.province), logger: logger)
                .collect(Int64.self).first {
                rate = try TaxRate(partsPerMillion: ppm)
            }
        }
        if let adjustRates, let address, !options.isEmpty {
            options = try await adjustRates(options, address)
        }
        let chosen = options.first { $0.rateID == rateID }
        let totals = try CheckoutTotals.compute(lineTotals: lines.map(\.total), lineDiscounts: lineDiscounts, shipping: chosen?.amount ?? 0, rate: rate,
                                                taxIncluded: taxIncluded, currency: currency)
        return CartPricing(totals: totals, shippingRequired: shipping, addressShips: addressShips, options: options, chosen: chosen)
    }

    /// Refuses a checkout that cannot ship: no address in a zone, no rate for the parcel, none chosen.
    func requireShippable(_ address: ShippingAddress) throws(LumoraError) {
        guard shippingRequired else { return }
        guard addressShips else {
            throw LumoraError(.unprocessable, code: "no_shipping_zone", message: "this store does not ship to \(address.countryCode)")
        }
        guard !options.isEmpty else {
            throw LumoraError(.unprocessable, code: "no_shipping_rate", message: "no shipping rate of this store fits this parcel to \(address.countryCode)")
        }
        guard chosen != nil else {
            throw LumoraError(.unprocessable, code: "shipping_option_required", message: "choose a shipping option (see the cart's shipping-options)")
        }
    }
}
