import Foundation
@testable import LumoraDrivers
import LumoraCore
import Testing

@Suite struct RetryPolicyTests {
    @Test func backoffGrowsWithJitterAndIsCapped() {
        let policy = RetryPolicy(maximumAttempts: 10, baseDelay: .milliseconds(100), maximumDelay: .milliseconds(500), jitter: 0.2)
        for _ in 0..<20 {
            let first = policy.delay(afterAttempt: 1, hint: nil)
            #expect(first >= .milliseconds(80) && first <= .milliseconds(120))
            let third = policy.delay(afterAttempt: 3, hint: nil)
            #expect(third >= .milliseconds(320) && third <= .milliseconds(480))
            #expect(policy.delay(afterAttempt: 9, hint: nil) <= .milliseconds(600))
        }
        #expect(policy.delay(afterAttempt: 1, hint: .seconds(2)) == .seconds(2))
    }

    @Test func attemptsAreBoundedAndTheLastFailureIsThrown() async throws {
        let policy = RetryPolicy(maximumAttempts: 3, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(2))
        var attempts = 0
        let error = await #expect(throws: LumoraError.self) {
            let _: Int = try await policy.run { number in
                attempts = number
                return .retry(after: nil, failure: LumoraError.conflict("busy_\(number)", "busy"))
            }
        }
        #expect(attempts == 3)
        #expect(error?.code == "busy_3")
    }

    /// On a clock that moves only when told: a wait past the deadline is not started at all
    /// (were it, the test would wait for ever), and a wait within it ends when the clock passes it.
    @Test(.timeLimit(.minutes(1))) func aHintBeyondTheDeadlineGivesUpAtOnce() async throws {
        let policy = RetryPolicy(maximumAttempts: 5, baseDelay: .milliseconds(1), deadline: .seconds(1))
        let clock = ManualClock()
        await #expect(throws: LumoraError.self) {
            let _: Int = try await policy.run(clock: clock) { _ in .retry(after: .seconds(30), failure: LumoraError.internalError("later")) }
        }
        #expect(clock.sleeperCount == 0)
    }

    @Test(.timeLimit(.minutes(1))) func aHintIsWaitedOutOnTheClock() async throws {
        let policy = RetryPolicy(maximumAttempts: 3, baseDelay: .seconds(1), deadline: .seconds(60))
        let clock = ManualClock()
        let result = Task {
            try await policy.run(clock: clock) { number -> RetryDecision<Int> in
                number == 1 ? .retry(after: .seconds(20), failure: LumoraError.internalError("later")) : .finished(number)
            }
        }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(19))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        #expect(try await result.value == 2)
    }

    @Test func hintsAreRead() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryHints.retryAfter("3") == .seconds(3))
        #expect(RetryHints.retryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now: now) == .seconds(10))
        #expect(RetryHints.retryAfter(nil) == nil)
        #expect(RetryHints.reset(1_700_000_005, now: now) == .seconds(5))
        #expect(RetryHints.reset(1_700_000_002_000, now: now) == .seconds(2))
        #expect(RetryHints.reset(4, now: now) == .seconds(4))
        #expect(RetryHints.reset(1_600_000_000, now: now) == .zero)
    }
}

@Suite struct CloudRunWireTests {
    @Test func readinessAcceptsStringGenerationsAndFullOrShortRevisionNames() throws {
        let json = """
        {"name":"projects/p/locations/l/services/s","generation":"3","observedGeneration":"3",
         "terminalCondition":{"type":"Ready","state":"CONDITION_SUCCEEDED"},
         "latestReadyRevision":"projects/p/locations/l/services/s/revisions/s-1-0-0","latestCreatedRevision":"s-1-0-0",
         "trafficStatuses":[{"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST","percent":100}],"uri":"https://s-x.a.run.app"}
        """
        var service = try JSONDecoder().decode(CloudRunService.self, from: Data(json.utf8))
        #expect(service.generation?.value == 3)
        #expect(service.isReady)
        #expect(service.servingRevision == "s-1-0-0")
        service.reconciling = true
        #expect(!service.isReady)
        service.reconciling = nil
        service.observedGeneration = GoogleInt64(2)
        #expect(!service.isReady)
        service.observedGeneration = GoogleInt64(3)
        service.latestCreatedRevision = "s-2-0-0"
        #expect(!service.isReady)
    }

    @Test func generationsAreSentAsStringsAndNilFieldsAreLeftOut() throws {
        var service = CloudRunService(labels: ["a": "b"])
        service.generation = GoogleInt64(7)
        let text = String(decoding: try JSONEncoder().encode(service), as: UTF8.self)
        #expect(text.contains("\"generation\":\"7\""))
        #expect(!text.contains("traffic"))
    }
}
