import LumoraCore
import PostgresNIO

/// What placement reads and writes in the control schema: databases, cells and which cell
/// serves each store.
enum PlacementSQL {
    static let databaseColumns = """
        d.id, d.connection_ref, d.capacity_stores, d.state, d.created_at,
        (SELECT count(*) FROM lumora.stores s WHERE s.database_id = d.id),
        COALESCE((SELECT array_agg(c.id ORDER BY c.id) FROM lumora.cells c WHERE c.database_id = d.id), '{}')
        """

    static let databases: PostgresQuery = "SELECT \(unescaped: databaseColumns) FROM lumora.databases d ORDER BY d.id"

    static func database(_ id: String) -> PostgresQuery {
        "SELECT \(unescaped: databaseColumns) FROM lumora.databases d WHERE d.id = \(id)"
    }

    static func insertDatabase(id: String, connectionRef: String, capacityStores: Int) -> PostgresQuery {
        """
        INSERT INTO lumora.databases (id, connection_ref, capacity_stores) VALUES (\(id), \(connectionRef), \(capacityStores))
        ON CONFLICT (id) DO NOTHING RETURNING id
        """
    }

    static func setDatabaseState(_ id: String, _ state: String) -> PostgresQuery {
        "UPDATE lumora.databases SET state = \(state), updated_at = now() WHERE id = \(id) RETURNING id"
    }

    static let cells: PostgresQuery = """
        SELECT c.id, c.kind, c.database_id, c.capacity, c.endpoint, c.version, c.status, c.runtime, c.store_slug, c.started_at,
               COALESCE(array_agg(s.slug ORDER BY s.slug) FILTER (WHERE s.slug IS NOT NULL), '{}')
        FROM lumora.cells c LEFT JOIN lumora.stores s ON s.cell_id = c.id
        GROUP BY c.id ORDER BY c.kind DESC, c.id
        """

    static func cell(_ id: String) -> PostgresQuery {
        "SELECT id, kind, database_id, endpoint, status, version, binary_path, image FROM lumora.cells WHERE id = \(id)"
    }

    /// Stores no cell serves by name yet (made before any shared cell was recorded): the
    /// database's shared cells all serve them until they are placed.
    static let unplacedStores: PostgresQuery = """
        SELECT slug FROM lumora.stores WHERE cell_id IS NULL AND plan = 'standard' AND status <> 'deleting' ORDER BY slug
        """

    /// Places one unplaced store on its database's shared cell with the most room (one store
    /// per statement, so each sees the counts the last one left).
    static func place(_ slug: String) -> PostgresQuery {
        """
        UPDATE lumora.stores SET cell_id = lumora.shared_cell_with_most_room(database_id), updated_at = now()
        WHERE slug = \(slug) AND cell_id IS NULL AND plan = 'standard' AND lumora.shared_cell_with_most_room(database_id) IS NOT NULL
        RETURNING slug
        """
    }

    /// The flip of a move: one statement, and only from where the move began (a store that
    /// moved meanwhile is left alone). The `lumora.stores` trigger tells every edge and cell.
    static func flip(_ slug: StoreSlug, from source: String?, to target: String) -> PostgresQuery {
        """
        UPDATE lumora.stores SET cell_id = \(target), updated_at = now()
        WHERE slug = \(slug.rawValue) AND cell_id IS NOT DISTINCT FROM \(source) AND plan = 'standard'
        RETURNING slug
        """
    }

    static func storeCell(_ slug: StoreSlug) -> PostgresQuery {
        "SELECT cell_id, database_id FROM lumora.stores WHERE slug = \(slug.rawValue)"
    }

    static func sharedCellVersion(_ id: String) -> PostgresQuery {
        "SELECT version, binary_path, image FROM lumora.cells WHERE id = \(id) AND kind = 'shared'"
    }
}
