import Crypto
import Foundation

/// The JSON API's documents as the fake writes them: the object resource, the error body,
/// checksums, page tokens, and Google's rules for names and preconditions.
enum CloudStorageWire {
    /// A JSON API error. The body is the API's own shape (cloud.google.com/storage/docs/json_api/v1/status-codes),
    /// older than AIP-193, so not `GoogleErrorBody`: no `status`, a `reason` per item.
    /// `{"error":{"code":404,"message":"…","errors":[{"domain":"global","reason":"notFound","message":"…"}]}}`
    struct Failure: Error, Sendable {
        var code: Int
        var reason: String
        var message: String
        /// For header problems: `locationType: header` and this `location`.
        var location: String?

        var json: FakeJSON {
            var item: FakeJSON = ["domain": "global", "reason": .string(reason), "message": .string(message)]
            if let location {
                item["locationType"] = "header"
                item["location"] = .string(location)
            }
            return ["error": ["code": .int(code), "message": .string(message), "errors": [item]]]
        }

        var response: FakeHTTPResponse { response(headers: []) }

        func response(headers: [(String, String)]) -> FakeHTTPResponse { .json(code, json, headers: headers) }
    }

    static func invalid(_ message: String) -> Failure { Failure(code: 400, reason: "invalid", message: message) }

    static let wrongURLForUpload = Failure(
        code: 400, reason: "wrongUrlForUpload",
        message: "Upload requests must include an uploadType URL parameter and a URL-encoded object name.")

    static let conditionNotMet = Failure(
        code: 412, reason: "conditionNotMet", message: "At least one of the pre-conditions you specified did not hold.",
        location: "If-Match")

    static func injectedFailure(_ code: Int, headers: [(String, String)]) -> FakeHTTPResponse {
        let (reason, message): (String, String) = switch code {
        case 429: ("rateLimitExceeded", "The project exceeded the rate limit for CloudStorage and this operation.")
        case 500: ("internalError", "Internal Error")
        case 503: ("backendError", "Backend Error")
        case 504: ("gatewayTimeout", "Gateway Timeout")
        case 404: ("notFound", "Not Found")
        default: ("injected", "Injected failure \(code).")
        }
        return Failure(code: code, reason: reason, message: message).response(headers: headers)
    }

    // MARK: names and preconditions

    /// "Object names can contain any sequence of valid Unicode characters, of length 1-1024
    /// bytes when UTF-8 encoded", without carriage returns or line feeds.
    static func validateObjectName(_ name: String) throws(Failure) {
        guard (1...1024).contains(name.utf8.count) else {
            throw invalid("The object name must be 1 to 1024 bytes long in UTF-8; it is \(name.utf8.count).")
        }
        guard !name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else {
            throw invalid("The object name must not contain carriage returns or line feeds.")
        }
    }

    /// The fake implements `ifGenerationMatch` only: any other precondition is refused rather
    /// than silently ignored.
    static func refuseUnsupportedPreconditions(_ request: FakeHTTPRequest) throws(Failure) {
        for parameter in ["ifGenerationNotMatch", "ifMetagenerationMatch", "ifMetagenerationNotMatch"]
        where request.query[parameter] != nil {
            throw invalid("\(parameter) is not supported by this fake.")
        }
    }

    /// `ifGenerationMatch`: the live generation must equal it; 0 means "no live object".
    /// Fails with 412 conditionNotMet.
    static func checkGenerationMatch(_ request: FakeHTTPRequest, live: Int64?) throws(Failure) {
        guard let text = request.query["ifGenerationMatch"] else { return }
        guard let wanted = Int64(text), wanted >= 0 else { throw invalid("Invalid value for ifGenerationMatch: \(text)") }
        let holds = wanted == 0 ? live == nil : live == wanted
        guard holds else { throw conditionNotMet }
    }

    /// `generation` selects that generation. The fake's bucket keeps no noncurrent versions
    /// (versioning off), so only the live generation can be selected; another is not found.
    static func selectsLiveGeneration(_ request: FakeHTTPRequest, live: Int64) throws(Failure) -> Bool {
        guard let text = request.query["generation"] else { return true }
        guard let wanted = Int64(text), wanted > 0 else { throw invalid("Invalid value for generation: \(text)") }
        return wanted == live
    }

    // MARK: documents

    /// The object resource (`storage#object`): int64/uint64 fields as strings, checksums in
    /// base64, times in RFC 3339.
    static func resource(_ object: CloudStorageState.StoredObject, bucket: String, baseURL: String) -> FakeJSON {
        let path = "/b/\(encoded(bucket))/o/\(encoded(object.name))"
        return [
            "kind": "storage#object",
            "id": .string("\(bucket)/\(object.name)/\(object.generation)"),
            "selfLink": .string("\(baseURL)/storage/v1\(path)"),
            "mediaLink": .string("\(baseURL)/download/storage/v1\(path)?generation=\(object.generation)&alt=media"),
            "name": .string(object.name),
            "bucket": .string(bucket),
            "generation": .string(String(object.generation)),
            "metageneration": .string(String(object.metageneration)),
            "contentType": .string(object.contentType),
            "storageClass": "STANDARD",
            "size": .string(String(object.bytes.count)),
            "md5Hash": .string(md5(object.bytes)),
            "crc32c": .string(crc32c(object.bytes)),
            "etag": .string(etag(object)),
            "timeCreated": .string(object.created.rfc3339),
            "updated": .string(object.created.rfc3339),
            "timeStorageClassUpdated": .string(object.created.rfc3339),
        ]
    }

    /// What a media download carries besides the bytes.
    static func mediaHeaders(_ object: CloudStorageState.StoredObject) -> [(String, String)] {
        [
            ("Content-Type", object.contentType),
            ("ETag", "\"\(etag(object))\""),
            ("x-goog-generation", String(object.generation)),
            ("x-goog-metageneration", String(object.metageneration)),
            ("x-goog-stored-content-encoding", "identity"),
            ("x-goog-stored-content-length", String(object.bytes.count)),
            ("x-goog-hash", "crc32c=\(crc32c(object.bytes))"),
            ("x-goog-hash", "md5=\(md5(object.bytes))"),
            ("x-goog-storage-class", "STANDARD"),
        ]
    }

    static func etag(_ object: CloudStorageState.StoredObject) -> String {
        Data("\(object.generation)/\(object.metageneration)".utf8).base64EncodedString()
    }

    static func encoded(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: unreserved) ?? segment
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    // MARK: checksums

    static func md5(_ bytes: Data) -> String {
        Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()
    }

    /// CRC32C (Castagnoli, RFC 4960 appendix B), big-endian, in base64.
    static func crc32c(_ bytes: Data) -> String {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crc32cTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        crc ^= 0xFFFF_FFFF
        return Data([UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]).base64EncodedString()
    }

    private static let crc32cTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1 }
        return value
    }

    // MARK: listing

    /// Google's tokens are opaque; this one carries the last name listed, so a listing
    /// continues after it even when objects before it were deleted meanwhile.
    static func pageToken(after name: String) -> String {
        Data(name.utf8).base64EncodedString()
    }

    static func nameAfter(pageToken token: String) -> String? {
        Data(base64Encoded: token).flatMap { String(data: $0, encoding: .utf8) }
    }

    /// Lexicographic order of UTF-8 bytes.
    static func precedes(_ left: String, _ right: String) -> Bool {
        left.utf8.lexicographicallyPrecedes(right.utf8)
    }
}
