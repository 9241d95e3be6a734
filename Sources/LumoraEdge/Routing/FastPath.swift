import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraHTTP
import LumoraMedia
import NIOCore
import NIOHTTP1

/// What the edge's fast path (`FastPathHandler`) shares between connections, and its decisions:
/// which API requests it relays to cells and what they get back, and which catalog pages it
/// serves from the page cache. The request to the cell, the headers that come back and the
/// personalised page are built by the same functions the Hummingbird path uses
/// (`APIProxyRoutes`, `StorefrontRoutes.personalise`), so both paths answer alike.
/// A class: every relayed request's callbacks hold it, and a reference is one retain where a
/// struct of this size was a copy of every field.
final class FastPath: Sendable {
    let configuration: EdgeConfiguration
    let table: StoreRoutingTable
    let cells: CellClient
    let forwarder: CellForwarder
    let pageCache: StoreResponseCache
    let csrf: CSRFTokens
    let bodyLimits: BodyLimits
    /// Media files served lately (misses go to Hummingbird, which reads and keeps them).
    let media: MediaCache
    /// One signature cache per event loop of the forwarder's group, used only on its loop.
    private let signatures: [ObjectIdentifier: NIOLoopBoundBox<SignatureCache>]
    /// What every relayed response carries, serialised once: the server's name and what
    /// `EdgeHeaders.stamp` puts on an HTML response and on any other.
    private let fixedHeaders: (html: String, other: String)

    init(configuration: EdgeConfiguration, table: StoreRoutingTable, cells: CellClient, forwarder: CellForwarder,
         pageCache: StoreResponseCache, csrf: CSRFTokens, media: MediaCache) {
        self.configuration = configuration
        self.table = table
        self.cells = cells
        self.forwarder = forwarder
        self.pageCache = pageCache
        self.csrf = csrf
        self.bodyLimits = configuration.bodyLimits
        self.media = media
        var signatures: [ObjectIdentifier: NIOLoopBoundBox<SignatureCache>] = [:]
        for loop in forwarder.group.makeIterator() { signatures[ObjectIdentifier(loop)] = .makeBoxSendingValue(SignatureCache(), eventLoop: loop) }
        self.signatures = signatures
        func serialised(contentType: String) -> String {
            var headers = HTTPHeaders([("content-type", contentType)])
            EdgeHeaders.stamp(&headers, version: configuration.version)
            headers.remove(name: "content-type")
            headers.add(name: "server", value: EdgeHeaders.serverName)
            return headers.map { "\($0.name): \($0.value)\r\n" }.joined()
        }
        self.fixedHeaders = (serialised(contentType: "text/html"), serialised(contentType: "application/json"))
    }

    /// A request the relay takes: for `store`, sent to its cell as `method cellPath`. A class:
    /// it is handed along (reading state, completion) rather than copied field by field.
    final class Plan {
        let store: StoreRoute
        let method: HTTPMethod
        let cellTarget: RequestTarget
        let headers: [(String, String)]
        /// Who the cell's per-visitor limits count this request against.
        let visitor: String?
        /// The visitor's connection ends after the response (`Connection: close`, HTTP/1.0).
        let closeAfter: Bool
        /// How large the body may grow (`BodyLimits`: image uploads may be larger).
        let bodyLimit: Int

        init(store: StoreRoute, method: HTTPMethod, cellTarget: RequestTarget, headers: [(String, String)], visitor: String?, closeAfter: Bool,
             bodyLimit: Int) {
            self.store = store
            self.method = method
            self.cellTarget = cellTarget
            self.headers = headers
            self.visitor = visitor
            self.closeAfter = closeAfter
            self.bodyLimit = bodyLimit
        }

        /// GET carries no body to the cell (as through the router).
        var takesBody: Bool { method != .GET }
    }

    /// A visitor connection's peer: its address, and whether it is a trusted proxy.
    struct Peer {
        let address: String?
        let trusted: Bool
    }

    /// The router's proxied methods, as NIO names them.
    static let relayedMethods = APIProxyRoutes.proxiedMethods.map { HTTPMethod(rawValue: $0.rawValue) }

    /// The plan for a request, or nil when Hummingbird should answer it: anything but an
    /// `/api/store/…` or `/api/admin/…` call on an active store's host whose cell is reachable
    /// over plain HTTP (the router renders the error pages, and https cells go through
    /// AsyncHTTPClient; a target with bytes a cell must not be sent gets the router's 400).
    func plan(_ head: HTTPRequestHead, peer: Peer) -> Plan? {
        // Pages come this way too: turned away before anything is allocated.
        guard head.uri.utf8.starts(with: "/api/".utf8), Self.relayedMethods.contains(head.method) else { return nil }
        let (path, query) = Self.split(head.uri)
        guard let (area, rest) = APIProxyRoutes.directRoute(path: path),
              let target = APIProxyRoutes.cellTarget(area: area, rest: rest, query: query) else { return nil }
        guard case .store(let store, _) = site(head, trusted: peer.trusted).site,
              let endpoint = try? cells.endpoint(for: store), CellForwarder.supports(endpoint) else { return nil }
        let visitor = VisitorAddress.resolve(peer: peer.address, forwardedFor: peer.trusted ? head.headers.first(name: "x-forwarded-for") : nil,
                                             trustedProxies: configuration.trustedProxies)
        return Plan(store: store, method: head.method, cellTarget: target, headers: APIProxyRoutes.forwardedHeaders(head.headers),
                    visitor: visitor, closeAfter: !head.isKeepAlive, bodyLimit: bodyLimits.limit(forPath: target.path))
    }

