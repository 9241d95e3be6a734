import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraDatabase
import NIOCore
import NIOHTTP1

/// `/api/store/*` and `/api/admin/*` on a store's host go to the store's cell with the store
/// attached (signed `x-store-id`), so a JavaScript storefront or a merchant's script can use
/// the APIs through the store's own domain. Method, path, query, body, `Authorization` and
/// `Idempotency-Key` pass through; the cell's status, body and `Retry-After` come back.
struct APIProxyRoutes: Sendable {
    let cells: CellClient
    let maximumBodySize: Int

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
        guard let store = context.store else { throw LumoraError.notFound("store_not_found", "no store at this host") }
        let rest = context.parameters.getCatchAll().joined(separator: "/")
        let path = "/\(area)/\(rest)" + (request.uri.query.map { "?" + $0 } ?? "")
        var body: ByteBuffer?
        if request.method != .get && request.method != .head {
            var request = request
            do {
                body = try await request.collectBody(upTo: maximumBodySize)
            } catch is NIOTooManyBytesError {
                throw LumoraError(.payloadTooLarge, code: "payload_too_large", message: "the request body is larger than \(maximumBodySize) bytes")
            }
        }
        var headers: [(String, String)] = []
        for name in Self.forwardedRequestHeaders {
            if let value = request.headers[name] { headers.append((name.canonicalName, value)) }
        }
        let reply = try await cells.send(HTTPMethod(rawValue: request.method.rawValue), path, store: store, body: body, headers: headers,
                                         eventLoop: context.eventLoop)
        var responseHeaders = HTTPFields()
        responseHeaders.reserveCapacity(4)
        for (name, field) in Self.returnedResponseHeaders {
            if let value = reply.headers.first(name: name) { responseHeaders.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: HTTPResponse.Status(code: Int(reply.status.code)), headers: responseHeaders, body: .init(byteBuffer: reply.body))
    }
}
