import Crypto
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraPlugins
import LumoraWire
import PostgresNIO

/// Installs a store's plugins: each module is validated and compiled here, against the limits
/// of the cells it may run on, before a byte of it is stored — so a cell only ever loads
/// modules that passed. Enterprise stores run plugins on their dedicated cell; a standard store
/// only when the operator says so (`runs_on_shared_cells`), under a shared cell's tighter limits.
struct PluginService: Sendable {
    let platform: Platform
    var client: PostgresClient { platform.client }
    var logger: Logger { platform.logger }

    struct Install: Sendable {
        var name: String
        var point: String
        var apiVersion: Int?
        var onFailure: String?
        var allowSharedCell: Bool
    }

    /// The control schema's CHECK: `^[a-z0-9][a-z0-9-]{0,62}$`.
    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    func install(_ slug: StoreSlug, module: [UInt8], _ request: Install) async throws -> (plugin: InstalledPluginWire, created: Bool) {
        guard Self.isValidName(request.name) else {
            throw LumoraError.badRequest("invalid_plugin_name", "a plugin's name is 1 to 63 lowercase letters, digits and hyphens, not starting with a hyphen")
        }
        let point = try ExtensionPoint(validating: request.point)
        let apiVersion = try point.version(validating: request.apiVersion)
        let onFailure = try Self.failureMode(request.onFailure, point: point)
        let store = try await platform.directory.get(slug)
        if !store.plan.hasDedicatedCell && !request.allowSharedCell {
            throw LumoraError(.forbidden, code: "plugins_need_dedicated_cell",
                              message: "\(slug) is on the standard plan, whose stores share a cell: plugins run on enterprise stores' own cells, or on a shared cell only when the operator allows it (allow_shared_cell=true)")
        }
        // A module that may run on a shared cell must fit a shared cell's limits.
        let limits: PluginLimits = request.allowSharedCell ? .shared : .dedicated
        do {
            _ = try PluginSandbox(limits: limits).compile(module)
        } catch {
            throw LumoraError(.unprocessable, code: error.code, message: error.message)
        }
        let digest = Hex.lowercase(SHA256.hash(data: module))
        let rows = try await client.query(
            PluginSQL.install(store: slug, name: request.name, point: point, apiVersion: apiVersion, sha256: digest, module: module,
                              onFailure: onFailure.rawValue, runsOnSharedCells: request.allowSharedCell),
            logger: logger
        ).collect((String, String, String, Int, Int, String, Int, Bool, String, Bool, Date, Date, Bool).self)
        guard let row = rows.first else { throw LumoraError.internalError("a plugin install wrote no row") }
        let plugin = Self.wire((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11))
        logger.info("plugin installed", metadata: [
            "store": "\(slug)", "plugin": "\(plugin.name)", "point": "\(plugin.point)", "version": "\(plugin.version)", "sha256": "\(digest)",
        ])
        return (plugin, row.12)
    }

    func list(_ slug: StoreSlug) async throws -> [InstalledPluginWire] {
        _ = try await platform.directory.get(slug)
        return try await client.query(PluginSQL.list(store: slug), logger: logger).collect(PluginSQL.Row.self).map { Self.wire($0) }
    }

    func get(_ slug: StoreSlug, name: String) async throws -> InstalledPluginWire {
        guard let row = try await client.query(PluginSQL.get(store: slug, name: name), logger: logger).collect(PluginSQL.Row.self).first else {
            throw Self.notFound(slug, name)
        }
        return Self.wire(row)
    }

    func setEnabled(_ slug: StoreSlug, name: String, _ enabled: Bool) async throws -> InstalledPluginWire {
        guard let row = try await client.query(PluginSQL.setEnabled(store: slug, name: name, enabled: enabled), logger: logger)
            .collect(PluginSQL.Row.self).first else { throw Self.notFound(slug, name) }
        logger.info(enabled ? "plugin enabled" : "plugin disabled", metadata: ["store": "\(slug)", "plugin": "\(name)"])
        return Self.wire(row)
    }

    func remove(_ slug: StoreSlug, name: String) async throws {
        guard try await client.query(PluginSQL.delete(store: slug, name: name), logger: logger).hasRows() else {
            throw Self.notFound(slug, name)
        }
        logger.info("plugin removed", metadata: ["store": "\(slug)", "plugin": "\(name)"])
    }

    static func failureMode(_ raw: String?, point: ExtensionPoint) throws(LumoraError) -> PluginFailureMode {
        guard let raw else { return .skip }
        guard let mode = PluginFailureMode(rawValue: raw) else {
            throw LumoraError.badRequest("invalid_on_failure", "on_failure must be skip or block")
        }
        guard mode == .skip || point == .checkoutValidate else {
            throw LumoraError.badRequest("invalid_on_failure", "only a checkout.validate plugin can block checkout when it fails")
        }
        return mode
    }

    static func notFound(_ slug: StoreSlug, _ name: String) -> LumoraError {
        LumoraError.notFound("plugin_not_found", "\(slug) has no plugin named '\(name.prefix(63))'")
    }

    static func wire(_ row: PluginSQL.Row) -> InstalledPluginWire {
        InstalledPluginWire(store: row.0, name: row.1, point: row.2, apiVersion: row.3, version: row.4, sha256: row.5, bytes: row.6,
                            enabled: row.7, onFailure: row.8, runsOnSharedCells: row.9, installedAt: row.10, updatedAt: row.11)
    }
}
