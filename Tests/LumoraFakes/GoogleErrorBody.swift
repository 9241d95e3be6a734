import Foundation

/// Google's error body (AIP-193): `{"error":{"code":409,"message":"…","status":"ALREADY_EXISTS"}}`.
public struct GoogleErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: Int
        public var message: String
        public var status: String
    }

    public var error: Detail

    public init(code: Int, status: String, message: String) {
        self.error = Detail(code: code, message: message, status: status)
    }

    /// The canonical status for an HTTP code, as Google's APIs send it.
    public static func status(forHTTP code: Int) -> String {
        switch code {
        case 400: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ALREADY_EXISTS"
        case 429: "RESOURCE_EXHAUSTED"
        case 503: "UNAVAILABLE"
        case 504: "DEADLINE_EXCEEDED"
        default: "INTERNAL"
        }
    }
}
