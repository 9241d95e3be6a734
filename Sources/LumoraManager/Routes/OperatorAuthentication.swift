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
final class SignupLimiter: Sendable {
    private let perMinute: Double
    private let clock: any MonotonicClock
    private let buckets = Mutex<[String: (tokens: Double, at: ContinuousClock.Instant)]>([:])

    init(perMinute: Int, clock: any MonotonicClock = SystemClock()) {
        self.perMinute = Double(max(perMinute, 1))
        self.clock = clock
    }

    func admit(_ client: String) throws(LumoraError) {
        let now = clock.now
        let wait: Double? = buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll() }
            var (tokens, at) = buckets[client] ?? (perMinute, now)
            let elapsed = now - at
            tokens = min(perMinute, tokens + (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * perMinute / 60)
            defer { buckets[client] = (tokens, now) }
            guard tokens >= 1 else { return (1 - tokens) * 60 / perMinute }
            tokens -= 1
            return nil
        }
        if let wait {
            throw .tooManyRequests(retryAfter: Int(wait.rounded(.up)), message: "too many signups from your address; try again shortly")
        }
    }
}
