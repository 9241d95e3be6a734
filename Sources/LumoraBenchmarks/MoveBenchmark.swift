import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import PostgresNIO
import Synchronization

/// `lumora bench move`: a store schema copied to another database by logical replication
/// while shoppers write to it (`SchemaReplication`), and the write freeze that ends a move
/// (`StoreWriteFreeze`): freeze, last catch-up, sequences — the window in which the store's
/// writes get 503 with Retry-After. Each round copies afresh and checks the copy row for row.
public struct MoveBenchmark: Sendable {
    public let server: BenchmarkServer
    public let products: Int
    public let writers: Int
    public let rounds: Int
    public let logger: Logger

    public init(server: BenchmarkServer, products: Int, writers: Int, rounds: Int, logger: Logger) {
        self.server = server
        self.products = products
        self.writers = writers
        self.rounds = rounds
        self.logger = logger
    }

    public func run() async throws -> String {
        try await ScratchDatabase.with(on: server, logger: logger) { source in
            try await ScratchDatabase.with(on: server, logger: logger) { target in
                try await PostgresClient.withRunning(source.url.clientConfiguration(maximumConnections: 4), logger: logger) { sourceOwner in
                    try await PostgresClient.withRunning(target.url.clientConfiguration(maximumConnections: 2), logger: logger) { targetOwner in
                        try await ControlSchemaMigrator(client: sourceOwner, migrations: try .control(), logger: logger).migrate()
                        try await ControlSchemaMigrator(client: targetOwner, migrations: try .control(), logger: logger).migrate()
                        return try await PostgresClient.withRunning(source.adminURL.clientConfiguration(maximumConnections: 4), logger: logger) { sourceAdmin in
                            try await PostgresClient.withRunning(target.adminURL.clientConfiguration(maximumConnections: 4), logger: logger) { targetAdmin in
                                try await PostgresClient.withRunning(source.cellURL.clientConfiguration(maximumConnections: writers), logger: logger) { cell in
                                    try await measureRounds(source: source, sourceOwner: sourceOwner, sourceAdmin: sourceAdmin, targetAdmin: targetAdmin, cell: cell)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private func measureRounds(source: ScratchDatabase, sourceOwner: PostgresClient, sourceAdmin: PostgresClient, targetAdmin: PostgresClient,
                               cell: PostgresClient) async throws -> String {
        let slug = try StoreSlug(validating: "moving")
        let schema = SchemaName(store: slug)
        _ = try await StoreDirectory(client: sourceOwner, migrations: try .store(), logger: logger).create(try NewStore(slug: slug, name: "Moving"))
        for statement in Self.catalog(schema, products: products) { try await sourceOwner.query(statement).drain() }
        try await sourceOwner.query(PostgresQuery(unsafeSQL: "ANALYZE")).drain()
        let machine = try await MachineDescription.read(client: sourceOwner)
        let rows = try await sourceOwner.query(Self.rowCount(schema)).collect(Int.self).first ?? 0
        let bytes = try await sourceOwner.query(Self.schemaBytes(schema)).collect(Int.self).first ?? 0

        let replication = SchemaReplication(schema: schema, source: sourceAdmin, target: targetAdmin, sourceConninfo: source.adminURL.conninfo,
                                            migrations: try .store(), logger: logger)
        let freeze = StoreWriteFreeze(client: sourceOwner, logger: logger)
        let scope = TenantScope(client: cell, logger: logger)
        var copy = LatencySample(), live = LatencySample(), window = LatencySample(), ending = LatencySample()
        var refusedInWindows = 0
        let tally = WriteTally()
        let shoppers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask { try await Self.write(scope, slug, writer: writer, products: products, tally: tally, logger: logger) }
                }
                try await group.waitForAll()
            }
        }
        defer { shoppers.cancel() }
        for round in 1...rounds {
            logger.info("move round", metadata: ["round": "\(round)"])
            let (_, copied) = try await measure {
                try await replication.start()
                try await replication.waitUntilCaughtUp(within: .seconds(600))
            }
            copy.record(copied)
            // Selling goes on: how far behind the copy runs, as the time a marker takes to arrive.
            for _ in 0..<5 {
                live.record(try await measure { try await replication.waitUntilCaughtUp(within: .seconds(60)) }.1)
            }
            let refusedBefore = tally.counts.refused
            let (_, frozen) = try await measure {
                try await freeze.freeze(schema)
                try await replication.waitUntilCaughtUp(within: .seconds(60))
                try await replication.copySequences()
            }
            window.record(frozen)
            refusedInWindows += tally.counts.refused - refusedBefore
            let original = try await SchemaDigest.of(schema, on: sourceAdmin, logger: logger)
            let moved = try await SchemaDigest.of(schema, on: targetAdmin, logger: logger)
            guard original == moved else { throw BenchmarkError(message: "round \(round): the copy differs from the source: \(original) vs \(moved)") }
            ending.record(try await measure { try await replication.stop() }.1)
            try await freeze.thaw(schema)
            try await replication.abort()  // drops the copy: the next round copies afresh
        }
        shoppers.cancel()
        let counts = tally.counts
        guard counts.failed == 0 else { throw BenchmarkError(message: "\(counts.failed) writes failed other than as refused while frozen: \(counts.lastFailure)") }

        let table = markdownTable(["step", "median", "max", "note"], [
            ["first copy (start → caught up)", copy.percentile(50).formattedSeconds(), copy.percentile(100).formattedSeconds(),
             "\(rows) rows, \(bytes / 1_048_576) MB with indexes, \(writers) writers running"],
            ["a marker's trip while selling", live.percentile(50).formattedMilliseconds(), live.percentile(100).formattedMilliseconds(), "replication lag, \(live.durations.count) samples"],
            ["write freeze: freeze → caught up → sequences", window.percentile(50).formattedMilliseconds(), window.percentile(100).formattedMilliseconds(),
             "writes refused (503, Retry-After: 1) in these windows: \(refusedInWindows) in \(rounds) rounds"],
            ["ending replication (subscription, slots, publication)", ending.percentile(50).formattedMilliseconds(), ending.percentile(100).formattedMilliseconds(), ""],
        ])
        return """
            lumora bench move --products \(products) --writers \(writers) --rounds \(rounds)
            \(machine.text)
            Writes committed during the run: \(counts.committed); refused while frozen: \(counts.refused) (the store stays frozen after each window \
            while the copy is compared row for row and replication ends; a real move flips the route there instead); failed otherwise: \(counts.failed).

            \(table)
            """
    }

    /// One shopper's writes, back to back: a stock change and, every tenth, a new product.
    private static func write(_ scope: TenantScope, _ slug: StoreSlug, writer: Int, products: Int, tally: WriteTally, logger: Logger) async throws {
        var n = 0
        while !Task.isCancelled {
            n += 1
            let variant = Int64((n * 7919 + writer * 104_729) % (products * 2) + 1)
            do {
                try await scope.withStore(slug) { connection in
                    try await connection.run("UPDATE inventory SET stocked = stocked + 1 WHERE variant_id = \(variant)", logger: logger)
                    if n % 10 == 0 {
                        try await connection.run("INSERT INTO products (handle, title) VALUES (\("w\(writer)-\(n)"), 'Written while moving')", logger: logger)
                    }
                }
                tally.committed()
            } catch let error as LumoraError where error.code == "store_moving" {
                tally.refused()
                try? await Task.sleep(for: .milliseconds(10))
            } catch is CancellationError {
                return
            } catch {
                guard !Task.isCancelled else { return }
                tally.failed(String(describing: error))
            }
        }
    }

    /// The moving store's catalog, made by the database in three statements.
    static func catalog(_ schema: SchemaName, products: Int) -> [PostgresQuery] {
        let name = schema.rawValue
        return [
            PostgresQuery(unsafeSQL: """
                INSERT INTO \(name).products (handle, title, description, status)
                SELECT 'p-' || n, 'Product ' || n, repeat('A fine thing. ', 20), 'published' FROM generate_series(1, \(products)) n
                """),
            PostgresQuery(unsafeSQL: """
                INSERT INTO \(name).variants (product_id, title, price_amount, currency, position)
                SELECT p.id, v.title, 1000 + p.id, 'USD', v.position FROM \(name).products p, (VALUES ('Small', 0), ('Large', 1)) v(title, position)
                """),
            PostgresQuery(unsafeSQL: "INSERT INTO \(name).inventory (variant_id, stocked) SELECT id, 100 FROM \(name).variants"),
        ]
    }

    static func rowCount(_ schema: SchemaName) -> PostgresQuery {
        "SELECT sum(n_live_tup)::int FROM pg_stat_user_tables WHERE schemaname = \(schema.rawValue)"
    }

    static func schemaBytes(_ schema: SchemaName) -> PostgresQuery {
        """
        SELECT sum(pg_total_relation_size(c.oid))::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = \(schema.rawValue) AND c.relkind IN ('r', 'p')
        """
    }
}

/// What the shoppers' writes came to.
final class WriteTally: Sendable {
    struct Counts {
        var committed = 0
        var refused = 0
        var failed = 0
        var lastFailure = ""
    }

    private let state = Mutex(Counts())

    var counts: Counts { state.withLock { $0 } }
    func committed() { state.withLock { $0.committed += 1 } }
    func refused() { state.withLock { $0.refused += 1 } }
    func failed(_ description: String) { state.withLock { $0.failed += 1; $0.lastFailure = description } }
}