    /// A store's catalog page from the edge's page cache, personalised as `StorefrontRoutes`
    /// does it, serialised; nil unless it is a GET for a page of an active store that is in the
    /// cache (Hummingbird renders the rest, and caches them for next time).
    func cachedPage(_ head: HTTPRequestHead, peer: Peer) -> (head: ByteBuffer, body: ByteBuffer)? {
        let trusted = peer.trusted
        guard head.method == .GET, head.uri.utf8.first == UInt8(ascii: "/") else { return nil }
        let (path, query) = Self.split(head.uri)
        // Internal, API and asset paths are never pages.
        guard !path.utf8.starts(with: "/_".utf8), !path.utf8.starts(with: "/api/".utf8),
              !path.utf8.starts(with: "/lumora-assets/".utf8) else { return nil }
        let (host, site) = site(head, trusted: trusted)
        guard case .store(let store, _) = site else { return nil }
        let scheme = (trusted ? VisitorHost.scheme(forwardedProto: head.headers.first(name: "x-forwarded-proto")) : nil) ?? "http"
        let target = Site.internalTarget(prefix: "/_sites/" + store.slug.rawValue, path: path, query: query)
        guard let page = pageCache.lookup(store.slug, key: StorefrontRoutes.cacheKey(.page, scheme: scheme, target: target)) else { return nil }
        let personal = StorefrontRoutes.personalise(page, hit: true, session: Session(cookieHeaders: head.headers["cookie"]),
                                                    host: host, secure: scheme == "https", csrf: csrf)
        var serialised = Self.statusLine(.ok, capacity: 512 + fixedHeaders.html.utf8.count)
        for field in personal.headers { Self.write(field.name.canonicalName, field.value, to: &serialised) }
        return (finish(serialised, contentType: "text/html", body: personal.body), personal.body)
    }

    /// A store's media file from memory, answered as `MediaFiles` answers it (`MediaAnswer`);
    /// nil unless it is a GET or HEAD of `/media/…` on a store's host whose file is in the cache.
    func cachedMedia(_ head: HTTPRequestHead, peer: Peer) -> (head: ByteBuffer, body: ByteBuffer)? {
        guard head.method == .GET || head.method == .HEAD, head.uri.utf8.starts(with: MediaFiles.pathPrefix.utf8) else { return nil }
        let (path, _) = Self.split(head.uri)
        guard let file = MediaFile(name: path.dropFirst(MediaFiles.pathPrefix.count)),
              case .store(let store, _) = site(head, trusted: peer.trusted).site else { return nil }
        let key = MediaKey(store: store.slug, file: file)
        guard let (bytes, okHead) = media.lookup(key) else { return nil }
        let ifNoneMatch = head.headers.first(name: "if-none-match"), range = head.headers.first(name: "range")
        // The common request (no validator, no range) gets the head serialised the first time.
        if ifNoneMatch == nil, range == nil, let okHead { return (okHead, head.method == .HEAD ? ByteBuffer() : bytes) }
        let answer = MediaAnswer.decide(file: file, length: bytes.readableBytes, ifNoneMatch: ifNoneMatch,
                                        range: range, ifRange: head.headers.first(name: "if-range"))
        var serialised = Self.statusLine(HTTPResponseStatus(statusCode: answer.status.rawValue), capacity: 384 + fixedHeaders.other.utf8.count)
        for (name, value) in answer.headers { Self.write(name, value, to: &serialised) }
        if answer.status != .notModified { Self.write("content-length", String(answer.body.count), to: &serialised) }
        serialised.writeString(fixedHeaders.other)
        serialised.writeStaticString("\r\n")
        if ifNoneMatch == nil, range == nil { media.keepOKHead(key, serialised) }
        let sendsBody = head.method == .GET && (answer.status == .ok || answer.status == .partialContent)
        let body = sendsBody ? bytes.getSlice(at: bytes.readerIndex + answer.body.lowerBound, length: answer.body.count) ?? ByteBuffer() : ByteBuffer()
        return (serialised, body)
    }

