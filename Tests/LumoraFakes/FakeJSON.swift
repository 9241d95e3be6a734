import Foundation

/// A JSON value that is `Sendable` and `Equatable`, so the fakes can keep what a client sent
/// (a Cloud Run template, say), compare it, and echo it back unchanged.
enum FakeJSON: Sendable, Equatable, Codable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([FakeJSON])
    case object([String: FakeJSON])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: FakeJSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, FakeJSON)...) { self = .object(Dictionary(elements, uniquingKeysWith: { $1 })) }
    init(nilLiteral: ()) { self = .null }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([FakeJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: FakeJSON].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    static func decode(_ data: Data) -> FakeJSON? {
        guard !data.isEmpty else { return nil }
        return try? JSONDecoder().decode(FakeJSON.self, from: data)
    }

    func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    subscript(key: String) -> FakeJSON? {
        get { if case .object(let object) = self { object[key] } else { nil } }
        set {
            guard case .object(var object) = self else { return }
            object[key] = newValue
            self = .object(object)
        }
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var array: [FakeJSON]? { if case .array(let value) = self { value } else { nil } }
    var object: [String: FakeJSON]? { if case .object(let value) = self { value } else { nil } }
    /// A JSON number that is a whole number (not a string).
    var number: Int? {
        switch self {
        case .int(let value): value
        case .double(let value) where value == value.rounded(): Int(exactly: value)
        default: nil
        }
    }

    /// An integer, also when sent as a string (proto3 JSON sends int64 as strings).
    var int: Int? {
        switch self {
        case .int(let value): value
        case .double(let value) where value == value.rounded(): Int(exactly: value)
        case .string(let value): Int(value)
        default: nil
        }
    }

    /// The object without some keys (`nil` values are dropped too, so optional fields can be
    /// built inline).
    func removing(_ keys: String...) -> FakeJSON {
        guard case .object(var object) = self else { return self }
        for key in keys { object[key] = nil }
        return .object(object)
    }

    /// Drops `.null` members of an object: output-only fields that are unset are omitted,
    /// as proto3 JSON does.
    var compacted: FakeJSON {
        guard case .object(let object) = self else { return self }
        return .object(object.filter { $0.value != .null })
    }
}

extension Date {
    /// RFC 3339 as Google and Vercel-style APIs print it.
    var rfc3339: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: self)
    }
    var epochMilliseconds: Int { Int((timeIntervalSince1970 * 1000).rounded()) }
}

enum FakeRandom {
    static func hex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement() ?? "0" })
    }
    static func letters(_ count: Int) -> String {
        String((0..<count).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement() ?? "a" })
    }
}
