import Foundation
import LumoraCore

/// What a store's plugin is given at `cart.discounts` and `checkout.validate` (api_version 1;
/// docs/PLUGINS.md). Amounts are integers in the currency's minor units; ids are the API's.
public struct PluginCartInput: Codable, Sendable, Equatable {
    public struct Line: Codable, Sendable, Equatable {
        public let id: String
        public let variantId: String
        public let productId: String
        public let sku: String?
        public let title: String
        public let quantity: Int
        public let unitPrice: Int64
        public let total: Int64

        enum CodingKeys: String, CodingKey {
            case id, variantId = "variant_id", productId = "product_id", sku, title, quantity, unitPrice = "unit_price", total
        }

        public init(id: String, variantId: String, productId: String, sku: String?, title: String, quantity: Int, unitPrice: Int64, total: Int64) {
            self.id = id
            self.variantId = variantId
            self.productId = productId
            self.sku = sku
            self.title = title
            self.quantity = quantity
            self.unitPrice = unitPrice
            self.total = total
        }
    }

    public struct Cart: Codable, Sendable, Equatable {
        public let id: String
        public let subtotal: Int64
        public let itemCount: Int
        public let lines: [Line]

        enum CodingKeys: String, CodingKey { case id, subtotal, itemCount = "item_count", lines }

        public init(id: String, subtotal: Int64, itemCount: Int, lines: [Line]) {
            self.id = id
            self.subtotal = subtotal
            self.itemCount = itemCount
            self.lines = lines
        }
    }

    public struct Customer: Codable, Sendable, Equatable {
        public let email: String?
        public init(email: String?) { self.email = email }
    }

    /// Set per call: the point and the schema version of the plugin being run.
    public var point: String
    public var apiVersion: Int
    public let store: String
    public let currency: String
    public let cart: Cart
    public let customer: Customer

    enum CodingKeys: String, CodingKey { case point, apiVersion = "api_version", store, currency, cart, customer }

    public init(point: ExtensionPoint, apiVersion: Int, store: StoreSlug, currency: CurrencyCode, cart: Cart, customer: Customer) {
        self.point = point.rawValue
        self.apiVersion = apiVersion
        self.store = store.rawValue
        self.currency = currency.code
        self.cart = cart
        self.customer = customer
    }
}

/// A `cart.discounts` answer: `{"discounts": [{"title": "…", "amount": 1200}]}`, each with
/// either `amount` (minor units) or `percentage` (0–100, up to two decimals), and optionally
/// the `line_id` it is for (else it is for the order).
public struct CartDiscountsOutput: Codable, Sendable, Equatable {
    public struct Discount: Codable, Sendable, Equatable {
        public let title: String
        public let amount: Int64?
        public let percentage: Double?
        public let lineId: String?

        enum CodingKeys: String, CodingKey { case title, amount, percentage, lineId = "line_id" }

        public init(title: String, amount: Int64? = nil, percentage: Double? = nil, lineId: String? = nil) {
            self.title = title
            self.amount = amount
            self.percentage = percentage
            self.lineId = lineId
        }
    }

    public let discounts: [Discount]

    public init(discounts: [Discount]) { self.discounts = discounts }

    public static let maximumDiscounts = 20
    public static let maximumTitleLength = 100

