/// How a cart's discounts come off its lines, so that tax is charged on what is paid and the
/// order's lines, the discount lines and the total always agree.
///
/// A discount is either for one line or for the order; either is an amount (minor units) or a
/// percentage. Rules, applied in the order the discounts are given:
/// - a percentage is of what is left of its line (or of the order) after the discounts before
///   it, rounded half up to a minor unit;
/// - no discount takes more than is left: a line never goes below zero, so a discount may be
///   cut short (its `applied` says what it really took) or take nothing;
/// - an order discount is spread over the lines in proportion to what is left of each, by the
///   largest-remainder method, so the parts add up to it exactly.
public struct DiscountAllocation: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        case order
        /// The index of the line in the cart's lines.
        case line(Int)
    }

    public enum Value: Sendable, Equatable {
        case amount(Int64)
        /// Hundredths of a percent (1000 = 10 %), 0 to 10000.
        case basisPoints(Int64)
    }

    public struct Discount: Sendable, Equatable {
        public let title: String
        public let target: Target
        public let value: Value

        public init(title: String, target: Target, value: Value) {
            self.title = title
            self.target = target
            self.value = value
        }
    }

    /// The discounts as applied, in the order given.
    public let applied: [Int64]
    /// What each line lost, in the lines' order.
    public let lineDiscounts: [Int64]

    public var total: Int64 { applied.reduce(0, +) }

    /// `lineTotals` are non-negative (a cart's lines); discounts for a line that is not there
    /// take nothing.
    public static func apply(_ discounts: [Discount], to lineTotals: [Int64]) -> DiscountAllocation {
        var left = lineTotals.map { max(0, $0) }
        var applied: [Int64] = []
        applied.reserveCapacity(discounts.count)
        for discount in discounts {
            switch discount.target {
            case .line(let index):
                guard left.indices.contains(index) else { applied.append(0); continue }
                let taken = min(left[index], amount(of: discount.value, base: left[index]))
                left[index] -= taken
                applied.append(taken)
            case .order:
                let base = left.reduce(0, +)
                let taken = min(base, amount(of: discount.value, base: base))
                let parts = spread(taken, over: left)
                for index in left.indices { left[index] -= parts[index] }
                applied.append(taken)
            }
        }
        let lineDiscounts = zip(lineTotals, left).map { max(0, $0) - $1 }
        return DiscountAllocation(applied: applied, lineDiscounts: lineDiscounts)
    }

    private static func amount(of value: Value, base: Int64) -> Int64 {
        switch value {
        case .amount(let amount): return max(0, amount)
        case .basisPoints(let points):
            let points = min(max(0, points), 10_000)
            // base ≤ Int64.max / 10_000 in any real cart; the multiplication is checked anyway.
            let (product, overflow) = base.multipliedReportingOverflow(by: points)
            guard !overflow else { return base / 10_000 * points }
            return (product + 5_000) / 10_000
        }
    }

    /// `amount` (≤ the sum of `weights`) in parts proportional to `weights` that add up to it.
    static func spread(_ amount: Int64, over weights: [Int64]) -> [Int64] {
        let sum = weights.reduce(0, +)
        guard sum > 0, amount > 0 else { return weights.map { _ in 0 } }
        var parts: [Int64] = []
        var remainders: [(index: Int, remainder: Int64)] = []
        for (index, weight) in weights.enumerated() {
            // amount × weight / sum without overflow: both ≤ sum, so use the full-width product.
            let product = amount.multipliedFullWidth(by: weight)
            let (quotient, remainder) = sum.dividingFullWidth(product)
            parts.append(quotient)
            remainders.append((index, remainder))
        }
        var short = amount - parts.reduce(0, +)
        for entry in remainders.sorted(by: { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }) where short > 0 {
            guard parts[entry.index] < weights[entry.index] else { continue }
            parts[entry.index] += 1
            short -= 1
        }
        return parts
    }
}
