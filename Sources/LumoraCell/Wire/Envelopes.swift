/// One resource wrapped in its name: `{"product": {…}}`.
struct Single<Value: Encodable & Sendable>: Encodable, Sendable {
    let key: String
    let value: Value

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        try container.encode(value, forKey: NameKey(key))
    }
}

/// A page of resources under their plural: `{"products": […], "count", "limit", "offset"}`.
struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    let key: String
    let items: [Item]
    let count: Int
    let limit: Int
    let offset: Int

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        try container.encode(items, forKey: NameKey(key))
        try container.encode(count, forKey: NameKey("count"))
        try container.encode(limit, forKey: NameKey("limit"))
        try container.encode(offset, forKey: NameKey("offset"))
    }
}

struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// `{"id": "…", "object": "product", "deleted": true}`
struct Deleted: Encodable, Sendable {
    let id: String
    let object: String
    let deleted = true
}
