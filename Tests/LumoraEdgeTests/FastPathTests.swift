import LumoraCore
import NIOCore
import NIOHTTP1
import NIOPosix
import LumoraTestSupport
import Testing
@testable import LumoraEdge

/// The API relay below Hummingbird, over real sockets: what it answers, and that a connection
/// mixing relayed API calls with pages (which Hummingbird answers) gets every answer, in order.
@Suite struct FastPathTests {
    @Test func pipelinedPagesAndAPICallsAnswerInOrder() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil")
            try await platform.createProduct("globex", handle: "gizmo", title: "Gizmo")
            let acme = platform.host("acme"), globex = platform.host("globex")
            // API calls behind API calls wait for the one in flight; an API call behind a page
            // waits for Hummingbird; a page behind an API call waits for the relay.
            let replies = try await RawHTTP.pipeline(port: platform.edgePort, [
                .init(acme, "/api/store/products?limit=5"),
                .init(globex, "/api/store/products"),
                .init(acme, "/products/anvil"),
                .init(acme, "/api/store/nothing"),
                .init(globex, "/api/store/settings"),
                .init("nope.lumora.test", "/api/store/products"),
                .init(globex, "/"),
                .init(acme, "/api/store/products/anvil"),
            ])
            #expect(replies.closed == false)
            try #require(replies.replies.count == 8)
            let (status, bodies) = (replies.replies.map(\.status), replies.replies.map(\.body))
            #expect(status == [200, 200, 200, 404, 200, 404, 200, 200])
            #expect(bodies[0].contains(#""handle":"anvil""#) && !bodies[0].contains("gizmo"))
            #expect(bodies[1].contains(#""handle":"gizmo""#) && !bodies[1].contains("anvil"))
            #expect(bodies[2].contains("<html") && bodies[2].contains("Anvil"))
            #expect(bodies[3].contains(#""error""#))
            #expect(bodies[4].contains("Globex Store"))
            #expect(bodies[5].contains(#""code":"store_not_found""#))
            #expect(bodies[6].contains("<html") && bodies[6].contains("Globex Store"))
            #expect(bodies[7].contains(#""handle":"anvil""#))
        }
    }

    @Test func relayedResponsesCarryTheEdgeHeaders() async throws {
        try await PlatformHarness.run { platform in
            let replies = try await RawHTTP.pipeline(port: platform.edgePort, [.init(platform.host("acme"), "/api/store/products")])
            let reply = try #require(replies.replies.first)
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "content-type")?.hasPrefix("application/json") == true)
            #expect(reply.headers.first(name: "content-length") == String(reply.body.utf8.count))
            #expect(reply.headers.first(name: "x-lumora-version") == LumoraVersion.current)
            #expect(reply.headers.first(name: "x-lumora-cell-version") == LumoraVersion.current)
            #expect(reply.headers.first(name: "x-content-type-options") == "nosniff")
            #expect(reply.headers.first(name: "referrer-policy") == "strict-origin-when-cross-origin")
            #expect(reply.headers.first(name: "server") == "lumora-edge")
            // The cell's own signature headers and anything else it sent stay behind.
            #expect(reply.headers.first(name: "x-store-id") == nil)
        }
    }

    @Test func anOversizeBodyIsRefusedAndTheConnectionGoesOn() async throws {
        try await PlatformHarness.run(configure: { $0.maximumBodySize = 1024 }) { platform in
            let acme = platform.host("acme")
            let token = platform.tokens["acme"] ?? ""
            let large = #"{"title":""# + String(repeating: "x", count: 4000) + #"","handle":"big"}"#
            let replies = try await RawHTTP.pipeline(port: platform.edgePort, [
                .init(acme, "/api/admin/products", method: .POST,
                      headers: [("authorization", "Bearer \(token)"), ("content-type", "application/json")], body: large),
                .init(acme, "/api/store/products/big"),
                .init(acme, "/api/store/products"),
            ])
            try #require(replies.replies.count == 3)
            #expect(replies.replies[0].status == 413)
            #expect(replies.replies[0].body.contains(#""code":"payload_too_large""#))
            // Nothing was written: the product does not exist.
            #expect(replies.replies[1].status == 404)
            #expect(replies.replies[2].status == 200)
        }
    }

    @Test func aBodyArrivingInPiecesReachesTheCell() async throws {
        try await PlatformHarness.run { platform in
            let acme = platform.host("acme")
            let token = platform.tokens["acme"] ?? ""
            let description = String(repeating: "solid iron ", count: 900)
            let json = #"{"title":"Anvil","handle":"anvil","status":"published","description":"\#(description)","variants":[{"title":"Default","sku":"a-1","price":{"amount":1500,"currency":"USD"},"stocked":3}]}"#
            let replies = try await RawHTTP.pipeline(port: platform.edgePort, [
                .init(acme, "/api/admin/products", method: .POST,
                      headers: [("authorization", "Bearer \(token)"), ("content-type", "application/json")], body: json, pieces: 7),
                .init(acme, "/api/store/products/anvil"),
            ])
            try #require(replies.replies.count == 2)
            #expect(replies.replies[0].status == 201, "\(replies.replies[0].body)")
            #expect(replies.replies[1].status == 200 && replies.replies[1].body.contains(description))
        }
    }

    @Test func connectionCloseEndsTheConnectionAfterTheAnswer() async throws {
        try await PlatformHarness.run { platform in
            let acme = platform.host("acme")
            let replies = try await RawHTTP.pipeline(port: platform.edgePort, [
                .init(acme, "/api/store/products", headers: [("connection", "close")]),
                .init(acme, "/api/store/settings"),
            ])
            #expect(replies.replies.map(\.status) == [200])
            #expect(replies.closed)
        }
    }

    @Test func splitsTargetsLikeTheRouter() {
        #expect(FastPath.split("/api/store/products") == ("/api/store/products", nil))
        #expect(FastPath.split("/api/store/products?limit=5&page=2") == ("/api/store/products", "limit=5&page=2"))
        #expect(FastPath.split("/api/store/products?") == ("/api/store/products", ""))
        #expect(FastPath.split("/api/store/products#top") == ("/api/store/products", nil))
        #expect(FastPath.split("/api/store/products?a=1#top") == ("/api/store/products", "a=1"))
    }
}

