import LumoraCore
import PostgresNIO

extension CellSQL {
    // MARK: Plugins (control schema, read with the cell's own role)

    /// A store's enabled plugins in install order; the module's bytes only for a digest the
    /// cell has not compiled yet (`known`). A shared cell sees only those the operator allowed there.
    static func storePlugins(_ store: StoreSlug, sharedCellsOnly: Bool, known: [String]) -> PostgresQuery {
        """
        SELECT name, point, api_version, version, sha256, CASE WHEN sha256 = ANY(\(known)) THEN NULL ELSE module END, on_failure
        FROM lumora.plugins
        WHERE store_slug = \(store.rawValue) AND enabled AND (runs_on_shared_cells OR NOT \(sharedCellsOnly))
        ORDER BY id
        """
    }
}
