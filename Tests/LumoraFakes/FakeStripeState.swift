import Foundation

/// Everything the Stripe fake knows, mutated only under its `Mutex`: authentication, Connect's
/// `Stripe-Account`, idempotency, injected failures and the request log, around the endpoints
/// (FakeStripeCheckout.swift, FakeStripeRefunds.swift) as synchronous code.
struct StripeState: Sendable {
    /// The request being answered, as events record it (`request.id`, `request.idempotency_key`).
    struct Context: Sendable {
        var requestID: String
        var idempotencyKey: String?
        var account: String
    }

    struct SavedAnswer: Sendable {
        var method: String
        var path: String
        var fingerprint: [String]
        var response: FakeHTTPResponse
    }

    struct IdempotencyScope: Hashable, Sendable {
        var account: String
        var key: String
    }

    static let apiVersion = "2026-07-29.dahlia"

    let secretKey: String
    let platformAccount: String
    var baseURL = ""
    var accounts: [String: StripeObjects.Account] = [:]
    var ledgers: [String: StripeObjects.Ledger] = [:]
    var events: [StripeObjects.Event] = []
    /// Events not yet handed to the webhook delivery.
    var outbox: [StripeObjects.Event] = []
    var webhookEndpoints = 0
    var idempotency: [IdempotencyScope: SavedAnswer] = [:]
    var injectedFailures: [Int] = []
    var requestLog: [FakeStripeRequest] = []

    init(secretKey: String, platformAccount: String) {
        self.secretKey = secretKey
        self.platformAccount = platformAccount
        ledgers[platformAccount] = StripeObjects.Ledger()
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }

    mutating func takeOutbox() -> [StripeObjects.Event] {
        defer { outbox = [] }
        return outbox
    }

    // MARK: the API

    mutating func handle(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        let requestID = StripeObjects.id("req_")
        let path = request.rawTarget.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        var entry = FakeStripeRequest(
            method: request.method, path: path, account: request.header("Stripe-Account"),
            idempotencyKey: request.header("Idempotency-Key"), stripeVersion: request.header("Stripe-Version"), form: [:], status: 0,
            replayed: false)
        var response = answer(request, path: path, requestID: requestID, entry: &entry)
        response.headers.append(("Request-Id", requestID))
        response.headers.append(("Stripe-Version", entry.stripeVersion ?? Self.apiVersion))
        if let key = entry.idempotencyKey, request.method == "POST" { response.headers.append(("Idempotency-Key", key)) }
        entry.status = response.status
        requestLog.append(entry)
        return response
    }

    private mutating func answer(_ request: FakeHTTPRequest, path: String, requestID: String,
                                 entry: inout FakeStripeRequest) -> FakeHTTPResponse {
        // Injected outages answer before anything else, as a rate limiter or a failing front
        // end would: nothing ran, so nothing is saved under the idempotency key.
        if !injectedFailures.isEmpty {
            return Self.injected(injectedFailures.removeFirst()).response
        }
        let parameters: StripeParameters
        do throws(StripeFailure) {
            try authenticate(request)
            parameters = try Self.parameters(of: request)
            entry.form = Dictionary(parameters.pairs, uniquingKeysWith: { $1 })
            if let version = entry.stripeVersion, version.wholeMatch(of: /\d{4}-\d{2}-\d{2}(\.[a-z]+)?/) == nil {
                throw .invalid("Invalid Stripe API version: \(version)")
            }
        } catch {
            return error.response
        }

        let account = entry.account ?? platformAccount
        guard ledgers[account] != nil else {
            return StripeFailure(
                status: 403, code: "account_invalid",
                message: "The provided key '\(Self.masked(secretKey))' does not have access to account '\(account)' (or that account does not exist). Application access may have been revoked."
            ).response
        }

        let context = Context(requestID: requestID, idempotencyKey: entry.idempotencyKey, account: account)
        // Idempotency applies to POST; GET and DELETE are idempotent already.
        var scope: IdempotencyScope?
        if request.method == "POST", let key = entry.idempotencyKey {
            guard !key.isEmpty, key.count <= 255 else {
                return StripeFailure.invalid("Invalid idempotency key: it must be 1 to 255 characters long.").response
            }
            let here = IdempotencyScope(account: account, key: key)
            if let saved = idempotency[here] {
                guard saved.method == request.method, saved.path == path, saved.fingerprint == parameters.fingerprint else {
                    return StripeFailure(
                        status: 400, type: "idempotency_error",
                        message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '\(key)' if you meant to execute a different request."
                    ).response
                }
                entry.replayed = true
                var replay = saved.response
                replay.headers.append(("Idempotent-Replayed", "true"))
                return replay
            }
            scope = here
        }

        let response: FakeHTTPResponse
        var save = true
        do throws(StripeFailure) {
            response = .json(200, try route(request.method, path: path, parameters: parameters, context: context))
        } catch {
            response = error.response
            save = error.saved
        }
        if let scope, save {
            idempotency[scope] = SavedAnswer(method: request.method, path: path, fingerprint: parameters.fingerprint, response: response)
        }
        return response
    }

