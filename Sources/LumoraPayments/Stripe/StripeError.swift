import Foundation
import LumoraCore

/// A failed Stripe call: Stripe's error object (`{"error":{"type","code","message","param"}}`)
/// with the HTTP status it came with, or a request that never got an answer.
public struct StripeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nil when no answer arrived (connection refused or reset, timeout).
    public var httpStatus: Int?
    /// Stripe's `type` (`invalid_request_error`, `api_error`, `card_error`, `idempotency_error`),
    /// or one of Lumora's for failures Stripe did not describe: `api_connection_error` (no
    /// answer) and `invalid_response` (an answer that is not Stripe's JSON).
    public var type: String
    public var code: String?
    public var message: String
    public var param: String?
    /// `Request-Id` of the answer, for Stripe's dashboard logs and support.
    public var requestID: String?
    /// `Stripe-Should-Retry`, when Stripe sent it: its own verdict overrides the status code.
    public var shouldRetry: Bool?

    public init(httpStatus: Int?, type: String, code: String? = nil, message: String, param: String? = nil,
                requestID: String? = nil, shouldRetry: Bool? = nil) {
        self.httpStatus = httpStatus
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.requestID = requestID
        self.shouldRetry = shouldRetry
    }

    /// Whether sending the same request again with the same idempotency key is safe and may
    /// succeed: no answer at all, 429 (rate limited before anything ran) and 5xx, the cases
    /// Stripe's idempotency guide names; `Stripe-Should-Retry` wins when present.
    public var isRetryable: Bool {
        if let shouldRetry { return shouldRetry }
        guard let httpStatus else { return type == "api_connection_error" }
        return httpStatus == 429 || (500...599).contains(httpStatus)
    }

    /// The rate limit. The OpenAPI document lists no `rate_limit_error` type, so the status and
    /// the `rate_limit` code are what identify it.
    public var isRateLimit: Bool { httpStatus == 429 || code == "rate_limit" || type == "rate_limit_error" }

    /// What Lumora tells its own callers: a transient failure is a 503 they may retry, a refusal
    /// is a 502 carrying Stripe's explanation (Lumora sent something Stripe would not accept:
    /// the shopper cannot fix it, an operator can).
    public var lumoraError: LumoraError {
        var error: LumoraError
        if isRetryable {
            error = LumoraError(.unavailable, code: "payment_unavailable",
                                message: "The payment provider is not answering right now (\(summary)). Please try again in a moment.")
        } else if let httpStatus, (400...499).contains(httpStatus) {
            error = LumoraError(.badGateway, code: "payment_provider_refused", message: "Stripe refused the request: \(message)")
        } else {
            error = LumoraError(.badGateway, code: "payment_provider_error", message: "Stripe answered unexpectedly (\(summary)): \(message)")
        }
        error.details["stripe_type"] = type
        if let httpStatus { error.details["stripe_status"] = String(httpStatus) }
        if let code { error.details["stripe_code"] = code }
        if let param { error.details["stripe_param"] = param }
        if let requestID { error.details["stripe_request_id"] = requestID }
        return error
    }

    private var summary: String {
        let status = httpStatus.map { "HTTP \($0)" } ?? "no answer"
        return [status, code ?? type].joined(separator: " ")
    }

    public var description: String {
        var parts = [httpStatus.map(String.init) ?? "no answer", type]
        if let code { parts.append(code) }
        if let param { parts.append("param \(param)") }
        return "Stripe error (\(parts.joined(separator: ", "))): \(message)"
    }
}

/// `{"error": {…}}` as Stripe sends it (the `error` schema of the OpenAPI document).
struct StripeErrorBody: Decodable {
    struct Detail: Decodable {
        var type: String?
        var code: String?
        var message: String?
        var param: String?
    }
    var error: Detail
}
