import Foundation
import Logging
import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

@Suite struct LocalPostgresTests {
    @Test func missingBinariesNameThePackage() {
        let message = LocalPostgresError.binariesMissing.description
        #expect(message.contains("apt-get install postgresql"))
        #expect(message.contains("DATABASE_URL"))
    }

    /// First start runs initdb; a second start on the same folder keeps the data; a start
    /// while the server runs joins it instead of starting another.
    @Test func initializesReusesAndJoins() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-local-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("pg")
        let logger = TestPostgres.logger

        let first = try await LocalPostgres.start(dataDirectory: folder, ephemeral: true, logger: logger)
        #expect(first.ownsServer)
        try await PostgresClient.withRunning(first.url.clientConfiguration(maximumConnections: 1), logger: logger) { client in
            try await client.query("CREATE TABLE kept (note text)")
            try await client.query("INSERT INTO kept VALUES ('still here')")
        }

        let joined = try await LocalPostgres.start(dataDirectory: folder, logger: logger)
        #expect(!joined.ownsServer)
        #expect(joined.url.port == first.url.port)

        await first.stop()
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("postmaster.pid").path))

        let second = try await LocalPostgres.start(dataDirectory: folder, ephemeral: true, logger: logger)
        let note = try await PostgresClient.withRunning(second.url.clientConfiguration(maximumConnections: 1), logger: logger) { client in
            try await client.scalar("SELECT note FROM kept", as: String.self)
        }
        #expect(note == "still here")
        await second.stop()
    }

    @Test func refusesAFolderItDidNotInitialize() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-foreign-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("15\n".utf8).write(to: root.appendingPathComponent("PG_VERSION"))
        await #expect {
            _ = try await LocalPostgres.start(dataDirectory: root, logger: TestPostgres.logger)
        } throws: { error in
            "\(error)".contains("did not create")
        }
    }
}
