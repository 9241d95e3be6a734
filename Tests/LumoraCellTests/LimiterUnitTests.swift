import LumoraCore
import Testing
@testable import LumoraCell

/// The limiter and the nonce registry on a clock the test moves.
@Suite struct LimiterUnitTests {
    @Test func aNonceIsRefusedWhileItsSignatureCouldBeValid() throws {
        let clock = ManualClock()
        let nonces = NonceRegistry(tolerance: .seconds(30), clock: clock)
        try nonces.use("a")
        #expect(throws: LumoraError.self) { try nonces.use("a") }
        // Across a generation change it is still known…
        clock.advance(by: .seconds(61))
        try nonces.use("b")
        #expect(throws: LumoraError.self) { try nonces.use("a") }
        // …and forgotten once no signature carrying it can be valid any more.
        clock.advance(by: .seconds(61))
        try nonces.use("c")
        try nonces.use("a")
    }

    @Test func aFullRegistryRefusesRatherThanForgets() throws {
        let nonces = NonceRegistry(tolerance: .seconds(30), clock: ManualClock(), capacity: 2)
        try nonces.use("a")
        try nonces.use("b")
        #expect { try nonces.use("c") } throws: { ($0 as? LumoraError)?.status == .tooManyRequests }
    }

    @Test func databaseSlotsAreTakenOnlyInsideAVisit() async throws {
        let limiter = StoreLimiter(clock: ManualClock())
        let store = try StoreSlug(validating: "acme")
        let limits = CellConfiguration.StoreLimits(requestsPerSecond: 1, burst: 10, concurrency: 2, visitorShare: 0.5)
        // Outside a request (no visit): nothing is counted.
        try limiter.enter(store)
        #expect(limiter.inFlight(store) == 0)
        let visit = StoreLimiter.Visit(store: store, visitor: "v", limits: limits)
        try await StoreLimiter.$currentVisit.withValue(visit) {
            try limiter.enter(store)
            #expect(limiter.inFlight(store) == 1)
            // The visitor's share of concurrency is one: a second transaction at once waits its turn.
            #expect(throws: LumoraError.self) { try limiter.enter(store) }
            limiter.leave(store)
            #expect(limiter.inFlight(store) == 0)
            // A request spends the store's rate once, however many transactions it runs.
            try limiter.enter(store)
            limiter.leave(store)
        }
    }

    @Test func idleVisitorsAreForgottenWhenTheTableIsFull() throws {
        let clock = ManualClock()
        let limiter = StoreLimiter(clock: clock)
        let store = try StoreSlug(validating: "acme")
        let limits = CellConfiguration.StoreLimits(requestsPerSecond: 100, burst: 10, concurrency: 4, visitorShare: 0.5)
        for index in 0..<(StoreLimiter.visitorCapacity + 10) {
            if index == StoreLimiter.visitorCapacity { clock.advance(by: .seconds(10)) }
            try limiter.admit(StoreLimiter.Visit(store: store, visitor: "10.\(index / 65536).\(index / 256 % 256).\(index % 256)", limits: limits))
        }
        #expect(limiter.visitorCount <= 11)
    }
}

@Suite struct ManualClockTests {
    @Test func sleepersWakeWhenTheClockPassesTheirDeadline() async throws {
        let clock = ManualClock()
        let start = clock.now
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await sleeper.value
        #expect(clock.now - start == .seconds(5))
        // Cancelled sleepers end at once.
        let cancelled = Task { try await clock.sleep(for: .seconds(60)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
    }
}
