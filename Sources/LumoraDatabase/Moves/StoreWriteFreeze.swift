import Logging
import LumoraCore
import PostgresNIO

/// Stops one store's writes for a moment and lets them go again (control migration 0012):
/// the database takes the store role's INSERT, UPDATE and DELETE, so no cell can write
/// whatever it believes, and `freeze` returns only once every transaction that had written
/// before has ended — after it, the schema does not change until `thaw`. Its cells answer
/// writes with 503 and `Retry-After` meanwhile (`TenantScope`); reads go on. Other stores are
/// not touched.
///
/// `client` connects as the schema's owner (the manager's role).
public struct StoreWriteFreeze: Sendable {
    let client: PostgresClient
    let clock: any MonotonicClock
    let logger: Logger

    /// What a write to a frozen store gets: try again in a second.
    public static var refusal: LumoraError {
        var error = LumoraError(.unavailable, code: "store_moving", message: "this store is moving to a new home; please try again in a moment")
        error.retryAfterSeconds = 1
        return error
    }

    public init(client: PostgresClient, clock: any MonotonicClock = SystemClock(), logger: Logger) {
        self.client = client
        self.clock = clock
        self.logger = logger
    }

    /// Freezes the store's writes and waits until the writers that came before have ended.
    /// `limit` bounds a writer that never ends (statement timeouts end them first).
    public func freeze(_ schema: SchemaName, within limit: Duration = .seconds(60)) async throws {
        try await client.query(SQL.freezeStoreWrites(schema), logger: logger).drain()
        try await pollUntil(on: clock, every: .milliseconds(20), for: limit,
                       timedOut: LumoraError(.gatewayTimeout, code: "writers_still_open", message: "a transaction of \(schema) was still writing after \(limit)")) {
            try await client.query(SQL.storeWritersDone(schema), logger: logger).collect(Bool.self).first == true
        }
        logger.notice("store writes frozen", metadata: ["schema": "\(schema)"])
    }

    public func thaw(_ schema: SchemaName) async throws {
        try await client.query(SQL.thawStoreWrites(schema), logger: logger).drain()
        logger.notice("store writes thawed", metadata: ["schema": "\(schema)"])
    }

    /// Whether the store role may not write now (`store_writes_frozen` also says yes for a
    /// few seconds after a thaw, for refusals looked at late).
    public func isFrozen(_ schema: SchemaName) async throws -> Bool {
        try await client.query(SQL.storeWritesRevoked(schema), logger: logger).collect(Bool.self).first == true
    }
}