    /// The discounts as the cart applies them, or why the answer is refused (the plugin's
    /// fault: checkout then goes on without any of its discounts).
    public func validated(lineIDs: [String]) throws(PluginOutputError) -> [DiscountAllocation.Discount] {
        guard discounts.count <= Self.maximumDiscounts else {
            throw PluginOutputError("at most \(Self.maximumDiscounts) discounts, not \(discounts.count)")
        }
        return try discounts.map { discount throws(PluginOutputError) in
            let title = discount.title.trimmingCharacters(in: .whitespaces)
            guard !title.isEmpty, title.count <= Self.maximumTitleLength, !ControlCharacters.contains(title) else {
                throw PluginOutputError("a discount's title must be 1 to \(Self.maximumTitleLength) characters of text")
            }
            let value: DiscountAllocation.Value
            switch (discount.amount, discount.percentage) {
            case (let amount?, nil):
                guard amount >= 0 else { throw PluginOutputError("'\(title)': amount must not be negative") }
                value = .amount(amount)
            case (nil, let percentage?):
                let points = (percentage * 100).rounded()
                guard percentage.isFinite, (0...10_000).contains(points), abs(points - percentage * 100) < 1e-6 else {
                    throw PluginOutputError("'\(title)': percentage must be 0 to 100 with at most two decimals")
                }
                value = .basisPoints(Int64(points))
            default:
                throw PluginOutputError("'\(title)': give either amount or percentage")
            }
            guard let lineID = discount.lineId else { return .init(title: title, target: .order, value: value) }
            guard let index = lineIDs.firstIndex(of: lineID) else {
                throw PluginOutputError("'\(title)': line_id '\(lineID.prefix(40))' is not a line of this cart")
            }
            return .init(title: title, target: .line(index), value: value)
        }
    }
}

/// A `checkout.validate` answer: `{"errors": [{"message": "…", "line_id": "…"}]}`; no errors,
/// no objection.
public struct CheckoutValidateOutput: Codable, Sendable, Equatable {
    public struct Problem: Codable, Sendable, Equatable {
        public let message: String
        public let lineId: String?

        enum CodingKeys: String, CodingKey { case message, lineId = "line_id" }

        public init(message: String, lineId: String? = nil) {
            self.message = message
            self.lineId = lineId
        }
    }

    public let errors: [Problem]

    public init(errors: [Problem]) { self.errors = errors }

    public static let maximumMessageLength = 300

    /// The messages to show the shopper, or why the answer is refused.
    public func validated() throws(PluginOutputError) -> [String] {
        guard errors.count <= 20 else { throw PluginOutputError("at most 20 errors, not \(errors.count)") }
        return try errors.map { problem throws(PluginOutputError) in
            let message = problem.message.trimmingCharacters(in: .whitespaces)
            guard !message.isEmpty, message.count <= Self.maximumMessageLength, !ControlCharacters.contains(message) else {
                throw PluginOutputError("an error's message must be 1 to \(Self.maximumMessageLength) characters of text")
            }
            return message
        }
    }
}

/// A plugin's answer that is JSON of the right shape but breaks the point's rules.
public struct PluginOutputError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An installed plugin as the manager's API shows it (the module's bytes are not sent back).
public struct InstalledPluginWire: Codable, Sendable, Equatable {
    public let store: String
    public let name: String
    public let point: String
    public let apiVersion: Int
    public let version: Int
    public let sha256: String
    public let bytes: Int
    public let enabled: Bool
    public let onFailure: String
    public let runsOnSharedCells: Bool
    public let installedAt: Date
    public let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case store, name, point, apiVersion = "api_version", version, sha256, bytes, enabled, onFailure = "on_failure",
             runsOnSharedCells = "runs_on_shared_cells", installedAt = "installed_at", updatedAt = "updated_at"
    }

    public init(store: String, name: String, point: String, apiVersion: Int, version: Int, sha256: String, bytes: Int, enabled: Bool,
                onFailure: String, runsOnSharedCells: Bool, installedAt: Date, updatedAt: Date) {
        self.store = store
        self.name = name
        self.point = point
        self.apiVersion = apiVersion
        self.version = version
        self.sha256 = sha256
        self.bytes = bytes
        self.enabled = enabled
        self.onFailure = onFailure
        self.runsOnSharedCells = runsOnSharedCells
        self.installedAt = installedAt
        self.updatedAt = updatedAt
    }
}

/// What a plugin's failure does at checkout: `skip` (go on without it) or, for
/// `checkout.validate` only, `block` (refuse the checkout until it answers).
public enum PluginFailureMode: String, Codable, Sendable, CaseIterable {
    case skip
    case block
}

