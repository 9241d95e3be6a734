import Synchronization

/// Where limiters, deadlines and retries read the time: the system's monotonic clock in
/// production, a clock the test moves by hand (`ManualClock`) in tests — so a test never races
/// real time and passes on a slow, loaded machine as on a fast one.
public protocol MonotonicClock: Sendable {
    var now: ContinuousClock.Instant { get }
    /// Returns once `now` has reached `deadline` (throws on cancellation).
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension MonotonicClock {
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// The machine's monotonic clock.
public struct SystemClock: MonotonicClock {
    public init() {}

    public var now: ContinuousClock.Instant { .now }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }
}

/// A clock that moves only when told (`advance(by:)`); sleepers wake when it passes their
/// deadline. For tests.
public final class ManualClock: MonotonicClock {
    private struct State {
        var offset: Duration = .zero
        var sleepers: [(id: UInt64, deadline: ContinuousClock.Instant, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    private let origin = ContinuousClock.now
    private let state = Mutex(State())

    public init() {}

    public var now: ContinuousClock.Instant { origin + state.withLock { $0.offset } }

    public func advance(by duration: Duration) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.offset += duration
            let now = origin + state.offset
            let due = state.sleepers.filter { $0.deadline <= now }.map(\.continuation)
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for continuation in woken { continuation.resume() }
    }

    /// Sleepers waiting for the clock to move (a test advances once they are there).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if Task.isCancelled || origin + state.offset >= deadline { return true }
                    state.sleepers.append((id, deadline, continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            try Task.checkCancellation()
        } onCancel: {
            let cancelled = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }
}
