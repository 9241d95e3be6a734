/// An ISO 4217 alphabetic currency code with its minor-unit exponent.
public struct CurrencyCode: Hashable, Sendable, Codable, CustomStringConvertible {
    public let code: String
    /// Digits after the decimal point: JPY 0, USD 2, KWD 3.
    public let exponent: Int

    public init(validating raw: String) throws(LumoraError) {
        let code = raw.uppercased()
        guard let exponent = Self.exponents[code] else {
            throw LumoraError(.badRequest, code: "invalid_currency", message: "unsupported currency '\(raw.prefix(8))'; expected an ISO 4217 code such as USD")
        }
        self.code = code
        self.exponent = exponent
    }

    public static let usd = try! CurrencyCode(validating: "USD")
    public static let eur = try! CurrencyCode(validating: "EUR")
    public static let jpy = try! CurrencyCode(validating: "JPY")

    public var description: String { code }

    /// The symbol shown before an amount, where one is unambiguous.
    public var symbol: String? { Self.symbols[code] }

    public init(from decoder: any Decoder) throws {
        self = try CurrencyCode(validating: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }

    /// ISO 4217 active codes and their minor units (currencies with exponent 2 are the default
    /// and listed in bulk; the others individually).
    static let exponents: [String: Int] = {
        var table: [String: Int] = [:]
        let twoDigit = """
            AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN \
            BZD CAD CDF CHF CNY COP CRC CUP CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP \
            GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD \
            LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB \
            PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC \
            SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL
            """
        for code in twoDigit.split(separator: " ") { table[String(code)] = 2 }
        for code in ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"] {
            table[code] = 0
        }
        for code in ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"] { table[code] = 3 }
        table["CLF"] = 4
        table["UYW"] = 4
        return table
    }()

    static let symbols: [String: String] = [
        "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "CNY": "CN¥",
        "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "HKD": "HK$", "SGD": "S$", "MXN": "MX$", "BRL": "R$",
    ]
}
