import Foundation
import LumoraCore

/// What a cell runs: a version of Lumora — a `lumora` binary locally, an image on Cloud Run.
public struct CellVersion: Sendable, Equatable, Codable {
    public var name: String
    public var binary: String?
    public var image: String?

    public init(name: String, binary: String? = nil, image: String? = nil) {
        self.name = name
        self.binary = binary
        self.image = image
    }
}

/// A cell to run: the shared cell, or one store's dedicated cell.
public struct CellSpec: Sendable, Equatable {
    public enum Kind: String, Sendable { case shared, dedicated }

    public let id: String
    public let kind: Kind
    public let store: StoreSlug?
    public var version: CellVersion

    public static func shared(id: String = "shared", version: CellVersion) -> CellSpec {
        CellSpec(id: id, kind: .shared, store: nil, version: version)
    }

    /// The id of the `number`th shared cell (from 1): `shared`, `shared-2`, `shared-3`, …
    public static func sharedCellID(_ number: Int) -> String {
        number <= 1 ? "shared" : "shared-\(number)"
    }

    public static func dedicated(_ store: StoreSlug, version: CellVersion) -> CellSpec {
        CellSpec(id: "store-\(store)", kind: .dedicated, store: store, version: version)
    }
}

public struct RunningCell: Sendable, Equatable {
    public let id: String
    public let endpoint: String
    public let version: String

    public init(id: String, endpoint: String, version: String) {
        self.id = id
        self.endpoint = endpoint
        self.version = version
    }
}

/// Runs cells: local processes by default, Cloud Run services in production. Every call is
/// idempotent — a retried provisioning step must not start a second cell — and records what
/// runs in `lumora.cells`, so a restarted manager finds it again.
public protocol CellRuntime: Sendable {
    /// Makes sure the cell runs `spec.version` and answers `/ready`; returns where it listens.
    func ensure(_ spec: CellSpec) async throws -> RunningCell
    /// Returns a cell to a version it ran before (a release's rollback): locally a restart on
    /// the old binary, on Cloud Run all traffic pinned back to the old revision.
    func rollback(_ spec: CellSpec) async throws -> RunningCell
    /// Stops the cell and forgets it; nothing to do when it is not running.
    func stop(id: String) async throws
    /// After a (re)start of the manager: adopts the cells recorded as running, restarts the dead.
    func recover() async throws
    /// Stops supervising; with `stopCells`, stops the cells too (a developer's Ctrl-C).
    func shutdown(stopCells: Bool) async
}

extension CellRuntime {
    public func rollback(_ spec: CellSpec) async throws -> RunningCell {
        try await ensure(spec)
    }
}
