import Logging
import LumoraCore
import PostgresNIO

/// The one way code touches a store's data.
///
/// `withStore(slug) { connection in … }` runs `body` in a transaction scoped to the store.
///
/// - Shared mode (many stores on one pool): the transaction's first statement is
///   `SELECT set_config('search_path', $1, true), …` — transaction-local, so the path ends
///   with the transaction and a pooled connection never carries one store's path into
///   another's request.
/// - Dedicated mode (one store per process): the pool's connections were opened with the
///   store's `search_path` as a startup parameter (``dedicatedURL(_:for:)``); a request for
///   any other store is refused.
///
/// Both set a per-transaction `statement_timeout`, so one store's slow query cannot hold a
/// shared connection for long.
public struct TenantScope: Sendable {
    public enum Mode: Sendable, Equatable {
        case shared
        case dedicated(StoreSlug)
    }

    public let client: PostgresClient
    public let mode: Mode
    public let statementTimeout: Duration
    public let logger: Logger

    public init(client: PostgresClient, mode: Mode = .shared, statementTimeout: Duration = .seconds(5), logger: Logger) {
        self.client = client
        self.mode = mode
        self.statementTimeout = statementTimeout
        self.logger = logger
    }

    /// The URL a dedicated cell's pool connects with: the store's schema fixed at connect time.
    public static func dedicatedURL(_ url: DatabaseURL, for slug: StoreSlug) -> DatabaseURL {
        var url = url
        url.searchPath = slug.schemaName
        return url
    }

    public func withStore<Result: Sendable>(
        _ slug: StoreSlug,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let milliseconds = Int(statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000)
        let enter: PostgresQuery
        switch mode {
        case .shared:
            enter = SQL.enterSchema(SchemaName(store: slug), statementTimeoutMilliseconds: milliseconds)
        case .dedicated(let fixed):
            guard slug == fixed else {
                throw LumoraError(.forbidden, code: "wrong_store", message: "this cell serves only the store '\(fixed)'")
            }
            enter = SQL.statementTimeout(milliseconds: milliseconds)
        }
        return try await client.transaction(logger: logger) { connection in
            try await connection.run(enter, logger: logger)
            return try await body(connection)
        }
    }
}
