import Foundation
import LumoraDatabase
import LumoraHTTP
import LumoraTestSupport
import Synchronization
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
@testable import LumoraEdge

/// The edge's own HTTP/1.1 forwarder against a real server on loopback that counts its
/// connections and misbehaves on request.
@Suite struct CellForwarderTests {
    @Test func reusesKeptAliveConnections() async throws {
        try await FakeCell.with { cell, forwarder, loop in
            for number in 0..<10 {
                let reply = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/hello?n=\(number)")!, headers: [:]),
                                                        endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
                #expect(reply.status == .ok)
                #expect(String(buffer: reply.body) == "hello /hello?n=\(number)")
            }
            #expect(cell.connections == 1)
            #expect(await forwarder.idleCount(cell.endpoint) == 1)
        }
    }

    @Test func sendsHeadersAndBodiesBothWays() async throws {
        try await FakeCell.with { cell, forwarder, loop in
            let large = ByteBuffer(repeating: UInt8(ascii: "x"), count: 1_000_000)
            var headers = HTTPHeaders()
            headers.add(name: "x-store-id", value: "acme")
            headers.add(name: "authorization", value: "Bearer token")
            let echoed = try await forwarder.execute(.init(method: .POST, target: RequestTarget(validating: "/echo")!, headers: headers, body: large),
                                                     endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            #expect(echoed.status == .created)
            #expect(echoed.body == large)
            #expect(echoed.headers.first(name: "x-seen-store") == "acme")
            #expect(echoed.headers.first(name: "x-seen-authorization") == "Bearer token")
            #expect(echoed.headers.first(name: "x-seen-host") == cell.endpoint.dropFirst("http://".count).description)
            #expect(echoed.headers.first(name: "x-seen-length") == "1000000")

            // A POST without a body says so (content-length: 0) rather than leaving the cell waiting.
            let empty = try await forwarder.execute(.init(method: .POST, target: RequestTarget(validating: "/echo")!, headers: [:]),
                                                    endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            #expect(empty.status == .created && empty.body.readableBytes == 0)
            #expect(empty.headers.first(name: "x-seen-length") == "0")

            let big = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/large?bytes=6000000")!, headers: [:]),
                                                  endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            #expect(big.body.readableBytes == 6_000_000)
            #expect(big.body.readableBytesView.allSatisfy { $0 == UInt8(ascii: "y") })
            #expect(cell.connections == 1)
        }
    }

    @Test func collectsChunkedResponsesAndKeepsTheConnection() async throws {
        try await FakeCell.with { cell, forwarder, loop in
            for _ in 0..<3 {
                let reply = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/chunked?parts=50")!, headers: [:]),
                                                        endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
                #expect(reply.headers.first(name: "transfer-encoding") == "chunked")
                #expect(String(buffer: reply.body) == (0..<50).map { "part \($0);" }.joined())
            }
            #expect(cell.connections == 1)
        }
    }

    @Test func refusesResponsesOverTheLimit() async throws {
        var configuration = CellForwarder.Configuration()
        configuration.maximumResponseSize = 1000
        try await FakeCell.with(configuration: configuration) { cell, forwarder, loop in
            for path in ["/large?bytes=1001", "/chunked?parts=200"] {
                await #expect(throws: CellForwarder.ForwardError.responseTooLarge) {
                    _ = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: path)!, headers: [:]),
                                                    endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
                }
            }
            // The connections that carried them are not reused.
            let ok = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/large?bytes=1000")!, headers: [:]),
                                                 endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            #expect(ok.body.readableBytes == 1000)
            #expect(cell.connections == 3)
        }
    }

    @Test func aCellThatClosesTheConnectionIsNotReused() async throws {
        try await FakeCell.with { cell, forwarder, loop in
            for _ in 0..<3 {
                let reply = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/close")!, headers: [:]),
                                                        endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
                #expect(String(buffer: reply.body) == "bye")
            }
            #expect(cell.connections == 3)
            #expect(await forwarder.idleCount(cell.endpoint) == 0)
        }
    }

    /// The cell drops a pooled connection as the next request arrives (it was replaced, or
    /// timed the connection out): a GET goes once more on a new connection; a POST is not
    /// repeated (the cell may have acted on it) and fails.
    @Test func aDeadPooledConnectionFailsOverOnceForGETsOnly() async throws {
        try await FakeCell.with { cell, forwarder, loop in
            cell.dropSecondRequest = true
            _ = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/hello")!, headers: [:]), endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            let retried = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/hello")!, headers: [:]), endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            #expect(String(buffer: retried.body) == "hello /hello")
            #expect(cell.connections == 2)
            #expect(cell.requests == 3)  // the dropped one, then the retry

            await #expect(throws: CellForwarder.ForwardError.connectionLost(responseStarted: false)) {
                _ = try await forwarder.execute(.init(method: .POST, target: RequestTarget(validating: "/echo")!, headers: [:], body: ByteBuffer(string: "{}")),
                                                endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            }
            #expect(cell.requests == 4)
            #expect(cell.connections == 2)
        }
    }

    /// The cell process is replaced on the same port: the old connections die with it, and the
    /// next requests reach the new process without an error.
    @Test func aCellRestartedOnTheSamePortIsReachedAgain() async throws {
        try await FakeCell.with { cell, forwarder, loop in
            _ = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/hello")!, headers: [:]), endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            #expect(await forwarder.idleCount(cell.endpoint) == 1)
            try await cell.restart()
            for _ in 0..<3 {
                let reply = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/hello")!, headers: [:]), endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
                #expect(reply.status == .ok)
            }
            #expect(cell.connections == 2)
            #expect(await forwarder.idleCount(cell.endpoint) == 1)

            // While it is down: a prompt failure, not a hang; then it is back.
            try await cell.stop()
            await #expect(throws: (any Error).self) {
                _ = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/hello")!, headers: [:]), endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            }
            #expect(await forwarder.idleCount(cell.endpoint) == 0)
            try await cell.start()
            let back = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/hello")!, headers: [:]), endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            #expect(back.status == .ok)
        }
    }

    @Test func timesOutAndDropsTheConnection() async throws {
        try await FakeCell.with { cell, forwarder, loop in
            await #expect(throws: CellForwarder.ForwardError.timeout) {
                _ = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/hang")!, headers: [:]), endpoint: cell.endpoint, eventLoop: loop, timeout: .milliseconds(200))
            }
            #expect(await forwarder.idleCount(cell.endpoint) == 0)
            let reply = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/hello")!, headers: [:]), endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            #expect(reply.status == .ok)
            #expect(cell.connections == 2)
        }
    }

    @Test func closesIdleConnectionsAfterTheIdleTimeout() async throws {
        var configuration = CellForwarder.Configuration()
        configuration.idleTimeout = .milliseconds(100)
        try await FakeCell.with(configuration: configuration) { cell, forwarder, loop in
            _ = try await forwarder.execute(.init(method: .GET, target: RequestTarget(validating: "/hello")!, headers: [:]), endpoint: cell.endpoint, eventLoop: loop, timeout: .seconds(5))
            try await waitUntil() { await forwarder.idleCount(cell.endpoint) == 0 }
            try await waitUntil() { cell.open == 0 }
        }
    }

    @Test func parsesEndpoints() {
        let plain = LoopPool.Target("http://127.0.0.1:8080")
        #expect(plain?.host == "127.0.0.1" && plain?.port == 8080 && plain?.authority == "127.0.0.1:8080" && plain?.basePath == "")
        #expect(plain?.address != nil)
        let named = LoopPool.Target("http://cell.internal/base/")
        #expect(named?.host == "cell.internal" && named?.port == 80 && named?.basePath == "/base" && named?.address == nil)
        let v6 = LoopPool.Target("http://[::1]:9000")
        #expect(v6?.host == "::1" && v6?.port == 9000 && v6?.authority == "[::1]:9000")
        #expect(LoopPool.Target("https://cell.example") == nil)
        #expect(LoopPool.Target("http://") == nil)
        #expect(LoopPool.Target("http://host:notaport") == nil)
        #expect(CellForwarder.supports("http://127.0.0.1:1") && !CellForwarder.supports("https://x.run.app"))
    }
}

