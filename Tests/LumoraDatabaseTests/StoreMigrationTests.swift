import LumoraCore
import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

@Suite struct StoreMigrationTests {
    static func next(_ name: String, _ sql: String) throws -> Migration {
        Migration(version: (try MigrationSet.store()).latestVersion + 1, name: name, sql: sql)
    }

    @Test func migratesEveryStoreAndPoolSchemaThenChangesNothing() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                try await db.createStores(client, count: 6)
                let pool = SchemaPool(client: client, migrations: try .store(), logger: db.logger)
                try await pool.refill(to: 3)

                let migrations = try MigrationSet.store().appending([
                    try Self.next("subtitles", "ALTER TABLE products ADD COLUMN subtitle text;\nCREATE INDEX products_subtitle ON products (subtitle);"),
                ])
                let migrator = StoreSchemaMigrator(client: client, migrations: migrations, concurrency: 3, logger: db.logger)
                let report = try await migrator.migrateAll()
                #expect(report.succeeded)
                #expect(report.migrated.count == 9)
                #expect(try await client.schemaVersions().values.allSatisfy { $0 == migrations.latestVersion })
                #expect(try await client.columnExists(schema: "store_shop_3", table: "products", column: "subtitle"))

                let again = try await migrator.migrateAll()
                #expect(again.migrated.isEmpty && again.succeeded)
            }
        }
    }

    /// A migration the running version cannot live with is refused — nothing applied — until
    /// it is allowed; the marker is a line of its own.
    @Test func refusesAMigrationMarkedIncompatibleUnlessAllowed() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                try await db.createStores(client, count: 3)
                let dropping = try Self.next("drop_descriptions", "-- lumora: incompatible\nALTER TABLE products DROP COLUMN description;")
                #expect(dropping.isIncompatible)
                #expect(!(try Self.next("note", "-- not lumora: incompatible, a comment\nSELECT 1;")).isIncompatible)
                let migrations = try MigrationSet.store().appending([dropping])
                let migrator = StoreSchemaMigrator(client: client, migrations: migrations, logger: db.logger)
                await #expect(throws: MigrationError.incompatible(set: "store", version: dropping.version, name: "drop_descriptions")) {
                    try await migrator.migrateAll()
                }
                #expect(try await client.schemaVersions().values.allSatisfy { $0 == migrations.latestVersion - 1 })
                #expect(try await client.columnExists(schema: "store_shop_1", table: "products", column: "description"))

                let report = try await migrator.migrateAll(allowIncompatible: true)
                #expect(report.succeeded && report.migrated.count == 3)
                #expect(try await !client.columnExists(schema: "store_shop_1", table: "products", column: "description"))
            }
        }
    }

    @Test func oneStoresFailureIsReportedByNameAndTheOthersMigrate() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                try await db.createStores(client, count: 5)
                let poisoned = try MigrationSet.store().appending([
                    try Self.next("poisoned", """
                        ALTER TABLE products ADD COLUMN subtitle text;
                        DO $$ BEGIN
                            IF current_schema() = 'store_shop_2' THEN RAISE EXCEPTION 'boom in %', current_schema(); END IF;
                        END $$;
                        """),
                ])
                let report = try await StoreSchemaMigrator(client: client, migrations: poisoned, logger: db.logger).migrateAll()
                #expect(report.migrated.count == 4)
                #expect(report.failures.count == 1)
                let failure = try #require(report.failures.first)
                #expect(failure.storeSlug == "shop-2")
                #expect(failure.message.contains("boom in store_shop_2"))
                #expect(failure.description.contains("store shop-2"))

                let versions = try await client.schemaVersions()
                #expect(versions["store_shop_2"] == poisoned.latestVersion - 1)
                #expect(versions["store_shop_1"] == poisoned.latestVersion)
                // The failed store's transaction left nothing behind.
                #expect(try await !client.columnExists(schema: "store_shop_2", table: "products", column: "subtitle"))
            }
        }
    }

    @Test func refusesAnEditedStoreMigration() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let original = try MigrationSet.store().appending([try Self.next("x", "ALTER TABLE products ADD COLUMN x int;")])
                _ = try await StoreSchemaMigrator(client: client, migrations: original, logger: db.logger).migrateAll()
                let edited = try MigrationSet.store().appending([try Self.next("x", "ALTER TABLE products ADD COLUMN x bigint;")])
                await #expect(throws: MigrationError.self) {
                    _ = try await StoreSchemaMigrator(client: client, migrations: edited, logger: db.logger).migrateAll()
                }
            }
        }
    }

    /// Interrupt the migrator mid-run — every transaction that reaches the gate is cancelled by
    /// the server and aborts — then run again: every store ends migrated, each exactly once,
    /// none half-migrated. (A killed process is covered by the CLI tests.)
    @Test func resumesAfterInterruptedTransactions() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient(maximumConnections: 2) { client in
                let stores = try await db.createStores(client, count: 20)
                try await client.query("CREATE SCHEMA lumora_test")
                try await client.query("CREATE TABLE lumora_test.applied (schema_name text NOT NULL)")
                try await client.query("CREATE SEQUENCE lumora_test.calls")
                // The sixth schema (and every later one) waits for an advisory lock the test holds.
                try await client.query("""
                    CREATE FUNCTION lumora_test.gate() RETURNS void LANGUAGE plpgsql AS $$
                    BEGIN
                        IF nextval('lumora_test.calls') > 5 THEN PERFORM pg_advisory_xact_lock(4242); END IF;
                    END $$
                    """)
                let migrations = try MigrationSet.store().appending([
                    try Self.next("gated", """
                        INSERT INTO lumora_test.applied VALUES (current_schema());
                        ALTER TABLE products ADD COLUMN subtitle text;
                        SELECT lumora_test.gate();
                        CREATE INDEX products_subtitle ON products (subtitle);
                        """),
                ])

                let interrupted = try await db.withClient(maximumConnections: 1) { holder in
                    try await holder.withConnection { lock in
                        try await lock.run("SELECT pg_advisory_lock(4242)", logger: db.logger)
                        let report = try await db.withClient(maximumConnections: 2, applicationName: "doomed-migrator") { doomed in
                            try await withThrowingTaskGroup(of: StoreMigrationReport?.self) { group in
                                group.addTask {
                                    try await StoreSchemaMigrator(client: doomed, migrations: migrations, concurrency: 2, logger: db.logger).migrateAll()
                                }
                                group.addTask {
                                    // Whenever a migrator transaction waits at the gate, cancel it.
                                    while !Task.isCancelled {
                                        _ = try await client.query("""
                                            SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                                            WHERE application_name = 'doomed-migrator' AND wait_event_type = 'Lock'
                                            """).hasRows()
                                        try? await Task.sleep(for: .milliseconds(5))
                                    }
                                    return nil
                                }
                                defer { group.cancelAll() }
                                while let result = try await group.next() {
                                    if let report = result { return report }
                                }
                                throw WaitTimeout()
                            }
                        }
                        try await lock.run("SELECT pg_advisory_unlock(4242)", logger: db.logger)
                        return report
                    }
                }

                let latest = migrations.latestVersion
                #expect(interrupted.migrated.count == 5)
                #expect(interrupted.failures.count == stores.count - 5)
                #expect(interrupted.failures.allSatisfy { $0.storeSlug != nil && $0.message.contains("57014") }, "\(interrupted.failures)")
                let afterCrash = try await client.schemaVersions()
                for (schema, version) in afterCrash {
                    // All or nothing per store: the column exists exactly when the version says so.
                    #expect(try await client.columnExists(schema: schema, table: "products", column: "subtitle") == (version == latest))
                }

                let resumed = try await StoreSchemaMigrator(client: client, migrations: migrations, concurrency: 2, logger: db.logger).migrateAll()
                #expect(resumed.succeeded)
                #expect(resumed.migrated.count == stores.count - 5)
                #expect(try await client.schemaVersions().values.allSatisfy { $0 == latest })
                #expect(try await client.scalar("SELECT count(*)::int FROM lumora_test.applied", as: Int.self) == stores.count)
                #expect(try await client.scalar("SELECT count(DISTINCT schema_name)::int FROM lumora_test.applied", as: Int.self) == stores.count)
            }
        }
    }
}
