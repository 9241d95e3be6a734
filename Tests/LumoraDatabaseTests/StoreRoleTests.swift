import LumoraCore
import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

/// The database holds the store boundary even where the application would not: inside a
/// store's transaction, SQL that names another store's schema (or the control schema) is
/// refused by PostgreSQL itself.
@Suite struct StoreRoleTests {
    @Test func aStoreTransactionCannotReachAnotherStore() async throws {
        try await TestDatabase.withFresh { db in
            let (acme, globex) = try await db.withClient { client in
                let stores = try await db.createStores(client, count: 2, prefix: "role")
                return (stores[0], stores[1])
            }
            // As a cell connects: the cell role, which is nothing until it becomes a store.
            try await PostgresClient.withRunning(db.cellURL.clientConfiguration(maximumConnections: 2), logger: db.logger) { client in
                let scope = TenantScope(client: client, logger: db.logger)
                try await scope.withStore(acme) { connection in
                    // Its own schema: fine.
                    _ = try await connection.query("SELECT name FROM settings", logger: db.logger).collect(String.self)
                    let role = try await connection.query("SELECT current_user::text", logger: db.logger).collect(String.self).first
                    #expect(role?.hasPrefix(acme.schemaName + "_") == true)
                }
                for statement: PostgresQuery in [
                    PostgresQuery(unsafeSQL: "SELECT name FROM \(globex.schemaName).settings"),
                    PostgresQuery(unsafeSQL: "UPDATE \(globex.schemaName).inventory SET stocked = 0"),
                    "SELECT token_hash FROM lumora.api_tokens",
                    "SELECT password_hash FROM lumora.accounts",
                    "SELECT token_hash FROM lumora.sessions",
                    "UPDATE lumora.stores SET status = 'suspended'",
                    "SELECT * FROM lumora.jobs",
                    "CREATE TABLE public.loot (x int)",
                    "CREATE TEMPORARY TABLE loot (x int)",
                ] {
                    await #expect(performing: {
                        try await scope.withStore(acme) { connection in try await connection.run(statement, logger: db.logger) }
                    }, throws: { $0.hasSQLState(.insufficientPrivilege) })
                }
                // Nor become the owner. (It could become another store's role — PostgreSQL checks
                // SET ROLE against the session's login, the cell's — which is why the cell sets
                // the role itself and SQL is only ever parameterised: docs/SECURITY.md.)
                await #expect(performing: {
                    try await scope.withStore(acme) { connection in
                        try await connection.run("SELECT set_config('role', 'lumora_owner', true)", logger: db.logger)
                    }
                }, throws: { $0.hasSQLState(.insufficientPrivilege) })
                // Without a store, the cell role reads no store's data at all.
                await #expect(performing: {
                    try await client.query(PostgresQuery(unsafeSQL: "SELECT name FROM \(acme.schemaName).settings")).drain()
                }, throws: { $0.hasSQLState(.insufficientPrivilege) })
                // …but does read what it routes by.
                #expect(try await client.query("SELECT slug FROM lumora.stores").collect(String.self).count == 2)
            }
            // The edge's role reads the routing columns, not the token hashes.
            try await PostgresClient.withRunning(db.edgeURL.clientConfiguration(maximumConnections: 1), logger: db.logger) { client in
                let routes = try await client.query("SELECT slug, cell_id FROM lumora.stores").collect((String, String?).self)
                #expect(routes.count == 2)
                await #expect(performing: { try await client.query("SELECT token_hash FROM lumora.api_tokens").drain() },
                              throws: { $0.hasSQLState(.insufficientPrivilege) })
            }
        }
    }

    /// A store renames itself in the control schema through the one function that allows it,
    /// and cannot rename another.
    @Test func aStoreRenamesOnlyItself() async throws {
        try await TestDatabase.withFresh { db in
            let stores = try await db.withClient { client in try await db.createStores(client, count: 2, prefix: "name") }
            try await PostgresClient.withRunning(db.cellURL.clientConfiguration(maximumConnections: 1), logger: db.logger) { client in
                try await TenantScope(client: client, logger: db.logger).withStore(stores[0]) { connection in
                    try await connection.run("SELECT lumora_store.rename_own_store('Renamed')", logger: db.logger)
                }
            }
            let names = try await db.withClient { client in
                try await client.query("SELECT slug, name FROM lumora.stores ORDER BY slug").collect((String, String).self)
            }
            #expect(names.map(\.1) == ["Renamed", "Shop 1"])
        }
    }

    @Test func noPlatformRoleIsASuperuser() async throws {
        try await TestDatabase.withFresh { db in
            for url in [db.url, db.cellURL, db.edgeURL] {
                let isSuperuser = try await PostgresClient.withRunning(url.clientConfiguration(maximumConnections: 1), logger: db.logger) { client in
                    try await client.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", as: Bool.self)
                }
                #expect(isSuperuser == false)
            }
        }
    }

    /// Deleting a store drops its role; a pool schema claimed by signup takes its role along.
    @Test func storeRolesFollowTheirSchemas() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                try await SchemaPool(client: client, migrations: try .store(), logger: db.logger).refill(to: 1)
                let pooled = try #require(try await client.query("SELECT schema_name FROM lumora.store_schemas").collect(String.self).first)
                func roleExists(_ schema: String) async throws -> Bool {
                    try await client.scalar("SELECT count(*)::int FROM pg_roles WHERE rolname = lumora.store_role(\(schema))", as: Int.self) == 1
                }
                #expect(try await roleExists(pooled))
                let store = try await db.createStores(client, count: 1, prefix: "claim")[0]
                #expect(try await !roleExists(pooled))
                #expect(try await roleExists(store.schemaName))
                try await db.directory(client).delete(store)
                #expect(try await !roleExists(store.schemaName))
            }
        }
    }
}
