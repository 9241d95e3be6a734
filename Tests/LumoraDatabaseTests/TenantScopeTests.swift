import LumoraCore
import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

@Suite struct TenantScopeTests {
    /// Hundreds of concurrent tasks over 50 stores share a pool of 2 connections; each reads the
    /// marker that names its store. Every read must be its own, including after other tasks'
    /// scopes failed and rolled back, and afterwards both connections have the default path.
    @Test func searchPathNeverLeaksBetweenStores() async throws {
        try await TestDatabase.withFresh { db in
            let stores = try await db.withClient { client in
                try await SchemaPool(client: client, migrations: try .store(), logger: db.logger).refill(to: 50, batchSize: 10)
                return try await db.createStores(client, count: 50, prefix: "marker")
            }
            try await db.withClient(maximumConnections: 2) { client in
                let defaultPath = try await client.scalar("SELECT current_setting('search_path')", as: String.self)
                let scope = TenantScope(client: client, logger: db.logger)

                let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                    for task in 0..<600 {
                        let store = stores[task % stores.count]
                        group.addTask {
                            do {
                                return try await scope.withStore(store) { connection in
                                    var wrong = 0
                                    for try await (name, path) in try await connection.query(
                                        "SELECT name, current_setting('search_path') FROM settings", logger: db.logger
                                    ).decode((String, String).self) where name != "Shop \(store.rawValue.dropFirst(7))" || path != store.schemaName {
                                        wrong += 1
                                    }
                                    if task % 7 == 0 { throw Abort() }  // some scopes roll back
                                    return wrong
                                }
                            } catch is Abort {
                                return 0
                            }
                        }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(mismatches == 0)

                // Lease both connections at once and look at their session settings.
                try await client.withConnection { first in
                    try await client.withConnection { second in
                        for connection in [first, second] {
                            let path = try await connection.query("SELECT current_setting('search_path')", logger: db.logger)
                                .collect(String.self).first
                            #expect(path == defaultPath)
                            let timeout = try await connection.query("SELECT current_setting('statement_timeout')", logger: db.logger)
                                .collect(String.self).first
                            #expect(timeout == "0")
                        }
                    }
                }
            }
        }
    }

    @Test func statementTimeoutStopsASlowQuery() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let store = try await db.createStores(client, count: 1)[0]
                let scope = TenantScope(client: client, statementTimeout: .milliseconds(100), logger: db.logger)
                await #expect {
                    try await scope.withStore(store) { connection in
                        try await connection.run("SELECT pg_sleep(5)", logger: db.logger)
                    }
                } throws: { $0.hasSQLState(.queryCanceled) }
            }
        }
    }

    @Test func errorsThrownInsideComeOutUnwrapped() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { client in
                let store = try await db.createStores(client, count: 1)[0]
                let scope = TenantScope(client: client, logger: db.logger)
                await #expect(throws: LumoraError.notFound("x", "y")) {
                    try await scope.withStore(store) { _ in throw LumoraError.notFound("x", "y") }
                }
            }
        }
    }

    struct Abort: Error {}
}
