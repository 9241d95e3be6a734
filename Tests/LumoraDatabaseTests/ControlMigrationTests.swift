import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

@Suite struct ControlMigrationTests {
    @Test func appliesOnceAndThenChangesNothing() async throws {
        try await TestDatabase.withFresh(controlSchema: false) { db in
            try await db.withClient { client in
                let migrator = ControlSchemaMigrator(client: client, migrations: try .control(), logger: db.logger)
                let first = try await migrator.migrate()
                #expect(first.count == (try MigrationSet.control()).latestVersion)
                #expect(try await migrator.migrate().isEmpty)
                #expect(try await client.scalar("SELECT count(*)::int FROM lumora.stores", as: Int.self) == 0)
            }
        }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        try await TestDatabase.withFresh(controlSchema: false) { db in
            try await db.withClient { client in
                let migrator = ControlSchemaMigrator(client: client, migrations: try .control(), logger: db.logger)
                let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<4 { group.addTask { try await migrator.migrate().count } }
                    return try await group.reduce(0, +)
                }
                #expect(applied == (try MigrationSet.control()).latestVersion)
            }
        }
    }

    @Test func refusesAnEditedMigration() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let shipped = try MigrationSet.control()
                var edited = shipped.migrations
                edited[0] = Migration(version: 1, name: edited[0].name, sql: edited[0].sql + "\n-- edited")
                let migrator = ControlSchemaMigrator(client: client, migrations: try MigrationSet(name: "control", migrations: edited), logger: db.logger)
                await #expect(throws: MigrationError.checksumMismatch(set: "control", version: 1, name: edited[0].name)) {
                    try await migrator.migrate()
                }
            }
        }
    }

    @Test func aFailingMigrationChangesNothing() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let broken = try MigrationSet.control().appending([
                    Migration(version: (try MigrationSet.control()).latestVersion + 1, name: "broken",
                              sql: "CREATE TABLE lumora.half_made (x int);\nSELECT no_such_function();"),
                ])
                await #expect(throws: (any Error).self) {
                    try await ControlSchemaMigrator(client: client, migrations: broken, logger: db.logger).migrate()
                }
                #expect(try await client.scalar("SELECT count(*)::int FROM pg_tables WHERE tablename = 'half_made'", as: Int.self) == 0)
            }
        }
    }

    /// A database from before accounts (migration 6): each store's admin token becomes its
    /// first named API token, and the token still opens the store.
    @Test func theAdminTokenBecomesTheFirstNamedToken() async throws {
        try await TestDatabase.withFresh(controlSchema: false) { db in
            try await db.withClient { client in
                let all = try MigrationSet.control()
                let before = try MigrationSet(name: "control", migrations: all.migrations.filter { $0.version <= 6 })
                try await ControlSchemaMigrator(client: client, migrations: before, logger: db.logger).migrate()
                try await client.query("""
                    INSERT INTO lumora.stores (slug, name, plan, status, admin_token_hash)
                    VALUES ('acme', 'Acme', 'standard', 'active', \(AdminToken.hash("lsk_old")))
                    """).drain()
                try await ControlSchemaMigrator(client: client, migrations: all, logger: db.logger).migrate()
                let tokens = try await client.query("SELECT name, token_hash FROM lumora.api_tokens WHERE store_slug = 'acme'").collect((String, String).self)
                #expect(tokens.map(\.0) == [AdminToken.firstTokenName])
                #expect(AdminToken.matches("lsk_old", anyOf: tokens.map(\.1)))
                #expect(try await client.scalar("SELECT count(*)::int FROM information_schema.columns WHERE table_name = 'stores' AND column_name = 'admin_token_hash'", as: Int.self) == 0)
            }
        }
    }
}
