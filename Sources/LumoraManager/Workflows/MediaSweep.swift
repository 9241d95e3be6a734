import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraMedia
import PostgresNIO
import ServiceLifecycle

/// Removes what deleted media leave behind once their grace period is over: their files in
/// the media store, then their rows. One step per store, so a sweep the manager did not finish
/// (a crash, a restart) goes on from the next store; a store swept twice loses nothing.
struct MediaSweepJob: JobHandler {
    let platform: Platform

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        let stores = try await platform.client.query(ManagerSQL.storesWithMedia, logger: platform.logger).collect(String.self)
        for raw in stores {
            guard let slug = try? StoreSlug(validating: raw) else { continue }
            try await steps.step("store:\(slug)") {
                // One store that cannot be swept now (its schema busy, its files unreachable)
                // does not hold up the others; the next sweep takes it up again.
                do {
                    _ = try await MediaCollector(platform: platform).sweep(slug)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    platform.logger.warning("could not sweep a store's media", metadata: ["store": "\(slug)", "error": "\(error)"])
                }
            }
        }
    }
}

/// Sweeps one store's expired media.
struct MediaCollector: Sendable {
    let platform: Platform
    let batch = 200

    /// The number of media removed. Rows stay locked while their files go, so an upload of
    /// the same bytes waits and then writes them again; a row goes only after all its files.
    func sweep(_ slug: StoreSlug) async throws -> Int {
        let scope = TenantScope(client: platform.client, logger: platform.logger)
        let files = platform.configuration.mediaStore
        let grace = Double(platform.configuration.mediaGracePeriod.components.seconds)
        var removed = 0
        while true {
            let count = try await scope.withStore(slug) { connection in
                let rows = try await connection.query(ManagerSQL.expiredMedia(graceSeconds: grace, limit: batch), logger: platform.logger)
                    .collect((Int64, String, [Int32], [String]).self)
                for (_, hash, widths, formats) in rows {
                    for width in widths {
                        for format in formats.compactMap(ImageFormat.init(rawValue:)) {
                            try await files.delete(MediaKey(store: slug, file: MediaFile(hash: hash, width: Int(width), format: format)))
                        }
                    }
                }
                if !rows.isEmpty { try await connection.run(ManagerSQL.deleteMediaRows(ids: rows.map(\.0)), logger: platform.logger) }
                return rows.count
            }
            removed += count
            if count < batch { return removed }
        }
    }
}

/// Queues a media sweep every `interval` (none while one is still queued or running).
final class MediaSweeper: Service, Sendable {
    let queue: JobQueue
    let interval: Duration
    let logger: Logger

    init(queue: JobQueue, interval: Duration, logger: Logger) {
        self.queue = queue
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Self.queueSweep(on: self.queue)
                } catch is CancellationError {
                    return
                } catch {
                    guard !Task.isCancelled else { return }
                    self.logger.warning("could not queue the media sweep", metadata: ["error": "\(error.databaseMessage)"])
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// The queued sweep: the one already waiting, or a new one.
    @discardableResult
    static func queueSweep(on queue: JobQueue) async throws -> JobRecord {
        if let active = try await queue.activePlatformJob(kind: JobKind.sweepMedia) { return active }
        return try await queue.enqueue(kind: JobKind.sweepMedia, store: nil, maxAttempts: 3)
    }
}
