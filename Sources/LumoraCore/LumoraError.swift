/// The one error type that crosses a Lumora boundary.
///
/// Every failure a client can cause or observe is a `LumoraError`: a stable machine-readable
/// `code` (snake_case, part of the API), a human `message`, and a `status` that decides the
/// HTTP status code. The HTTP layers map it once, to `{"error":{"code","message"}}`.
public struct LumoraError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure; each maps to exactly one HTTP status code.
    public enum Status: Int, Sendable, Equatable {
        case badRequest = 400
        case unauthorized = 401
        case paymentRequired = 402
        case forbidden = 403
        case notFound = 404
        case methodNotAllowed = 405
        case conflict = 409
        case gone = 410
        case payloadTooLarge = 413
        case unsupportedMediaType = 415
        case rangeNotSatisfiable = 416
        case unprocessable = 422
        case tooManyRequests = 429
        case internalError = 500
        case badGateway = 502
        case unavailable = 503
        case gatewayTimeout = 504
    }

    public var status: Status
    public var code: String
    public var message: String
    /// Machine-readable extras for the HTTP layer (such as `retry_after`); not part of the body.
    public var details: [String: String] = [:]

    public init(_ status: Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var httpStatusCode: Int { status.rawValue }

    /// The JSON body every Lumora service sends for an error.
    public var body: ErrorBody {
        ErrorBody(error: .init(code: code, message: message))
    }

    public var description: String { "\(code): \(message)" }
}

/// `{"error":{"code":"…","message":"…"}}`
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var error: Detail

    public init(error: Detail) {
        self.error = error
    }
}

extension LumoraError {
    public static func badRequest(_ code: String, _ message: String) -> LumoraError {
        LumoraError(.badRequest, code: code, message: message)
    }

    public static func notFound(_ code: String, _ message: String) -> LumoraError {
        LumoraError(.notFound, code: code, message: message)
    }

    public static func conflict(_ code: String, _ message: String) -> LumoraError {
        LumoraError(.conflict, code: code, message: message)
    }

    public static func internalError(_ message: String) -> LumoraError {
        LumoraError(.internalError, code: "internal_error", message: message)
    }
}

extension LumoraError {
    /// Seconds to wait before trying again, carried in the message-independent `details` of
    /// 429 and 503 errors (the HTTP edge sends it as `Retry-After`).
    public var retryAfterSeconds: Int? {
        get { details["retry_after"].flatMap(Int.init) }
        set { details["retry_after"] = newValue.map(String.init) }
    }
}
