import LumoraCore
import Testing

@Suite struct MoneyTests {
    let usd = CurrencyCode.usd

    @Test func formatsWithTheCurrencyExponent() throws {
        #expect(Money(amount: 1999, currency: .usd).formatted == "$19.99")
        #expect(Money(amount: 123_456_789, currency: .usd).formatted == "$1,234,567.89")
        #expect(Money(amount: 5, currency: .usd).formatted == "$0.05")
        #expect(Money(amount: 1200, currency: .jpy).formatted == "¥1,200")
        #expect(Money(amount: 1250, currency: try CurrencyCode(validating: "KWD")).formatted == "KWD 1.250")
        #expect(Money(amount: -300, currency: .eur).formatted == "-€3.00")
        #expect(Money(amount: 0, currency: try CurrencyCode(validating: "CHF")).formatted == "CHF 0.00")
        #expect(Money(amount: Int64.min, currency: .usd).formatted == "-$92,233,720,368,547,758.08")
    }

    @Test func knowsExponents() throws {
        #expect(try CurrencyCode(validating: "JPY").exponent == 0)
        #expect(try CurrencyCode(validating: "usd").exponent == 2)
        #expect(try CurrencyCode(validating: "KWD").exponent == 3)
        #expect(try CurrencyCode(validating: "BHD").exponent == 3)
    }

    @Test(arguments: ["", "US", "USDX", "XYZ", "12$", "dollar"])
    func refusesUnknownCurrencies(_ raw: String) {
        #expect(throws: LumoraError.self) { _ = try CurrencyCode(validating: raw) }
    }

    @Test func addsAndMultiplies() throws {
        let price = Money(amount: 1999, currency: usd)
        #expect(try price.multiplied(by: 3) == Money(amount: 5997, currency: usd))
        #expect(try price.adding(Money(amount: 1, currency: usd)).amount == 2000)
        #expect(try price.subtracting(Money(amount: 2000, currency: usd)).amount == -1)
    }

    @Test func overflowIsAnErrorNotATrap() {
        let big = Money(amount: .max, currency: usd)
        #expect { try big.adding(Money(amount: 1, currency: usd)) } throws: { ($0 as? LumoraError)?.code == "amount_overflow" }
        #expect { try big.multiplied(by: 2) } throws: { ($0 as? LumoraError)?.code == "amount_overflow" }
        #expect { try Money(amount: .min, currency: usd).subtracting(Money(amount: 1, currency: usd)) } throws: {
            ($0 as? LumoraError)?.code == "amount_overflow"
        }
    }

    @Test func refusesMixedCurrencies() {
        #expect {
            try Money(amount: 1, currency: .usd).adding(Money(amount: 1, currency: .eur))
        } throws: { error in
            (error as? LumoraError)?.code == "currency_mismatch" && (error as? LumoraError)?.httpStatusCode == 422
        }
    }
}

@Suite struct MoneyParsingTests {
    @Test(arguments: [
        ("19.99", Int64(1999)), ("19,99", 1999), ("$1,234.5", 123_450), ("20", 2000), (" 0.05 ", 5), ("1,000", 100_000), ("USD 3", 300),
    ])
    func readsWhatPeopleType(text: String, minor: Int64) {
        #expect(Money(parsing: text, currency: .usd)?.amount == minor)
    }

    @Test(arguments: ["", "abc", "-5", "1.999", "1e3", "12.3.4x", "$"])
    func refusesWhatIsNotAPrice(text: String) {
        #expect(Money(parsing: text, currency: .usd) == nil)
    }

    @Test func yenHasNoDecimals() {
        #expect(Money(parsing: "1,200", currency: .jpy)?.amount == 1200)
        #expect(Money(parsing: "12.5", currency: .jpy) == nil)
        #expect(Money(amount: 123_450, currency: .usd).decimalText == "1234.50")
    }
}
