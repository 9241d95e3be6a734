import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraDatabase
import LumoraRouting
import NIOCore

/// Sits in front of the router. Works out the host (trusting `x-forwarded-host` and
/// `x-forwarded-proto` only from configured proxies), resolves it to a site, and rewrites the
/// path internally: a store's `/products?page=2` is routed as `/_sites/<slug>/products?page=2`
/// the root domain's pages as `/_platform/…` and the dashboard's (`app.<root>`) as `/_app/…`. A path that names `/_sites` or `/_platform`
/// from outside is not found; `www.` hosts redirect; unknown hosts get a 404 page and suspended
/// stores a 410 page.
struct SiteResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == EdgeRequestContext {
    typealias Context = EdgeRequestContext

    let inner: Inner
    let configuration: EdgeConfiguration
    let table: StoreRoutingTable
    let pages: PageRenderer
    /// The API proxy, reached without the router for `/api/store/…` and `/api/admin/…`.
    var api: APIProxyRoutes? = nil
    /// Store media, at `/media/…` on every store host.
    var media: MediaFiles? = nil

    func respond(to request: Request, context: Context) async throws -> Response {
        var context = context
        let trusted = configuration.trusts(context.remoteAddress)
        context.host = VisitorHost.of(request.head, trusted: trusted)
        if let scheme = VisitorHost.forwardedScheme(of: request.head, trusted: trusted) { context.scheme = scheme }
        context.visitor = configuration.visitor(peer: context.remoteAddress,
                                                forwardedFor: trusted ? request.headers[HTTPField.Name("x-forwarded-for")!] : nil)
        context.site = Site.resolve(host: context.host, rootDomain: configuration.rootDomain, table: table)

        let path = request.uri.path
        if path.hasPrefix("/lumora-assets/") {
            return try await inner.respond(to: request, context: context)
        }
        if path.hasPrefix("/_sites") || path.hasPrefix("/_platform") || path.hasPrefix("/_app") {
            return try pages.errorPage(.notFound, title: "Page not found", message: "There is nothing at this address.", context: context)
        }
        // Under /api/ every answer is the JSON error body, whatever the host turned out to be.
        if path.hasPrefix("/api/") {
            switch context.site {
            case .store: break
            case .unavailable(let route):
                throw LumoraError(.gone, code: "store_unavailable", message: "the store '\(route.slug)' is not open at the moment")
            case .platform, .dashboard, .redirect, .unknown:
                throw LumoraError.notFound("store_not_found", "there is no Lumora store at \(context.host)")
            }
        }
        switch context.site {
        case .platform:
            return try await inner.respond(to: Self.rewrite(request, prefix: "/_platform"), context: context)
        case .dashboard:
            return try await inner.respond(to: Self.rewrite(request, prefix: "/_app"), context: context)
        case .store(let route, _):
            if let media, path.hasPrefix(MediaFiles.pathPrefix) {
                return try await media.respond(to: request, store: route)
            }
            if let api, let direct = APIProxyRoutes.directRoute(request) {
                return try await api.forward(request, context: context, area: direct.area, rest: direct.rest)
            }
            return try await inner.respond(to: Self.rewrite(request, prefix: "/_sites/\(route.slug)"), context: context)
        case .redirect(let host):
            let target = "\(context.scheme)://\(host)\(request.uri.description)"
            return Response(status: .movedPermanently, headers: [.location: target])
        case .unavailable(let route):
            return try pages.errorPage(.gone, title: "\(route.name) is closed", message: "This store is not open at the moment.", context: context)
        case .unknown:
            return try pages.errorPage(.notFound, title: "No store here", message: "There is no Lumora store at \(context.host).", context: context)
        }
    }

    /// The request as routed internally (`Site.internalTarget`).
    static func rewrite(_ request: Request, prefix: String) -> Request {
        var head = request.head
        head.path = Site.internalTarget(prefix: prefix, path: request.uri.path, query: request.uri.query)
        return Request(head: head, body: request.body)
    }
}
