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

extension GoogleErrorBody {
    /// The body as JSON, with the empty `details` list Google sends.
    var json: FakeJSON {
        ["error": ["code": .int(error.code), "message": .string(error.message), "status": .string(error.status), "details": []]]
    }
}

extension FakeHTTPResponse {
    /// A Google error answer; `status` defaults to the canonical one for the HTTP code.
    static func google(_ code: Int, _ message: String, status: String? = nil, headers: [(String, String)] = []) -> FakeHTTPResponse {
        .json(code, GoogleErrorBody(code: code, status: status ?? GoogleErrorBody.status(forHTTP: code), message: message).json, headers: headers)
    }
}
