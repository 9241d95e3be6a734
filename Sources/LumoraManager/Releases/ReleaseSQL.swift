import Foundation
import LumoraCore
import PostgresNIO

/// The statements behind releases and pinning.
enum ReleaseSQL {
    static let releaseColumns = """
        id, version, binary_path, image, batch_size, canary_size, pause_after_canary, health_window_ms, max_error_rate,
        allow_incompatible, state, phase, gated_batch, schemas_migrated, reason, created_at, finished_at
        """
    typealias ReleaseRow = (Int64, String, String?, String?, Int, Int, Bool, Int, Double, Bool, String, String, Int, Int?, String?, Date, Date?)

    static let cellColumns = "cell_id, store_slug, batch, state, from_version, from_binary, from_image, endpoint, error"
    typealias CellRow = (String, String?, Int, String, String?, String?, String?, String?, String?)

    static func insert(_ request: ReleaseRequest) -> PostgresQuery {
        """
        INSERT INTO lumora.releases (version, binary_path, image, batch_size, canary_size, pause_after_canary, health_window_ms,
                                     max_error_rate, allow_incompatible)
        VALUES (\(request.version), \(request.binary), \(request.image), \(request.batchSize), \(request.canarySize),
                \(request.pauseAfterCanary), \(request.healthWindowMilliseconds), \(request.maxErrorRate), \(request.allowIncompatible))
        RETURNING \(unescaped: releaseColumns)
        """
    }

    static func release(_ id: Int64) -> PostgresQuery {
        "SELECT \(unescaped: releaseColumns) FROM lumora.releases WHERE id = \(id)"
    }

    static func releases(limit: Int) -> PostgresQuery {
        "SELECT \(unescaped: releaseColumns) FROM lumora.releases ORDER BY id DESC LIMIT \(limit)"
    }

    static let inProgress: PostgresQuery = "SELECT \(unescaped: releaseColumns) FROM lumora.releases WHERE state IN ('running', 'paused')"

    static func cells(of release: Int64) -> PostgresQuery {
        "SELECT \(unescaped: cellColumns) FROM lumora.release_cells WHERE release_id = \(release) ORDER BY batch, cell_id"
    }

    /// The cells to update, in batches: the shared cells (0), the canary batch (1), then
    /// batches of `batch_size`; a pinned store's cell is skipped. Cells already planned keep
    /// their place, so planning again (a resumed release, stores made meanwhile) only adds
    /// the new ones — after the last batch.
    static func plan(_ release: Int64) -> PostgresQuery {
        """
        WITH r AS (SELECT id, version, batch_size, canary_size FROM lumora.releases WHERE id = \(release)),
        after AS (SELECT COALESCE(max(batch), 1) AS last FROM lumora.release_cells WHERE release_id = \(release)),
        fresh AS (
            SELECT c.id, c.store_slug, c.kind, s.pinned_version,
                   row_number() OVER (PARTITION BY c.kind ORDER BY c.store_slug, c.id) AS n
            FROM lumora.cells c LEFT JOIN lumora.stores s ON s.slug = c.store_slug
            WHERE NOT EXISTS (SELECT 1 FROM lumora.release_cells rc WHERE rc.release_id = \(release) AND rc.cell_id = c.id)
              AND (c.kind = 'shared' OR s.status IN ('active', 'suspended'))
        )
        INSERT INTO lumora.release_cells (release_id, cell_id, store_slug, batch, state)
        SELECT r.id, f.id, f.store_slug,
               CASE WHEN f.kind = 'shared' THEN 0
                    WHEN (SELECT count(*) FROM lumora.release_cells WHERE release_id = \(release)) > 0
                        THEN (SELECT last FROM after) + 1 + (f.n - 1) / r.batch_size
                    WHEN f.n <= r.canary_size THEN 1
                    ELSE 2 + (f.n - r.canary_size - 1) / r.batch_size END,
               CASE WHEN f.kind = 'dedicated' AND f.pinned_version IS NOT NULL THEN 'skipped' ELSE 'pending' END
        FROM fresh f, r
        ON CONFLICT DO NOTHING
        RETURNING cell_id
        """
    }

