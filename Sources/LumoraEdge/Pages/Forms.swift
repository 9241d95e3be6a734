import Foundation
import Hummingbird
import HummingbirdCore
import LumoraCore
import NIOCore

/// An `application/x-www-form-urlencoded` body, read with a size limit.
struct FormFields {
    private var values: [String: String] = [:]

    init(_ request: Request, limit: Int) async throws {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw LumoraError(.payloadTooLarge, code: "payload_too_large", message: "The form is too large.")
        }
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            values[name] = parts.count > 1 ? Self.decode(parts[1]) ?? "" : ""
        }
    }

    subscript(name: String) -> String? { values[name] }

    private static func decode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

/// Bodies the edge sends to the cell.
struct AddLine: Encodable, Sendable {
    let variantId: String
    let quantity: Int

    enum CodingKeys: String, CodingKey { case variantId = "variant_id", quantity }
}

struct CompleteBody: Encodable, Sendable {
    struct AddressBody: Encodable, Sendable {
        let firstName: String
        let lastName: String
        let address1: String
        let city: String
        let postalCode: String
        let countryCode: String

        enum CodingKeys: String, CodingKey {
            case firstName = "first_name", lastName = "last_name", address1 = "address_1", city, postalCode = "postal_code", countryCode = "country_code"
        }
    }

    let email: String
    let shippingAddress: AddressBody

    enum CodingKeys: String, CodingKey { case email, shippingAddress = "shipping_address" }
}
