import LumoraCore

/// Asks `condition` again every `interval` on `clock` until it holds; `timedOut` once `limit`
/// has passed (what a move waits for comes by itself — a subscription catching up, a writer
/// ending — and has no event to wait on).
func pollUntil(on clock: any MonotonicClock, every interval: Duration, for limit: Duration, timedOut: @autoclosure () -> LumoraError,
          until condition: () async throws -> Bool) async throws {
    let deadline = clock.now + limit
    while try await !condition() {
        guard clock.now < deadline else { throw timedOut() }
        try await clock.sleep(for: interval)
    }
}