    /// The host the visitor asked for (`SiteResponder`'s rules) and what it names.
    private func site(_ head: HTTPRequestHead, trusted: Bool) -> (host: String, site: Site) {
        let host = VisitorHost.of(authority: head.headers.first(name: "host"),
                                  forwardedHost: trusted ? head.headers.first(name: "x-forwarded-host") : nil)
        return (host, Site.resolve(host: host, rootDomain: configuration.rootDomain, table: table))
    }

    /// Sends a planned request with its body; `completion` runs on `loop`.
    /// A `wrong_cell` refusal (the route moved a moment ago), or a read its cell did not answer,
    /// is sent once more where the route, read again, now points — as `CellClient.send` does.
    func send(_ plan: Plan, body: ByteBuffer?, on loop: any EventLoop, completion: @escaping (Result<CellClient.Reply, any Error>) -> Void) {
        send(plan, to: plan.store, body: body, on: loop) { result, sentTo in
            guard CellClient.shouldRereadRoute(after: result, method: plan.method, store: plan.store), let sentTo else { return completion(result) }
            let reread = loop.makePromise(of: StoreRoute?.self)
            reread.completeWithTask { await self.cells.rereadRoute(plan.store, sentTo: sentTo, after: result) }
            reread.futureResult.assumeIsolated().whenComplete { moved in
                // (A move to an https cell is left to the next request, which the router sends.)
                guard case .success(let store?) = moved, let endpoint = try? self.cells.endpoint(for: store),
                      CellForwarder.supports(endpoint) else { return completion(result) }
                self.send(plan, to: store, body: body, on: loop) { result, _ in completion(result) }
            }
        }
    }

    /// `completion` also gets the endpoint the request went to (nil when it went nowhere).
    private func send(_ plan: Plan, to store: StoreRoute, body: ByteBuffer?, on loop: any EventLoop,
                      completion: @escaping (Result<CellClient.Reply, any Error>, String?) -> Void) {
        do {
            let (endpoint, request) = try cells.prepare(plan.method, plan.cellTarget, store: store, visitor: plan.visitor, body: body,
                                                        headers: plan.headers, signatures: signatures[ObjectIdentifier(loop)]?.value)
            forwarder.execute(request, endpoint: endpoint, on: loop, timeout: CellDeadlines.forPath(plan.cellTarget.path)) { completion($0, endpoint) }
        } catch {
            completion(.failure(error), nil)
        }
    }

    /// The response to a relayed request, serialised: the cell's status, body and returned
    /// headers, or the error the router's path would have given; with the edge's headers.
    func response(to result: Result<CellClient.Reply, any Error>) -> (head: ByteBuffer, body: ByteBuffer) {
        switch result {
        case .success(let reply):
            var head = Self.statusLine(reply.status, capacity: 256 + fixedHeaders.html.utf8.count)
            for (name, field) in APIProxyRoutes.returnedResponseHeaders {
                if let value = reply.headers.first(name: name) { Self.write(field.canonicalName, value, to: &head) }
            }
            return (finish(head, contentType: reply.headers.first(name: "content-type"), body: reply.body), reply.body)
        case .failure(let error as LumoraError):
            return response(to: error)
        case .failure:
            return response(to: CellClient.unreachable)
        }
    }

    func response(to error: LumoraError) -> (head: ByteBuffer, body: ByteBuffer) {
        var head = Self.statusLine(HTTPResponseStatus(statusCode: error.httpStatusCode), capacity: 256 + fixedHeaders.html.utf8.count)
        let fields = error.responseHeaders
        for field in fields { Self.write(field.name.canonicalName, field.value, to: &head) }
        let body = error.responseBody
        return (finish(head, contentType: fields[.contentType], body: body), body)
    }

    private static func statusLine(_ status: HTTPResponseStatus, capacity: Int) -> ByteBuffer {
        var head = ByteBuffer()
        head.reserveCapacity(capacity)
        head.writeStaticString("HTTP/1.1 ")
        head.writeString(String(status.code))
        head.writeStaticString(" ")
        head.writeString(status.reasonPhrase)
        head.writeStaticString("\r\n")
        return head
    }

    /// Header values come from `CellResponseParser` (which refuses CR and NUL inside a line) or
    /// from us: nothing in them can end a line.
    private static func write(_ name: String, _ value: String, to head: inout ByteBuffer) {
        head.writeString(name)
        head.writeStaticString(": ")
        head.writeString(value)
        head.writeStaticString("\r\n")
    }

    private func finish(_ head: ByteBuffer, contentType: String?, body: ByteBuffer) -> ByteBuffer {
        var head = head
        Self.write("content-length", String(body.readableBytes), to: &head)
        head.writeString(contentType?.utf8.starts(with: "text/html".utf8) == true ? fixedHeaders.html : fixedHeaders.other)
        head.writeStaticString("\r\n")
        return head
    }

    /// The interim answer to `Expect: 100-continue`.
    static let continueResponse = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")

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
