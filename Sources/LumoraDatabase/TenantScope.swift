import Logging
import LumoraCore
import PostgresNIO

/// The one way code touches a store's data.
///
/// `withStore(slug) { connection in … }` runs `body` in a transaction scoped to the store.
///
/// - Shared mode (many stores on one pool): the transaction's first statement is
///   `SELECT set_config('role', <store role>, true), set_config('search_path', $1, true), …` —
///   transaction-local, so role and path end with the transaction and a pooled connection
///   never carries one store's into another's request. The store role has privileges on its
///   own schema only: a statement naming another store's tables is refused by PostgreSQL.
/// - Dedicated mode (one store per process): the pool's connections were opened with the
///   store's `search_path` as a startup parameter (``dedicatedURL(_:for:)``), and each
///   transaction becomes the store's role; a request for any other store is refused.
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
    /// Asked before each of a store's transactions takes a connection (a cell's limiter).
    public let admission: (any StoreAdmission)?
    public let logger: Logger

    public init(client: PostgresClient, mode: Mode = .shared, statementTimeout: Duration = .seconds(5),
                admission: (any StoreAdmission)? = nil, logger: Logger) {
        self.client = client
        self.mode = mode
        self.statementTimeout = statementTimeout
        self.admission = admission
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
            enter = SQL.enterStore(SchemaName(store: slug), statementTimeoutMilliseconds: milliseconds)
        case .dedicated(let fixed):
            guard slug == fixed else {
                throw LumoraError(.forbidden, code: "wrong_store", message: "this cell serves only the store '\(fixed)'")
            }
            enter = SQL.enterStoreRole(SchemaName(store: slug), statementTimeoutMilliseconds: milliseconds)
        }
        try admission?.enter(slug)
        defer { admission?.leave(slug) }
        do {
            return try await client.transaction(logger: logger) { connection in
                try await connection.run(enter, logger: logger)
                return try await body(connection)
            }
        } catch where error.hasSQLState(.insufficientPrivilege) {
            // Refused by the database: another store's table (a bug the store role caught), or
            // this store's writes frozen while it moves — then the request may come again.
            guard try await client.query(SQL.storeWritesFrozen(SchemaName(store: slug)), logger: logger).collect(Bool.self).first == true else {
                throw error
            }
            throw StoreWriteFreeze.refusal
        }
    }
}

/// Decides whether a store's transaction may start: the point where a request stops costing
/// only CPU and starts holding a database connection.
public protocol StoreAdmission: Sendable {
    /// Called before the transaction takes a connection; throws to refuse it.
    func enter(_ store: StoreSlug) throws
    /// Called once the transaction has ended, for every `enter` that did not throw.
    func leave(_ store: StoreSlug)
}