    private mutating func route(_ method: String, path: String, parameters: StripeParameters,
                                context: Context) throws(StripeFailure) -> FakeJSON {
        let s = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        switch (method, s.count) {
        case ("POST", 3) where s[1] == "checkout" && s[2] == "sessions":
            return try createSession(parameters, context: context)
        case ("GET", 4) where s[1] == "checkout" && s[2] == "sessions":
            try Self.onlyExpand(parameters)
            return try renderSession(s[3], in: context.account, parameters: parameters)
        case ("POST", 5) where s[1] == "checkout" && s[2] == "sessions" && s[4] == "expire":
            try Self.onlyExpand(parameters)
            return try expireSession(s[3], in: context.account, context: context)
        case ("POST", 2) where s[1] == "refunds":
            return try createRefund(parameters, context: context)
        case ("GET", 3) where s[1] == "refunds":
            try Self.onlyExpand(parameters)
            guard let refund = ledgers[context.account]?.refunds[s[2]] else { throw .notFound("refund", s[2], param: "refund") }
            return StripeObjects.render(refund)
        case ("GET", 3) where s[1] == "payment_intents":
            try Self.onlyExpand(parameters)
            guard let intent = ledgers[context.account]?.paymentIntents[s[2]] else { throw .notFound("payment_intent", s[2], param: "intent") }
            return StripeObjects.render(intent)
        case ("GET", 3) where s[1] == "charges":
            let expand = try Self.onlyExpand(parameters, allowed: ["refunds"])
            return try renderCharge(s[2], in: context.account, expandRefunds: expand.contains("refunds"))
        case ("GET", 3) where s[1] == "accounts":
            try Self.onlyExpand(parameters)
            guard let account = accounts[s[2]] else {
                throw StripeFailure(
                    status: 403, code: "account_invalid",
                    message: "The provided key '\(Self.masked(secretKey))' does not have access to account '\(s[2])' (or that account does not exist). Application access may have been revoked.")
            }
            return StripeObjects.render(account)
        case ("GET", 3) where s[1] == "events":
            try Self.onlyExpand(parameters)
            guard ledgers[context.account]?.events.contains(s[2]) == true, let event = events.first(where: { $0.id == s[2] }),
                  let json = FakeJSON.decode(event.body)
            else { throw .notFound("event", s[2], param: "id") }
            return json
        default:
            throw StripeFailure(
                status: 404,
                message: "Unrecognized request URL (\(method): \(path)). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
                saved: true)
        }
    }

    // MARK: requests

