import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import Synchronization

/// `Authorization: Bearer <operator token>` on every `/v1` route.
struct OperatorAuthentication: RouterMiddleware {
    typealias Context = ManagerRequestContext

    let tokenHash: [UInt8]

    init(token: String) {
        tokenHash = Array(SHA256.hash(data: Data(token.utf8)))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw LumoraError(.unauthorized, code: "missing_token", message: "the manager API needs Authorization: Bearer <operator token>")
        }
        let presented = Array(SHA256.hash(data: Data(header.dropFirst(7).utf8)))
        guard ConstantTime.equals(presented, tokenHash) else {
            throw LumoraError(.unauthorized, code: "invalid_token", message: "the operator token is not valid")
        }
        return try await next(request, context)
    }
}

/// Public signups per client address: a token bucket of `perMinute`, on an injected clock.
struct SignupLimiter: Sendable {
    private let buckets: KeyedTokenBuckets

    init(perMinute: Int, clock: any MonotonicClock = SystemClock()) {
        buckets = KeyedTokenBuckets(capacity: perMinute, refillTime: .seconds(60), clock: clock)
    }

    func admit(_ client: String) throws(LumoraError) {
        if let wait = buckets.take(client) {
            throw .tooManyRequests(retryAfter: wait, message: "too many signups from your address; try again shortly")
        }
    }
}
