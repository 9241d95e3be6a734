import LumoraCore
import PostgresNIO

/// The manager's statements on the control schema (stores and their schemas go through
/// `StoreDirectory`; jobs through `JobSQL`).
enum ManagerSQL {
    // MARK: Stores

    /// A dedicated store gets its own cell; a standard store keeps the shared cell signup
    /// placed it on (or, placed before any shared cell existed, gets the one with most room).
    static func activate(_ slug: StoreSlug, dedicatedCellID: String?) -> PostgresQuery {
        """
        UPDATE lumora.stores SET status = 'active', updated_at = now(),
            cell_id = COALESCE(\(dedicatedCellID), cell_id, lumora.shared_cell_with_most_room(database_id))
        WHERE slug = \(slug.rawValue) AND status IN ('provisioning', 'failed')
        RETURNING slug
        """
    }

    static func storeStatus(_ slug: StoreSlug) -> PostgresQuery {
        "SELECT status, plan, cell_id FROM lumora.stores WHERE slug = \(slug.rawValue)"
    }

    static func setStatus(_ slug: StoreSlug, _ status: StoreStatus, onlyFrom: [StoreStatus]) -> PostgresQuery {
        """
        UPDATE lumora.stores SET status = \(status.rawValue), updated_at = now()
        WHERE slug = \(slug.rawValue) AND status = ANY(\(onlyFrom.map(\.rawValue)))
        RETURNING slug
        """
    }

    /// The route switch of a plan change: plan and cell in one statement (the trigger tells the
    /// edges). Without a dedicated cell, the store goes to the shared cell of its database with
    /// the most room.
    static func switchPlan(_ slug: StoreSlug, plan: Plan, dedicatedCellID: String?) -> PostgresQuery {
        """
        UPDATE lumora.stores SET plan = \(plan.rawValue), updated_at = now(),
            cell_id = COALESCE(\(dedicatedCellID), lumora.shared_cell_with_most_room(database_id))
        WHERE slug = \(slug.rawValue)
        """
    }

    static func detachCell(_ slug: StoreSlug) -> PostgresQuery {
        "UPDATE lumora.stores SET cell_id = NULL, updated_at = now() WHERE slug = \(slug.rawValue)"
    }

    // MARK: Domains

    static let domainColumns = "hostname, store_slug, kind, is_primary, status, verification_token, created_at, verified_at, dns_records::text, status_message"

    static func domains(of slug: StoreSlug) -> PostgresQuery {
        "SELECT \(unescaped: domainColumns) FROM lumora.domains WHERE store_slug = \(slug.rawValue) ORDER BY kind DESC, hostname"
    }

    static func domain(_ hostname: String) -> PostgresQuery {
        "SELECT \(unescaped: domainColumns) FROM lumora.domains WHERE hostname = \(hostname)"
    }

    /// The platform subdomain; primary while the store has no verified custom domain.
    static func insertPlatformDomain(_ hostname: String, store: StoreSlug) -> PostgresQuery {
        """
        INSERT INTO lumora.domains (hostname, store_slug, kind, is_primary, status, verified_at)
        VALUES (\(hostname), \(store.rawValue), 'platform',
                NOT EXISTS (SELECT 1 FROM lumora.domains WHERE store_slug = \(store.rawValue) AND is_primary), 'verified', now())
        ON CONFLICT (hostname) DO NOTHING
        """
    }

    static func insertCustomDomain(_ hostname: String, store: StoreSlug, token: String, records: String, message: String?) -> PostgresQuery {
        """
        INSERT INTO lumora.domains (hostname, store_slug, kind, is_primary, status, verification_token, dns_records, status_message)
        VALUES (\(hostname), \(store.rawValue), 'custom', false, 'pending', \(token), \(records)::jsonb, \(message))
        """
    }

    /// The provider's latest answer for a domain still pending.
    static func updatePendingDomain(_ hostname: String, records: String, message: String?) -> PostgresQuery {
        "UPDATE lumora.domains SET dns_records = \(records)::jsonb, status_message = \(message) WHERE hostname = \(hostname) AND status = 'pending'"
    }

    static func unsetPrimary(store: StoreSlug) -> PostgresQuery {
        "UPDATE lumora.domains SET is_primary = false WHERE store_slug = \(store.rawValue) AND is_primary"
    }

    /// A verified custom domain becomes the store's primary domain (canonical links).
    static func markVerified(_ hostname: String) -> PostgresQuery {
        "UPDATE lumora.domains SET status = 'verified', verified_at = now(), is_primary = true WHERE hostname = \(hostname)"
    }

    static func makePrimary(_ hostname: String) -> PostgresQuery {
        "UPDATE lumora.domains SET is_primary = true WHERE hostname = \(hostname) AND status = 'verified'"
    }

    static func deleteDomain(_ hostname: String, store: StoreSlug) -> PostgresQuery {
        "DELETE FROM lumora.domains WHERE hostname = \(hostname) AND store_slug = \(store.rawValue) RETURNING is_primary"
    }

    /// After the primary domain went away: the platform subdomain is primary again.
    static func restorePlatformPrimary(store: StoreSlug) -> PostgresQuery {
        """
        UPDATE lumora.domains SET is_primary = true
        WHERE store_slug = \(store.rawValue) AND kind = 'platform'
          AND NOT EXISTS (SELECT 1 FROM lumora.domains WHERE store_slug = \(store.rawValue) AND is_primary)
        """
    }

    // MARK: Media sweep

    /// Stores open for business (active or suspended) with a schema: a store still being
    /// provisioned has no media yet, one being deleted loses all of its files with it.
    static let storesWithMedia: PostgresQuery = """
        SELECT ss.store_slug FROM lumora.store_schemas ss JOIN lumora.stores s ON s.slug = ss.store_slug
        WHERE s.status IN ('active', 'suspended') ORDER BY ss.store_slug
        """

    /// In a store's scope: deleted media whose grace period is over and that nothing uses,
    /// locked so an upload of the same bytes waits (and then makes the media anew).
    static func ownerEmails(store: String) -> PostgresQuery {
        """
        SELECT a.email FROM lumora.memberships m JOIN lumora.accounts a ON a.id = m.account_id
        WHERE m.store_slug = \(store) AND m.role = 'owner' ORDER BY a.id
        """
    }

    /// Runs inside the store's scope: the store schema's own function decides.
    static func expireUnpaidOrder(id: Int64) -> PostgresQuery {
        "SELECT expire_unpaid_order(\(id))"
    }

    static func expiredMedia(graceSeconds: Double, limit: Int) -> PostgresQuery {
        """
        SELECT m.id, m.hash, m.widths, m.formats FROM media m
        WHERE m.deleted_at < now() - make_interval(secs => \(graceSeconds))
          AND NOT EXISTS (SELECT 1 FROM product_media pm WHERE pm.media_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM settings s WHERE s.logo_media_id = m.id)
        ORDER BY m.id LIMIT \(limit)
        FOR UPDATE OF m SKIP LOCKED
        """
    }

    static func deleteMediaRows(ids: [Int64]) -> PostgresQuery {
        "DELETE FROM media WHERE id = ANY(\(ids))"
    }
}
