import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import NIOCore
import NIOHTTP1

/// `/api/store/*` and `/api/admin/*` on a store's host go to the store's cell with the store
/// attached (signed `x-store-id`), so a JavaScript storefront or a merchant's script can use
/// the APIs through the store's own domain. Method, path, query, body, `Authorization` and
/// `Idempotency-Key` pass through; the cell's status, body and `Retry-After` come back.
struct APIProxyRoutes: Sendable {
    let cells: CellClient
    let bodyLimits: BodyLimits

    static let forwardedRequestHeaders: [HTTPField.Name] = [.authorization, .contentType, .cacheControl, HTTPField.Name("Idempotency-Key")!]
    /// The cell's response headers that come back, and the name they come back under (which
    /// cell answered, and its version: the edge's own goes in x-lumora-version).
    static let returnedResponseHeaders: [(String, HTTPField.Name)] = [
        ("content-type", .contentType), ("retry-after", .retryAfter), ("x-lumora-cache", HTTPField.Name("x-lumora-cache")!),
        ("x-lumora-version", HTTPField.Name("x-lumora-cell-version")!),
    ]

    func add(to router: Router<EdgeRequestContext>) {
        for area in ["store", "admin"] {
            let group = router.group("_sites/:site/api/\(area)")
            for method in [HTTPRequest.Method.get, .post, .put, .delete] {
                group.on("**", method: method) { request, context in try await forward(request, context: context, area: area) }
            }
        }
    }

    func forward(_ request: Request, context: EdgeRequestContext, area: String) async throws -> Response {
        try await forward(request, context: context, area: area, rest: context.parameters.getCatchAll().joined(separator: "/"))
    }

    static let proxiedMethods: [HTTPRequest.Method] = [.get, .post, .put, .delete]

    /// What the router would do for `/api/store/…` and `/api/admin/…` on a store's host, without
    /// the rewrite and the route lookup (every API request comes this way): the area and the
    /// rest of the path as the router's catch-all sees it (empty segments dropped), or nil when
    /// the router should decide (another method, nothing after the area).
    static func directRoute(_ request: Request) -> (area: String, rest: String)? {
        guard proxiedMethods.contains(request.method) else { return nil }
        return directRoute(path: request.uri.path)
    }

    /// `directRoute` for a path without its query, whatever the method.
    static func directRoute(path: String) -> (area: String, rest: String)? {
        let area: String
        if path.utf8.starts(with: "/api/store/".utf8) {
            area = "store"
        } else if path.utf8.starts(with: "/api/admin/".utf8) {
            area = "admin"
        } else {
            return nil
        }
        let rest = path.utf8.dropFirst(6 + area.utf8.count)
        guard rest.contains(where: { $0 != UInt8(ascii: "/") }) else { return nil }
        if Self.hasEmptySegment(rest) {
            return (area, Substring(rest).split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/"))
        }
        return (area, String(Substring(rest)))
    }

    /// A leading, trailing or doubled `/`.
    private static func hasEmptySegment(_ path: Substring.UTF8View) -> Bool {
        var previous = UInt8(ascii: "/")
        for byte in path {
            if byte == UInt8(ascii: "/") && previous == UInt8(ascii: "/") { return true }
            previous = byte
        }
        return previous == UInt8(ascii: "/")
    }

    func forward(_ request: Request, context: EdgeRequestContext, area: String, rest: String) async throws -> Response {
        guard let store = context.store else { throw LumoraError.notFound("store_not_found", "no store at this host") }
        var body: ByteBuffer?
        if request.method != .get && request.method != .head {
            var request = request
            do {
                body = try await request.collectBody(upTo: bodyLimits.limit(forPath: request.uri.path))
            } catch is NIOTooManyBytesError {
                throw bodyLimits.tooLarge(path: request.uri.path)
            }
        }
        guard let target = Self.cellTarget(area: area, rest: rest, query: request.uri.query) else { throw Self.invalidTarget }
        let reply = try await cells.send(HTTPMethod(rawValue: request.method.rawValue), target, store: store, visitor: context.visitor,
                                         body: body, headers: Self.forwardedHeaders(request.headers), timeout: CellDeadlines.forPath(target.path),
                                         eventLoop: context.eventLoop)
        return Response(status: HTTPResponse.Status(code: Int(reply.status.code)), headers: Self.responseFields(of: reply),
                        body: .init(byteBuffer: reply.body))
    }

    /// The target the cell is asked for, `/<area>/<rest>[?query]` as the visitor wrote it — or
    /// nil when it holds a byte a request target may not (the visitor gets a 400).
    static func cellTarget(area: String, rest: String, query: String?) -> RequestTarget? {
        var path = "/"
        path.reserveCapacity(area.utf8.count + rest.utf8.count + (query?.utf8.count ?? 0) + 3)
        path += area
        path += "/"
        path += rest
        if let query {
            path += "?"
            path += query
        }
        return RequestTarget(validating: path)
    }

    static let invalidTarget = LumoraError.badRequest("invalid_target", "the address holds characters that must be percent-encoded")

    /// The visitor's headers that go on to the cell.
    static func forwardedHeaders(_ fields: HTTPFields) -> [(String, String)] {
        var headers: [(String, String)] = []
        for name in forwardedRequestHeaders {
            if let value = fields[name] { headers.append((name.canonicalName, value)) }
        }
        return headers
    }

    static func forwardedHeaders(_ fields: HTTPHeaders) -> [(String, String)] {
        var headers: [(String, String)] = []
        for name in forwardedRequestHeaders {
            if let value = fields.first(name: name.canonicalName) { headers.append((name.canonicalName, value)) }
        }
        return headers
    }

    /// The cell's headers that come back to the visitor (content length aside).
    static func responseFields(of reply: CellClient.Reply) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(8)
        for (name, field) in returnedResponseHeaders {
            if let value = reply.headers.first(name: name) { fields.append(HTTPField(name: field, value: value)) }
        }
        return fields
    }
}
