import LumoraCore
import LumoraDatabase

/// What a request's host names.
enum Site: Sendable {
    /// The root domain: Lumora's own landing page.
    case platform
    /// A store, reached on one of its hosts; `canonicalHost` is where its links point.
    case store(StoreRoute, canonicalHost: String)
    /// `www.` of a known host: a permanent redirect to this host.
    case redirect(host: String)
    /// A suspended store: 410.
    case unavailable(StoreRoute)
    /// No store here: 404.
    case unknown

    /// Resolves a host (already lowercased, without port) against the routing table.
    static func resolve(host: String, rootDomain: String, table: StoreRoutingTable) -> Site {
        if host == rootDomain { return .platform }
        if host == "www." + rootDomain { return .redirect(host: rootDomain) }

        let route: StoreRoute?
        if host.hasSuffix("." + rootDomain) {
            let label = String(host.dropLast(rootDomain.count + 1))
            guard !label.contains("."), let slug = try? StoreSlug(validating: label) else { return .unknown }
            route = table.store(slug)
        } else if let custom = table.store(host: host) {
            route = custom
        } else if host.hasPrefix("www."), let apex = table.store(host: String(host.dropFirst(4))) {
            return .redirect(host: canonicalHost(apex, rootDomain: rootDomain))
        } else {
            route = nil
        }
        guard let route else { return .unknown }
        switch route.status {
        case .active: return .store(route, canonicalHost: canonicalHost(route, rootDomain: rootDomain))
        case .suspended: return .unavailable(route)
        case .provisioning, .failed, .deleting: return .unknown
        }
    }

    /// The store's primary verified domain, else its platform subdomain.
    static func canonicalHost(_ route: StoreRoute, rootDomain: String) -> String {
        route.primaryDomain?.hostname ?? "\(route.slug).\(rootDomain)"
    }
}