/// What a `shipping.rates` plugin is given (api_version 1): the cart as at `cart.discounts`,
/// where it ships, and the rates the store's zones offer for it, priced.
public struct PluginShippingInput: Codable, Sendable, Equatable {
    public struct Destination: Codable, Sendable, Equatable {
        public let countryCode: String
        public let province: String?
        public let postalCode: String?
        public let city: String?

        enum CodingKeys: String, CodingKey { case countryCode = "country_code", province, postalCode = "postal_code", city }

        public init(countryCode: String, province: String?, postalCode: String?, city: String?) {
            self.countryCode = countryCode
            self.province = province
            self.postalCode = postalCode
            self.city = city
        }
    }

    public struct Rate: Codable, Sendable, Equatable {
        public let id: String
        public let name: String
        public let amount: Int64

        public init(id: String, name: String, amount: Int64) {
            self.id = id
            self.name = name
            self.amount = amount
        }
    }

    public var point: String
    public var apiVersion: Int
    public let store: String
    public let currency: String
    public let cart: PluginCartInput.Cart
    public let customer: PluginCartInput.Customer
    public let destination: Destination
    /// Set per call: each plugin at the point is given what the one before answered.
    public var rates: [Rate]

    enum CodingKeys: String, CodingKey { case point, apiVersion = "api_version", store, currency, cart, customer, destination, rates }

    public init(cart: PluginCartInput, destination: Destination, rates: [Rate]) {
        point = ExtensionPoint.shippingRates.rawValue
        apiVersion = cart.apiVersion
        store = cart.store
        currency = cart.currency
        self.cart = cart.cart
        customer = cart.customer
        self.destination = destination
        self.rates = rates
    }
}

/// A `shipping.rates` answer: `{"rates": [{"id": "ship_3", "name": "…", "amount": 500},
/// {"code": "pickup", "name": "Pick up in store", "amount": 0}]}` — the rates to offer, in the
/// order to show them. One with `id` is a rate it was given, renamed (`name`) or repriced
/// (`amount`) if it says so; one with `code` is a rate it adds (`name` and `amount` required);
/// a rate it leaves out is hidden.
public struct ShippingRatesOutput: Codable, Sendable, Equatable {
    public struct Rate: Codable, Sendable, Equatable {
        public let id: String?
        public let code: String?
        public let name: String?
        public let amount: Int64?

        public init(id: String? = nil, code: String? = nil, name: String? = nil, amount: Int64? = nil) {
            self.id = id
            self.code = code
            self.name = name
            self.amount = amount
        }
    }

    public let rates: [Rate]

    public init(rates: [Rate]) { self.rates = rates }

    public static let maximumRates = 20

    /// The rates as the cart offers them (an added rate's id is `shipx_<code>`), or why the
    /// answer is refused (the cart then offers the rates as they were).
    public func validated(given: [PluginShippingInput.Rate]) throws(PluginOutputError) -> [PluginShippingInput.Rate] {
        guard rates.count <= Self.maximumRates else { throw PluginOutputError("at most \(Self.maximumRates) rates, not \(rates.count)") }
        var seen = Set<String>()
        return try rates.map { rate throws(PluginOutputError) in
            switch (rate.id, rate.code) {
            case (let id?, nil):
                guard let known = given.first(where: { $0.id == id }) else {
                    throw PluginOutputError("rate '\(id.prefix(40))' is not one this cart was offered")
                }
                return try Self.checked(id: id, name: rate.name ?? known.name, amount: rate.amount ?? known.amount, seen: &seen)
            case (nil, let code?):
                guard PluginRateCode.isValid(code) else {
                    throw PluginOutputError("an added rate's code is 1 to 40 lowercase letters, digits and hyphens, not '\(code.prefix(40))'")
                }
                guard let name = rate.name, let amount = rate.amount else {
                    throw PluginOutputError("added rate '\(code)' needs a name and an amount")
                }
                return try Self.checked(id: PluginRateCode.idPrefix + code, name: name, amount: amount, seen: &seen)
            default:
                throw PluginOutputError("a rate names either the id of a rate it was given or the code of one it adds")
            }
        }
    }