/// A client that writes all its requests on one new connection before reading any answer
/// (HTTP/1.1 pipelining), as a proxy in front of the edge may.
enum RawHTTP {
    struct Request {
        var host: String
        var path: String
        var method: HTTPMethod = .GET
        var headers: [(String, String)] = []
        var body: String?
        /// The body is written in this many separate writes.
        var pieces = 1

        init(_ host: String, _ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: String? = nil, pieces: Int = 1) {
            self.host = host
            self.path = path
            self.method = method
            self.headers = headers
            self.body = body
            self.pieces = pieces
        }
    }

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: String
    }

    /// The answers in the order they came, stopping after one per request or when the server
    /// closed the connection (`closed`).
    /// `timeout` guards against a hang only: a loaded CI run took over 10 s for eight requests.
    static func pipeline(port: Int, _ requests: [Request], timeout: TimeAmount = patientRequestDeadline) async throws -> (replies: [Reply], closed: Bool) {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: ([Reply], Bool).self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ReplyCollector(expected: requests.count, promise: promise))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        // Out of time: closing ends the collection with what came (and the test's counts fail).
        let timer = loop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        try await loop.submit {
            for request in requests {
                var headers = HTTPHeaders([("host", request.host)] + request.headers)
                let body = request.body.map { ByteBuffer(string: $0) }
                if let body { headers.add(name: "content-length", value: String(body.readableBytes)) }
                channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path, headers: headers)),
                              promise: nil)
                if var body {
                    let size = max(1, body.readableBytes / max(1, request.pieces))
                    while body.readableBytes > 0, let piece = body.readSlice(length: min(size, body.readableBytes)) {
                        channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(piece)), promise: nil)
                    }
                }
                channel.write(HTTPClientRequestPart.end(nil), promise: nil)
            }
            channel.flush()
        }.get()
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        let (replies, closed) = try await promise.futureResult.get()
        return (replies, closed)
    }

    private final class ReplyCollector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart

        let expected: Int
        let promise: EventLoopPromise<([Reply], Bool)>
        private var replies: [Reply] = []
        private var head: HTTPResponseHead?
        private var body = ByteBuffer()

        init(expected: Int, promise: EventLoopPromise<([Reply], Bool)>) {
            self.expected = expected
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
            case .body(var part):
                body.writeBuffer(&part)
            case .end:
                guard let head else { return }
                replies.append(Reply(status: Int(head.status.code), headers: head.headers, body: String(buffer: body)))
                self.head = nil
                if replies.count == expected { complete(.success((replies, false))) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            complete(.success((replies, true)))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            complete(.failure(error))
            context.close(promise: nil)
        }

        private var completed = false

        private func complete(_ result: Result<([Reply], Bool), any Error>) {
            guard !completed else { return }
            completed = true
            promise.completeWith(result)
        }
    }
}

/// Cached catalog pages answered below Hummingbird: the same page, headers and per-visitor
/// token as a render, and a change still drops them.
@Suite struct CachedPageFastPathTests {
    @Test func aCachedPageIsServedAsRenderedForEachVisitor() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil")
            let acme = platform.host("acme")
            let rendered = try #require(try await RawHTTP.pipeline(port: platform.edgePort, [.init(acme, "/products/anvil")]).replies.first)
            #expect(rendered.headers.first(name: "x-lumora-page-cache") == "miss")
            let cookie = try #require(rendered.headers.first(name: "set-cookie")?.split(separator: ";").first.map(String.init))

            // The same visitor again: from the cache, the same page with the same token.
            let again = try #require(try await RawHTTP.pipeline(port: platform.edgePort, [.init(acme, "/products/anvil/", headers: [("cookie", cookie)])]).replies.first)
            #expect(again.status == 200)
            #expect(again.headers.first(name: "x-lumora-page-cache") == "hit")
            #expect(again.body == rendered.body)
            #expect(again.headers.first(name: "set-cookie") == nil)
            for name in ["content-type", "cache-control", "content-security-policy", "x-frame-options", "x-content-type-options",
                         "referrer-policy", "x-lumora-version", "server"] {
                #expect(again.headers.first(name: name) == rendered.headers.first(name: name), "\(name)")
            }
            #expect(again.headers.first(name: "content-length") == String(again.body.utf8.count))

