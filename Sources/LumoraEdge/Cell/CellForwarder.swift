import LumoraHTTP
import NIOCore
import NIOHTTP1
import NIOPosix

/// The edge → cell hop: a thin HTTP/1.1 client over SwiftNIO with a keep-alive connection pool
/// per cell endpoint and per event loop. A request runs on one loop (the one its visitor's
/// connection lives on, when known), takes an idle connection to the endpoint from that loop's
/// pool or opens one, and gives it back when the response has ended — so the hot path takes no
/// lock. Bodies are buffered (the request's is already collected; the response's up to
/// `maximumResponseSize`).
///
/// A pooled connection can be dead without the pool knowing yet (the cell was replaced and its
/// close has not been read): an idempotent request (GET, HEAD) that fails on a reused
/// connection before any byte of the response arrived is sent once more on a new connection.
/// Other methods are not repeated — the cell may have acted on them.
///
/// Only `http://` endpoints; `CellClient` sends anything else through AsyncHTTPClient.
final class CellForwarder: Sendable {
    struct Configuration: Sendable {
        var connectTimeout: TimeAmount = .seconds(2)
        /// Idle connections unused for this long are closed.
        var idleTimeout: TimeAmount = .seconds(60)
        /// At most this many idle connections per endpoint per event loop; more are closed.
        var maximumIdlePerEndpoint: Int = 256
        var maximumResponseSize: Int = 8 * 1024 * 1024
    }

    struct Request: Sendable {
        var method: HTTPMethod
        /// Path with query, as the cell sees it (the endpoint's own path, if any, goes before):
        /// a `RequestTarget`, so it was encoded or validated byte by byte.
        var target: RequestTarget
        var headers: HTTPHeaders
        var body: ByteBuffer?

        var isIdempotent: Bool { method == .GET || method == .HEAD }
    }

    struct Reply: Sendable {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: ByteBuffer
    }

    enum ForwardError: Error, Equatable {
        /// The connection closed or failed before the response ended.
        case connectionLost(responseStarted: Bool)
        case timeout
        case responseTooLarge
        case unexpectedResponse
        /// The method, a header name or a header value holds a byte RFC 9112 does not allow
        /// there (CR, LF, NUL, another control): refused before anything is written.
        case invalidRequest
        case invalidEndpoint
        case shutDown
    }

    let group: any EventLoopGroup
    /// Each loop's pool, reachable only on that loop (`NIOLoopBoundBox` checks it).
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<LoopPool>]

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, configuration: Configuration = .init()) {
        self.group = group
        var pools: [ObjectIdentifier: NIOLoopBoundBox<LoopPool>] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = .makeBoxSendingValue(LoopPool(eventLoop: loop, configuration: configuration), eventLoop: loop)
        }
        self.pools = pools
    }

    /// `http://host:port[/base]` → whether this forwarder can reach it.
    static func supports(_ endpoint: String) -> Bool {
        endpoint.utf8.starts(with: "http://".utf8)
    }

    /// Sends `request` to `endpoint` (`http://host:port`, optionally with a base path) on the
    /// current loop's pool when the caller runs on one of the group's loops (the edge installs
    /// NIO as Swift concurrency's executor), else on `eventLoop`'s (any loop's when nil or
    /// foreign).
    func execute(_ request: Request, endpoint: String, eventLoop: (any EventLoop)? = nil, timeout: TimeAmount) async throws -> Reply {
        // The loop this task runs on, if it is one of ours (no hop at all), else the one asked
        // for, else any.
        let loop = MultiThreadedEventLoopGroup.currentEventLoop.flatMap { pools[ObjectIdentifier($0)]?.eventLoop }
            ?? eventLoop ?? group.next()
        if loop.inEventLoop {
            return try await execute(request, endpoint: endpoint, on: loop, timeout: timeout).get()
        }
        return try await loop.flatSubmit { self.execute(request, endpoint: endpoint, on: loop, timeout: timeout) }.get()
    }

    /// `execute` for a caller already on `loop`: the reply completes on `loop`.
    func execute(_ request: Request, endpoint: String, on loop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<Reply> {
        let promise = loop.makePromise(of: Reply.self)
        execute(request, endpoint: endpoint, on: loop, timeout: timeout) { promise.completeWith($0) }
        return promise.futureResult
    }

    /// `execute` for a channel handler on `loop`: no task, no future, and no hop when `loop`
    /// is one of the group's; `completion` runs on `loop`.
    func execute(_ request: Request, endpoint: String, on loop: any EventLoop, timeout: TimeAmount,
                 completion: @escaping (Result<Reply, any Error>) -> Void) {
        let deadline = NIODeadline.now() + timeout
        if let pool = pools[ObjectIdentifier(loop)] {
            pool.value.execute(request, endpoint: endpoint, deadline: deadline, completion: completion)
            return
        }
        let pool = pools[ObjectIdentifier(group.next())]!
        let done = loop.makePromise(of: Reply.self)
        pool.eventLoop.execute { pool.value.execute(request, endpoint: endpoint, deadline: deadline) { done.completeWith($0) } }
        done.futureResult.assumeIsolated().whenComplete(completion)
    }

    /// Closes every idle connection and stops pooling; requests in flight finish.
    func shutdown() async {
        for pool in pools.values {
            try? await pool.eventLoop.submit { pool.value.shutdown() }.get()
        }
    }

    /// Idle connections per endpoint, for tests.
    func idleCount(_ endpoint: String) async -> Int {
        var total = 0
        for pool in pools.values {
            total += (try? await pool.eventLoop.submit { pool.value.idleCount(endpoint) }.get()) ?? 0
        }
        return total
    }
}