    /// A cell starts updating: remember what it ran, to roll back to (kept from the first
    /// attempt when a resumed release updates it again).
    static func markUpdating(_ release: Int64, cell: String) -> PostgresQuery {
        """
        UPDATE lumora.release_cells rc SET state = 'updating', started_at = COALESCE(rc.started_at, now()),
            from_version = COALESCE(rc.from_version, c.version), from_binary = COALESCE(rc.from_binary, c.binary_path),
            from_image = COALESCE(rc.from_image, c.image)
        FROM lumora.cells c
        WHERE rc.release_id = \(release) AND rc.cell_id = \(cell) AND c.id = rc.cell_id AND rc.state IN ('pending', 'updating')
        RETURNING rc.from_version, rc.from_binary, rc.from_image
        """
    }

    static func markCell(_ release: Int64, cell: String, state: ReleaseCell.State, endpoint: String? = nil, error: String? = nil) -> PostgresQuery {
        """
        UPDATE lumora.release_cells SET state = \(state.rawValue), endpoint = COALESCE(\(endpoint), endpoint), error = \(error),
            finished_at = CASE WHEN \(state.rawValue) IN ('updated', 'rolled_back', 'failed') THEN now() ELSE finished_at END
        WHERE release_id = \(release) AND cell_id = \(cell)
        """
    }

    static func setPhase(_ release: Int64, _ phase: ReleaseRecord.Phase) -> PostgresQuery {
        "UPDATE lumora.releases SET phase = \(phase.rawValue), updated_at = now() WHERE id = \(release)"
    }

    static func recordSchemas(_ release: Int64, migrated: Int) -> PostgresQuery {
        "UPDATE lumora.releases SET schemas_migrated = \(migrated), phase = 'shared', updated_at = now() WHERE id = \(release)"
    }

    static func passGate(_ release: Int64, batch: Int) -> PostgresQuery {
        "UPDATE lumora.releases SET gated_batch = GREATEST(gated_batch, \(batch)), updated_at = now() WHERE id = \(release)"
    }

    /// Moves a release between states; only from the states named (so a late pause cannot
    /// revive a finished release).
    static func transition(_ release: Int64, to state: ReleaseRecord.State, from: [ReleaseRecord.State], reason: String?) -> PostgresQuery {
        """
        UPDATE lumora.releases SET state = \(state.rawValue), reason = COALESCE(\(reason), reason), updated_at = now(),
            finished_at = CASE WHEN \(state.rawValue) IN ('succeeded', 'failed', 'aborted') THEN now() ELSE NULL END,
            phase = CASE WHEN \(state.rawValue) = 'succeeded' THEN 'done' ELSE phase END
        WHERE id = \(release) AND state = ANY(\(from.map(\.rawValue)))
        RETURNING \(unescaped: releaseColumns)
        """
    }

    /// The version new cells get: the newest release that finished, else the manager's own.
    static let currentVersion: PostgresQuery = """
        SELECT version, binary_path, image FROM lumora.releases WHERE state = 'succeeded' ORDER BY id DESC LIMIT 1
        """

    /// The newest binary whose store migrations were applied (the manager builds new schemas
    /// with them).
    static let newestMigratedBinary: PostgresQuery = """
        SELECT binary_path FROM lumora.releases WHERE schemas_migrated IS NOT NULL AND binary_path IS NOT NULL ORDER BY id DESC LIMIT 1
        """

    static func knownVersion(_ name: String) -> PostgresQuery {
        "SELECT version, binary_path, image FROM lumora.releases WHERE version = \(name) ORDER BY id DESC LIMIT 1"
    }

    static func pin(_ slug: StoreSlug, version: String?) -> PostgresQuery {
        "UPDATE lumora.stores SET pinned_version = \(version), updated_at = now() WHERE slug = \(slug.rawValue) RETURNING cell_id"
    }

    static func pinnedVersion(_ slug: StoreSlug) -> PostgresQuery {
        "SELECT pinned_version FROM lumora.stores WHERE slug = \(slug.rawValue)"
    }
}
