import NIOCore
import PostgresNIO

/// A row's children in the row itself: a column `ARRAY(SELECT ROW(…) FROM … ORDER BY …)` is
/// an array of anonymous records, so one statement answers what would take a statement per
/// kind of child (a product with its variants and pictures), one round trip instead of three.
///
/// A type that is one such record reads its fields in the order of the `ROW(…)`;
/// `[ThatType]` then decodes the column (PostgresNIO decodes the array, this each element).
public protocol PostgresRecordDecodable: PostgresArrayDecodable where _DecodableType == Self {
    init<JSONDecoder: PostgresJSONDecoder>(record: inout PostgresRecordFields<JSONDecoder>) throws
}

extension PostgresRecordDecodable {
    @inlinable
    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard format == .binary, type == .record else { throw PostgresDecodingError.Code.typeMismatch }
        var record = try PostgresRecordFields(buffer, context: context)
        try self.init(record: &record)
        guard record.remaining == 0 else { throw PostgresDecodingError.Code.failure }
    }
}

/// The fields of one record in PostgreSQL's binary format (`record_send`): a field count,
/// then per field its type's OID, its length (-1 for NULL) and its bytes.
public struct PostgresRecordFields<JSONDecoder: PostgresJSONDecoder> {
    @usableFromInline var buffer: ByteBuffer
    @usableFromInline let context: PostgresDecodingContext<JSONDecoder>
    @usableFromInline var unread: Int
    /// Fields not read yet.
    public var remaining: Int { unread }

    @inlinable
    init(_ buffer: ByteBuffer, context: PostgresDecodingContext<JSONDecoder>) throws {
        var buffer = buffer
        guard let count = buffer.readInteger(as: Int32.self), count >= 0 else { throw PostgresDecodingError.Code.failure }
        self.buffer = buffer
        self.context = context
        self.unread = Int(count)
    }

    /// The next field, decoded as `type` (an optional type reads NULL as nil; any other
    /// refuses it).
    @inlinable
    public mutating func next<Value: PostgresDecodable>(_ type: Value.Type = Value.self) throws -> Value {
        guard unread > 0, let (oid, length) = buffer.readMultipleIntegers(endianness: .big, as: (UInt32, Int32).self) else {
            throw PostgresDecodingError.Code.missingData
        }
        unread -= 1
        var field: ByteBuffer?
        if length >= 0 {
            guard let bytes = buffer.readSlice(length: Int(length)) else { throw PostgresDecodingError.Code.failure }
            field = bytes
        }
        return try Value._decodeRaw(from: &field, type: PostgresDataType(oid), format: .binary, context: context)
    }
}
