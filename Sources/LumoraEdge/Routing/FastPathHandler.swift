import LumoraCore
import NIOCore
import NIOHTTP1

/// The edge's fast path, inside each visitor connection's channel pipeline, right after
/// NIO's HTTP/1 codec and in front of Hummingbird: `/api/store/…` and `/api/admin/…` on a
/// store's host go to the store's cell and the reply is written straight back, with no Swift
/// task, no async writer, no conversion to HTTP types and the cell's connection on the same
/// event loop. The API path is what scripts and JavaScript storefronts hammer, and
/// Hummingbird's per-request machinery cost more than the proxying itself.
///
/// A catalog page already in the edge's page cache is answered here too (personalised with the
/// visitor's CSRF token and session cookie, as `StorefrontRoutes` does): most storefront views
/// are such hits. Everything else passes on to Hummingbird (`FastPath.plan` and
/// `FastPath.cachedPage` decide), which renders and caches misses. Responses leave in the
/// order requests came: a request that arrives while Hummingbird still owes a response goes to
/// Hummingbird too, and parts that arrive while a relayed request is in flight wait (reading
/// from the socket waits with them).
final class FastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let fastPath: FastPath
    /// The peer's address and whether it is a trusted proxy (worked out at the first request).
    private var peer: FastPath.Peer?

    /// Where the parts of the request being read go.
    private enum Reading {
        case idle
        case hummingbird
        case relay(FastPath.Plan)
        /// Answered already (a cached page): the answer goes out when the request has ended.
        case answered((head: ByteBuffer, body: ByteBuffer), closeAfter: Bool)
    }
    private var reading = Reading.idle
    /// The relayed request's body so far, and whether it outgrew the limit (then it is dropped
    /// and the answer is a 413).
    private var body: ByteBuffer?
    private var bodyTooLarge = false
    /// Responses Hummingbird still owes: heads passed on whose response has not ended.
    private var owedByHummingbird = 0
    /// An answer is on its way: a relayed request waits for its cell, or an answer is written.
    private var answering = false
    /// Parts that arrived while a relayed request was in flight, in order; while there are any,
    /// reading from the socket waits.
    private var waiting = CircularBuffer<HTTPServerRequestPart>()
    /// A read asked for while parts wait, and an error seen meanwhile: both wait their turn.
    private var readHeld = false
    private var errorHeld: (any Error)?
    /// Graceful shutdown asked to close the connection when idle. Hummingbird's connection state
    /// handler, after this one, does that — once the fast path has nothing in hand.
    private var quiesceHeld = false
    /// Parts went on to Hummingbird since the last end of a read.
    private var passedOn = false

    private let writer: SerialisedResponseWriter
    /// Told where requests begin and end, for the header and idle timeouts.
    private let deadlines: ConnectionDeadlines?

    init(fastPath: FastPath, writer: SerialisedResponseWriter, deadlines: ConnectionDeadlines? = nil) {
        self.fastPath = fastPath
        self.writer = writer
        self.deadlines = deadlines
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if answering || !waiting.isEmpty {
            waiting.append(part)
        } else {
            handle(part, context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        // Held only when a pipelining client has parts waiting: holding every read while a
        // relayed request is in flight would cost two epoll_ctl calls per request.
        if !waiting.isEmpty {
            readHeld = true
        } else {
            context.read()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only Hummingbird's writes come through here: the fast path writes through the
        // serialised-response writer at the head of the pipeline.
        let ended: Bool
        if case .end = unwrapOutboundIn(data) {
            owedByHummingbird = max(0, owedByHummingbird - 1)
            ended = true
        } else {
            ended = false
        }
        context.write(data, promise: promise)
        if ended { noteIfIdle() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Hummingbird answers a parse error with a 400 and closes; not before the relayed
        // response ahead of it is out.
        if answering || !waiting.isEmpty {
            if errorHeld == nil { errorHeld = error }
        } else {
            context.fireErrorCaught(error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, isBusy {
            quiesceHeld = true
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// A request the fast path took is being read or answered, or parts wait behind one.
    private var isBusy: Bool {
        switch reading {
        case .relay, .answered: return true
        case .idle, .hummingbird: return answering || !waiting.isEmpty
        }
    }

    /// Nothing being read, answered, owed or waiting: the idle timeout runs.
    private func noteIfIdle() {
        guard let deadlines, owedByHummingbird == 0, !answering, waiting.isEmpty else { return }
        if case .idle = reading { deadlines.becameIdle() }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (part, reading) {
        case (.head(let head), _):
            deadlines?.headReceived()
            if owedByHummingbird == 0, let plan = fastPath.plan(head, peer: peer(context)) {
                reading = .relay(plan)
                body = nil
                bodyTooLarge = false
                // curl and others hold a body back until told to go on (or for a second).
                if plan.takesBody, head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                    writer.write(FastPath.continueResponse)
                    writer.flush()
                }
            } else if owedByHummingbird == 0, let page = fastPath.cachedPage(head, peer: peer(context)) {
                reading = .answered(page, closeAfter: !head.isKeepAlive)
            } else if owedByHummingbird == 0, let file = fastPath.cachedMedia(head, peer: peer(context)) {
                reading = .answered(file, closeAfter: !head.isKeepAlive)
            } else {
                passOn(part, context: context)
                owedByHummingbird += 1
                reading = .hummingbird
            }
        case (.body(var chunk), .relay(let plan)):
            guard plan.takesBody, !bodyTooLarge else { return }
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
            if body!.readableBytes > plan.bodyLimit {
                body = nil
                bodyTooLarge = true
            }
        case (.end, .relay(let plan)):
            reading = .idle
            answering = true
            let body = self.body
            self.body = nil
            if bodyTooLarge {
                finish(fastPath.response(to: fastPath.bodyLimits.tooLarge(path: plan.cellTarget.path)), closeAfter: plan.closeAfter,
                       context: context)
                return
            }
            fastPath.send(plan, body: body, on: context.eventLoop) { result in
                self.finish(self.fastPath.response(to: result), closeAfter: plan.closeAfter, context: context)
            }
        case (.end, .answered(let response, let closeAfter)):
            reading = .idle
            answering = true
            finish(response, closeAfter: closeAfter, context: context)
        case (.body, .answered):
            break
        case (.end, _):
            passOn(part, context: context)
            reading = .idle
            noteIfIdle()
        case (.body, _):
            passOn(part, context: context)
        }
    }

    private func passOn(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        context.fireChannelRead(wrapInboundOut(part))
        passedOn = true
    }

    /// Hummingbird hears of the end of a read only when it was given something in it.
    func channelReadComplete(context: ChannelHandlerContext) {
        if passedOn {
            passedOn = false
            context.fireChannelReadComplete()
        }
    }

    /// Writes an answer, then takes up what waited behind it.
    private func finish(_ response: (head: ByteBuffer, body: ByteBuffer), closeAfter: Bool, context: ChannelHandlerContext) {
        writer.write(response.head)
        if response.body.readableBytes > 0 { writer.write(response.body) }
        writer.flush()
        answering = false
        if closeAfter {
            context.close(promise: nil)
            return
        }
        if quiesceHeld {
            quiesceHeld = false
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        if !waiting.isEmpty {
            while !answering, let part = waiting.popFirst() {
                handle(part, context: context)
            }
            // Outside a read from the socket: Hummingbird's async channel hands on what it was
            // given only at the end of a read, so end one.
            channelReadComplete(context: context)
        }
        guard !answering, waiting.isEmpty else { return }
        if let error = errorHeld {
            errorHeld = nil
            context.fireErrorCaught(error)
        }
        if readHeld {
            readHeld = false
            context.read()
        }
        noteIfIdle()
    }

    private func peer(_ context: ChannelHandlerContext) -> FastPath.Peer {
        if let peer { return peer }
        let address = context.channel.remoteAddress
        let peer = FastPath.Peer(address: address?.ipAddress, trusted: fastPath.configuration.trusts(address))
        self.peer = peer
        return peer
    }
}
