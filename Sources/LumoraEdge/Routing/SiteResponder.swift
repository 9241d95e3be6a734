import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraDatabase
import NIOCore

/// Sits in front of the router. Works out the host (trusting `x-forwarded-host` and
/// `x-forwarded-proto` only from configured proxies), resolves it to a site, and rewrites the
/// path internally: a store's `/products?page=2` is routed as `/_sites/<slug>/products?page=2`
/// and the root domain's pages as `/_platform/…`. A path that names `/_sites` or `/_platform`
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

    func respond(to request: Request, context: Context) async throws -> Response {
        var context = context
        // No trusted proxies (the common case): no need to format the peer's address.
        let trusted = !configuration.trustedProxies.isEmpty && (context.remoteAddress?.ipAddress.map { address in
            configuration.trustedProxies.contains { $0.contains(address) }
        } ?? false)
        let rawHost = (trusted ? request.headers[EdgeHeaders.forwardedHost]?.split(separator: ",").first.map(String.init) : nil)
            ?? request.head.authority ?? ""
        context.host = Self.normalise(host: rawHost)
        if trusted, let proto = request.headers[EdgeHeaders.forwardedProto]?.split(separator: ",").first {
            context.scheme = proto.trimmingCharacters(in: .whitespaces).lowercased() == "https" ? "https" : "http"
        }
        context.site = Site.resolve(host: context.host, rootDomain: configuration.rootDomain, table: table)

        let path = request.uri.path
        if path.hasPrefix("/lumora-assets/") {
            return try await inner.respond(to: request, context: context)
        }
        if path.hasPrefix("/_sites") || path.hasPrefix("/_platform") {
            return try pages.errorPage(.notFound, title: "Page not found", message: "There is nothing at this address.", context: context)
        }
        switch context.site {
        case .platform:
            return try await inner.respond(to: Self.rewrite(request, prefix: "/_platform"), context: context)
        case .store(let route, _):
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

    /// `prefix` + the path (trailing slash dropped, so `/products/` is `/products`) + the query.
    static func rewrite(_ request: Request, prefix: String) -> Request {
        var path = request.uri.path
        if path.utf8.count > 1 && path.utf8.last == UInt8(ascii: "/") { path.removeLast() }
        let target = prefix + (path == "/" ? "" : path) + (request.uri.query.map { "?" + $0 } ?? "")
        var head = request.head
        head.path = target
        return Request(head: head, body: request.body)
    }

    /// Lowercase, without surrounding spaces, port or trailing dot — byte by byte (every
    /// request goes through here).
    static func normalise(host: String) -> String {
        // Most hosts are already normal: no allocation then.
        var normal = !host.isEmpty
        var previous: UInt8 = 0
        for byte in host.utf8 {
            if (byte >= 0x41 && byte <= 0x5A) || byte == 0x20 || byte == 0x09 || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "[") {
                normal = false
                break
            }
            previous = byte
        }
        if normal && previous != UInt8(ascii: ".") { return host }
        var bytes = Array(host.utf8)
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        let start = bytes.firstIndex { $0 != 0x20 && $0 != 0x09 } ?? bytes.endIndex
        var end = bytes.endIndex
        if bytes[start...].first == UInt8(ascii: "[") {  // [::1]:8080
            if let close = bytes[start...].firstIndex(of: UInt8(ascii: "]")) { end = close + 1 }
        } else if let colon = bytes[start...].lastIndex(of: UInt8(ascii: ":")) {
            end = colon
        }
        if end > start && bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        var result = [UInt8]()
        result.reserveCapacity(end - start)
        for byte in bytes[start..<end] {
            result.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
        }
        return String(decoding: result, as: UTF8.self)
    }
}
