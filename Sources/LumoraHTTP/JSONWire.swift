import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import LumoraCore

/// Lumora's wire format: JSON with snake_case keys, spelled out in each wire type's
/// `CodingKeys` (a key strategy converts every key of every response again, which costs
/// more than the rest of the encoding), ISO 8601 dates.
public enum JSONWire {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// A JSON response with the given status.
    public static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The whole body, refused (413) past `limit`: for bodies read as they came (a signed
    /// webhook is checked over its exact bytes).
    public static func body(of request: Request, limit: Int) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw LumoraError(.payloadTooLarge, code: "payload_too_large", message: "the request body is larger than \(limit) bytes")
        }
    }

    /// Decodes a JSON body of at most `limit` bytes, turning every failure into a clear 4xx.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let buffer = try await body(of: request, limit: limit)
        guard buffer.readableBytes > 0 else {
            throw LumoraError.badRequest("invalid_json", "the request needs a JSON body")
        }
        // PostgreSQL refuses NUL in text (a server error); nothing else wants control characters.
        guard !buffer.withUnsafeReadableBytes({ ControlCharacters.inJSONStrings($0) }) else {
            throw LumoraError.badRequest("invalid_field", "a string in the body holds a control character (only tab and line breaks are allowed)")
        }
        do {
            return try decoder.decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            // A well-formed body with a wrong value (1.5 for an integer) is reported without
            // a coding path by some decoders; tell it apart from broken JSON.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
               (try? JSONSerialization.jsonObject(with: Data(buffer: buffer), options: [.fragmentsAllowed])) != nil {
                throw LumoraError.badRequest("invalid_field", "a value has the wrong type: \(context.debugDescription)")
            }
            throw LumoraError.badRequest(Self.code(for: error), Self.message(for: error))
        } catch let error as LumoraError {
            throw error  // a validating initializer refused a value
        }
    }

    static func code(for error: DecodingError) -> String {
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty { return "invalid_json" }
        return "invalid_field"
    }

    static func message(for error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let names = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "the body" : names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "the request body is not valid JSON"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)) is not valid: \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) must be \(Self.describe(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) must be \(Self.describe(type)), not null"
        @unknown default:
            return "the request body does not match the expected shape"
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: return "an integer"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") ? "an array" : name.hasPrefix("Dictionary") ? "an object" : "an object"
        }
    }
}
