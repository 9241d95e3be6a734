/// An amount of money: integer minor units (cents, yen, fils) and a currency. Never a `Double`.
///
/// Arithmetic is overflow-checked and refuses to mix currencies; both failures are
/// `LumoraError`s rather than traps, because amounts come from user input.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    public var amount: Int64
    public var currency: CurrencyCode

    public init(amount: Int64, currency: CurrencyCode) {
        self.amount = amount
        self.currency = currency
    }

    public static func zero(_ currency: CurrencyCode) -> Money { Money(amount: 0, currency: currency) }

    public func adding(_ other: Money) throws(LumoraError) -> Money {
        try requireSameCurrency(other)
        let (sum, overflow) = amount.addingReportingOverflow(other.amount)
        guard !overflow else { throw Self.overflow }
        return Money(amount: sum, currency: currency)
    }

    public func subtracting(_ other: Money) throws(LumoraError) -> Money {
        try requireSameCurrency(other)
        let (difference, overflow) = amount.subtractingReportingOverflow(other.amount)
        guard !overflow else { throw Self.overflow }
        return Money(amount: difference, currency: currency)
    }

    public func multiplied(by quantity: Int64) throws(LumoraError) -> Money {
        let (product, overflow) = amount.multipliedReportingOverflow(by: quantity)
        guard !overflow else { throw Self.overflow }
        return Money(amount: product, currency: currency)
    }

    /// Human formatting with the currency's exponent and grouping: `$1,234.56`, `¥1,200`,
    /// `KWD 1.250`, `-€3.00`.
    public var formatted: String {
        let negative = amount < 0
        let magnitude = amount.magnitude
        var divisor: UInt64 = 1
        for _ in 0..<currency.exponent { divisor *= 10 }
        let whole = magnitude / divisor
        let fraction = magnitude % divisor

        var number = Self.grouped(whole)
        if currency.exponent > 0 {
            let digits = String(fraction)
            number += "." + String(repeating: "0", count: currency.exponent - digits.count) + digits
        }
        let sign = negative ? "-" : ""
        if let symbol = currency.symbol {
            return sign + symbol + number
        }
        return sign + currency.code + " " + number
    }

    public var description: String { formatted }

    private func requireSameCurrency(_ other: Money) throws(LumoraError) {
        guard other.currency == currency else {
            throw LumoraError(.unprocessable, code: "currency_mismatch", message: "cannot combine \(currency.code) and \(other.currency.code) amounts")
        }
    }

    private static let overflow = LumoraError(.unprocessable, code: "amount_overflow", message: "amount is too large")

    private static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }
}
