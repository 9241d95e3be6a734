import Foundation
import PostgresNIO

/// The job queue's statements.
enum JobSQL {
    static let columns = """
        id, kind, store_slug, payload::text, state, steps_done, current_step, attempts, max_attempts, run_after,
        last_error, created_at, updated_at, finished_at
        """

    static func enqueue(kind: String, store: String?, payload: String, maxAttempts: Int, runAfter: Date?) -> PostgresQuery {
        """
        INSERT INTO lumora.jobs (kind, store_slug, payload, max_attempts, run_after)
        VALUES (\(kind), \(store), \(payload)::jsonb, \(maxAttempts), COALESCE(\(runAfter), now()))
        RETURNING \(unescaped: columns)
        """
    }

    /// Takes the oldest job that is due — queued, waiting for a retry, or running under a
    /// lease that expired (its worker died) — and leases it to `owner`. SKIP LOCKED lets many
    /// workers claim at once without blocking one another.
    static func claim(owner: String, leaseMilliseconds: Int) -> PostgresQuery {
        """
        UPDATE lumora.jobs SET
            state = 'running', lease_owner = \(owner),
            lease_expires_at = now() + make_interval(secs => \(Double(leaseMilliseconds) / 1000)),
            attempts = attempts + 1, updated_at = now()
        WHERE id = (
            SELECT id FROM lumora.jobs
            WHERE (state IN ('queued', 'retrying') AND run_after <= now())
               OR (state = 'running' AND lease_expires_at < now())
            ORDER BY run_after, id
            FOR UPDATE SKIP LOCKED
            LIMIT 1
        )
        RETURNING \(unescaped: columns)
        """
    }

    static func renewLease(id: Int64, owner: String, leaseMilliseconds: Int) -> PostgresQuery {
        """
        UPDATE lumora.jobs SET lease_expires_at = now() + make_interval(secs => \(Double(leaseMilliseconds) / 1000))
        WHERE id = \(id) AND lease_owner = \(owner) AND state = 'running'
        RETURNING id
        """
    }

    /// Fenced by the lease: a worker that lost its lease cannot record anything.
    static func startStep(id: Int64, owner: String, step: String) -> PostgresQuery {
        "UPDATE lumora.jobs SET current_step = \(step), updated_at = now() WHERE id = \(id) AND lease_owner = \(owner) AND state = 'running' RETURNING id"
    }

    static func finishStep(id: Int64, owner: String, step: String) -> PostgresQuery {
        """
        UPDATE lumora.jobs SET steps_done = array_append(steps_done, \(step)), current_step = NULL, updated_at = now()
        WHERE id = \(id) AND lease_owner = \(owner) AND state = 'running' AND NOT (\(step) = ANY(steps_done))
        RETURNING id
        """
    }

    static func replacePayload(id: Int64, owner: String, payload: String) -> PostgresQuery {
        """
        UPDATE lumora.jobs SET payload = \(payload)::jsonb, updated_at = now()
        WHERE id = \(id) AND lease_owner = \(owner) AND state = 'running'
        """
    }

    static func succeed(id: Int64, owner: String) -> PostgresQuery {
        """
        UPDATE lumora.jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, current_step = NULL,
            last_error = NULL, finished_at = now(), updated_at = now()
        WHERE id = \(id) AND lease_owner = \(owner) AND state = 'running'
        """
    }

    static func retryLater(id: Int64, owner: String, error: String, delayMilliseconds: Int) -> PostgresQuery {
        """
        UPDATE lumora.jobs SET state = 'retrying', lease_owner = NULL, lease_expires_at = NULL, last_error = \(error),
            run_after = now() + make_interval(secs => \(Double(delayMilliseconds) / 1000)), updated_at = now()
        WHERE id = \(id) AND lease_owner = \(owner) AND state = 'running'
        """
    }

    static func kill(id: Int64, owner: String, error: String) -> PostgresQuery {
        """
        UPDATE lumora.jobs SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, last_error = \(error),
            finished_at = now(), updated_at = now()
        WHERE id = \(id) AND lease_owner = \(owner) AND state = 'running'
        """
    }

    static func job(id: Int64) -> PostgresQuery {
        "SELECT \(unescaped: columns) FROM lumora.jobs WHERE id = \(id)"
    }

    static func jobs(state: String?, store: String?, limit: Int) -> PostgresQuery {
        """
        SELECT \(unescaped: columns) FROM lumora.jobs
        WHERE (\(state)::text IS NULL OR state = \(state)) AND (\(store)::text IS NULL OR store_slug = \(store))
        ORDER BY id DESC LIMIT \(limit)
        """
    }

    /// A dead job goes back in the queue with a fresh attempt budget; finished steps stay done.
    static func retry(id: Int64) -> PostgresQuery {
        """
        UPDATE lumora.jobs SET state = 'queued', attempts = 0, run_after = now(), last_error = NULL, finished_at = NULL, updated_at = now()
        WHERE id = \(id) AND state IN ('dead', 'retrying')
        RETURNING \(unescaped: columns)
        """
    }

    static func activeJob(store: String, kinds: [String]) -> PostgresQuery {
        """
        SELECT \(unescaped: columns) FROM lumora.jobs
        WHERE store_slug = \(store) AND kind = ANY(\(kinds)) AND state IN ('queued', 'running', 'retrying')
        ORDER BY id LIMIT 1
        """
    }

    /// A platform-wide job of `kind` (no store) not yet finished.
    static func activePlatformJob(kind: String) -> PostgresQuery {
        """
        SELECT \(unescaped: columns) FROM lumora.jobs
        WHERE store_slug IS NULL AND kind = \(kind) AND state IN ('queued', 'running', 'retrying')
        ORDER BY id LIMIT 1
        """
    }

    static func cancelPending(store: String, kinds: [String]) -> PostgresQuery {
        """
        UPDATE lumora.jobs SET state = 'canceled', finished_at = now(), updated_at = now()
        WHERE store_slug = \(store) AND kind = ANY(\(kinds)) AND state IN ('queued', 'retrying')
        """
    }
}
