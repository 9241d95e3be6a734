import Foundation
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import PostgresNIO

/// What an operator asks for: `POST /v1/releases`.
public struct ReleaseRequest: Sendable, Codable {
    public var version: String
    public var binary: String?
    public var image: String?
    public var batchSize: Int
    public var canarySize: Int
    public var pauseAfterCanary: Bool
    public var healthWindowMilliseconds: Int
    public var maxErrorRate: Double
    public var allowIncompatible: Bool

    public init(version: String, binary: String? = nil, image: String? = nil, batchSize: Int = 5, canarySize: Int = 1,
                pauseAfterCanary: Bool = false, healthWindowMilliseconds: Int = 30_000, maxErrorRate: Double = 0.01,
                allowIncompatible: Bool = false) {
        self.version = version
        self.binary = binary
        self.image = image
        self.batchSize = batchSize
        self.canarySize = canarySize
        self.pauseAfterCanary = pauseAfterCanary
        self.healthWindowMilliseconds = healthWindowMilliseconds
        self.maxErrorRate = maxErrorRate
        self.allowIncompatible = allowIncompatible
    }

    enum CodingKeys: String, CodingKey {
        case version, binary, image
        case batchSize = "batch_size", canarySize = "canary", pauseAfterCanary = "pause_after_canary"
        case healthWindowMilliseconds = "health_window_ms", maxErrorRate = "max_error_rate", allowIncompatible = "allow_incompatible"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ReleaseRequest(version: "")
        version = try container.decode(String.self, forKey: .version)
        binary = try container.decodeIfPresent(String.self, forKey: .binary)
        image = try container.decodeIfPresent(String.self, forKey: .image)
        batchSize = try container.decodeIfPresent(Int.self, forKey: .batchSize) ?? defaults.batchSize
        canarySize = try container.decodeIfPresent(Int.self, forKey: .canarySize) ?? defaults.canarySize
        pauseAfterCanary = try container.decodeIfPresent(Bool.self, forKey: .pauseAfterCanary) ?? defaults.pauseAfterCanary
        healthWindowMilliseconds = try container.decodeIfPresent(Int.self, forKey: .healthWindowMilliseconds) ?? defaults.healthWindowMilliseconds
        maxErrorRate = try container.decodeIfPresent(Double.self, forKey: .maxErrorRate) ?? defaults.maxErrorRate
        allowIncompatible = try container.decodeIfPresent(Bool.self, forKey: .allowIncompatible) ?? defaults.allowIncompatible
    }

    /// Refuses what cannot be rolled out, before anything is written.
    func validated() throws(LumoraError) -> ReleaseRequest {
        guard version.wholeMatch(of: /[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}/) != nil else {
            throw .badRequest("invalid_version", "a version is 1 to 64 letters, digits, '.', '+', '_' or '-', starting with a letter or digit")
        }
        guard binary == nil || image == nil else {
            throw .badRequest("invalid_release", "give a binary (local cells) or an image (Cloud Run), not both")
        }
        if let binary {
            guard binary.hasPrefix("/"), FileManager.default.isExecutableFile(atPath: binary) else {
                throw .badRequest("invalid_binary", "\(binary.prefix(200)) is not an executable file (give an absolute path)")
            }
        }
        guard (1...1000).contains(batchSize) else { throw .badRequest("invalid_release", "batch_size must be 1 to 1000") }
        guard (0...1000).contains(canarySize) else { throw .badRequest("invalid_release", "canary must be 0 to 1000") }
        guard (0...3_600_000).contains(healthWindowMilliseconds) else {
            throw .badRequest("invalid_release", "health_window_ms must be 0 to 3600000")
        }
        guard maxErrorRate >= 0, maxErrorRate <= 1 else { throw .badRequest("invalid_release", "max_error_rate is a fraction from 0 to 1") }
        return self
    }
}

/// Creating, following and steering releases; pinning stores to versions.
struct ReleaseService: Sendable {
    let platform: Platform

    private var client: PostgresClient { platform.client }

    func create(_ request: ReleaseRequest) async throws -> ReleaseRecord {
        let request = try request.validated()
        if let binary = request.binary {
            // A binary that ships no store migrations cannot be a Lumora release.
            do { _ = try MigrationSet.store(shippedWith: URL(fileURLWithPath: binary)) } catch {
                throw LumoraError.badRequest("invalid_binary", "\(error)")
            }
        }
        do {
            return try await client.transaction(logger: platform.logger) { connection in
                guard let release = try await Self.decode(try await connection.query(ReleaseSQL.insert(request), logger: platform.logger)).first else {
                    throw LumoraError.internalError("the release was not recorded")
                }
                try await platform.queue.enqueue(kind: JobKind.release, store: nil, payload: ["release": String(release.id)], maxAttempts: 20,
                                                 on: connection)
                return release
            }
        } catch where error.hasSQLState(.uniqueViolation) {
            throw LumoraError.conflict("release_in_progress", "another release is in progress; wait for it, or abort it")
        }
    }

