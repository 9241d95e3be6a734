import Logging
import LumoraCore
import PostgresNIO

/// The one way code touches a store's data.
///
/// `withStore(slug) { connection in … }` runs `body` in a transaction whose first statement
/// is `SELECT set_config('search_path', $1, true)` — transaction-local, so the path ends with
/// the transaction and a pooled connection never carries one store's path into another's
/// request. It also sets a per-transaction `statement_timeout`, so one store's slow query
/// cannot hold a shared connection for long.
public struct TenantScope: Sendable {
    public let client: PostgresClient
    public let statementTimeout: Duration
    public let logger: Logger

    public init(client: PostgresClient, statementTimeout: Duration = .seconds(5), logger: Logger) {
        self.client = client
        self.statementTimeout = statementTimeout
        self.logger = logger
    }

    public func withStore<Result: Sendable>(
        _ slug: StoreSlug,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let schema = SchemaName(store: slug)
        let milliseconds = Int(statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000)
        return try await client.transaction(logger: logger) { connection in
            try await connection.run(SQL.enterSchema(schema, statementTimeoutMilliseconds: milliseconds), logger: logger)
            return try await body(connection)
        }
    }
}
