/// A Stripe request body (or query): `application/x-www-form-urlencoded` with bracket notation
/// for nesting — `line_items[0][price_data][currency]=usd`, `metadata[order]=42`,
/// `expand[]=payment_intent`.
///
/// Every parameter the client sends goes through `encoded()`, the one place where keys and
/// values are percent-encoded, so a shopper's `&` or `=` in a product name can never split or
/// add a parameter.
public struct StripeForm: Sendable, Equatable {
    public indirect enum Value: Sendable, Equatable {
        case string(String)
        /// Keys in the order they are sent.
        case dictionary([(String, Value)])
        /// Sent as `name[0]…`, `name[1]…`, as Stripe's reference shows for arrays of hashes.
        case array([Value])
        /// Sent as `name[]=…` for each element (Stripe's form for lists of strings).
        case list([String])

        public static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case let (.string(a), .string(b)): a == b
            case let (.dictionary(a), .dictionary(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            case let (.array(a), .array(b)): a == b
            case let (.list(a), .list(b)): a == b
            default: false
            }
        }
    }

    public private(set) var parameters: [(String, Value)] = []

    public init() {}

    public static func == (lhs: StripeForm, rhs: StripeForm) -> Bool {
        Value.dictionary(lhs.parameters) == Value.dictionary(rhs.parameters)
    }

    public mutating func set(_ name: String, _ value: String) { parameters.append((name, .string(value))) }
    public mutating func set(_ name: String, _ value: some BinaryInteger) { parameters.append((name, .string(String(value)))) }
    public mutating func set(_ name: String, _ value: Value) { parameters.append((name, value)) }

    /// `metadata[key]=value` for each pair, sorted by key so the same request encodes the same
    /// way twice (Stripe compares parameters when an idempotency key is reused).
    public mutating func set(_ name: String, metadata: [String: String]) {
        guard !metadata.isEmpty else { return }
        parameters.append((name, .dictionary(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
    }

    /// The flattened `(key, value)` pairs, not yet percent-encoded.
    public func fields() throws(StripeFormError) -> [(String, String)] {
        var out: [(String, String)] = []
        for (name, value) in parameters {
            try Self.flatten(value, key: try Self.segment(name, in: nil), into: &out)
        }
        return out
    }

    /// The body (or query string) as sent.
    public func encoded() throws(StripeFormError) -> String {
        try fields().map { Self.percentEncoded($0.0) + "=" + Self.percentEncoded($0.1) }.joined(separator: "&")
    }

    private static func flatten(_ value: Value, key: String, into out: inout [(String, String)]) throws(StripeFormError) {
        switch value {
        case .string(let text):
            out.append((key, text))
        case .dictionary(let members):
            for (name, member) in members {
                try flatten(member, key: key + "[" + (try segment(name, in: key)) + "]", into: &out)
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                try flatten(element, key: key + "[\(index)]", into: &out)
            }
        case .list(let elements):
            for element in elements { out.append((key + "[]", element)) }
        }
    }

    /// A key segment: brackets inside one would be read by Stripe as nesting (the server
    /// decodes the percent-encoding before it parses the brackets), so they are refused rather
    /// than sent as a different parameter. Stripe's metadata rules forbid them in keys too.
    private static func segment(_ name: String, in parent: String?) throws(StripeFormError) -> String {
        guard !name.isEmpty, !name.contains("["), !name.contains("]") else {
            throw StripeFormError(key: parent.map { "\($0)[\(name)]" } ?? name)
        }
        return name
    }

    /// RFC 3986 unreserved characters stay; every other byte of the UTF-8 is `%XX`.
    public static func percentEncoded(_ text: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A parameter name that cannot be expressed in bracket notation.
public struct StripeFormError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var description: String { "the Stripe parameter name '\(key.prefix(80))' is empty or contains '[' or ']'" }
}
