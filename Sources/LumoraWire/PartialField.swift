/// A field of a partial update: left out, set to null, or set to a value.
/// Encoded the same way: `.absent` leaves the key out, `.null` writes an explicit `null`.
public enum Field<Value> {
    case absent
    case null
    case value(Value)
}

extension Field: Sendable where Value: Sendable {}
extension Field: Equatable where Value: Equatable {}

extension Field where Value: Decodable {
    public init<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws {
        if !container.contains(key) {
            self = .absent
        } else if try container.decodeNil(forKey: key) {
            self = .null
        } else {
            self = .value(try container.decode(Value.self, forKey: key))
        }
    }
}

extension Field where Value: Encodable {
    /// Writes the field under `key`, or nothing when it is absent.
    public func encode<Key: CodingKey>(to container: inout KeyedEncodingContainer<Key>, forKey key: Key) throws {
        switch self {
        case .absent: break
        case .null: try container.encodeNil(forKey: key)
        case .value(let value): try container.encode(value, forKey: key)
        }
    }
}
