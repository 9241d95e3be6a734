import Synchronization

/// The store migration set new schemas are built with. A release that ships newer store
/// migrations replaces it (before it migrates the existing schemas), so stores created during
/// and after the release start at the new version instead of the manager's own.
public final class LiveMigrationSet: Sendable {
    private let state: Mutex<MigrationSet>

    public init(_ initial: MigrationSet) {
        state = Mutex(initial)
    }

    public var current: MigrationSet { state.withLock { $0 } }

    /// Adopts `newer` if it extends the current set (never goes back to an older one).
    @discardableResult
    public func adopt(_ newer: MigrationSet) -> Bool {
        state.withLock { current in
            guard newer.latestVersion > current.latestVersion else { return false }
            current = newer
            return true
        }
    }
}
