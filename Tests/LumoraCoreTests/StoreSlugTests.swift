import LumoraCore
import Testing

@Suite struct StoreSlugTests {
    @Test(arguments: ["acme", "nike", "a1b", "my-store", "shop-24-7", "abc", String(repeating: "a", count: 32)])
    func acceptsValidSlugs(_ raw: String) throws {
        let slug = try StoreSlug(validating: raw)
        #expect(slug.rawValue == raw)
    }

    @Test(arguments: [
        ("", "invalid_slug"), ("ab", "invalid_slug"), (String(repeating: "a", count: 33), "invalid_slug"),
        ("1abc", "invalid_slug"), ("-abc", "invalid_slug"), ("abc-", "invalid_slug"), ("ab--cd", "invalid_slug"),
        ("Acme", "invalid_slug"), ("my_store", "invalid_slug"), ("my.store", "invalid_slug"), ("my store", "invalid_slug"),
        ("café", "invalid_slug"), ("a\"; drop schema public; --", "invalid_slug"), ("x'; DROP TABLE lumora.stores;--", "invalid_slug"),
        ("acme\n", "invalid_slug"), ("acme\u{0}", "invalid_slug"), ("ａｃｍｅ", "invalid_slug"),
        ("www", "reserved_slug"), ("api", "reserved_slug"), ("admin", "reserved_slug"), ("lumora", "reserved_slug"),
        ("sites", "reserved_slug"), ("static", "reserved_slug"), ("status", "reserved_slug"), ("help", "reserved_slug"),
    ])
    func refusesInvalidAndReservedSlugs(_ raw: String, _ code: String) {
        #expect {
            _ = try StoreSlug(validating: raw)
        } throws: { error in
            guard let error = error as? LumoraError else { return false }
            return error.code == code && error.status == .badRequest && error.httpStatusCode == 400
        }
    }

    @Test func schemaNameReplacesDashes() throws {
        #expect(try StoreSlug(validating: "my-store").schemaName == "store_my_store")
        #expect(try StoreSlug(validating: "acme").schemaName == "store_acme")
    }

    /// A slug never contains `_`, so `-` → `_` cannot make two slugs collide.
    @Test func schemaNamesAreInjective() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab-1")
        var seen: [String: String] = [:]
        for _ in 0..<5000 {
            let length = Int.random(in: 3...8, using: &generator)
            let raw = "a" + String((1..<length).map { _ in alphabet.randomElement(using: &generator)! })
            guard let slug = try? StoreSlug(validating: raw) else { continue }
            if let other = seen[slug.schemaName] {
                #expect(other == raw, "\(other) and \(raw) share a schema")
            }
            seen[slug.schemaName] = raw
        }
        #expect(seen.count > 100)
    }

    @Test func schemaNameIsASafeIdentifier() throws {
        let slug = try StoreSlug(validating: String(repeating: "z", count: 32))
        #expect(slug.schemaName.utf8.count <= 63)
        #expect(slug.schemaName.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" })
    }

    @Test func errorMessageDoesNotEchoControlCharacters() {
        #expect {
            _ = try StoreSlug(validating: "bad\u{1b}[31mred")
        } throws: { error in
            guard let error = error as? LumoraError else { return false }
            return !error.message.contains("\u{1b}")
        }
    }

    @Test func decodesOnlyValidSlugs() throws {
        #expect(throws: (any Error).self) {
            _ = try JSONDecoderLite.decodeSlug("\"ADMIN\"")
        }
    }
}

/// Minimal JSON string decoding for a `Codable` round-trip without Foundation.
enum JSONDecoderLite {
    struct StringDecoder: Decoder, SingleValueDecodingContainer {
        let value: String
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> { fatalError() }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer { fatalError() }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { self }
        func decodeNil() -> Bool { false }
        func decode(_ type: String.Type) throws -> String { value }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { fatalError() }
    }

    static func decodeSlug(_ json: String) throws -> StoreSlug {
        try StoreSlug(from: StringDecoder(value: String(json.dropFirst().dropLast())))
    }
}
