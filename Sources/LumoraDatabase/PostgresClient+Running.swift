import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs a pool for the duration of `body`: `PostgresClient` does nothing until its `run()`
    /// is running. Long-lived roles add the client to their service group instead.
    @discardableResult
    public static func withRunning<Result: Sendable>(
        _ configuration: PostgresClient.Configuration,
        logger: Logger,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        // The pool's own log is quiet below errors: when `body` ends while the pool is still
        // opening a spare connection, the cancelled attempt is logged as "Connection creation
        // failed" (clientClosedConnection) at info — nothing went wrong, and a failure `body`
        // meets is thrown to the caller anyway.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            // Let run() begin before the first lease (PostgresNIO warns about leases that
            // come first; they would still be served).
            await Task.yield()
            return try await body(client)
        }
    }

    /// `withTransaction`, but errors come out as thrown: a `LumoraError` thrown inside stays a
    /// `LumoraError` instead of arriving wrapped in `PostgresTransactionError`.
    public func transaction<Result: Sendable>(
        logger: Logger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await withTransaction(logger: logger) { connection in
                try await body(connection)
            }
        } catch {
            throw error.unwrappingTransaction
        }
    }
}

extension PostgresConnection {
    /// Runs a statement whose rows (if any) do not matter, reading the result to its end: an
    /// error raised while rows stream (a function that fails at run time, a statement
    /// timeout) only surfaces when the rows are read.
    public func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}

extension PostgresRowSequence {
    /// Reads every row (so the connection is free for the next statement) and decodes it.
    ///
    /// Inlinable, and decoding row by row with `PostgresRow`'s own inlinable `decode`: each call
    /// site is specialised for its column types. (Through the generic `AsyncSequence.decode`
    /// every row looked its tuple's type metadata up at run time — 9 % of the uncached cell's
    /// CPU in #19's profile.)
    @inlinable
    public func collect<Row: Sendable>(_ type: Row.Type) async throws -> [Row] where Row: PostgresDecodable {
        var rows: [Row] = []
        for try await row in self { rows.append(try row.decode(Row.self)) }
        return rows
    }

    @inlinable
    public func collect<each Column: PostgresDecodable & Sendable>(_ types: (repeat each Column).Type) async throws -> [(repeat each Column)] {
        var rows: [(repeat each Column)] = []
        for try await row in self { rows.append(try row.decode((repeat each Column).self)) }
        return rows
    }

    /// Reads the result to its end, ignoring the rows.
    public func drain() async throws {
        for try await _ in self {}
    }

    /// Whether the result has any row; reads them all.
    public func hasRows() async throws -> Bool {
        var found = false
        for try await _ in self { found = true }
        return found
    }
}
