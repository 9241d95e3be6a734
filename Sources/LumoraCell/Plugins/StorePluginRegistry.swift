import Logging
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraPlugins
import LumoraWire
import NIOCore
import PostgresNIO
import Synchronization

/// A plugin as a cell runs it: what it is, and its module compiled.
struct LoadedPlugin: Sendable {
    let name: String
    let point: ExtensionPoint
    let apiVersion: Int
    let version: Int
    let sha256: String
    let onFailure: PluginFailureMode
    let compiled: CompiledPlugin
}

/// The enabled plugins of the stores this cell serves, loaded when a store first needs them
/// and forgotten when `lumora_plugins` says they changed (or the feed reconnects). Compiled
/// modules are kept by content hash, so a re-enable or a second store with the same module does
/// not compile again.
///
/// Reads go through a small pool of its own: a load happens inside a store's transaction,
/// which already holds a connection of the main pool, and a full main pool waiting on itself
/// would never move.
final class StorePluginRegistry: ChangeSubscriber {
    let channels = ["lumora_plugins"]
    let sandbox: PluginSandbox
    private let client: PostgresClient
    private let sharedCell: Bool
    private let logger: Logger

    private struct State {
        var stores: [StoreSlug: [LoadedPlugin]] = [:]
        /// Bumped by every change: a load that began before one does not keep what it read.
        var generation: UInt64 = 0
        var modules: [String: CompiledPlugin] = [:]
    }
    private let state = Mutex(State())

    static let maximumCachedModules = 512

    init(client: PostgresClient, sandbox: PluginSandbox, sharedCell: Bool, logger: Logger) {
        self.client = client
        self.sandbox = sandbox
        self.sharedCell = sharedCell
        self.logger = logger
    }

    func plugins(for store: StoreSlug, at point: ExtensionPoint) async throws -> [LoadedPlugin] {
        let (cached, generation, known) = state.withLock { ($0.stores[store], $0.generation, Array($0.modules.keys)) }
        if let cached { return cached.filter { $0.point == point } }
        let loaded = try await load(store, known: known)
        state.withLock { state in
            if state.generation == generation { state.stores[store] = loaded }
        }
        return loaded.filter { $0.point == point }
    }

    private func load(_ store: StoreSlug, known: [String]) async throws -> [LoadedPlugin] {
        let rows = try await client.query(CellSQL.storePlugins(store, sharedCellsOnly: sharedCell, known: known), logger: logger)
            .collect((String, String, Int, Int, String, ByteBuffer?, String).self)
        var loaded: [LoadedPlugin] = []
        for (name, rawPoint, apiVersion, version, sha256, module, rawFailure) in rows {
            let metadata: Logger.Metadata = ["store": "\(store)", "plugin": "\(name)", "version": "\(version)"]
            guard let point = ExtensionPoint(rawValue: rawPoint), let onFailure = PluginFailureMode(rawValue: rawFailure) else { continue }
            // A module is run only against the input schema it was built for.
            guard point.supportedVersions.contains(apiVersion) else {
                logger.warning("plugin skipped: this cell does not speak its api_version", metadata: metadata.merging(
                    ["api_version": "\(apiVersion)", "speaks": "\(point.supportedVersions)"]) { $1 })
                continue
            }
            let compiled: CompiledPlugin
            if let cached = state.withLock({ $0.modules[sha256] }) {
                compiled = cached
            } else if let module {
                do {
                    compiled = try sandbox.compile(Array(buffer: module))
                } catch {
                    // Installed under other limits (a dedicated cell's, say): not for this cell.
                    logger.error("plugin skipped: its module does not compile here", metadata: metadata.merging(["error": "\(error.message)"]) { $1 })
                    continue
                }
                remember(compiled, sha256: sha256)
            } else {
                // Forgotten since the read began: read this store again with every module.
                return try await load(store, known: [])
            }
            loaded.append(LoadedPlugin(name: name, point: point, apiVersion: apiVersion, version: version, sha256: sha256,
                                       onFailure: onFailure, compiled: compiled))
        }
        return loaded
    }

    private func remember(_ compiled: CompiledPlugin, sha256: String) {
        state.withLock { state in
            if state.modules.count >= Self.maximumCachedModules {
                let inUse = Set(state.stores.values.flatMap { $0.map(\.sha256) })
                state.modules = state.modules.filter { inUse.contains($0.key) }
            }
            state.modules[sha256] = compiled
        }
    }

    // MARK: ChangeSubscriber

    func notified(channel: String, payload: String) async {
        state.withLock { state in
            state.generation &+= 1
            if let slug = try? StoreSlug(validating: payload) {
                state.stores[slug] = nil
            } else {
                state.stores = [:]
            }
        }
    }

    func resynchronize() async {
        state.withLock { state in
            state.generation &+= 1
            state.stores = [:]
        }
    }
}
