/// One resource wrapped in its name: `{"product": {…}}`. Read back by its only key, whatever
/// it is called.
public struct Single<Value: Sendable>: Sendable {
    public let key: String
    public let value: Value

    public init(key: String, value: Value) {
        self.key = key
        self.value = value
    }
}

extension Single: Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        try container.encode(value, forKey: NameKey(key))
    }
}

extension Single: Decodable where Value: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: NameKey.self)
        guard container.allKeys.count == 1, let name = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected one resource under its name, found \(container.allKeys.count) keys"))
        }
        self.init(key: name.stringValue, value: try container.decode(Value.self, forKey: name))
    }
}

extension Single: Equatable where Value: Equatable {}

/// A page of resources under their plural: `{"products": […], "count", "limit", "offset"}`.
/// Read back with `key` set to the one member that is not `count`, `limit` or `offset`.
public struct Page<Item: Sendable>: Sendable {
    public let key: String
    public let items: [Item]
    public let count: Int
    public let limit: Int
    public let offset: Int

    public init(key: String, items: [Item], count: Int, limit: Int, offset: Int) {
        self.key = key
        self.items = items
        self.count = count
        self.limit = limit
        self.offset = offset
    }

    static var countKey: NameKey { NameKey("count") }
    static var limitKey: NameKey { NameKey("limit") }
    static var offsetKey: NameKey { NameKey("offset") }
}

extension Page: Encodable where Item: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        try container.encode(items, forKey: NameKey(key))
        try container.encode(count, forKey: Self.countKey)
        try container.encode(limit, forKey: Self.limitKey)
        try container.encode(offset, forKey: Self.offsetKey)
    }
}

extension Page: Decodable where Item: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: NameKey.self)
        let names = container.allKeys.filter { !["count", "limit", "offset"].contains($0.stringValue) }
        guard names.count == 1, let name = names.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected one list beside count, limit and offset, found \(names.count)"))
        }
        self.init(key: name.stringValue, items: try container.decode([Item].self, forKey: name),
                  count: try container.decode(Int.self, forKey: Self.countKey),
                  limit: try container.decode(Int.self, forKey: Self.limitKey),
                  offset: try container.decode(Int.self, forKey: Self.offsetKey))
    }
}

extension Page: Equatable where Item: Equatable {}

/// A coding key made from a name: the envelopes' keys are chosen at run time.
public struct NameKey: CodingKey, Hashable, Sendable {
    public let stringValue: String
    public var intValue: Int? { nil }
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// `{"id": "…", "object": "product", "deleted": true}`
public struct Deleted: Codable, Sendable, Equatable {
    public let id: String
    public let object: String
    public let deleted: Bool

    public init(id: String, object: String, deleted: Bool = true) {
        self.id = id
        self.object = object
        self.deleted = deleted
    }
}
