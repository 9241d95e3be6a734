import Foundation
import LumoraCore

/// How a driver rides out an API that is busy or briefly down: exponential backoff with
/// jitter, the server's own hint (`Retry-After`, a rate limit's reset) taking precedence, a
/// bounded number of attempts and an overall deadline, so a provisioning job never hangs on a
/// provider and the job queue's own retries take over.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in total, the first included.
    public var maximumAttempts: Int
    /// The first backoff; doubles per attempt. Tests set milliseconds.
    public var baseDelay: Duration
    public var maximumDelay: Duration
    /// No retry starts after this much time since the first attempt.
    public var deadline: Duration
    /// Fraction of each backoff randomised (0.2 = ±20 %), so many callers do not retry in step.
    public var jitter: Double

    public init(maximumAttempts: Int = 6, baseDelay: Duration = .milliseconds(500), maximumDelay: Duration = .seconds(30),
                deadline: Duration = .seconds(120), jitter: Double = 0.2) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.deadline = deadline
        self.jitter = min(max(jitter, 0), 1)
    }

    public static let standard = RetryPolicy()

    /// The wait before attempt `attempt + 1` (attempt counts from 1). A server hint is obeyed
    /// as given — retrying earlier would only be refused again — but never beyond the deadline.
    public func delay(afterAttempt attempt: Int, hint: Duration?) -> Duration {
        if let hint { return max(hint, .zero) }
        let exponent = min(max(attempt - 1, 0), 30)
        var delay = baseDelay * (1 << exponent)
        if delay > maximumDelay { delay = maximumDelay }
        let factor = 1 + Double.random(in: -jitter...jitter)
        return delay * factor
    }
}

/// What one attempt decided.
enum RetryDecision<Value: Sendable>: Sendable {
    case finished(Value)
    /// Try again after the backoff (or the server's hint); `failure` is thrown when the
    /// attempts or the deadline run out.
    case retry(after: Duration?, failure: any Error)
}

extension RetryPolicy {
    /// Runs `attempt` until it finishes, throws, or the policy gives up (throwing the last
    /// failure). `attempt` receives the attempt number, from 1. Waits and the deadline are on
    /// `clock` (tests move it by hand).
    func run<Value: Sendable>(clock: any MonotonicClock = SystemClock(), _ attempt: (Int) async throws -> RetryDecision<Value>) async throws -> Value {
        let giveUp = clock.now + deadline
        var number = 1
        while true {
            switch try await attempt(number) {
            case .finished(let value):
                return value
            case .retry(let hint, let failure):
                let wait = delay(afterAttempt: number, hint: hint)
                guard number < maximumAttempts, clock.now + wait <= giveUp else { throw failure }
                try await clock.sleep(for: wait)
                number += 1
            }
        }
    }
}

/// Reading the servers' hints on when to come back.
enum RetryHints {
    /// `Retry-After`: delta seconds or an HTTP date.
    static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value) { return .milliseconds(Int64(max(seconds, 0) * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(date.timeIntervalSince(now), 0) * 1000))
    }

    /// A rate limit's reset (`X-RateLimit-Reset`, Vercel's `limit.reset`): epoch seconds, epoch
    /// milliseconds, or — from servers that send a countdown — seconds from now.
    static func reset(_ value: Double?, now: Date = Date()) -> Duration? {
        guard let value, value >= 0 else { return nil }
        let seconds: Double
        if value > 1e12 {
            seconds = value / 1000 - now.timeIntervalSince1970
        } else if value > 1e9 {
            seconds = value - now.timeIntervalSince1970
        } else {
            seconds = value
        }
        return .milliseconds(Int64(max(seconds, 0) * 1000))
    }
}
