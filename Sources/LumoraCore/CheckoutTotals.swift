/// The money lines of a cart, an order and its receipt, computed in one place so they always
/// add up: `total = subtotal − discount + shipping (+ tax when prices exclude it)`.
///
/// Rounding rule: tax is computed and rounded half up per line (each cart line after its share
/// of the discounts, then the shipping line) at the address's rate; the tax total is the sum of
/// those rounded amounts.
/// With tax-inclusive prices the tax is the part of each line that is tax, and the total is
/// what the shopper saw on the shelf plus shipping.
public struct CheckoutTotals: Sendable, Equatable {
    public let currency: CurrencyCode
    /// The lines before discounts.
    public let subtotal: Int64
    /// What discounts take off the lines (`DiscountAllocation`), never more than the subtotal.
    public let discount: Int64
    public let shipping: Int64
    public let tax: Int64
    public let total: Int64
    /// The tax of each merchandise line, in the order given.
    public let lineTaxes: [Int64]
    /// What each line lost to discounts, in the order given (zeros without discounts).
    public let lineDiscounts: [Int64]
    public let shippingTax: Int64
    public let taxIncluded: Bool

    /// `lineDiscounts` (empty, or one per line, each at most its line) come from
    /// `DiscountAllocation.apply`.
    public static func compute(lineTotals: [Int64], lineDiscounts: [Int64] = [], shipping: Int64, rate: TaxRate, taxIncluded: Bool,
                               currency: CurrencyCode) throws(LumoraError) -> CheckoutTotals {
        let lineDiscounts = lineDiscounts.isEmpty ? Array(repeating: 0, count: lineTotals.count) : lineDiscounts
        guard lineDiscounts.count == lineTotals.count,
              zip(lineTotals, lineDiscounts).allSatisfy({ $1 >= 0 && $1 <= max(0, $0) }) else {
            throw LumoraError.internalError("line discounts that do not fit their lines")
        }
        var subtotal: Int64 = 0
        var discount: Int64 = 0
        var lineTaxes: [Int64] = []
        lineTaxes.reserveCapacity(lineTotals.count)
        for (line, lineDiscount) in zip(lineTotals, lineDiscounts) {
            subtotal = try add(subtotal, line)
            discount = try add(discount, lineDiscount)
            lineTaxes.append(try rate.tax(on: line - lineDiscount, included: taxIncluded))
        }
        let shippingTax = try rate.tax(on: shipping, included: taxIncluded)
        var tax: Int64 = shippingTax
        for lineTax in lineTaxes { tax = try add(tax, lineTax) }
        var total = try add(subtotal - discount, shipping)
        if !taxIncluded { total = try add(total, tax) }
        return CheckoutTotals(currency: currency, subtotal: subtotal, discount: discount, shipping: shipping, tax: tax, total: total,
                              lineTaxes: lineTaxes, lineDiscounts: lineDiscounts, shippingTax: shippingTax, taxIncluded: taxIncluded)
    }

    private static func add(_ a: Int64, _ b: Int64) throws(LumoraError) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw LumoraError(.unprocessable, code: "amount_too_large", message: "the order total is too large") }
        return sum
    }
}

/// How one shipping rate prices a parcel.
public enum ShippingRule: Sendable, Equatable {
    /// Always `amount`.
    case flat(amount: Int64)
    /// `amount`, or nothing once the merchandise subtotal reaches `threshold`.
    case freeOver(amount: Int64, threshold: Int64)
    /// `amount` for parcels from `minimumGrams` up to (not including) `maximumGrams`.
    case weight(amount: Int64, minimumGrams: Int64, maximumGrams: Int64)

    /// The price for a parcel, or nil when this rate does not apply to it.
    public func price(subtotal: Int64, weightGrams: Int64) -> Int64? {
        switch self {
        case .flat(let amount): amount
        case .freeOver(let amount, let threshold): subtotal >= threshold ? 0 : amount
        case .weight(let amount, let minimum, let maximum): (minimum..<maximum).contains(weightGrams) ? amount : nil
        }
    }
}
