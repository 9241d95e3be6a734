import Foundation
import Logging
import LumoraDatabase
@testable import LumoraManager
import LumoraTestSupport
import PostgresNIO
import Synchronization
import Testing

@Suite struct JobQueueTests {
    /// Records what a handler saw, across attempts.
    final class Log: Sendable {
        let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    struct Steps: JobHandler {
        let log: Log
        /// Fails the first `failures` attempts in step "two".
        let failures: Int
        let permanent: Bool

        func run(_ job: JobRecord, steps: JobSteps) async throws {
            try await steps.step("one") { log.add("one") }
            try await steps.step("two") {
                log.add("two@\(job.attempts)")
                if permanent { throw PermanentJobFailure("cannot ever work") }
                if job.attempts <= failures { throw TestFailure() }
            }
            try await steps.step("three") { log.add("three") }
        }

        func gaveUp(_ job: JobRecord, error: String) async { log.add("gave up: \(error)") }
    }

    struct TestFailure: Error {}

    static func runner(_ client: PostgresClient, _ handler: some JobHandler, owner: String = "test", lease: Duration = .seconds(10), logger: Logger) -> (JobQueue, JobRunner) {
        let queue = JobQueue(client: client, owner: owner, lease: lease, logger: logger)
        let runner = JobRunner(queue: queue, handlers: ["test": handler], workers: 2,
                               backoff: .init(base: .milliseconds(20), cap: .milliseconds(100)), idleCheck: .milliseconds(50), logger: logger)
        return (queue, runner)
    }

    static func until(_ queue: JobQueue, _ id: Int64, _ state: JobRecord.State) async throws -> JobRecord {
        var job = try await queue.job(id)
        // Only a bound against hangs (the suite runs on slow, loaded machines).
        try await waitUntil(timeout: .seconds(180)) {
            job = try await queue.job(id)
            return job.state == state
        }
        return job
    }

    @Test func retriesWithBackoffAndSkipsFinishedSteps() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let log = Log()
                let (queue, runner) = Self.runner(client, Steps(log: log, failures: 2, permanent: false), logger: db.logger)
                let job = try await queue.enqueue(kind: "test", store: nil, maxAttempts: 5)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await runner.run() }
                    let done = try await Self.until(queue, job.id, .succeeded)
                    group.cancelAll()
                    #expect(done.attempts == 3)
                    #expect(done.stepsDone == ["one", "two", "three"])
                }
                // "one" ran once: the retries resumed at "two".
                #expect(log.all == ["one", "two@1", "two@2", "two@3", "three"])
            }
        }
    }

    @Test func givesUpAfterTheAttemptCapOrAPermanentFailure() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let log = Log()
                let (queue, runner) = Self.runner(client, Steps(log: log, failures: 100, permanent: false), logger: db.logger)
                let capped = try await queue.enqueue(kind: "test", store: nil, maxAttempts: 3)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await runner.run() }
                    let dead = try await Self.until(queue, capped.id, .dead)
                    #expect(dead.attempts == 3)
                    #expect(dead.lastError?.isEmpty == false)
                    group.cancelAll()
                }
                #expect(log.all.filter { $0.hasPrefix("gave up") }.count == 1)

                // A dead job can be retried: its budget is fresh, finished steps stay done.
                let again = try await queue.retry(capped.id)
                #expect(again.state == .queued && again.attempts == 0 && again.stepsDone == ["one"])
                await #expect(throws: (any Error).self) { _ = try await queue.retry(capped.id) }  // not dead any more
            }
        }
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let log = Log()
                let (queue, runner) = Self.runner(client, Steps(log: log, failures: 0, permanent: true), logger: db.logger)
                let job = try await queue.enqueue(kind: "test", store: nil, maxAttempts: 5)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await runner.run() }
                    let dead = try await Self.until(queue, job.id, .dead)
                    #expect(dead.attempts == 1)
                    #expect(dead.lastError == "cannot ever work")
                    group.cancelAll()
                }
            }
        }
    }

    /// A worker that dies mid-job loses its lease; another claims the job once the lease
    /// expires and continues after the last recorded step. The dead worker can record nothing.
    @Test func anExpiredLeaseIsTakenOverAndTheOldOwnerIsFencedOff() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                // A long lease, expired by hand below (the worker "dies" then): a short real
                // lease could run out on a slow machine before the test looks.
                let crashed = JobQueue(client: client, owner: "crashed", lease: .seconds(600), logger: db.logger)
                let job = try await crashed.enqueue(kind: "test", store: nil)
                let claimed = try #require(try await crashed.claim())
                #expect(claimed.id == job.id && claimed.attempts == 1)
                try await crashed.startStep(job.id, "one")
                try await crashed.finishStep(job.id, "one")
                #expect(try await crashed.claim() == nil)  // the only job is leased
                try await client.query("UPDATE lumora.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = \(job.id)").drain()

                let survivor = JobQueue(client: client, owner: "survivor", lease: .seconds(10), logger: db.logger)
                var taken: JobRecord?
                try await waitUntil(timeout: .seconds(180)) {
                    taken = try await survivor.claim()
                    return taken != nil
                }
                #expect(taken?.stepsDone == ["one"])
                #expect(taken?.attempts == 2)

                // The crashed worker comes back to life: its writes are refused.
                await #expect(throws: LeaseLost.self) { try await crashed.startStep(job.id, "two") }
                #expect(try await crashed.renewLease(job.id) == false)
                try await crashed.succeed(job.id)
                #expect(try await survivor.job(job.id).state == .running)
            }
        }
    }

    @Test func concurrentWorkersClaimEachJobOnce() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient(maximumConnections: 12) { client in
                let queue = JobQueue(client: client, owner: "setup", logger: db.logger)
                for _ in 0..<40 { try await queue.enqueue(kind: "test", store: nil) }
                let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            // Leases outlive the test: a loaded machine that took longer than the
                            // default lease would see a job claimed again, rightly, once expired.
                            let mine = JobQueue(client: client, owner: "worker-\(worker)", lease: .seconds(3600), logger: db.logger)
                            var ids: [Int64] = []
                            while let job = try await mine.claim() { ids.append(job.id) }
                            return ids
                        }
                    }
                    return try await group.reduce(into: [Int64]()) { $0 += $1 }
                }
                #expect(claimed.count == 40)
                #expect(Set(claimed).count == 40)
            }
        }
    }
}
