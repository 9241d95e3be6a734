import Foundation
import LumoraDrivers

/// A platform release as stored in `lumora.releases`.
public struct ReleaseRecord: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case running, paused, succeeded, failed, aborted }
    public enum Phase: String, Sendable, Codable { case schema, shared, dedicated, done }

    public let id: Int64
    public let version: String
    public let binary: String?
    public let image: String?
    public let batchSize: Int
    public let canarySize: Int
    public let pauseAfterCanary: Bool
    public let healthWindowMilliseconds: Int
    public let maxErrorRate: Double
    public let allowIncompatible: Bool
    public let state: State
    public let phase: Phase
    /// The last batch whose health gate passed (0: the shared cells, 1: the canary batch).
    public let gatedBatch: Int
    public let schemasMigrated: Int?
    public let reason: String?
    public let createdAt: Date
    public let finishedAt: Date?

    public var cellVersion: CellVersion { CellVersion(name: version, binary: binary, image: image) }
    public var isInProgress: Bool { state == .running || state == .paused }

    enum CodingKeys: String, CodingKey {
        case id, version, binary, image, state, phase, reason
        case batchSize = "batch_size", canarySize = "canary_size", pauseAfterCanary = "pause_after_canary"
        case healthWindowMilliseconds = "health_window_ms", maxErrorRate = "max_error_rate", allowIncompatible = "allow_incompatible"
        case gatedBatch = "gated_batch", schemasMigrated = "schemas_migrated", createdAt = "created_at", finishedAt = "finished_at"
    }
}

/// One cell's part in a release.
public struct ReleaseCell: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case pending, updating, updated, rolledBack = "rolled_back", skipped, failed }

    public let cellID: String
    public let store: String?
    public let batch: Int
    public let state: State
    public let fromVersion: String?
    public let fromBinary: String?
    public let fromImage: String?
    public let endpoint: String?
    public let error: String?

    public var previousVersion: CellVersion? {
        fromVersion.map { CellVersion(name: $0, binary: fromBinary, image: fromImage) }
    }

    enum CodingKeys: String, CodingKey {
        case cellID = "cell_id", store, batch, state, fromVersion = "from_version", fromBinary = "from_binary"
        case fromImage = "from_image", endpoint, error
    }
}

/// A release with its cells, as `GET /v1/releases/{id}` shows it.
public struct ReleaseStatus: Sendable, Codable, Equatable {
    public let release: ReleaseRecord
    public let cells: [ReleaseCell]

    /// Cells per state, per batch: what `lumora releases status` draws.
    public var batches: [Int: [ReleaseCell.State: Int]] {
        var result: [Int: [ReleaseCell.State: Int]] = [:]
        for cell in cells { result[cell.batch, default: [:]][cell.state, default: 0] += 1 }
        return result
    }
}
