import Foundation
import LumoraCore
import NIOCore
import PostgresNIO

/// The manager's statements on `lumora.plugins`.
enum PluginSQL {
    static let columns = """
        store_slug, name, point, api_version, version, sha256, octet_length(module), enabled, on_failure, runs_on_shared_cells, \
        installed_at, updated_at
        """

    typealias Row = (String, String, String, Int, Int, String, Int, Bool, String, Bool, Date, Date)

    /// Installs, or replaces the module of the plugin of that name (its version goes up when
    /// the module changed); answers the row and whether it was new.
    static func install(store: StoreSlug, name: String, point: ExtensionPoint, apiVersion: Int, sha256: String, module: [UInt8],
                        onFailure: String, runsOnSharedCells: Bool) -> PostgresQuery {
        """
        INSERT INTO lumora.plugins AS p (store_slug, name, point, api_version, sha256, module, on_failure, runs_on_shared_cells)
        VALUES (\(store.rawValue), \(name), \(point.rawValue), \(apiVersion), \(sha256), \(ByteBuffer(bytes: module)), \(onFailure), \(runsOnSharedCells))
        ON CONFLICT (store_slug, name) DO UPDATE SET
            point = EXCLUDED.point, api_version = EXCLUDED.api_version, module = EXCLUDED.module, sha256 = EXCLUDED.sha256,
            on_failure = EXCLUDED.on_failure, runs_on_shared_cells = EXCLUDED.runs_on_shared_cells, enabled = true,
            version = p.version + CASE WHEN p.sha256 = EXCLUDED.sha256 THEN 0 ELSE 1 END, updated_at = now()
        RETURNING \(unescaped: columns), (xmax = 0)
        """
    }

    static func list(store: StoreSlug) -> PostgresQuery {
        "SELECT \(unescaped: columns) FROM lumora.plugins WHERE store_slug = \(store.rawValue) ORDER BY point, installed_at, name"
    }

    static func get(store: StoreSlug, name: String) -> PostgresQuery {
        "SELECT \(unescaped: columns) FROM lumora.plugins WHERE store_slug = \(store.rawValue) AND name = \(name)"
    }

    static func setEnabled(store: StoreSlug, name: String, enabled: Bool) -> PostgresQuery {
        """
        UPDATE lumora.plugins SET enabled = \(enabled), updated_at = now()
        WHERE store_slug = \(store.rawValue) AND name = \(name)
        RETURNING \(unescaped: columns)
        """
    }

    /// The enabled plugins of a store at a point, with their modules, in install order.
    static func modules(store: StoreSlug, point: ExtensionPoint) -> PostgresQuery {
        """
        SELECT name, version, api_version, sha256, module, runs_on_shared_cells FROM lumora.plugins
        WHERE store_slug = \(store.rawValue) AND point = \(point.rawValue) AND enabled ORDER BY id
        """
    }

    static func delete(store: StoreSlug, name: String) -> PostgresQuery {
        "DELETE FROM lumora.plugins WHERE store_slug = \(store.rawValue) AND name = \(name) RETURNING name"
    }
}
