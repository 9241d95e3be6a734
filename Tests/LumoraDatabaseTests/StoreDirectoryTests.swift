import LumoraCore
import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

@Suite struct StoreDirectoryTests {
    @Test func createsFromThePoolAndWithoutIt() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let directory = try db.directory(client)
                let pool = SchemaPool(client: client, migrations: try .store(), logger: db.logger)
                #expect(try await pool.refill(to: 2) == 2)
                #expect(try await pool.available() == 2)

                let pooled = try await directory.create(try NewStore(slug: slug("acme"), name: "  Acme Goods ", plan: .enterprise,
                                                                     ownerEmail: EmailAddress(validating: "owner@acme.test"), currency: .eur)).store
                #expect(pooled.name == "Acme Goods")
                #expect(pooled.ownerEmail == "owner@acme.test")
                #expect(pooled.plan == .enterprise)
                #expect(pooled.status == .active)
                #expect(pooled.currency == .eur)
                #expect(try await pool.available() == 1)

                try await pool.refill(to: 0)
                _ = try await directory.create(try NewStore(slug: slug("second"), name: "Second"))
                _ = try await directory.create(try NewStore(slug: slug("third-one"), name: "Third"))
                #expect(try await pool.available() == 0)

                for store in try await directory.list() {
                    #expect(try await client.schemaExists(store.schema.rawValue))
                    // Settings were written inside the store's own schema.
                    let name = try await client.scalar(PostgresQuery(unsafeSQL: "SELECT name FROM \(store.schema.rawValue).settings"), as: String.self)
                    #expect(name == store.name)
                }
                #expect(try await directory.list().map(\.slug.rawValue) == ["acme", "second", "third-one"])
                let latest = try MigrationSet.store().latestVersion
                #expect(try await client.schemaVersions() == ["store_acme": latest, "store_second": latest, "store_third_one": latest])
            }
        }
    }

    @Test func duplicateSlugIsAConflictAndChangesNothing() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let directory = try db.directory(client)
                let pool = SchemaPool(client: client, migrations: try .store(), logger: db.logger)
                try await pool.refill(to: 1)
                _ = try await directory.create(try NewStore(slug: slug("acme"), name: "Acme"))
                try await pool.refill(to: 1)
                await #expect {
                    _ = try await directory.create(try NewStore(slug: slug("acme"), name: "Other"))
                } throws: { ($0 as? LumoraError)?.code == "store_exists" && ($0 as? LumoraError)?.httpStatusCode == 409 }
                #expect(try await directory.get(slug("acme")).name == "Acme")
                #expect(try await pool.available() == 1)
            }
        }
    }

    @Test func concurrentSignupsForOneSlugMakeOneStore() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let directory = try db.directory(client)
                try await SchemaPool(client: client, migrations: try .store(), logger: db.logger).refill(to: 4)
                let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<8 {
                        group.addTask {
                            do {
                                _ = try await directory.create(try NewStore(slug: slug("race"), name: "Race \(index)"))
                                return true
                            } catch let error as LumoraError where error.code == "store_exists" {
                                return false
                            }
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1)
                #expect(try await client.scalar("SELECT count(*)::int FROM lumora.stores", as: Int.self) == 1)
                #expect(try await client.scalar("SELECT count(*)::int FROM lumora.store_schemas WHERE store_slug IS NOT NULL", as: Int.self) == 1)
            }
        }
    }

    /// A store whose schema cannot be built leaves no schema, no row and no used pool entry.
    @Test func aFailedCreateLeavesNothingBehind() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let broken = try db.directory(client, extra: [
                    Migration(version: try MigrationSet.store().latestVersion + 1, name: "broken", sql: "SELECT no_such_function();"),
                ])
                await #expect(throws: (any Error).self) {
                    _ = try await broken.create(try NewStore(slug: slug("doomed"), name: "Doomed"))
                }
                #expect(try await !client.schemaExists("store_doomed"))
                #expect(try await client.scalar("SELECT count(*)::int FROM lumora.stores", as: Int.self) == 0)
                #expect(try await client.scalar("SELECT count(*)::int FROM lumora.store_schemas", as: Int.self) == 0)
            }
        }
    }

    @Test func suspendsAndDeletes() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let directory = try db.directory(client)
                _ = try await directory.create(try NewStore(slug: slug("acme"), name: "Acme"))
                try await client.query("INSERT INTO lumora.domains (hostname, store_slug, kind, status) VALUES ('acme.example', 'acme', 'custom', 'verified')")

                #expect(try await directory.suspend(slug("acme")).status == .suspended)
                #expect(try await directory.get(slug("acme")).status == .suspended)

                try await directory.delete(slug("acme"))
                #expect(try await !client.schemaExists("store_acme"))
                #expect(try await client.scalar("SELECT count(*)::int FROM lumora.domains", as: Int.self) == 0)
                #expect(try await client.scalar("SELECT count(*)::int FROM lumora.store_schemas", as: Int.self) == 0)
                await #expect { try await directory.get(slug("acme")) } throws: { ($0 as? LumoraError)?.code == "store_not_found" }
                await #expect { try await directory.delete(slug("acme")) } throws: { ($0 as? LumoraError)?.httpStatusCode == 404 }

                // The slug is free again.
                _ = try await directory.create(try NewStore(slug: slug("acme"), name: "Acme again"))
                #expect(try await directory.get(slug("acme")).name == "Acme again")
            }
        }
    }

    @Test func poolSchemasSurviveRenameIntact() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                try await SchemaPool(client: client, migrations: try .store(), logger: db.logger).refill(to: 1)
                _ = try await db.directory(client).create(try NewStore(slug: slug("renamed"), name: "Renamed"))
                // Identity columns and constraints still work after ALTER SCHEMA … RENAME.
                let scope = TenantScope(client: client, logger: db.logger)
                let id = try await scope.withStore(try slug("renamed")) { connection in
                    try await connection.query("INSERT INTO products (handle, title) VALUES ('tee', 'Tee') RETURNING id", logger: db.logger)
                        .collect(Int64.self).first
                }
                #expect(id == 1)
            }
        }
    }
}

@Suite struct AdminTokenTests {
    @Test func tokensAreStoredOnlyAsNamedHashes() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let directory = try db.directory(client)
                let created = try await directory.create(try NewStore(slug: slug("acme"), name: "Acme"))
                #expect(created.adminToken.hasPrefix(AdminToken.prefix))
                #expect(created.adminToken.count > 40)
                let stored = try await client.query("SELECT name, token_hash FROM lumora.api_tokens WHERE store_slug = 'acme'").collect((String, String).self)
                #expect(stored.map(\.0) == [AdminToken.firstTokenName])
                #expect(stored.first?.1 != created.adminToken)
                #expect(AdminToken.matches(created.adminToken, anyOf: stored.map(\.1)))
                #expect(!AdminToken.matches(created.adminToken + "x", anyOf: stored.map(\.1)))

                // Another token: both work.
                let second = try await directory.issueAPIToken(slug("acme"), name: "Sync")
                let hashes = try await client.query("SELECT token_hash FROM lumora.api_tokens WHERE store_slug = 'acme'").collect(String.self)
                #expect(AdminToken.matches(second, anyOf: hashes) && AdminToken.matches(created.adminToken, anyOf: hashes))
            }
        }
    }
}
