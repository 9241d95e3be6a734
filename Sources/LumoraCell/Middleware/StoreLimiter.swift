import LumoraCore
import Synchronization

/// Per-store token bucket and concurrency cap (shared cells). A store over its rate, or with
/// too many requests in flight, is told to retry later; other stores are not affected.
final class StoreLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilledAt: ContinuousClock.Instant
        var inFlight: Int
    }

    private let limits: CellConfiguration.StoreLimits
    private let buckets = Mutex<[StoreSlug: Bucket]>([:])

    init(limits: CellConfiguration.StoreLimits) {
        self.limits = limits
    }

    /// Takes a token and a concurrency slot, or throws 429 with how long to wait.
    func acquire(_ store: StoreSlug) throws(LumoraError) {
        let now = ContinuousClock.now
        let refusal: LumoraError? = buckets.withLock { buckets in
            var bucket = buckets[store] ?? Bucket(tokens: limits.burst, refilledAt: now, inFlight: 0)
            if limits.requestsPerSecond.isFinite {
                let elapsed = (now - bucket.refilledAt)
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                bucket.tokens = min(limits.burst, bucket.tokens + seconds * limits.requestsPerSecond)
            }
            bucket.refilledAt = now
            defer { buckets[store] = bucket }
            guard bucket.inFlight < limits.concurrency else {
                return .tooManyRequests(retryAfter: 1, message: "too many requests in flight for this store")
            }
            guard !limits.requestsPerSecond.isFinite || bucket.tokens >= 1 else {
                let wait = (1 - bucket.tokens) / max(limits.requestsPerSecond, 0.001)
                return .tooManyRequests(retryAfter: Int(wait.rounded(.up)), message: "this store is over its request rate")
            }
            if limits.requestsPerSecond.isFinite { bucket.tokens -= 1 }
            bucket.inFlight += 1
            return nil
        }
        if let refusal { throw refusal }
    }

    func release(_ store: StoreSlug) {
        buckets.withLock { buckets in
            if var bucket = buckets[store] {
                bucket.inFlight = max(0, bucket.inFlight - 1)
                buckets[store] = bucket
            }
        }
    }
}