/// A loopback HTTP/1.1 server standing in for a cell: `/hello`, `/echo` (body and a few
/// request headers back), `/large?bytes=`, `/chunked?parts=`, `/close` (answers with
/// `connection: close`), `/hang` (never answers). With `dropSecondRequest`, the second request
/// on any connection is met by closing the connection.
final class FakeCell: @unchecked Sendable {
    private let group: MultiThreadedEventLoopGroup
    fileprivate let state = Mutex(State())
    private var server: (any Channel)?
    /// Bound to any free port on the first start, and to the same one on a restart.
    private(set) var port = 0
    var endpoint: String { "http://127.0.0.1:\(port)" }

    struct State {
        var connections = 0
        var open = 0
        var requests = 0
        var dropSecondRequest = false
        /// `/store/settings` answers 403 `wrong_cell` this many times, then 200 (a shared cell
        /// whose own routing table was behind).
        var misdirections = 0
        var children: [any Channel] = []
    }

    var connections: Int { state.withLock { $0.connections } }
    var open: Int { state.withLock { $0.open } }
    var requests: Int { state.withLock { $0.requests } }
    var dropSecondRequest: Bool {
        get { state.withLock { $0.dropSecondRequest } }
        set { state.withLock { $0.dropSecondRequest = newValue } }
    }
    var misdirections: Int {
        get { state.withLock { $0.misdirections } }
        set { state.withLock { $0.misdirections = newValue } }
    }