/// One event loop's connections. Touched only on `eventLoop`: the forwarder holds it in a
/// `NIOLoopBoundBox`, and its connections (handlers of channels on the same loop) call back on it.
final class LoopPool {
    let eventLoop: any EventLoop
    let configuration: CellForwarder.Configuration
    private var idle: [String: [CellConnection]] = [:]
    private var targets: [String: Target] = [:]
    private var sweeper: RepeatedTask?
    /// Connections with a request in flight, and the task that times them out. One coarse
    /// check every `deadlineCheckInterval` while any are busy costs far less than a timer per
    /// request; a timeout fires up to that much late.
    private var busy: [ObjectIdentifier: CellConnection] = [:]
    private var deadlineChecks: RepeatedTask?
    static let deadlineCheckInterval = TimeAmount.milliseconds(50)
    private(set) var isShutDown = false

    /// A parsed endpoint.
    struct Target {
        let host: String
        let port: Int
        let address: SocketAddress?
        /// `host:port`, for the Host header.
        let authority: String
        /// The endpoint's own path (no trailing slash), put before every request's path.
        let basePath: String

        init?(_ url: String) {
            guard url.utf8.starts(with: "http://".utf8) else { return nil }
            var rest = Substring(url.dropFirst(7))
            var basePath = ""
            if let slash = rest.firstIndex(of: "/") {
                basePath = String(rest[slash...])
                rest = rest[..<slash]
                while basePath.hasSuffix("/") { basePath.removeLast() }
            }
            guard !rest.isEmpty else { return nil }
            var host = rest
            var port = 80
            if rest.hasPrefix("[") {  // [::1]:8080
                guard let close = rest.firstIndex(of: "]") else { return nil }
                host = rest[rest.index(after: rest.startIndex)..<close]
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") {
                    guard let parsed = Int(after.dropFirst()) else { return nil }
                    port = parsed
                } else if !after.isEmpty {
                    return nil
                }
            } else if let colon = rest.lastIndex(of: ":") {
                guard let parsed = Int(rest[rest.index(after: colon)...]) else { return nil }
                host = rest[..<colon]
                port = parsed
            }
            guard !host.isEmpty, (1...65535).contains(port) else { return nil }
            self.host = String(host)
            self.port = port
            self.address = try? SocketAddress(ipAddress: self.host, port: port)
            self.authority = String(rest)
            self.basePath = basePath
        }
    }

    init(eventLoop: any EventLoop, configuration: CellForwarder.Configuration) {
        self.eventLoop = eventLoop
        self.configuration = configuration
    }

    typealias Completion = (Result<CellForwarder.Reply, any Error>) -> Void

    func execute(_ request: CellForwarder.Request, endpoint: String, deadline: NIODeadline, completion: @escaping Completion) {
        eventLoop.assertInEventLoop()
        guard !isShutDown else { return completion(.failure(CellForwarder.ForwardError.shutDown)) }
        guard let connection = takeIdle(endpoint) else {
            return connectAndSend(request, endpoint: endpoint, deadline: deadline, completion: completion)
        }
        connection.send(request, deadline: deadline) { result in
            // A pooled connection the cell had already closed: once more on a new one.
            if case .failure(let error) = result, request.isIdempotent,
               error as? CellForwarder.ForwardError == .connectionLost(responseStarted: false) {
                self.connectAndSend(request, endpoint: endpoint, deadline: deadline, completion: completion)
            } else {
                completion(result)
            }
        }
    }

    private func connectAndSend(_ request: CellForwarder.Request, endpoint: String, deadline: NIODeadline, completion: @escaping Completion) {
        connect(endpoint, deadline: deadline).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let connection): connection.send(request, deadline: deadline, completion: completion)
            case .failure(let error): completion(.failure(error))
            }
        }
    }

    private func takeIdle(_ endpoint: String) -> CellConnection? {
        while let connection = idle[endpoint]?.popLast() {
            if connection.isUsable { return connection }
            connection.close()
        }
        return nil
    }

    /// Called by a connection whose response ended with the connection kept alive.
    func release(_ connection: CellConnection) {
        guard !isShutDown, connection.isUsable, (idle[connection.endpoint]?.count ?? 0) < configuration.maximumIdlePerEndpoint else {
            connection.close()
            return
        }
        idle[connection.endpoint, default: []].append(connection)
        if sweeper == nil { startSweeper() }
    }

    func markBusy(_ connection: CellConnection) {
        busy[ObjectIdentifier(connection)] = connection
        if deadlineChecks == nil {
            deadlineChecks = eventLoop.scheduleRepeatedTask(initialDelay: Self.deadlineCheckInterval, delay: Self.deadlineCheckInterval) { [self] _ in
                checkDeadlines()
            }
        }
    }

    func markDone(_ connection: CellConnection) {
        busy[ObjectIdentifier(connection)] = nil
    }

    private func checkDeadlines() {
        if busy.isEmpty {
            deadlineChecks?.cancel()
            deadlineChecks = nil
            return
        }
        let now = NIODeadline.now()
        for connection in busy.values where connection.isPastDeadline(now) {
            connection.timeOut()
        }
    }

    /// Called when a connection closes: it is no longer offered.
    func remove(_ connection: CellConnection) {
        guard var list = idle[connection.endpoint], let index = list.firstIndex(where: { $0 === connection }) else { return }
        list.remove(at: index)
        idle[connection.endpoint] = list.isEmpty ? nil : list
    }

    func idleCount(_ endpoint: String) -> Int { idle[endpoint]?.count ?? 0 }

    func shutdown() {
        isShutDown = true
        sweeper?.cancel()
        sweeper = nil
        // Requests in flight still time out: the deadline checks go on while any are busy.
        let all = idle.values.flatMap { $0 }
        idle = [:]
        for connection in all { connection.close() }
    }

    private func startSweeper() {
        let interval = TimeAmount.nanoseconds(max(configuration.idleTimeout.nanoseconds / 4, TimeAmount.milliseconds(10).nanoseconds))
        sweeper = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in sweep() }
    }

    private func sweep() {
        let limit = NIODeadline.now() - configuration.idleTimeout
        var stale: [CellConnection] = []
        for (endpoint, list) in idle {
            let keep = list.filter { $0.lastUsed > limit }
            if keep.count != list.count {
                stale += list.filter { $0.lastUsed <= limit }
                idle[endpoint] = keep.isEmpty ? nil : keep
            }
        }
        for connection in stale { connection.close() }
        if idle.isEmpty {
            sweeper?.cancel()
            sweeper = nil
        }
    }

    private func connect(_ endpoint: String, deadline: NIODeadline) -> EventLoopFuture<CellConnection> {
        let target: Target
        if let known = targets[endpoint] {
            target = known
        } else {
            guard let parsed = Target(endpoint) else { return eventLoop.makeFailedFuture(CellForwarder.ForwardError.invalidEndpoint) }
            if targets.count > 1024 { targets = [:] }
            targets[endpoint] = parsed
            target = parsed
        }
        let remaining = deadline - NIODeadline.now()
        guard remaining > .zero else { return eventLoop.makeFailedFuture(CellForwarder.ForwardError.timeout) }
        let connection = CellConnection(endpoint: endpoint, target: target, pool: self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(min(configuration.connectTimeout, remaining))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture(withResultOf: {
                    try channel.pipeline.syncOperations.addHandler(connection)
                })
            }
        let connected = target.address.map { bootstrap.connect(to: $0) } ?? bootstrap.connect(host: target.host, port: target.port)
        return connected.map { _ in connection }.flatMapErrorThrowing { error in
            if let error = error as? ChannelError, case .connectTimeout = error { throw CellForwarder.ForwardError.timeout }
            throw error
        }
    }
}

