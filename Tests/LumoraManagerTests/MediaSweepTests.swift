import Foundation
import LumoraCore
import LumoraMedia
import LumoraTestSupport
import NIOCore
import PostgresNIO
import Testing

/// Deleted media lose their files once the grace period is over (a durable job the operator
/// may also queue at once); a purged store loses all of its files.
@Suite struct MediaSweepTests {
    @Test func expiredMediaGoLiveAndRecentOnesStay() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-sweep-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let media = LocalDiskMediaStore(root: folder)
        try await ManagerHarness.run(configure: {
            $0.mediaStore = media
            $0.mediaGracePeriod = .seconds(3600)
        }) { manager in
            try await manager.createStore("sweep")
            try await manager.createStore("other")
            let slug = try StoreSlug(validating: "sweep")
            // Three media of the store: deleted two hours ago, deleted a minute ago, in use.
            let hashes = (1...3).map { String(repeating: String($0), count: 64) }
            for (hash, deleted) in zip(hashes, ["now() - interval '2 hours'", "now() - interval '1 minute'", "NULL"]) {
                try await manager.database.withClient { client in
                    try await client.query(PostgresQuery(unsafeSQL: """
                        INSERT INTO store_sweep.media (hash, source, widths, heights, formats, byte_count, deleted_at)
                        VALUES ('\(hash)', 'jpeg', '{320,160}', '{320,160}', '{jpeg,webp}', 4, \(deleted))
                        """)).drain()
                }
                for width in [320, 160] {
                    for format in [ImageFormat.jpeg, .webp] {
                        try await media.put(MediaKey(store: slug, file: MediaFile(hash: hash, width: width, format: format)), bytes: ByteBuffer(string: "x"), contentType: format.contentType)
                    }
                }
            }
            // The other store's file of the same name is its own.
            let othersFile = MediaKey(store: try StoreSlug(validating: "other"), file: MediaFile(hash: hashes[0], width: 320, format: .jpeg))
            try await media.put(othersFile, bytes: ByteBuffer(string: "x"), contentType: "image/jpeg")

            let queued = try await manager.request(.post, "/v1/media-sweeps")
            #expect(queued.status == .accepted)
            try await manager.waitForJob(try #require((try queued.object()["job"] as? [String: Any])?["id"] as? Int))

            func stored(_ hash: String) async throws -> Int {
                var count = 0
                for width in [320, 160] {
                    for format in [ImageFormat.jpeg, .webp] where try await media.get(MediaKey(store: slug, file: MediaFile(hash: hash, width: width, format: format))) != nil {
                        count += 1
                    }
                }
                return count
            }
            #expect(try await stored(hashes[0]) == 0)
            #expect(try await stored(hashes[1]) == 4)
            #expect(try await stored(hashes[2]) == 4)
            #expect(try await media.get(othersFile) != nil)
            #expect(try await manager.count("SELECT count(*)::int FROM store_sweep.media") == 2)

            // A purged store's files all go.
            let purged = try await manager.request(.delete, "/v1/stores/sweep?purge=true")
            try await manager.waitForJob(try #require((try purged.object()["job"] as? [String: Any])?["id"] as? Int))
            #expect(try await stored(hashes[1]) == 0)
            #expect(try await stored(hashes[2]) == 0)
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("stores/sweep").path))
            #expect(try await media.get(othersFile) != nil)
        }
    }
}
