import Logging
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraTestSupport
import PostgresNIO
import Synchronization
import Testing

/// The routing table is the control schema's copy in memory, kept by notifications. A
/// notification is spent once delivered, so a change whose read fails (a crowded server out of
/// connections; here, a read the database refuses) must still arrive once the database answers
/// again — without another change to bring it.
@Suite struct ChangeFeedTests {
    @Test func aChangeWhoseReadFailedArrivesWhenTheDatabaseAnswersAgain() async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient { owner in
                let acme = try StoreSlug(validating: "acme")
                _ = try await StoreDirectory(client: owner, migrations: try .store(), logger: db.logger).create(try NewStore(slug: acme, name: "Acme"))
                let log = RecordedLog()
                try await PostgresClient.withRunning(db.edgeURL.clientConfiguration(maximumConnections: 2), logger: db.logger) { edge in
                    let table = StoreRoutingTable(client: edge, includesAdminTokens: false, logger: db.logger)
                    let feed = ChangeFeed(url: db.edgeURL, subscribers: [table], logger: Logger(label: "lumora.test.feed") { _ in log.handler })
                    let running = Task { try await feed.run() }
                    await feed.waitUntilListening()
                    #expect(table.store(acme)?.name == "Acme")

                    // The edge may not read store names for a while: the rename's read fails.
                    try await owner.query("REVOKE SELECT (name) ON lumora.stores FROM lumora_edge").drain()
                    try await owner.query("UPDATE lumora.stores SET name = 'Acme Renamed' WHERE slug = 'acme'").drain()
                    try await waitUntil { log.contains("a change could not be read") }
                    #expect(table.store(acme)?.name == "Acme")

                    try await owner.query("GRANT SELECT (name) ON lumora.stores TO lumora_edge").drain()
                    try await waitUntil { table.store(acme)?.name == "Acme Renamed" }
                    running.cancel()
                    _ = try? await running.value
                }
            }
        }
    }
}

/// Messages logged at warning or above, for a test to wait on what a component reports.
final class RecordedLog: Sendable {
    private let messages = Mutex<[String]>([])

    var handler: Handler { Handler(log: self) }

    func contains(_ text: String) -> Bool {
        messages.withLock { $0.contains { $0.contains(text) } }
    }

    struct Handler: LogHandler {
        let log: RecordedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .warning

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            log.messages.withLock { $0.append(message.description) }
        }
    }
}
