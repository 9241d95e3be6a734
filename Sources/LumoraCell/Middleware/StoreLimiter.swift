import LumoraCore
import LumoraDatabase
import Synchronization

/// Per-store and per-visitor limits, so one busy store cannot starve its neighbours and one
/// visitor cannot starve a store's shoppers.
///
/// - Every request spends a token of its **visitor's** bucket (the visitor is the client address
///   the edge vouches for), a share of the store's rate: one client flooding a store is told to
///   wait while the store's other visitors are served.
/// - A request that reaches the **database** also spends a token of the store's bucket and holds
///   a concurrency slot of the store and of its visitor for as long as its transaction runs
///   (`StoreAdmission`, called by `TenantScope`). Answers from the response cache spend neither:
///   they cost the database nothing.
///
/// Time comes from an injected clock, so tests drive it instead of racing it.
final class StoreLimiter: StoreAdmission {
    private struct Bucket {
        var tokens: Double
        var refilledAt: ContinuousClock.Instant
        var inFlight = 0

        init(capacity: Double, now: ContinuousClock.Instant) {
            tokens = capacity
            refilledAt = now
        }

        /// Refills for the time since the last refill; returns nil after taking a token (or when
        /// the rate is unlimited), else the seconds until one is there.
        mutating func take(rate: Double, capacity: Double, now: ContinuousClock.Instant) -> Double? {
            guard rate.isFinite else { return nil }
            let elapsed = now - refilledAt
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(capacity, tokens + seconds * rate)
            refilledAt = now
            guard tokens >= 1 else { return (1 - tokens) / max(rate, 0.001) }
            tokens -= 1
            return nil
        }

        /// Whether forgetting this bucket changes nothing (full and idle).
        func isIdle(rate: Double, capacity: Double, now: ContinuousClock.Instant) -> Bool {
            guard inFlight == 0 else { return false }
            guard rate.isFinite else { return true }
            let elapsed = now - refilledAt
            return tokens + Double(elapsed.components.seconds) * rate >= capacity
        }
    }

    private struct VisitorKey: Hashable {
        let store: StoreSlug
        let visitor: String
    }

    private struct State {
        var stores: [StoreSlug: Bucket] = [:]
        var visitors: [VisitorKey: Bucket] = [:]
    }

    /// One request's identity for the limiter, carried in a task-local so `TenantScope`'s
    /// admission (which knows only the store) can find its visitor.
    final class Visit: Sendable {
        let store: StoreSlug
        let visitor: String
        let limits: CellConfiguration.StoreLimits
        /// The store's rate is spent once per request, however many transactions it runs.
        let paidStoreRate = Atomic<Bool>(false)

        init(store: StoreSlug, visitor: String, limits: CellConfiguration.StoreLimits) {
            self.store = store
            self.visitor = visitor
            self.limits = limits
        }
    }

    @TaskLocal static var currentVisit: Visit?

    /// Visitor buckets kept before idle ones are forgotten (a client rotating addresses must not
    /// grow the table without bound).
    static let visitorCapacity = 50_000

    private let clock: any MonotonicClock
    private let state = Mutex(State())

    init(clock: any MonotonicClock = SystemClock()) {
        self.clock = clock
    }

    /// Spends a token of the visitor's share of the store's rate, or throws 429.
    func admit(_ visit: Visit) throws(LumoraError) {
        let limits = visit.limits
        let now = clock.now
        let wait: Double? = state.withLock { state in
            let key = VisitorKey(store: visit.store, visitor: visit.visitor)
            if state.visitors[key] == nil, state.visitors.count >= Self.visitorCapacity {
                Self.forgetIdleVisitors(&state, limits: limits, now: now)
            }
            var bucket = state.visitors[key] ?? Bucket(capacity: limits.visitorBurst, now: now)
            defer { state.visitors[key] = bucket }
            return bucket.take(rate: limits.visitorRate, capacity: limits.visitorBurst, now: now)
        }
        if let wait {
            throw .tooManyRequests(retryAfter: Int(wait.rounded(.up)), message: "too many requests from your address for this store")
        }
    }

    // MARK: StoreAdmission (database work)

    func enter(_ store: StoreSlug) throws {
        guard let visit = Self.currentVisit, visit.store == store else { return }
        let limits = visit.limits
        let chargeRate = !visit.paidStoreRate.exchange(true, ordering: .relaxed)
        let now = clock.now
        let refusal: LumoraError? = state.withLock { state in
            let key = VisitorKey(store: store, visitor: visit.visitor)
            var storeBucket = state.stores[store] ?? Bucket(capacity: limits.burst, now: now)
            var visitorBucket = state.visitors[key] ?? Bucket(capacity: limits.visitorBurst, now: now)
            guard storeBucket.inFlight < limits.concurrency else {
                return .tooManyRequests(retryAfter: 1, message: "too many requests in flight for this store")
            }
            guard visitorBucket.inFlight < limits.visitorConcurrency else {
                return .tooManyRequests(retryAfter: 1, message: "too many requests in flight from your address")
            }
            if chargeRate, let wait = storeBucket.take(rate: limits.requestsPerSecond, capacity: limits.burst, now: now) {
                state.stores[store] = storeBucket
                return .tooManyRequests(retryAfter: Int(wait.rounded(.up)), message: "this store is over its request rate")
            }
            storeBucket.inFlight += 1
            visitorBucket.inFlight += 1
            state.stores[store] = storeBucket
            state.visitors[key] = visitorBucket
            return nil
        }
        if let refusal {
            if chargeRate { visit.paidStoreRate.store(false, ordering: .relaxed) }
            throw refusal
        }
    }

    func leave(_ store: StoreSlug) {
        guard let visit = Self.currentVisit, visit.store == store else { return }
        state.withLock { state in
            state.stores[store]?.inFlight -= 1
            state.visitors[VisitorKey(store: store, visitor: visit.visitor)]?.inFlight -= 1
        }
    }

    /// Visitors with a bucket (for tests).
    var visitorCount: Int {
        state.withLock { $0.visitors.count }
    }

    /// Requests of `store` holding the database now (for tests and metrics).
    func inFlight(_ store: StoreSlug) -> Int {
        state.withLock { $0.stores[store]?.inFlight ?? 0 }
    }

    private static func forgetIdleVisitors(_ state: inout State, limits: CellConfiguration.StoreLimits, now: ContinuousClock.Instant) {
        state.visitors = state.visitors.filter { !$0.value.isIdle(rate: limits.visitorRate, capacity: limits.visitorBurst, now: now) }
    }
}
