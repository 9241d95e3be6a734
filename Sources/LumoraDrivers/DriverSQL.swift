import PostgresNIO

/// What the drivers record in the control schema.
enum DriverSQL {
    static let cellColumns = "id, kind, store_slug, endpoint, version, status, runtime, process_id, host_name, binary_path, next_process_id, previous_process_id"

    static let cells: PostgresQuery = "SELECT \(unescaped: cellColumns) FROM lumora.cells ORDER BY id"

    static func cell(id: String) -> PostgresQuery {
        "SELECT \(unescaped: cellColumns) FROM lumora.cells WHERE id = \(id)"
    }

    static func upsertStarting(spec: CellSpec, host: String) -> PostgresQuery {
        """
        INSERT INTO lumora.cells (id, kind, store_slug, version, status, runtime, host_name, binary_path, image)
        VALUES (\(spec.id), \(spec.kind.rawValue), \(spec.store?.rawValue), \(spec.version.name), 'starting', 'local', \(host),
                \(spec.version.binary), \(spec.version.image))
        ON CONFLICT (id) DO UPDATE SET
            status = CASE WHEN lumora.cells.status = 'ready' THEN 'ready' ELSE 'starting' END,
            host_name = EXCLUDED.host_name, updated_at = now()
        """
    }

    /// A new process for the cell exists (not serving yet).
    /// The process starting for the cell (its endpoint once it listens): a manager that dies
    /// before the switch leaves it recorded, and the next one stops it.
    static func recordNext(id: String, pid: pid_t, endpoint: String?) -> PostgresQuery {
        "UPDATE lumora.cells SET next_process_id = \(Int32(pid)), next_endpoint = \(endpoint), updated_at = now() WHERE id = \(id)"
    }

    /// The switch: endpoint, process and version change in one statement (the old process is
    /// remembered until it has drained); the trigger on `lumora.cells` tells the edges.
    static func markReady(id: String, endpoint: String, pid: pid_t, version: String, binary: String?) -> PostgresQuery {
        """
        UPDATE lumora.cells SET status = 'ready', previous_process_id = CASE WHEN process_id = \(Int32(pid)) THEN NULL ELSE process_id END,
            endpoint = \(endpoint), process_id = \(Int32(pid)), next_process_id = NULL, next_endpoint = NULL,
            version = \(version), binary_path = \(binary), started_at = now(), last_error = NULL, updated_at = now()
        WHERE id = \(id)
        """
    }

    static func forgetPrevious(id: String) -> PostgresQuery {
        "UPDATE lumora.cells SET previous_process_id = NULL WHERE id = \(id)"
    }

    static func forgetNext(id: String) -> PostgresQuery {
        "UPDATE lumora.cells SET next_process_id = NULL, next_endpoint = NULL WHERE id = \(id)"
    }

    static func markCell(id: String, status: String, error: String?) -> PostgresQuery {
        "UPDATE lumora.cells SET status = \(status), last_error = \(error), updated_at = now() WHERE id = \(id)"
    }

    static func deleteCell(id: String) -> PostgresQuery {
        "DELETE FROM lumora.cells WHERE id = \(id) RETURNING id"
    }

    // MARK: Cloud Run cells

    /// A Cloud Run cell that serves: endpoint, version and image in one statement (the
    /// trigger on `lumora.cells` tells the edges).
    static func upsertCloudRunReady(spec: CellSpec, endpoint: String, image: String) -> PostgresQuery {
        """
        INSERT INTO lumora.cells (id, kind, store_slug, endpoint, version, status, runtime, image, started_at, last_error)
        VALUES (\(spec.id), \(spec.kind.rawValue), \(spec.store?.rawValue), \(endpoint), \(spec.version.name), 'ready', 'cloudrun',
                \(image), now(), NULL)
        ON CONFLICT (id) DO UPDATE SET
            kind = EXCLUDED.kind, store_slug = EXCLUDED.store_slug, endpoint = EXCLUDED.endpoint, version = EXCLUDED.version,
            status = 'ready', runtime = 'cloudrun', image = EXCLUDED.image, process_id = NULL, host_name = NULL,
            binary_path = NULL, started_at = now(), last_error = NULL, updated_at = now()
        """
    }

    /// A deploy that failed. A cell that already serves keeps `ready` (its previous revision
    /// still takes all the traffic, so the edges must keep routing to it); only the error is
    /// noted. A cell that never served becomes `failed`.
    static func upsertCloudRunFailed(spec: CellSpec, image: String, error: String) -> PostgresQuery {
        """
        INSERT INTO lumora.cells (id, kind, store_slug, version, status, runtime, image, last_error)
        VALUES (\(spec.id), \(spec.kind.rawValue), \(spec.store?.rawValue), \(spec.version.name), 'failed', 'cloudrun', \(image), \(error))
        ON CONFLICT (id) DO UPDATE SET
            status = CASE WHEN lumora.cells.status = 'ready' THEN 'ready' ELSE 'failed' END,
            last_error = EXCLUDED.last_error, updated_at = now()
        """
    }

    /// The Cloud Run cells this manager recorded (for `recover`).
    static let cloudRunCells: PostgresQuery =
        "SELECT id, kind, store_slug, endpoint, version, status FROM lumora.cells WHERE runtime = 'cloudrun' ORDER BY id"
}
