import LumoraCore
import LumoraDatabase
import LumoraRouting

/// What a request's host names.
enum Site: Sendable {
    /// The root domain: Lumora's own landing page.
    case platform
    /// `app.<root domain>`: the merchant dashboard.
    case dashboard
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
        // Byte-wise (every request comes through here): hosts are ASCII by the time they are
        // normalised, and none of this may allocate on the common path.
        let hostBytes = host.utf8, rootBytes = rootDomain.utf8
        if hostBytes.elementsEqual(rootBytes) { return .platform }
        let underRoot = hostBytes.count > rootBytes.count + 1 && hostBytes.reversed().starts(with: rootBytes.reversed())
            && hostBytes[hostBytes.index(hostBytes.endIndex, offsetBy: -(rootBytes.count + 1))] == UInt8(ascii: ".")
        if underRoot && hostBytes.count == rootBytes.count + 4 && hostBytes.starts(with: "www".utf8) { return .redirect(host: rootDomain) }
        // `app` is a reserved slug: no store can be named so.
        if underRoot && hostBytes.count == rootBytes.count + 4 && hostBytes.starts(with: "app".utf8) { return .dashboard }

        let route: StoreRoute?
        if underRoot {
            let label = hostBytes.dropLast(rootBytes.count + 1)
            guard !label.contains(UInt8(ascii: ".")), let slug = try? StoreSlug(validating: String(decoding: label, as: UTF8.self)) else { return .unknown }
            route = table.store(slug)
            // On its own platform subdomain, a store without a primary domain is at this host.
            if let route, route.status == .active, route.primaryDomain == nil { return .store(route, canonicalHost: host) }
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

    /// The internal address a request is routed (and its page cached) under: `prefix` + the
    /// path (trailing slash dropped, so `/products/` is `/products`) + the query.
    static func internalTarget(prefix: String, path: String, query: String?) -> String {
        var path = path
        if path.utf8.count > 1 && path.utf8.last == UInt8(ascii: "/") { path.removeLast() }
        return prefix + (path == "/" ? "" : path) + (query.map { "?" + $0 } ?? "")
    }

    /// The store's primary verified domain, else its platform subdomain.
    static func canonicalHost(_ route: StoreRoute, rootDomain: String) -> String {
        route.primaryDomain?.hostname ?? "\(route.slug).\(rootDomain)"
    }
}
