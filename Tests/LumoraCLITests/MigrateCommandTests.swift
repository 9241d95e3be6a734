import Foundation
import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

@Suite struct MigrateCommandTests {
    /// Stores made before the store migrations existed (schemas at version 0). `lumora migrate`
    /// is SIGKILLed while it waits on one store; the next run finishes the rest, applying each
    /// migration to each store exactly once (a second CREATE TABLE would fail).
    @Test func resumesAfterTheProcessIsKilled() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let count = 12
                for index in 0..<count {
                    let slug = String(format: "old-%02d", index)
                    let schema = "store_" + slug.replacingOccurrences(of: "-", with: "_")
                    try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
                    try await client.query("INSERT INTO lumora.stores (slug, name, plan, status) VALUES (\(slug), \(slug), 'standard', 'active')")
                    try await client.query("INSERT INTO lumora.store_schemas (schema_name, store_slug, version) VALUES (\(schema), \(slug), 0)")
                }
                let output = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-migrate-\(UUID().uuidString).log")
                defer { try? FileManager.default.removeItem(at: output) }

                // Hold the sixth store's version row: the migrator (one store at a time, in
                // name order) stops there with five stores done.
                let killed = try await client.withTransaction(logger: db.logger) { blocker in
                    _ = try await blocker.query("SELECT version FROM lumora.store_schemas WHERE schema_name = 'store_old_05' FOR UPDATE", logger: db.logger).collect(Int.self)
                    let migrate = try LumoraBinary.start(["migrate", "--concurrency", "1"], environment: ["DATABASE_URL": db.url.string], output: output)
                    try await waitUntil {
                        try await client.scalar("""
                            SELECT count(*)::int FROM pg_stat_activity
                            WHERE datname = \(db.url.database) AND wait_event_type = 'Lock' AND query LIKE '%store_schemas%FOR UPDATE%'
                            """, as: Int.self) == 1
                    }
                    migrate.signal(SIGKILL)
                    return await migrate.waitForExit()
                }
                #expect(killed == 128 + SIGKILL)

                let latest = try MigrationSet.store().latestVersion
                let afterKill = try await client.schemaVersionCounts()
                #expect(afterKill[latest] == 5)
                #expect(afterKill[0] == count - 5)

                let (status, text) = try await LumoraBinary.run(["migrate"], environment: ["DATABASE_URL": db.url.string])
                #expect(status == 0, "\(text)")
                #expect(text.contains("store schemas: \(count - 5) migrated, 0 failed"))
                #expect(try await client.schemaVersionCounts() == [latest: count])

                let again = try await LumoraBinary.run(["migrate"], environment: ["DATABASE_URL": db.url.string])
                #expect(again.output.contains("control schema: up to date"))
                #expect(again.output.contains("store schemas: 0 migrated, 0 failed"))
            }
        }
    }

    @Test func reportsAFailingStoreAndExitsNonZero() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                for slug in ["fine-one", "broken-one"] {
                    let schema = "store_" + slug.replacingOccurrences(of: "-", with: "_")
                    try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
                    try await client.query("INSERT INTO lumora.stores (slug, name, plan, status) VALUES (\(slug), \(slug), 'standard', 'active')")
                    try await client.query("INSERT INTO lumora.store_schemas (schema_name, store_slug, version) VALUES (\(schema), \(slug), 0)")
                }
                // Something in the way of the first migration in one store only.
                try await client.query("CREATE TABLE store_broken_one.products (oops int)")
                let (status, output) = try await LumoraBinary.run(["migrate"], environment: ["DATABASE_URL": db.url.string])
                #expect(status == 1)
                #expect(output.contains("store schemas: 1 migrated, 1 failed"))
                #expect(output.contains("store broken-one (store_broken_one)"))
                #expect(output.contains("already exists"))
            }
        }
    }
}

extension PostgresClient {
    func schemaVersionCounts() async throws -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for (version, count) in try await query("SELECT version, count(*)::int FROM lumora.store_schemas GROUP BY version").collect((Int, Int).self) {
            counts[version] = count
        }
        return counts
    }
}
