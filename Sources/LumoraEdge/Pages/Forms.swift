import Foundation
import Hummingbird
import HummingbirdCore
import LumoraCore
import NIOCore

/// An `application/x-www-form-urlencoded` body, read with a size limit. A field holding a
/// control character (raw or percent-encoded) refuses the whole form with a 400 page: no form
/// of the storefront has a use for one, and PostgreSQL refuses NUL.
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
        guard !buffer.withUnsafeReadableBytes({ ControlCharacters.inPercentEncoded($0) }) else {
            throw LumoraError.badRequest("invalid_field", "The form holds a control character. Please check what you typed and try again.")
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

/// The grammar of what the storefront's forms send, checked at the edge before anything reaches
/// a cell: ids are the cell's own (`variant_12`, `item_7`), quantities small whole numbers.
/// Anything else is refused with the reason the shopper sees (422), and goes nowhere.
enum StorefrontInput {
    static func variantID(_ raw: String?) throws(LumoraError) -> String {
        guard let raw, isID(raw, prefix: "variant_") else {
            throw LumoraError(.unprocessable, code: "variant_not_found", message: "no such option")
        }
        return raw
    }

    static func lineID(_ raw: String?) throws(LumoraError) -> String {
        guard let raw, isID(raw, prefix: "item_") else {
            throw LumoraError(.unprocessable, code: "line_item_not_found", message: "That item is not in your cart.")
        }
        return raw
    }

    /// 0 to 1000 (0 removes a line; the cell decides what each form allows).
    static func quantity(_ raw: String?) throws(LumoraError) -> Int {
        guard let raw, (1...4).contains(raw.utf8.count), raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(raw), value <= 1000 else {
            throw LumoraError(.unprocessable, code: "invalid_quantity", message: "the quantity must be a whole number from 1 to 1000")
        }
        return value
    }

    static func shippingOptionID(_ raw: String?) throws(LumoraError) -> String {
        guard let raw, isID(raw, prefix: "ship_") else {
            throw LumoraError(.unprocessable, code: "shipping_option_unavailable", message: "no such shipping option")
        }
        return raw
    }

    static func paymentID(_ raw: String?) throws(LumoraError) -> String {
        guard let raw, isID(raw, prefix: "pay_") else {
            throw LumoraError(.unprocessable, code: "payment_not_found", message: "That payment is not pending any more; please start again.")
        }
        return raw
    }

    /// 12 to 19 digits, spaces and dashes allowed between them.
    static func cardNumber(_ raw: String?) throws(LumoraError) -> String {
        let digits = (raw ?? "").utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "-") }
        guard (12...19).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw LumoraError(.unprocessable, code: "invalid_test_card", message: "a card number is 12 to 19 digits")
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// `<prefix><1-19 digits, no leading zero>`.
    private static func isID(_ raw: String, prefix: String) -> Bool {
        guard raw.hasPrefix(prefix) else { return false }
        let digits = raw.utf8.dropFirst(prefix.utf8.count)
        return (1...19).contains(digits.count) && digits.first != UInt8(ascii: "0") && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
