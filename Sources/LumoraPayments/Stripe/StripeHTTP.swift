import AsyncHTTPClient
import Foundation
import LumoraCore
import Logging
import NIOCore
import NIOHTTP1

/// One Stripe answer, read whole (Stripe's objects are small JSON documents).
struct StripeReply: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: Data

    var requestID: String? { headers.first(name: "request-id") }
    var isReplay: Bool { headers.first(name: "idempotent-replayed")?.lowercased() == "true" }

    /// Stripe's error object, or a description of whatever came instead.
    var error: StripeError {
        let shouldRetry = headers.first(name: "stripe-should-retry").map { $0.lowercased() == "true" }
        guard let detail = try? JSONDecoder().decode(StripeErrorBody.self, from: body).error else {
            return StripeError(httpStatus: status, type: "invalid_response",
                               message: "HTTP \(status) without Stripe's error object: \(String(decoding: body.prefix(200), as: UTF8.self))",
                               requestID: requestID, shouldRetry: shouldRetry)
        }
        return StripeError(httpStatus: status, type: detail.type ?? "api_error", code: detail.code,
                           message: detail.message ?? "HTTP \(status)", param: detail.param, requestID: requestID, shouldRetry: shouldRetry)
    }
}

/// The transport: headers every Stripe call carries, the timeout, and the retries.
struct StripeHTTP: Sendable {
    let configuration: StripeConfiguration
    let client: HTTPClient
    let timeout: Duration
    let retries: Int
    let backoff: Duration
    let clock: any MonotonicClock
    let logger: Logger

    /// Sends one request, retrying what `StripeError.isRetryable` allows: after a connection
    /// failure, a 429 or a 5xx. A POST always carries its idempotency key, so a retry of a
    /// request that did run is answered with the first result instead of running twice.
    func send(_ method: HTTPMethod, _ path: String, form: StripeForm = StripeForm(), account: String?,
              idempotencyKey: String?) async throws -> StripeReply {
        let encoded: String
        do {
            encoded = try form.encoded()
        } catch {
            throw LumoraError.internalError("cannot send \(method.rawValue) \(path) to Stripe: \(error)")
        }
        var url = configuration.apiBase + path
        var body: Data?
        var headers: HTTPHeaders = [
            "authorization": "Bearer \(configuration.secretKey)",
            "stripe-version": configuration.apiVersion,
            "accept": "application/json",
            "user-agent": "Lumora/\(LumoraVersion.current)",
        ]
        if let account, !account.isEmpty { headers.add(name: "stripe-account", value: account) }
        if method == .POST {
            body = Data(encoded.utf8)
            headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
            if let idempotencyKey { headers.add(name: "idempotency-key", value: idempotencyKey) }
        } else if !encoded.isEmpty {
            url += "?" + encoded
        }

        var attempt = 0
        while true {
            attempt += 1
            let failure: StripeError
            do {
                let reply = try await execute(method, url, headers: headers, body: body)
                logger.debug("stripe answered", metadata: [
                    "stripe.method": "\(method.rawValue)", "stripe.path": "\(path)", "stripe.status": "\(reply.status)",
                    "stripe.attempt": "\(attempt)", "stripe.request_id": "\(reply.requestID ?? "-")", "stripe.replayed": "\(reply.isReplay)",
                ])
                if (200..<300).contains(reply.status) { return reply }
                failure = reply.error
            } catch let error as CancellationError {
                throw error
            } catch {
                failure = StripeError(httpStatus: nil, type: "api_connection_error",
                                      message: "no answer from \(configuration.apiBase) to \(method.rawValue) \(path): \(error)")
                logger.debug("stripe unreachable", metadata: ["stripe.path": "\(path)", "stripe.attempt": "\(attempt)", "error": "\(error)"])
            }
            guard failure.isRetryable, attempt <= retries else { throw failure }
            try await clock.sleep(for: delay(afterAttempt: attempt))
        }
    }

    /// Exponential from `backoff`, capped at 8×, with ±25 % jitter so many cells that met the
    /// same outage do not come back in step.
    func delay(afterAttempt attempt: Int) -> Duration {
        let factor = Double(1 << min(max(attempt - 1, 0), 3))
        return backoff * (factor * Double.random(in: 0.75...1.25))
    }

    private func execute(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders, body: Data?) async throws -> StripeReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.replaceOrAdd(name: "content-length", value: String(body.count))
        }
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        let response = try await client.execute(request, timeout: .milliseconds(max(milliseconds, 1)))
        let buffer = try await response.body.collect(upTo: 4 << 20)
        return StripeReply(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
    }
}
