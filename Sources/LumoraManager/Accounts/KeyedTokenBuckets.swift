import LumoraCore
import Synchronization

/// A token bucket per key (a client address, an e-mail address), on an injected clock: each
/// holds up to `capacity` tokens and refills completely over `refillTime`.
final class KeyedTokenBuckets: Sendable {
    private let capacity: Double
    private let perSecond: Double
    private let clock: any MonotonicClock
    private let buckets = Mutex<[String: (tokens: Double, at: ContinuousClock.Instant)]>([:])

    init(capacity: Int, refillTime: Duration, clock: any MonotonicClock) {
        self.capacity = Double(max(capacity, 1))
        let seconds = Double(refillTime.components.seconds) + Double(refillTime.components.attoseconds) / 1e18
        self.perSecond = self.capacity / max(seconds, 0.001)
        self.clock = clock
    }

    /// Takes a token: nil when there was one, else the whole seconds until there is.
    func take(_ key: String) -> Int? {
        update(key, taking: true)
    }

    /// The seconds until `key` has a token again (nil: it has one now), taking none.
    func wait(_ key: String) -> Int? {
        update(key, taking: false)
    }

    func reset(_ key: String) {
        _ = buckets.withLock { $0.removeValue(forKey: key) }
    }

    private func update(_ key: String, taking: Bool) -> Int? {
        let now = clock.now
        let wait: Double? = buckets.withLock { buckets in
            // A flood of distinct keys must not grow memory without bound.
            if buckets.count > 100_000 { buckets.removeAll() }
            var (tokens, at) = buckets[key] ?? (capacity, now)
            let elapsed = now - at
            tokens = min(capacity, tokens + (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * perSecond)
            defer { buckets[key] = (tokens, now) }
            guard tokens >= 1 else { return (1 - tokens) / perSecond }
            if taking { tokens -= 1 }
            return nil
        }
        return wait.map { max(1, Int($0.rounded(.up))) }
    }
}

/// Failed sign-ins: at most 5 per account and 20 per client address in 15 minutes; then every
/// attempt — right password or not — is refused until the bucket refills. A success clears the
/// account's count.
struct LoginThrottle: Sendable {
    private let accounts: KeyedTokenBuckets
    private let addresses: KeyedTokenBuckets

    init(clock: any MonotonicClock, perAccount: Int = 5, perAddress: Int = 20, window: Duration = .seconds(15 * 60)) {
        accounts = KeyedTokenBuckets(capacity: perAccount, refillTime: window, clock: clock)
        addresses = KeyedTokenBuckets(capacity: perAddress, refillTime: window, clock: clock)
    }

    func check(email: String, address: String) throws(LumoraError) {
        if let wait = accounts.wait(email) ?? addresses.wait(address) {
            let minutes = max(1, (wait + 59) / 60)
            throw .tooManyRequests(retryAfter: wait,
                                   message: "Too many sign-in attempts. Please wait \(minutes) minute\(minutes == 1 ? "" : "s") and try again.")
        }
    }

    func failed(email: String, address: String) {
        _ = accounts.take(email)
        _ = addresses.take(address)
    }

    func succeeded(email: String) {
        accounts.reset(email)
    }
}
