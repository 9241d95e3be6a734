import Foundation

/// An error answer in Stripe's shape (`error` → `api_errors` in the OpenAPI document):
/// `{"error":{"type","code","message","param","doc_url"}}`.
struct StripeFailure: Error, Sendable {
    var status: Int
    var type: String
    var code: String?
    var message: String
    var param: String?
    /// Whether the idempotency layer keeps this answer for the key. Stripe saves results "only
    /// if an API endpoint started executing": requests refused by authentication or parameter
    /// validation are not saved, so a corrected retry with the same key runs.
    var saved: Bool
    var headers: [(String, String)] = []

    init(status: Int, type: String = "invalid_request_error", code: String? = nil, message: String, param: String? = nil,
         saved: Bool = false, headers: [(String, String)] = []) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.saved = saved
        self.headers = headers
    }

    var json: FakeJSON {
        var error: [String: FakeJSON] = ["type": .string(type), "message": .string(message)]
        if let code {
            error["code"] = .string(code)
            error["doc_url"] = .string("https://docs.stripe.com/error-codes/\(code.replacingOccurrences(of: "_", with: "-"))")
        }
        if let param { error["param"] = .string(param) }
        return ["error": .object(error)]
    }

    var response: FakeHTTPResponse { .json(status, json, headers: headers) }
}

extension StripeFailure {
    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> StripeFailure {
        StripeFailure(status: 400, code: code, message: message, param: param)
    }

    static func missing(_ param: String) -> StripeFailure {
        .invalid("Missing required param: \(param).", param: param, code: "parameter_missing")
    }

    static func unknown(_ param: String) -> StripeFailure {
        .invalid("Received unknown parameter: \(param)", param: param, code: "parameter_unknown")
    }

    static func invalidInteger(_ param: String, _ value: String) -> StripeFailure {
        .invalid("Invalid integer: \(value)", param: param, code: "parameter_invalid_integer")
    }

    static func empty(_ param: String) -> StripeFailure {
        .invalid("You passed an empty string for '\(param)'. We assume empty values are an attempt to unset a parameter; however '\(param)' cannot be unset. You should remove '\(param)' from your request or supply a non-empty value.",
                 param: param, code: "parameter_invalid_empty")
    }

    /// A parameter Stripe accepts but this fake does not model. Not Stripe's behaviour — it keeps
    /// a client from relying on semantics the fake would silently get wrong.
    static func unmodelled(_ param: String) -> StripeFailure {
        .invalid("FakeStripe does not model the parameter '\(param)' (Stripe accepts it): extend the fake before relying on it.", param: param)
    }

    static func notFound(_ kind: String, _ id: String, param: String) -> StripeFailure {
        StripeFailure(status: 404, code: "resource_missing", message: "No such \(kind): '\(id)'", param: param, saved: true)
    }
}
