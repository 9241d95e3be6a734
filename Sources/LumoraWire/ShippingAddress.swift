import LumoraCore

/// Where an order ships. Field names follow Medusa (`address_1`, `country_code`).
public struct ShippingAddress: Codable, Sendable, Equatable {
    public var firstName: String
    public var lastName: String
    public var address1: String
    public var address2: String?
    public var city: String
    public var postalCode: String
    public var countryCode: String
    public var province: String?
    public var phone: String?

    enum CodingKeys: String, CodingKey {
        case firstName = "first_name", lastName = "last_name", address1 = "address_1", address2 = "address_2", city,
             postalCode = "postal_code", countryCode = "country_code", province, phone
    }

    public init(firstName: String, lastName: String, address1: String, address2: String? = nil, city: String, postalCode: String,
                countryCode: String, province: String? = nil, phone: String? = nil) {
        self.firstName = firstName
        self.lastName = lastName
        self.address1 = address1
        self.address2 = address2
        self.city = city
        self.postalCode = postalCode
        self.countryCode = countryCode
        self.province = province
        self.phone = phone
    }

    /// Every field in a fixed order (for hashing a request).
    public var canonicalFields: [String] {
        [firstName, lastName, address1, address2 ?? "", city, postalCode, countryCode, province ?? "", phone ?? ""]
    }

    /// Trims every field and checks lengths and the country code.
    public func validated() throws(LumoraError) -> ShippingAddress {
        func field(_ value: String, _ name: String, required: Bool = true) throws(LumoraError) -> String {
            let trimmed = value.trimmingASCIIWhitespace()
            guard !required || !trimmed.isEmpty else {
                throw LumoraError.badRequest("invalid_address", "shipping_address.\(name) is required")
            }
            guard trimmed.count <= 200 else {
                throw LumoraError.badRequest("invalid_address", "shipping_address.\(name) is longer than 200 characters")
            }
            return trimmed
        }
        var copy = self
        copy.firstName = try field(firstName, "first_name")
        copy.lastName = try field(lastName, "last_name")
        copy.address1 = try field(address1, "address_1")
        copy.address2 = try address2.map { value throws(LumoraError) in try field(value, "address_2", required: false) }
        copy.city = try field(city, "city")
        copy.postalCode = try field(postalCode, "postal_code")
        copy.province = try province.map { value throws(LumoraError) in try field(value, "province", required: false) }
        copy.phone = try phone.map { value throws(LumoraError) in try field(value, "phone", required: false) }
        let country = countryCode.trimmingASCIIWhitespace().uppercased()
        guard country.count == 2, country.allSatisfy({ $0 >= "A" && $0 <= "Z" }) else {
            throw LumoraError.badRequest("invalid_address", "shipping_address.country_code must be a two-letter ISO 3166 code")
        }
        copy.countryCode = country
        return copy
    }
}
