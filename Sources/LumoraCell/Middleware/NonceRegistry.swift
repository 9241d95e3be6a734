import LumoraCore
import Synchronization

/// The nonces of signed writes this cell has seen while their signatures are valid, so a
/// captured write cannot be replayed. Two generations, each as long as the signature tolerance
/// on both sides of now: a nonce is remembered for at least that long, memory stays
/// proportional to the write rate, and nothing is swept one entry at a time.
///
/// Per process: a store served by several instances of a cell could see a replay once per
/// other instance within the window (docs/SECURITY.md).
final class NonceRegistry: Sendable {
    private struct State {
        var current: Set<String> = []
        var previous: Set<String> = []
        var rotatedAt: ContinuousClock.Instant
    }

    private let clock: any MonotonicClock
    private let generation: Duration
    private let state: Mutex<State>
    /// Nonces held at most; beyond it writes are refused (429) rather than remembered loosely.
    let capacity: Int

    init(tolerance: Duration, clock: any MonotonicClock, capacity: Int = 2_000_000) {
        self.clock = clock
        self.generation = tolerance * 2
        self.capacity = capacity
        self.state = Mutex(State(rotatedAt: clock.now))
    }

    /// Records `nonce`; throws when it was seen already (or the registry is full).
    func use(_ nonce: String) throws(LumoraError) {
        let now = clock.now
        let outcome: LumoraError? = state.withLock { state in
            if now - state.rotatedAt >= generation {
                // Two generations old is past every signature's tolerance.
                state.previous = now - state.rotatedAt >= generation * 2 ? [] : state.current
                state.current = []
                state.rotatedAt = now
            }
            if state.previous.contains(nonce) || state.current.contains(nonce) {
                return LumoraError(.unauthorized, code: "replayed_request", message: "this signed request was already received")
            }
            guard state.current.count + state.previous.count < capacity else {
                return LumoraError.tooManyRequests(retryAfter: 1, message: "too many writes at once; retry shortly")
            }
            state.current.insert(nonce)
            return nil
        }
        if let outcome { throw outcome }
    }
}