    private static func checked(id: String, name raw: String, amount: Int64, seen: inout Set<String>) throws(PluginOutputError) -> PluginShippingInput.Rate {
        guard seen.insert(id).inserted else { throw PluginOutputError("rate '\(id.prefix(40))' is answered twice") }
        let name = raw.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100, !ControlCharacters.contains(name) else {
            throw PluginOutputError("a rate's name must be 1 to 100 characters of text")
        }
        guard amount >= 0, amount <= 100_000_000 else { throw PluginOutputError("'\(name)': amount must be 0 to 100000000") }
        return PluginShippingInput.Rate(id: id, name: name, amount: amount)
    }
}

/// The code of a shipping rate a plugin adds: `^[a-z0-9][a-z0-9-]{0,39}$` (the store schema's
/// CHECK on `carts.shipping_rate_code`); its id in the API is `shipx_<code>`.
public enum PluginRateCode {
    public static let idPrefix = "shipx_"

    public static func isValid(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        guard (1...40).contains(bytes.count), bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }
}

/// What an `order.created` plugin is given (api_version 1), once the order is written: a
/// notification; its answer is not used. Also the payload of the durable job that runs it.
public struct PluginOrderInput: Codable, Sendable, Equatable {
    public static let jobKind = "plugin_order_created"

    public struct Line: Codable, Sendable, Equatable {
        public let id: String
        public let variantId: String?
        public let title: String
        public let quantity: Int
        public let unitPrice: Int64
        public let total: Int64
        public let discount: Int64

        enum CodingKeys: String, CodingKey { case id, variantId = "variant_id", title, quantity, unitPrice = "unit_price", total, discount }

        public init(id: String, variantId: String?, title: String, quantity: Int, unitPrice: Int64, total: Int64, discount: Int64) {
            self.id = id
            self.variantId = variantId
            self.title = title
            self.quantity = quantity
            self.unitPrice = unitPrice
            self.total = total
            self.discount = discount
        }
    }

    public struct Order: Codable, Sendable, Equatable {
        public let id: String
        public let number: Int64
        public let email: String
        public let subtotal: Int64
        public let discountTotal: Int64
        public let shippingTotal: Int64
        public let taxTotal: Int64
        public let total: Int64
        public let countryCode: String
        public let lines: [Line]

        enum CodingKeys: String, CodingKey {
            case id, number, email, subtotal, discountTotal = "discount_total", shippingTotal = "shipping_total", taxTotal = "tax_total", total,
                 countryCode = "country_code", lines
        }

        public init(id: String, number: Int64, email: String, subtotal: Int64, discountTotal: Int64, shippingTotal: Int64, taxTotal: Int64,
                    total: Int64, countryCode: String, lines: [Line]) {
            self.id = id
            self.number = number
            self.email = email
            self.subtotal = subtotal
            self.discountTotal = discountTotal
            self.shippingTotal = shippingTotal
            self.taxTotal = taxTotal
            self.total = total
            self.countryCode = countryCode
            self.lines = lines
        }
    }

    public var point: String
    public var apiVersion: Int
    public let store: String
    public let currency: String
    public let order: Order

    enum CodingKeys: String, CodingKey { case point, apiVersion = "api_version", store, currency, order }

    public init(store: StoreSlug, order wire: OrderWire) {
        point = ExtensionPoint.orderCreated.rawValue
        apiVersion = ExtensionPoint.orderCreated.currentVersion
        self.store = store.rawValue
        currency = wire.currency
        order = Order(
            id: wire.id, number: wire.displayId, email: wire.email, subtotal: wire.subtotal.amount, discountTotal: wire.discountTotal.amount,
            shippingTotal: wire.shippingTotal.amount, taxTotal: wire.taxTotal.amount, total: wire.total.amount,
            countryCode: wire.shippingAddress.countryCode,
            lines: wire.items.map {
                Line(id: $0.id, variantId: $0.variantId, title: "\($0.productTitle) / \($0.variantTitle)", quantity: $0.quantity,
                     unitPrice: $0.unitPrice.amount, total: $0.total.amount, discount: $0.discount?.amount ?? 0)
            })
    }
}
