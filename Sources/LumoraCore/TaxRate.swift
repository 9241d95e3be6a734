/// A tax rate in parts per million (20 % is 200 000), so rates to four decimals (8.875 %) are
/// exact and tax arithmetic stays in integers.
public struct TaxRate: Hashable, Sendable, Codable, Comparable {
    public let partsPerMillion: Int64

    public static let zero = TaxRate(unchecked: 0)

    public init(partsPerMillion: Int64) throws(LumoraError) {
        guard (0...1_000_000).contains(partsPerMillion) else {
            throw LumoraError(.unprocessable, code: "invalid_tax_rate", message: "a tax rate is from 0 to 100 percent")
        }
        self.partsPerMillion = partsPerMillion
    }

    init(unchecked partsPerMillion: Int64) {
        self.partsPerMillion = partsPerMillion
    }

    /// A percentage as a person writes it — `20`, `8.875`, `7,5` — at most four decimals.
    public init(percentText raw: String) throws(LumoraError) {
        let text = String(raw.trimmingASCIIWhitespace().map { $0 == "," ? "." : $0 })
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty, wholeText.count <= 3, wholeText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let whole = Int64(wholeText) else {
            throw LumoraError(.unprocessable, code: "invalid_tax_rate", message: "a tax rate is a percentage such as 20 or 8.875")
        }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits) else {
                throw LumoraError(.unprocessable, code: "invalid_tax_rate", message: "a tax rate has at most four decimals")
            }
            var scale: Int64 = 1
            for _ in digits.count..<4 { scale *= 10 }
            fraction = value * scale
        }
        try self.init(partsPerMillion: whole * 10_000 + fraction)
    }

    /// `20`, `8.875`: the shortest text that gives this rate back.
    public var percentText: String {
        let whole = partsPerMillion / 10_000
        var fraction = partsPerMillion % 10_000
        guard fraction > 0 else { return String(whole) }
        var digits = 4
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }

    /// The tax in an amount, in the same minor units, rounded half up — once per line, so a
    /// receipt's lines add up to its total.
    /// - exclusive: the tax added on top of `amount`;
    /// - inclusive: the part of `amount` that is tax (`amount − round(amount / (1 + rate))`).
    public func tax(on amount: Int64, included: Bool) throws(LumoraError) -> Int64 {
        guard amount > 0, partsPerMillion > 0 else { return 0 }
        let million: Int64 = 1_000_000
        if included {
            let (scaled, overflow) = amount.multipliedReportingOverflow(by: million)
            guard !overflow else { throw Self.overflow }
            let divisor = million + partsPerMillion
            let net = (scaled + divisor / 2) / divisor
            return amount - net
        }
        let (scaled, overflow) = amount.multipliedReportingOverflow(by: partsPerMillion)
        guard !overflow else { throw Self.overflow }
        return (scaled + million / 2) / million
    }

    public static func < (lhs: TaxRate, rhs: TaxRate) -> Bool { lhs.partsPerMillion < rhs.partsPerMillion }

    static let overflow = LumoraError(.unprocessable, code: "amount_too_large", message: "the amount is too large to tax")
}
