import Logging
import LumoraCore
import LumoraWire
import PostgresNIO

/// What a cart costs where it ships: the shipping options its address can use, the one chosen,
/// and the totals (`CheckoutTotals`: tax per line, at the address's rate).
struct CartPricing: Sendable {
    /// Which rate: one of the store's (a row of its shipping rates, `ship_<n>`) or one a
    /// shipping.rates plugin added (its code, `shipx_<code>`).
    enum RateKey: Hashable, Sendable {
        case stored(Int64)
        case added(String)

        static let addedPrefix = PluginRateCode.idPrefix

        var id: String {
            switch self {
            case .stored(let row): ResourceID.shippingRate.format(row)
            case .added(let code): Self.addedPrefix + code
            }
        }

        init(parsing raw: String) throws(LumoraError) {
            if raw.hasPrefix(Self.addedPrefix) {
                let code = String(raw.dropFirst(Self.addedPrefix.count))
                guard PluginRateCode.isValid(code) else { throw ResourceID.shippingRate.notFound(raw) }
                self = .added(code)
            } else {
                self = .stored(try ResourceID.shippingRate.parse(raw))
            }
        }

        /// What a cart row holds: a rate's row, or an added rate's code, or neither.
        init?(row: Int64?, code: String?) {
            if let row { self = .stored(row) } else if let code { self = .added(code) } else { return nil }
        }

        var storedRow: Int64? { if case .stored(let row) = self { row } else { nil } }
        var addedCode: String? { if case .added(let code) = self { code } else { nil } }
    }

    struct Option: Sendable, Equatable {
        let key: RateKey
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
        ShippingOptionWire(id: option.key.id, name: option.name,
                           amount: Money(amount: option.amount, currency: totals.currency))
    }

    /// Prices `lines` (line total, line weight) for `address`, with `chosenRate` if it still applies,
    /// after `lineDiscounts` (one per line, or none): free-shipping thresholds and tax see what
    /// the shopper pays for the goods, not their shelf price.
    /// `adjustRates` is given the rates that fit (the store's shipping.rates plugins).
    static func price(lines: [(total: Int64, weightGrams: Int64)], lineDiscounts: [Int64] = [], address: ShippingAddress?, chosenRate: RateKey?,
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
                        options.append(Option(key: .stored(row.0), name: row.2, amount: amount))
                    }
                }
            }
            if let ppm = try await connection.query(CellSQL.taxRate(country: address.countryCode, region: address.province), logger: logger)
                .collect(Int64.self).first {
                rate = try TaxRate(partsPerMillion: ppm)
            }
        }
        // Plugins may reshape the rates wherever the store ships to the address (and add one
        // where none of its own fits).
        if let adjustRates, let address, shipping, addressShips {
            options = try await adjustRates(options, address)
        }
        let chosen = options.first { $0.key == chosenRate }
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
