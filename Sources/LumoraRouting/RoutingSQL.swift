import LumoraCore
import PostgresNIO

/// What the routing table reads from the control schema: the columns routers need, never more.
enum RoutingSQL {
    /// A store's live API token hashes come as one array; without them (the edge's role may
    /// not read them) an empty one.
    static func routingStores(adminTokens: Bool) -> PostgresQuery {
        adminTokens
            ? "SELECT slug, name, plan, status, cell_id, currency, \(unescaped: liveTokenHashes) FROM lumora.stores s"
            : "SELECT slug, name, plan, status, cell_id, currency, '{}'::text[] FROM lumora.stores s"
    }

    static func routingStore(_ slug: StoreSlug, adminTokens: Bool) -> PostgresQuery {
        adminTokens
            ? "SELECT slug, name, plan, status, cell_id, currency, \(unescaped: liveTokenHashes) FROM lumora.stores s WHERE slug = \(slug.rawValue)"
            : "SELECT slug, name, plan, status, cell_id, currency, '{}'::text[] FROM lumora.stores s WHERE slug = \(slug.rawValue)"
    }

    private static let liveTokenHashes =
        "ARRAY(SELECT t.token_hash FROM lumora.api_tokens t WHERE t.store_slug = s.slug AND t.revoked_at IS NULL ORDER BY t.id)"

    static let routingDomains: PostgresQuery = "SELECT hostname, store_slug, kind, is_primary, status FROM lumora.domains"

    static func routingDomains(of slug: StoreSlug) -> PostgresQuery {
        "SELECT hostname, store_slug, kind, is_primary, status FROM lumora.domains WHERE store_slug = \(slug.rawValue)"
    }

    static let routingCells: PostgresQuery = "SELECT id, kind, endpoint, version, status FROM lumora.cells"
}