    func list(limit: Int = 50) async throws -> [ReleaseRecord] {
        try await Self.decode(try await client.query(ReleaseSQL.releases(limit: limit), logger: platform.logger))
    }

    func release(_ id: Int64) async throws -> ReleaseRecord {
        guard let release = try await Self.decode(try await client.query(ReleaseSQL.release(id), logger: platform.logger)).first else {
            throw LumoraError.notFound("release_not_found", "no release \(id)")
        }
        return release
    }

    func status(_ id: Int64) async throws -> ReleaseStatus {
        let release = try await release(id)
        let cells = try await client.query(ReleaseSQL.cells(of: id), logger: platform.logger).collect(ReleaseSQL.CellRow.self).map(Self.cell)
        return ReleaseStatus(release: release, cells: cells)
    }

    /// Takes effect at the next batch boundary: the batch being rolled finishes first.
    func pause(_ id: Int64) async throws -> ReleaseRecord {
        try await transition(id, to: .paused, from: [.running], reason: "paused by an operator")
    }

    /// The release's job waits while paused, and goes on from here.
    func resume(_ id: Int64) async throws -> ReleaseRecord {
        try await transition(id, to: .running, from: [.paused], reason: nil)
    }

    /// Stops the release at the next batch boundary; cells already updated stay updated.
    func abort(_ id: Int64) async throws -> ReleaseRecord {
        try await transition(id, to: .aborted, from: [.running, .paused], reason: "aborted by an operator")
    }

    private func transition(_ id: Int64, to state: ReleaseRecord.State, from: [ReleaseRecord.State], reason: String?) async throws -> ReleaseRecord {
        guard let release = try await Self.decode(try await client.query(
            ReleaseSQL.transition(id, to: state, from: from, reason: reason), logger: platform.logger)).first else {
            throw try await refusal(id, "the release is not \(from.map(\.rawValue).joined(separator: " or "))")
        }
        return release
    }

    private func refusal(_ id: Int64, _ message: String) async throws -> LumoraError {
        let current = try await release(id)
        return .conflict("release_\(current.state.rawValue)", "\(message); release \(id) is \(current.state.rawValue)")
    }

    // MARK: Pinning

    /// Keeps a dedicated store on `version` (releases skip it), moving its cell there now if
    /// it runs another version.
    func pin(_ slug: StoreSlug, to versionName: String) async throws -> (version: CellVersion, job: JobRecord?) {
        guard let store = try await platform.status(slug) else {
            throw LumoraError.notFound("store_not_found", "no store \(slug)")
        }
        guard store.plan.hasDedicatedCell else {
            throw LumoraError.conflict("not_dedicated", "\(slug) runs on the shared cell; only stores with a dedicated cell can be pinned")
        }
        guard let version = try await platform.knownVersion(versionName) else {
            throw LumoraError.badRequest("unknown_version", "\(versionName.prefix(64)) is neither the manager's version nor a released one")
        }
        let job = try await client.transaction(logger: platform.logger) { connection -> JobRecord? in
            try await connection.run(ReleaseSQL.pin(slug, version: version.name), logger: platform.logger)
            guard store.status == .active || store.status == .suspended else { return nil }
            return try await platform.queue.enqueue(kind: JobKind.moveCell, store: slug.rawValue, payload: ["version": version.name],
                                                    on: connection)
        }
        return (version, job)
    }

    func unpin(_ slug: StoreSlug) async throws {
        guard try await client.query(ReleaseSQL.pin(slug, version: nil), logger: platform.logger).hasRows() else {
            throw LumoraError.notFound("store_not_found", "no store \(slug)")
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [ReleaseRecord] {
        try await rows.collect(ReleaseSQL.ReleaseRow.self).map { row in
            ReleaseRecord(id: row.0, version: row.1, binary: row.2, image: row.3, batchSize: row.4, canarySize: row.5, pauseAfterCanary: row.6,
                          healthWindowMilliseconds: row.7, maxErrorRate: row.8, allowIncompatible: row.9,
                          state: ReleaseRecord.State(rawValue: row.10) ?? .failed, phase: ReleaseRecord.Phase(rawValue: row.11) ?? .schema,
                          gatedBatch: row.12, schemasMigrated: row.13, reason: row.14, createdAt: row.15, finishedAt: row.16)
        }
    }

    static func cell(_ row: ReleaseSQL.CellRow) -> ReleaseCell {
        ReleaseCell(cellID: row.0, store: row.1, batch: row.2, state: ReleaseCell.State(rawValue: row.3) ?? .failed, fromVersion: row.4,
                    fromBinary: row.5, fromImage: row.6, endpoint: row.7, error: row.8)
    }
}
