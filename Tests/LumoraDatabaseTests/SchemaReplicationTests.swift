import Logging
import LumoraCore
@testable import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

/// A store schema copied to another database by logical replication while it is written to:
/// two databases of the test server, real publications, slots and subscriptions.
@Suite struct SchemaReplicationTests {
    /// Bounds a subscription that never catches up (a hang guard, not a speed requirement).
    static let hangGuard = Duration.seconds(180)

    @Test func aSchemaIsCopiedFollowedLiveAndLeftWholeWhenReplicationStops() async throws {
        try await Self.withTwoDatabases { source, target, replication in
            try await source.owner.query(Self.products(1...200, prefix: "before")).drain()
            // Writes go on while the first copy runs: inserts, updates and deletes.
            let writer = Task {
                for round in 1...40 {
                    try await source.owner.query(Self.products(round...round, prefix: "during")).drain()
                    try await source.owner.query("UPDATE store_acme.products SET title = 'renamed ' || \(round) WHERE handle = \("before-\(round)")").drain()
                    try await source.owner.query("DELETE FROM store_acme.products WHERE handle = \("before-\(100 + round)")").drain()
                }
            }
            try await replication.start()
            try await writer.value
            // Writes have stopped (as a frozen store's would): the copy becomes whole.
            try await replication.waitUntilCaughtUp(within: Self.hangGuard)
            let original = try await SchemaDigest.of(replication.schema, on: source.admin, logger: TestPostgres.logger)
            let copy = try await SchemaDigest.of(replication.schema, on: target.admin, logger: TestPostgres.logger)
            #expect(copy == original)
            #expect(original.tables["products"] != nil && original.tables.count >= 15)
            #expect(try await target.admin.scalar("SELECT count(*)::int FROM store_acme.products", as: Int.self) == 200)
            #expect(try await target.admin.scalar("SELECT title FROM store_acme.products WHERE handle = 'before-7'", as: String.self) == "renamed 7")

            // Sequences are not replicated: copied, a row made on the target gets an id past the source's.
            try await replication.copySequences()
            let sourceTop = try #require(try await source.admin.scalar("SELECT max(id) FROM store_acme.products", as: Int64.self))
            let made = try #require(try await target.admin.scalar(
                "INSERT INTO store_acme.products (handle, title) VALUES ('after-move', 'New') RETURNING id", as: Int64.self))
            #expect(made > sourceTop)

            try await replication.stop()
            try await Self.expectNoReplicationLeft(replication, source: source.admin, target: target.admin)
            // The copy stays, and no longer follows the source.
            try await source.owner.query(Self.products(1...1, prefix: "after-stop")).drain()
            #expect(try await target.admin.scalar("SELECT count(*)::int FROM store_acme.products", as: Int.self) == 201)
            #expect(try await SchemaDigest.of(replication.schema, on: target.admin, logger: TestPostgres.logger) != original)
        }
    }

    @Test func anAbortedMoveDropsTheCopyAndLeavesTheSourceAsItWas() async throws {
        try await Self.withTwoDatabases { source, target, replication in
            try await source.owner.query(Self.products(1...20, prefix: "kept")).drain()
            try await replication.start()
            // Run again after a crash, start finds its own work and goes on.
            try await replication.start()
            try await replication.waitUntilCaughtUp(within: Self.hangGuard)
            let before = try await SchemaDigest.of(replication.schema, on: source.admin, logger: TestPostgres.logger)
            try await replication.abort()
            try await Self.expectNoReplicationLeft(replication, source: source.admin, target: target.admin)
            #expect(try await target.admin.scalar("SELECT count(*)::int FROM pg_namespace WHERE nspname = 'store_acme'", as: Int.self) == 0)
            #expect(try await SchemaDigest.of(replication.schema, on: source.admin, logger: TestPostgres.logger) == before)
        }
    }

    @Test func aTargetThatHasTheSchemaAlreadyIsRefusedWithNothingMade() async throws {
        try await Self.withTwoDatabases { source, target, replication in
            _ = try await target.directory.create(try NewStore(slug: slug("acme"), name: "Another Acme"))
            await #expect { try await replication.start() } throws: { ($0 as? LumoraError)?.code == "schema_exists" }
            try await Self.expectNoReplicationLeft(replication, source: source.admin, target: target.admin)
            #expect(try await target.admin.scalar("SELECT name FROM store_acme.settings", as: String.self) == "Another Acme")
        }
    }

    // MARK: Helpers

    struct Side {
        let owner: PostgresClient
        let admin: PostgresClient
        let directory: StoreDirectory
    }

    /// Store `acme` on a source database, an empty target database with the control schema,
    /// and the replication between them.
    static func withTwoDatabases(_ body: (Side, Side, SchemaReplication) async throws -> Void) async throws {
        try await TestDatabase.withFresh { sourceDatabase in
            try await TestDatabase.withFresh { targetDatabase in
                try await sourceDatabase.withClient { sourceOwner in
                    try await sourceDatabase.withAdminClient { sourceAdmin in
                        try await targetDatabase.withClient { targetOwner in
                            try await targetDatabase.withAdminClient { targetAdmin in
                                let source = Side(owner: sourceOwner, admin: sourceAdmin, directory: try sourceDatabase.directory(sourceOwner))
                                let target = Side(owner: targetOwner, admin: targetAdmin, directory: try targetDatabase.directory(targetOwner))
                                _ = try await source.directory.create(try NewStore(slug: slug("acme"), name: "Acme"))
                                let replication = SchemaReplication(
                                    schema: SchemaName(store: try slug("acme")), source: sourceAdmin, target: targetAdmin,
                                    sourceConninfo: sourceDatabase.adminURL.conninfo, migrations: try .store(), logger: TestPostgres.logger)
                                do {
                                    try await body(source, target, replication)
                                } catch {
                                    try? await replication.abort()
                                    throw error
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func products(_ numbers: ClosedRange<Int>, prefix: String) -> PostgresQuery {
        """
        INSERT INTO store_acme.products (handle, title, status)
        SELECT \(prefix) || '-' || n, 'Product ' || n, 'published' FROM generate_series(\(numbers.lowerBound), \(numbers.upperBound)) n
        """
    }

    static func expectNoReplicationLeft(_ replication: SchemaReplication, source: PostgresClient, target: PostgresClient) async throws {
        #expect(try await target.scalar("""
            SELECT count(*)::int FROM pg_subscription WHERE subname = \(replication.name)
              AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, as: Int.self) == 0)
        #expect(try await source.scalar("SELECT count(*)::int FROM pg_publication WHERE pubname = \(replication.name)", as: Int.self) == 0)
        #expect(try await source.scalar("""
            SELECT count(*)::int FROM pg_replication_slots WHERE database = current_database()
            """, as: Int.self) == 0)
    }
}
