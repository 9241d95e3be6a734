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

    /// The amount as a person types it: `1234.50` (no symbol, no grouping).
    public var decimalText: String {
        var divisor: Int64 = 1
        for _ in 0..<currency.exponent { divisor *= 10 }
        let magnitude = amount.magnitude
        var text = (amount < 0 ? "-" : "") + String(magnitude / UInt64(divisor))
        if currency.exponent > 0 {
            let digits = String(magnitude % UInt64(divisor))
            text += "." + String(repeating: "0", count: currency.exponent - digits.count) + digits
        }
        return text
    }

    /// What a person typed as a price — `19.99`, `19,99`, `$1,234.5`, `20` — in `currency`'s
    /// minor units; nil when it is not a non-negative amount with at most the currency's decimals.
    public init?(parsing raw: String, currency: CurrencyCode) {
        var text = raw.trimmingASCIIWhitespace()
        if let symbol = currency.symbol, text.hasPrefix(symbol) { text.removeFirst(symbol.count) }
        if text.hasPrefix(currency.code) { text.removeFirst(currency.code.count) }
        text = text.trimmingASCIIWhitespace()
        // The last separator: `.` is the decimal point (at most `exponent` digits after it);
        // `,` groups thousands when three digits follow, else it is a decimal comma.
        var whole = text, fraction = ""
        if let last = text.lastIndex(where: { $0 == "." || $0 == "," }) {
            let tail = String(text[text.index(after: last)...])
            if text[last] == "," && tail.count == 3 {
                // grouping: all of it is the whole part
            } else if tail.count <= currency.exponent {
                whole = String(text[..<last])
                fraction = tail
            } else {
                return nil
            }
        }
        whole = whole.filter { $0 != "," && $0 != "." && $0 != " " }
        guard !whole.isEmpty || !fraction.isEmpty, whole.count <= 13, whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var amount = Int64(whole.isEmpty ? "0" : whole) ?? 0
        for _ in 0..<currency.exponent { amount *= 10 }
        var scale: Int64 = 1
        for _ in 0..<(currency.exponent - fraction.count) { scale *= 10 }
        if !fraction.isEmpty { amount += (Int64(fraction) ?? 0) * scale }
        self.init(amount: amount, currency: currency)
    }

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