/// One connection to a cell: one request at a time, written as bytes, and the response read by
/// `CellResponseParser` into a buffer. `@unchecked Sendable` only so the connect future can hand
/// it back: a channel handler, it is touched on its channel's loop alone, which is its pool's.
final class CellConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let endpoint: String
    let target: LoopPool.Target
    private let pool: LoopPool
    private var context: ChannelHandlerContext?
    private(set) var lastUsed = NIODeadline.now()
    private var closed = false
    private var parser: CellResponseParser

    private struct InFlight {
        let completion: LoopPool.Completion
        let deadline: NIODeadline
        let keepAlive: Bool
    }
    private var inFlight: InFlight?

    init(endpoint: String, target: LoopPool.Target, pool: LoopPool) {
        self.endpoint = endpoint
        self.target = target
        self.pool = pool
        self.parser = CellResponseParser(maximumBodySize: pool.configuration.maximumResponseSize)
    }

    /// `closed` is set on close and on channelInactive (asking the channel itself takes a lock).
    var isUsable: Bool { !closed && inFlight == nil && context != nil }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func close() {
        guard !closed else { return }
        closed = true
        context?.close(promise: nil)
    }

    func isPastDeadline(_ now: NIODeadline) -> Bool { inFlight.map { $0.deadline <= now } ?? false }

    func timeOut() { fail(.timeout) }

    /// Sends `request`; `completion` runs once, on the pool's loop, with the whole response or
    /// what went wrong. A write that fails closes the channel, which fails the request.
    func send(_ request: CellForwarder.Request, deadline: NIODeadline, completion: @escaping LoopPool.Completion) {
        guard let context, !closed, inFlight == nil else {
            return completion(.failure(CellForwarder.ForwardError.connectionLost(responseStarted: false)))
        }
        guard let head = serialise(request, allocator: context.channel.allocator) else {
            return completion(.failure(CellForwarder.ForwardError.invalidRequest))
        }
        inFlight = InFlight(completion: completion, deadline: deadline, keepAlive: !request.headers.contains(name: "connection"))
        parser.expectResponse(isHEAD: request.method == .HEAD)
        pool.markBusy(self)
        if let body = request.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(head), promise: nil)
            context.writeAndFlush(wrapOutboundOut(body), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(head), promise: nil)
        }
    }

    /// The request line and headers, with `Host` and the body's length; nil when the method or a
    /// header holds a byte RFC 9112 does not allow there (the target is a `RequestTarget`, and
    /// checked once more here: nothing a visitor sent may shape the message).
    private func serialise(_ request: CellForwarder.Request, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let path = request.target.text
        guard HeaderBytes.isValidName(request.method.rawValue), RequestTarget.isValid(path) else { return nil }
        var head = allocator.buffer(capacity: 256 + path.utf8.count + target.basePath.utf8.count)
        head.writeString(request.method.rawValue)
        head.writeStaticString(" ")
        head.writeString(target.basePath)
        head.writeString(path)
        head.writeStaticString(" HTTP/1.1\r\nhost: ")
        head.writeString(target.authority)
        head.writeStaticString("\r\n")
        for (name, value) in request.headers {
            guard HeaderBytes.isValidName(name), HeaderBytes.isValidValue(value) else { return nil }
            head.writeString(name)
            head.writeStaticString(": ")
            head.writeString(value)
            head.writeStaticString("\r\n")
        }
        if let body = request.body {
            head.writeStaticString("content-length: ")
            head.writeString(String(body.readableBytes))
            head.writeStaticString("\r\n")
        } else if request.method != .GET && request.method != .HEAD {
            head.writeStaticString("content-length: 0\r\n")
        }
        head.writeStaticString("\r\n")
        return head
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard inFlight != nil else {
            // Nothing was asked: a cell speaking out of turn is not trusted with another request.
            close()
            return
        }
        var bytes = unwrapInboundIn(data)
        do {
            guard let response = try parser.feed(&bytes) else { return }
            // Bytes after the response: the cell spoke out of turn; the connection is not reused.
            finish(response, reusable: !parser.hasLeftover)
        } catch .tooLarge {
            fail(.responseTooLarge)
        } catch {
            fail(.unexpectedResponse)
        }
    }

    private func finish(_ response: CellResponseParser.Response, reusable: Bool) {
        guard let done = inFlight else { return }
        inFlight = nil
        pool.markDone(self)
        lastUsed = .now()
        if done.keepAlive && response.keepAlive && reusable && !closed {
            pool.release(self)
        } else {
            close()
        }
        done.completion(.success(CellForwarder.Reply(status: response.status, headers: response.headers, body: response.body)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        pool.remove(self)
        if inFlight != nil, let response = parser.finishAtClose() {
            finish(response, reusable: false)
        } else {
            fail(.connectionLost(responseStarted: parser.hasStarted))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.connectionLost(responseStarted: parser.hasStarted))
        close()
    }

    /// Fails the request in flight (if any) and closes the connection: after a failure
    /// nobody knows where the stream stands.
    private func fail(_ error: CellForwarder.ForwardError) {
        let failed = inFlight
        inFlight = nil
        pool.markDone(self)
        close()
        failed?.completion(.failure(error))
    }
}
