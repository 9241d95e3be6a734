import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraRouting
import ServiceLifecycle
import Synchronization

/// Runs one kind of job. Its work is a sequence of steps; each step must be safe to run again
/// (it may have done its work just before a crash that kept its completion from being
/// recorded) — the runner skips steps already recorded as done.
public protocol JobHandler: Sendable {
    func run(_ job: JobRecord, steps: JobSteps) async throws
    /// Called once when the job is given up (dead): leave the subject in an honest state.
    func gaveUp(_ job: JobRecord, error: String) async
}

extension JobHandler {
    public func gaveUp(_ job: JobRecord, error: String) async {}
}

/// The recorded steps of a running job.
public struct JobSteps: Sendable {
    let job: JobRecord
    let queue: JobQueue

    public func isDone(_ name: String) -> Bool { job.stepsDone.contains(name) }

    /// Runs `body` unless this step was already completed by an earlier attempt, then records it.
    public func step(_ name: String, _ body: () async throws -> Void) async throws {
        guard !job.stepsDone.contains(name) else { return }
        try await queue.startStep(job.id, name)
        try await body()
        try await queue.finishStep(job.id, name)
    }
}

/// A failure that retrying cannot fix (a conflict, an invalid request): the job goes straight
/// to `dead` with this message.
public struct PermanentJobFailure: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Workers that claim and run jobs: woken by `lumora_jobs` notifications (and by a periodic
/// look, for retries that come due and leases that expire), renewing their lease while a job
/// runs, retrying failures with exponential backoff and jitter up to the job's attempt cap.
public final class JobRunner: Service, ChangeSubscriber {
    public let channels = ["lumora_jobs"]

    public struct Backoff: Sendable {
        public var base: Duration
        public var cap: Duration

        public init(base: Duration = .seconds(1), cap: Duration = .seconds(60)) {
            self.base = base
            self.cap = cap
        }

        /// base · 2^(attempt−1), capped, ±25% jitter so retries of many jobs spread out.
        public func delay(afterAttempt attempt: Int) -> Duration {
            let exponent = min(max(attempt - 1, 0), 20)
            let raw = min(base * (1 << exponent), cap)
            return raw * Double.random(in: 0.75...1.25)
        }
    }

    private let queue: JobQueue
    private let handlers: [String: any JobHandler]
    private let workers: Int
    private let backoff: Backoff
    private let idleCheck: Duration
    private let logger: Logger
    private let doorbell = Doorbell()

    public init(queue: JobQueue, handlers: [String: any JobHandler], workers: Int = 4, backoff: Backoff = Backoff(),
                idleCheck: Duration = .seconds(1), logger: Logger) {
        self.queue = queue
        self.handlers = handlers
        self.workers = workers
        self.backoff = backoff
        self.idleCheck = idleCheck
        self.logger = logger
    }

    public func notified(channel: String, payload: String) async { doorbell.ring() }
    public func resynchronize() async { doorbell.ring() }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<self.workers {
                    group.addTask { await self.work() }
                }
            }
        }
    }

    private func work() async {
        var seen = doorbell.rings
        while !Task.isCancelled {
            do {
                if let job = try await queue.claim() {
                    await execute(job)
                    continue
                }
            } catch {
                logger.warning("could not claim a job", metadata: ["error": "\(error.databaseMessage)"])
            }
            seen = await doorbell.wait(after: seen, timeout: idleCheck)
        }
    }

    private func execute(_ job: JobRecord) async {
        guard let handler = handlers[job.kind] else {
            try? await queue.kill(job.id, error: "no handler for job kind '\(job.kind)'")
            return
        }
        logger.info("running job", metadata: ["job": "\(job.id)", "kind": "\(job.kind)", "store": "\(job.storeSlug ?? "-")", "attempt": "\(job.attempts)"])
        let outcome: Result<Void, any Error> = await withTaskGroup(of: Result<Void, any Error>?.self) { group in
            group.addTask {
                do {
                    try await handler.run(job, steps: JobSteps(job: job, queue: self.queue))
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                // Keep the lease while the job runs; if it is lost, stop the job.
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.queue.lease / 3)
                    guard !Task.isCancelled else { return nil }
                    if (try? await self.queue.renewLease(job.id)) == false { return .failure(LeaseLost()) }
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(CancellationError())
        }
        do {
            switch outcome {
            case .success:
                try await queue.succeed(job.id)
                logger.info("job succeeded", metadata: ["job": "\(job.id)", "kind": "\(job.kind)"])
            case .failure(let error) where error is LeaseLost:
                logger.warning("job lease lost; another worker continues it", metadata: ["job": "\(job.id)"])
            // The subject is left honest (`gaveUp`) before the job is seen dead.
            case .failure(let error as PermanentJobFailure):
                await handler.gaveUp(job, error: error.message)
                try await queue.kill(job.id, error: error.message)
                logger.error("job failed for good", metadata: ["job": "\(job.id)", "error": "\(error.message)"])
            case .failure(let error as LumoraError) where !error.isWorthRetrying:
                // A provider refused (a conflict, a revision that cannot start): the same call
                // would fail the same way. The job stays dead until an operator retries it.
                await handler.gaveUp(job, error: error.message)
                try await queue.kill(job.id, error: error.message)
                logger.error("job failed for good", metadata: ["job": "\(job.id)", "code": "\(error.code)", "error": "\(error.message)"])
            case .failure(let error):
                let message = Self.describe(error)
                if job.attempts >= job.maxAttempts {
                    await handler.gaveUp(job, error: message)
                    try await queue.kill(job.id, error: message)
                    logger.error("job gave up", metadata: ["job": "\(job.id)", "attempts": "\(job.attempts)", "error": "\(message)"])
                } else {
                    let delay = backoff.delay(afterAttempt: job.attempts)
                    try await queue.retryLater(job.id, error: message, after: delay)
                    logger.warning("job will retry", metadata: ["job": "\(job.id)", "in": "\(delay)", "error": "\(message)"])
                }
            }
        } catch {
            logger.error("could not record a job's outcome; its lease will expire", metadata: ["job": "\(job.id)", "error": "\(error.databaseMessage)"])
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? LumoraError { return error.message }
        if error is CancellationError { return "the manager stopped while the job ran" }
        return error.databaseMessage
    }
}

/// Wakes every waiting worker at once.
final class Doorbell: Sendable {
    private struct State {
        var rings: UInt64 = 0
        var nextID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waits that ended before their continuation was registered.
        var abandoned: Set<UInt64> = []
    }

    private let state = Mutex(State())

    var rings: UInt64 { state.withLock { $0.rings } }

    func ring() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.rings &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the bell rang after `seen` (at once if it already has) or `timeout` passed.
    func wait(after seen: UInt64, timeout: Duration) async -> UInt64 {
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let ready = self.state.withLock { state -> Bool in
                        if state.abandoned.remove(id) != nil || state.rings != seen { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            // Whichever finished first, release the other (even if it has not registered yet).
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                // Not registered yet: with no ring since, it would wait for the next one.
                if state.rings == seen { state.abandoned.insert(id) }
                return nil
            }?.resume()
        }
        return rings
    }
}

extension LumoraError {
    /// Worth another attempt later: the platform's or a provider's passing trouble (5xx,
    /// 408, 429). A refusal (4xx) or a revision that failed to start is not.
    var isWorthRetrying: Bool {
        if ["cloud_run_revision_failed", "cloud_run_operation_failed"].contains(code) { return false }
        let status = self.status.rawValue
        return status >= 500 || status == 408 || status == 429
    }
}