    private func authenticate(_ request: FakeHTTPRequest) throws(StripeFailure) {
        var key = request.bearerToken
        // HTTP Basic with the key as the user name works too.
        if key == nil, let value = request.header("Authorization"), value.lowercased().hasPrefix("basic "),
           let decoded = Data(base64Encoded: String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)) {
            key = String(decoding: decoded, as: UTF8.self).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
        }
        let challenge = [("WWW-Authenticate", "Basic realm=\"Stripe\"")]
        guard let key, !key.isEmpty else {
            throw StripeFailure(
                status: 401,
                message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
                headers: challenge)
        }
        guard key == secretKey else {
            throw StripeFailure(status: 401, message: "Invalid API Key provided: \(Self.masked(key))", headers: challenge)
        }
    }

    private static func parameters(of request: FakeHTTPRequest) throws(StripeFailure) -> StripeParameters {
        if request.method == "POST" {
            let type = request.header("Content-Type")?.lowercased() ?? ""
            // Stripe reads only form bodies; a JSON body is refused rather than misread.
            guard request.body.isEmpty || type.hasPrefix("application/x-www-form-urlencoded") else {
                throw .invalid("Invalid request (check that your POST content type is application/x-www-form-urlencoded). If you have any questions, we can help at https://support.stripe.com/.")
            }
            return try StripeParameters.parse(String(decoding: request.body, as: UTF8.self))
        }
        let query = request.rawTarget.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        return try StripeParameters.parse(query)
    }

    /// Endpoints that take no parameters but `expand`; returns the fields to expand.
    @discardableResult
    static func onlyExpand(_ parameters: StripeParameters, allowed: Set<String> = []) throws(StripeFailure) -> [String] {
        try StripeParam.check(parameters.root, prefix: nil, modelled: ["expand"], known: [])
        guard let node = parameters.root["expand"] else { return [] }
        guard let fields = node.elements?.compactMap(\.string) else { throw .invalid("Invalid array", param: "expand") }
        for (index, field) in fields.enumerated() where !allowed.contains(field) {
            throw .invalid("This property cannot be expanded (\(field)).", param: "expand[\(index)]")
        }
        return fields
    }

    static func injected(_ status: Int) -> StripeFailure {
        if status == 429 {
            // The OpenAPI document's error types do not include a rate-limit type: a 429 is an
            // `invalid_request_error` with the code `rate_limit`.
            return StripeFailure(
                status: 429, code: "rate_limit",
                message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.")
        }
        return StripeFailure(
            status: status, type: "api_error",
            message: "An unknown error occurred. Please try again; if the problem persists, contact Stripe support.")
    }

    /// `sk_test_********mora`, as Stripe echoes keys.
    static func masked(_ key: String) -> String {
        let prefix = ["sk_test_", "sk_live_", "rk_test_", "rk_live_"].first(where: key.hasPrefix) ?? ""
        let tail = key.count > prefix.count + 4 ? String(key.suffix(4)) : ""
        return prefix + String(repeating: "*", count: max(key.count - prefix.count - tail.count, 0)) + tail
    }

    // MARK: events

    mutating func emit(_ type: String, object: FakeJSON, objectID: String, account: String, request: Context?) {
        let id = StripeObjects.id("evt_")
        let connected = account == platformAccount ? nil : account
        var json: FakeJSON = [
            "id": .string(id),
            "object": "event",
            "api_version": .string(Self.apiVersion),
            "created": .int(Self.now),
            "data": ["object": object],
            "livemode": false,
            "pending_webhooks": .int(webhookEndpoints),
            "request": ["id": StripeObjects.optional(request?.requestID), "idempotency_key": StripeObjects.optional(request?.idempotencyKey)],
            "type": .string(type),
        ]
        if let connected { json["account"] = .string(connected) }
        let event = StripeObjects.Event(id: id, type: type, account: connected, objectID: objectID, body: json.encoded())
        events.append(event)
        outbox.append(event)
        ledgers[account]?.events.insert(id)
    }
}

/// One API request as the fake saw it (hosted-page visits are not API requests).
public struct FakeStripeRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    /// `Stripe-Account`, as sent.
    public var account: String?
    public var idempotencyKey: String?
    public var stripeVersion: String?
    /// Decoded form (or query) fields by their bracketed names: `metadata[order]`, `line_items[0][quantity]`.
    public var form: [String: String]
    public var status: Int
    /// Answered from the idempotency layer (`Idempotent-Replayed: true`).
    public var replayed: Bool
}