            // A new visitor gets their own session and token; the form still works with it.
            let stranger = try #require(try await RawHTTP.pipeline(port: platform.edgePort, [.init(acme, "/products/anvil")]).replies.first)
            #expect(stranger.headers.first(name: "x-lumora-page-cache") == "hit")
            let strangerCookie = try #require(stranger.headers.first(name: "set-cookie")?.split(separator: ";").first.map(String.init))
            #expect(strangerCookie != cookie)
            let token = try #require(PlatformHarness.Reply(status: 200, headers: stranger.headers, body: stranger.body).csrf)
            #expect(token != PlatformHarness.Reply(status: 200, headers: rendered.headers, body: rendered.body).csrf)
            let variant = try #require(PlatformHarness.Reply(status: 200, headers: stranger.headers, body: stranger.body).field("variant_id"))
            let pair = strangerCookie.split(separator: "=", maxSplits: 1).map(String.init)
            let added = try await platform.post(acme, "/cart/add", form: ["csrf": token, "variant_id": variant, "quantity": "1"], cookies: [pair[0]: pair[1]])
            #expect(added.status == 303, "\(added.body)")

            // A catalog change drops the page: the next view is rendered again.
            try await platform.admin("acme", .PUT, "/settings", json: #"{"name":"Acme Renamed"}"#)
            try await waitUntil {
                let reply = try await RawHTTP.pipeline(port: platform.edgePort, [.init(acme, "/products/anvil", headers: [("cookie", cookie)])]).replies.first
                return reply?.body.contains("Acme Renamed") == true
            }
        }
    }
}

/// A client that sends `Expect: 100-continue` (curl does, for bodies over 1 KiB) is told to go
/// on before it sends the body, over a plain socket so nothing in between answers for us.
@Suite struct ExpectContinueTests {
    @Test func aRelayedPostIsToldToContinue() async throws {
        try await PlatformHarness.run { platform in
            let json = #"{"title":"Anvil","handle":"anvil","status":"published","variants":[{"title":"Default","sku":"a-1","price":{"amount":1500,"currency":"USD"},"stocked":3}]}"#
            let head = "POST /api/admin/products HTTP/1.1\r\nHost: \(platform.host("acme"))\r\nAuthorization: Bearer \(platform.tokens["acme"] ?? "")\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\nExpect: 100-continue\r\n\r\n"
            let connection = try await RawSocket.connect(port: platform.edgePort)
            defer { connection.close() }
            try await connection.send(head)
            let interim = try await connection.read(until: "\r\n\r\n")
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"))
            try await connection.send(json)
            let reply = try await connection.read(until: #""handle":"anvil""#)
            #expect(reply.hasPrefix("HTTP/1.1 201"), "\(reply)")
        }
    }
}

/// Bytes in, bytes out, over one loopback connection.
final class RawSocket: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private var channel: (any Channel)!
    private var received = ""
    private var waiter: (marker: String, promise: EventLoopPromise<String>)?

    /// Connects to the edge on 127.0.0.1, from `source` (another loopback address, for tests
    /// that count connections per client address) or the kernel's choice.
    static func connect(port: Int, from source: String? = nil) async throws -> RawSocket {
        let socket = RawSocket()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(socket) }
            }
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        socket.channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        return socket
    }

    private var isClosed = false

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Everything received up to and including `marker` (the deadline guards against a hang).
    func read(until marker: String, timeout: TimeAmount = patientRequestDeadline) async throws -> String {
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: String.self)
        try await loop.submit {
            self.waiter = (marker, promise)
            self.check()
            if self.isClosed, let waiter = self.waiter {
                self.waiter = nil
                waiter.promise.fail(ChannelError.ioOnClosedChannel)
            }
        }.get()
        let timer = loop.scheduleTask(in: timeout) { promise.fail(ChannelError.connectTimeout(timeout)) }
        defer { timer.cancel() }
        return try await promise.futureResult.get()
    }

    func close() { channel.close(promise: nil) }

    /// Returns once the server has closed the connection (the bound is only against a hang:
    /// a server that never closes fails the test instead of stalling the suite).
    func waitForClose(bound: Duration = .seconds(60)) async throws {
        let closed = channel.closeFuture
        try await withTimeout(bound) { try await closed.get() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(buffer: unwrapInboundIn(data))
        check()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        // Nothing more will come: a reader waiting for more is told so now.
        if let waiter {
            self.waiter = nil
            waiter.promise.fail(ChannelError.ioOnClosedChannel)
        }
        context.fireChannelInactive()
    }

    private func check() {
        guard let waiter, let range = received.range(of: waiter.marker) else { return }
        let text = String(received[..<range.upperBound])
        received = String(received[range.upperBound...])
        self.waiter = nil
        waiter.promise.succeed(text)
    }
}
