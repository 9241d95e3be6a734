import LumoraCore
import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

/// One store's writes frozen by the database while a move ends: a writer already under way
/// finishes first, later writes are refused with a retryable 503, reads and other stores go on.
@Suite struct StoreWriteFreezeTests {
    @Test func aFreezeWaitsForWritersRefusesLaterWritesAndThaws() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { owner in
                let stores = try await db.createStores(owner, count: 2, prefix: "frozen")
                let (acme, other) = (stores[0], stores[1])
                let schema = SchemaName(store: acme)
                let freeze = StoreWriteFreeze(client: owner, logger: db.logger)
                try await PostgresClient.withRunning(db.cellURL.clientConfiguration(maximumConnections: 4), logger: db.logger) { cell in
                    let scope = TenantScope(client: cell, logger: db.logger)
                    // A writer under way when the freeze comes: it has written, and commits
                    // only once the freeze has taken the privilege.
                    let (wrote, wroteSignal) = AsyncStream<Void>.makeStream()
                    let (release, releaseSignal) = AsyncStream<Void>.makeStream()
                    let writer = Task {
                        try await scope.withStore(acme) { connection in
                            try await connection.run("INSERT INTO products (handle, title) VALUES ('in-flight', 'In flight')", logger: db.logger)
                            wroteSignal.yield()
                            for await _ in release { break }
                        }
                    }
                    for await _ in wrote { break }
                    // What the database shows the moment the freeze returns: the writer's row,
                    // committed — the freeze waited for it.
                    let freezing = Task {
                        try await freeze.freeze(schema)
                        return try await owner.scalar("SELECT count(*)::int FROM \(unescaped: schema.rawValue).products WHERE handle = 'in-flight'", as: Int.self)
                    }
                    try await waitUntil { try await freeze.isFrozen(schema) }
                    releaseSignal.yield()
                    try await writer.value
                    #expect(try await freezing.value == 1)

                    // Frozen: a write is refused as retryable and leaves nothing; reads and the other store go on.
                    await #expect {
                        try await scope.withStore(acme) { connection in
                            try await connection.run("INSERT INTO products (handle, title) VALUES ('refused', 'Refused')", logger: db.logger)
                        }
                    } throws: { error in
                        let refusal = error as? LumoraError
                        return refusal?.code == "store_moving" && refusal?.status == .unavailable && refusal?.retryAfterSeconds == 1
                    }
                    #expect(try await scope.withStore(acme) { connection in
                        try await connection.query("SELECT count(*)::int FROM products", logger: db.logger).collect(Int.self).first
                    } == 1)
                    try await scope.withStore(other) { connection in
                        try await connection.run("INSERT INTO products (handle, title) VALUES ('elsewhere', 'Elsewhere')", logger: db.logger)
                    }
                    // Another store's table is still a plain refusal, not a move.
                    await #expect {
                        try await scope.withStore(other) { connection in
                            try await connection.run("SELECT count(*) FROM \(unescaped: schema.rawValue).products", logger: db.logger)
                        }
                    } throws: { ($0 as? LumoraError)?.code != "store_moving" && $0.hasSQLState(.insufficientPrivilege) }

                    try await freeze.thaw(schema)
                    #expect(try await freeze.isFrozen(schema) == false)
                    try await scope.withStore(acme) { connection in
                        try await connection.run("INSERT INTO products (handle, title) VALUES ('after', 'After')", logger: db.logger)
                    }
                    #expect(try await owner.scalar("SELECT count(*)::int FROM \(unescaped: schema.rawValue).products", as: Int.self) == 2)
                }
            }
        }
    }

    /// A release that migrates a store while its writes are frozen (a move's last moment) must
    /// not give them back: the migrator grants the store role its tables after every migration.
    @Test func aMigrationDuringAFreezeKeepsTheWritesFrozen() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { owner in
                let acme = try await db.createStores(owner, count: 1, prefix: "migrated")[0]
                let schema = SchemaName(store: acme)
                let freeze = StoreWriteFreeze(client: owner, logger: db.logger)
                try await freeze.freeze(schema)
                let migrations = try MigrationSet.store().appending([
                    Migration(version: try MigrationSet.store().latestVersion + 1, name: "wishlists", sql: "CREATE TABLE wishlists (id bigserial PRIMARY KEY, note text)"),
                ])
                let report = try await StoreSchemaMigrator(client: owner, migrations: migrations, logger: db.logger).migrateAll()
                #expect(report.failures.isEmpty)
                try await PostgresClient.withRunning(db.cellURL.clientConfiguration(maximumConnections: 2), logger: db.logger) { cell in
                    let scope = TenantScope(client: cell, logger: db.logger)
                    for statement: PostgresQuery in ["INSERT INTO products (handle, title) VALUES ('refused', 'Refused')", "INSERT INTO wishlists (note) VALUES ('refused')"] {
                        await #expect {
                            try await scope.withStore(acme) { connection in try await connection.run(statement, logger: db.logger) }
                        } throws: { ($0 as? LumoraError)?.code == "store_moving" }
                    }
                    // Reads go on, the new table's too.
                    #expect(try await scope.withStore(acme) { connection in
                        try await connection.query("SELECT count(*)::int FROM wishlists", logger: db.logger).collect(Int.self).first
                    } == 0)

                    try await freeze.thaw(schema)
                    try await scope.withStore(acme) { connection in
                        try await connection.run("INSERT INTO products (handle, title) VALUES ('after', 'After')", logger: db.logger)
                        try await connection.run("INSERT INTO wishlists (note) VALUES ('after')", logger: db.logger)
                    }
                }
            }
        }
    }
}
