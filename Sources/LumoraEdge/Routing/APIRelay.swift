import LumoraCore
import LumoraDatabase
import LumoraHTTP
import NIOCore
import NIOHTTP1

/// What the API relay (`APIRelayHandler`) shares between connections, and its decisions: which
/// requests it relays, and the response a relayed request gets. The request to the cell and
/// the headers that come back are built by the same functions the router's `APIProxyRoutes`
/// uses, so both paths answer alike.
struct APIRelay: Sendable {
    let configuration: EdgeConfiguration
    let table: StoreRoutingTable
    let cells: CellClient
    let forwarder: CellForwarder
    var timeout: TimeAmount = .seconds(10)
    /// One signature cache per event loop of the forwarder's group, used only on its loop.
    private let signatures: [ObjectIdentifier: SignatureCache]

    init(configuration: EdgeConfiguration, table: StoreRoutingTable, cells: CellClient, forwarder: CellForwarder) {
        self.configuration = configuration
        self.table = table
        self.cells = cells
        self.forwarder = forwarder
        var signatures: [ObjectIdentifier: SignatureCache] = [:]
        for loop in forwarder.group.makeIterator() { signatures[ObjectIdentifier(loop)] = SignatureCache() }
        self.signatures = signatures
    }

    /// A request the relay takes: for `store`, sent to its cell as `method cellPath`.
    struct Plan {
        let store: StoreRoute
        let method: HTTPMethod
        let cellPath: String
        let headers: [(String, String)]
        /// The visitor's connection ends after the response (`Connection: close`, HTTP/1.0).
        let closeAfter: Bool

        /// GET carries no body to the cell (as through the router).
        var takesBody: Bool { method != .GET }
    }

    static let relayedMethods: [HTTPMethod] = [.GET, .POST, .PUT, .DELETE]

    /// The plan for a request, or nil when Hummingbird should answer it: anything but an
    /// `/api/store/…` or `/api/admin/…` call on an active store's host whose cell is reachable
    /// over plain HTTP (the router renders the error pages, and https cells go through
    /// AsyncHTTPClient).
    func plan(_ head: HTTPRequestHead, trusted: Bool) -> Plan? {
        guard Self.relayedMethods.contains(head.method) else { return nil }
        let (path, query) = Self.split(head.uri)
        guard let (area, rest) = APIProxyRoutes.directRoute(path: path) else { return nil }
        let host = VisitorHost.of(authority: head.headers.first(name: "host"),
                                  forwardedHost: trusted ? head.headers.first(name: "x-forwarded-host") : nil)
        guard case .store(let store, _) = Site.resolve(host: host, rootDomain: configuration.rootDomain, table: table),
              let endpoint = try? cells.endpoint(for: store), CellForwarder.supports(endpoint) else { return nil }
        return Plan(store: store, method: head.method, cellPath: APIProxyRoutes.cellPath(area: area, rest: rest, query: query),
                    headers: APIProxyRoutes.forwardedHeaders(head.headers), closeAfter: !head.isKeepAlive)
    }

    /// Sends a planned request with its body; `completion` runs on `loop`.
    func send(_ plan: Plan, body: ByteBuffer?, on loop: any EventLoop, completion: @escaping (Result<CellClient.Reply, any Error>) -> Void) {
        do {
            let (endpoint, request) = try cells.prepare(plan.method, plan.cellPath, store: plan.store, body: body, headers: plan.headers,
                                                        signatures: signatures[ObjectIdentifier(loop)])
            forwarder.execute(request, endpoint: endpoint, on: loop, timeout: timeout, completion: completion)
        } catch {
            completion(.failure(error))
        }
    }

    /// The response to a relayed request: the cell's reply, or the error the router's path
    /// would have given.
    func response(to result: Result<CellClient.Reply, any Error>) -> (head: HTTPResponseHead, body: ByteBuffer) {
        switch result {
        case .success(let reply):
            var headers = HTTPHeaders()
            headers.reserveCapacity(10)
            for (name, field) in APIProxyRoutes.returnedResponseHeaders {
                if let value = reply.headers.first(name: name) { headers.add(name: field.canonicalName, value: value) }
            }
            return response(status: reply.status, headers: headers, body: reply.body)
        case .failure(let error as LumoraError):
            return response(to: error)
        case .failure:
            return response(to: CellClient.unreachable)
        }
    }

    func response(to error: LumoraError) -> (head: HTTPResponseHead, body: ByteBuffer) {
        var headers = HTTPHeaders()
        for field in error.responseHeaders { headers.add(name: field.name.canonicalName, value: field.value) }
        return response(status: HTTPResponseStatus(statusCode: error.httpStatusCode), headers: headers, body: error.responseBody)
    }

    private func response(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer) -> (head: HTTPResponseHead, body: ByteBuffer) {
        var headers = headers
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "server", value: EdgeHeaders.serverName)
        EdgeHeaders.stamp(&headers, version: configuration.version)
        return (HTTPResponseHead(version: .http1_1, status: status, headers: headers), body)
    }

    /// A request target's path and query (a fragment, which clients should not send, dropped).
    static func split(_ target: String) -> (path: String, query: String?) {
        let bytes = target.utf8
        guard let end = bytes.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) else { return (target, nil) }
        let path = String(Substring(bytes[..<end]))
        guard bytes[end] == UInt8(ascii: "?") else { return (path, nil) }
        let afterMark = bytes.index(after: end)
        let queryEnd = bytes[afterMark...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        return (path, String(Substring(bytes[afterMark..<queryEnd])))
    }
}