    private init(group: MultiThreadedEventLoopGroup) {
        self.group = group
    }

    static func with(configuration: CellForwarder.Configuration = .init(),
                     _ body: (FakeCell, CellForwarder, any EventLoop) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let cell = FakeCell(group: group)
        try await cell.start()
        let forwarder = CellForwarder(group: group, configuration: configuration)
        do {
            try await body(cell, forwarder, group.next())
        } catch {
            await forwarder.shutdown()
            try? await cell.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await forwarder.shutdown()
        try await cell.stop()
        try await group.shutdownGracefully()
    }

    func start() async throws {
        server = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                state.withLock {
                    $0.connections += 1
                    $0.open += 1
                    $0.children.append(channel)
                }
                channel.closeFuture.whenComplete { _ in self.state.withLock { $0.open -= 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FakeCellHandler(cell: self))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        port = server?.localAddress?.port ?? port
    }

    /// Stops listening and closes every connection, as a process exiting does.
    func stop() async throws {
        try await server?.close()
        server = nil
        let children = state.withLock { state in
            defer { state.children = [] }
            return state.children
        }
        for child in children { try? await child.close() }
    }

    func restart() async throws {
        try await stop()
        try await start()
    }
}

private final class FakeCellHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let cell: FakeCell
    var head: HTTPRequestHead?
    var body = ByteBuffer()
    var served = 0

    init(cell: FakeCell) { self.cell = cell }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            served += 1
            let second = served == 2
            let drop = cell.state.withLock { state in
                state.requests += 1
                return state.dropSecondRequest && second
            }
            if drop {
                context.close(promise: nil)
                return
            }
            respond(head, context: context)
        }
    }

    private func respond(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        let components = URLComponents(string: request.uri)
        let query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        var headers = HTTPHeaders()
        switch components?.path ?? "" {
        case "/hello":
            write(context, .ok, headers, [ByteBuffer(string: "hello \(request.uri)")])
        case "/echo":
            headers.add(name: "x-seen-store", value: request.headers.first(name: "x-store-id") ?? "")
            headers.add(name: "x-seen-authorization", value: request.headers.first(name: "authorization") ?? "")
            headers.add(name: "x-seen-host", value: request.headers.first(name: "host") ?? "")
            headers.add(name: "x-seen-length", value: request.headers.first(name: "content-length") ?? "none")
            write(context, .created, headers, [body])
        case "/large":
            write(context, .ok, headers, [ByteBuffer(repeating: UInt8(ascii: "y"), count: Int(query["bytes"] ?? "") ?? 0)])
        case "/chunked":
            headers.add(name: "transfer-encoding", value: "chunked")
            write(context, .ok, headers, (0..<(Int(query["parts"] ?? "") ?? 1)).map { ByteBuffer(string: "part \($0);") }, length: false)
        case "/close":
            headers.add(name: "connection", value: "close")
            write(context, .ok, headers, [ByteBuffer(string: "bye")], closeAfter: true)
        case "/hang":
            break
        case "/store/settings":
            let refuse = cell.state.withLock { state in
                defer { state.misdirections = max(0, state.misdirections - 1) }
                return state.misdirections > 0
            }
            headers.add(name: "content-type", value: "application/json")
            if refuse {
                write(context, .forbidden, headers, [ByteBuffer(string: #"{"error":{"code":"wrong_cell","message":"served by its own cell"}}"#)])
            } else {
                write(context, .ok, headers, [ByteBuffer(string: #"{"settings":{"name":"Fake"}}"#)])
            }
        default:
            write(context, .notFound, headers, [])
        }
    }

    private func write(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ headers: HTTPHeaders, _ parts: [ByteBuffer],
                       length: Bool = true, closeAfter: Bool = false) {
        var headers = headers
        if length { headers.add(name: "content-length", value: String(parts.map(\.readableBytes).reduce(0, +))) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        for part in parts where part.readableBytes > 0 {
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        if closeAfter {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
    }
}
