import Foundation

/// A field Stripe sends as an id, or as the whole object when it was expanded
/// (`payment_intent`, `charge`, `latest_charge`): either way we keep the id.
struct StripeExpandableID: Decodable {
    var id: String

    private struct Object: Decodable { var id: String }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let id = try? container.decode(String.self) {
            self.id = id
        } else {
            self.id = try container.decode(Object.self).id
        }
    }
}

extension KeyedDecodingContainer {
    func expandableID(_ key: Key) throws -> String? {
        try decodeIfPresent(StripeExpandableID.self, forKey: key)?.id
    }

    /// `metadata` is nullable on some objects (sessions, refunds); absent and null read as empty.
    func metadata(_ key: Key) throws -> [String: String] {
        try decodeIfPresent([String: String].self, forKey: key) ?? [:]
    }
}

enum StripeJSON {
    static func decode<T: Decodable>(_ type: T.Type, from body: Data, status: Int, requestID: String?) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            throw StripeError(httpStatus: status, type: "invalid_response",
                              message: "the answer is not the \(type) Lumora expected: \(error) — \(String(decoding: body.prefix(200), as: UTF8.self))",
                              requestID: requestID)
        }
    }
}
