import Foundation

/// One parameter of a Stripe request after bracket parsing: `a[b][0][c]=v` is
/// `a → b → 0 → c → v`; `a[]=x&a[]=y` is a list.
indirect enum StripeFormNode: Sendable, Equatable {
    case value(String)
    case hash([String: StripeFormNode])
    case list([String])

    var string: String? { if case .value(let value) = self { value } else { nil } }
    var hash: [String: StripeFormNode]? { if case .hash(let members) = self { members } else { nil } }

    /// An array parameter: indexed (`name[0]…`, ordered by index) or appended (`name[]=…`).
    var elements: [StripeFormNode]? {
        switch self {
        case .list(let values): return values.map(StripeFormNode.value)
        case .hash(let members):
            var indexed: [(Int, StripeFormNode)] = []
            for (key, node) in members {
                guard let index = Int(key), index >= 0 else { return nil }
                indexed.append((index, node))
            }
            return indexed.sorted { $0.0 < $1.0 }.map(\.1)
        case .value: return nil
        }
    }
}

/// A request's parameters (form body or query string), parsed the way Stripe reads them:
/// percent-decoding first, then brackets.
struct StripeParameters: Sendable {
    var root: [String: StripeFormNode] = [:]
    /// Decoded `(key, value)` pairs in the order sent, for the request log and idempotency.
    var pairs: [(String, String)] = []

    /// What identifies "the same parameters" for an idempotency key: order-insensitive.
    var fingerprint: [String] { pairs.map { "\($0.0)=\($0.1)" }.sorted() }

    static func parse(_ text: String) throws(StripeFailure) -> StripeParameters {
        var parameters = StripeParameters()
        var root = StripeFormNode.hash([:])
        for piece in text.split(separator: "&") where !piece.isEmpty {
            let kv = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(kv[0])
            let value = kv.count > 1 ? decode(kv[1]) : ""
            guard let path = path(of: key) else {
                throw .invalid("Invalid parameter name: \(key)", param: key)
            }
            parameters.pairs.append((key, value))
            root = try insert(value, at: path[...], into: root, key: key)
        }
        parameters.root = root.hash ?? [:]
        return parameters
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// `a[b][c]` → `["a", "b", "c"]`; `a[]` → `["a", ""]`; nil when the brackets do not pair.
    static func path(of key: String) -> [String]? {
        guard let open = key.firstIndex(of: "[") else { return key.isEmpty ? nil : [key] }
        let name = String(key[..<open])
        guard !name.isEmpty else { return nil }
        var path = [name]
        var rest = key[open...]
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return nil }
            let inner = rest[rest.index(after: rest.startIndex)..<close]
            guard !inner.contains("[") else { return nil }
            path.append(String(inner))
            rest = rest[rest.index(after: close)...]
        }
        return path
    }

    private static func insert(_ value: String, at path: ArraySlice<String>, into node: StripeFormNode?,
                               key: String) throws(StripeFailure) -> StripeFormNode {
        guard let head = path.first else {
            switch node {
            case nil, .value?: return .value(value)
            default: throw .invalid("Invalid hash: '\(key)' is both a value and a hash", param: key)
            }
        }
        if head.isEmpty {
            guard path.count == 1 else { throw .invalid("Invalid array: \(key)", param: key) }
            switch node {
            case nil: return .list([value])
            case .list(let values)?: return .list(values + [value])
            default: throw .invalid("Invalid array: \(key)", param: key)
            }
        }
        var members: [String: StripeFormNode]
        switch node {
        case nil: members = [:]
        case .hash(let existing)?: members = existing
        default: throw .invalid("Invalid hash: '\(key)' is both a value and a hash", param: key)
        }
        members[head] = try insert(value, at: path.dropFirst(), into: members[head], key: key)
        return .hash(members)
    }
}

/// Reading typed values out of parameters with Stripe's error for each way they can be wrong.
/// `param` is the full bracketed name Stripe reports (`line_items[0][quantity]`).
enum StripeParam {
    /// Refuses names Stripe does not know (`parameter_unknown`) and names it knows but the fake
    /// does not model.
    static func check(_ members: [String: StripeFormNode], prefix: String?, modelled: Set<String>,
                      known: Set<String>) throws(StripeFailure) {
        for key in members.keys.sorted() where !modelled.contains(key) {
            let name = prefix.map { "\($0)[\(key)]" } ?? key
            throw known.contains(key) ? .unmodelled(name) : .unknown(name)
        }
    }

    static func string(_ node: StripeFormNode?, _ param: String) throws(StripeFailure) -> String? {
        guard let node else { return nil }
        guard let value = node.string else { throw .invalid("Invalid string: \(param) must be a string, not a hash or an array", param: param) }
        return value
    }

    static func requiredString(_ node: StripeFormNode?, _ param: String) throws(StripeFailure) -> String {
        guard let value = try string(node, param) else { throw .missing(param) }
        guard !value.isEmpty else { throw .empty(param) }
        return value
    }

    static func integer(_ node: StripeFormNode?, _ param: String) throws(StripeFailure) -> Int64? {
        guard let text = try string(node, param) else { return nil }
        guard let value = Int64(text) else { throw .invalidInteger(param, text) }
        return value
    }

    static func hash(_ node: StripeFormNode?, _ param: String) throws(StripeFailure) -> [String: StripeFormNode]? {
        guard let node else { return nil }
        if case .value("") = node { return [:] }
        guard let members = node.hash else { throw .invalid("Invalid object: \(param) must be a hash", param: param) }
        return members
    }

    /// Stripe's metadata limits: 50 keys, keys up to 40 characters without brackets, values
    /// up to 500 characters; an empty value unsets the key.
    static func metadata(_ node: StripeFormNode?, _ param: String) throws(StripeFailure) -> [String: String] {
        guard let members = try hash(node, param) else { return [:] }
        guard members.count <= 50 else { throw .invalid("You can specify up to 50 keys in \(param).", param: param) }
        var result: [String: String] = [:]
        for (key, node) in members {
            let name = "\(param)[\(key)]"
            guard let value = try string(node, name) else { continue }
            guard key.count <= 40 else { throw .invalid("Metadata keys can have up to 40 characters: \(name)", param: name) }
            guard value.count <= 500 else { throw .invalid("Metadata values can have up to 500 characters: \(name)", param: name) }
            if !value.isEmpty { result[key] = value }
        }
        return result
    }
}
