import NIOCore

/// How long a visitor's connection may take: a request's head must be complete within
/// `headerTimeout` of its first byte (or of the connection opening), and a connection with
/// nothing to do is closed after `idleTimeout`. A client that sends half a request and waits —
/// thousands of them — would otherwise hold a descriptor and a slot of the edge each, forever.
///
/// The first handler of the pipeline (it sees raw bytes arrive); `FastPathHandler`, which knows
/// where requests begin and end, tells it when a head is in and when the connection is idle.
/// Touched only on the channel's event loop.
final class ConnectionDeadlines: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    struct Configuration: Sendable, Equatable {
        var headerTimeout: TimeAmount = .seconds(10)
        var idleTimeout: TimeAmount = .seconds(60)
    }

    /// Where the connection stands.
    enum State: Equatable {
        /// Between requests (or before the first): waiting for bytes of the next one.
        case waiting
        /// Bytes of a request arrived; its head is not complete yet.
        case readingHead
        /// A request's head is in: the server is reading its body or answering.
        case busy
        case closed
    }

    private(set) var state = State.waiting
    private let configuration: Configuration
    private var context: ChannelHandlerContext?
    /// When the current wait runs out; nil while the server is busy with a request.
    private var deadline: NIODeadline?
    /// At most one timer per connection, never set further ahead than the shorter timeout, so a
    /// deadline can move (a keep-alive connection goes idle and busy once per request) without
    /// rescheduling it: when it fires before the deadline it waits again for what is left.
    private var timer: Scheduled<Void>?

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // The first request is owed promptly: a connection that never speaks is a slot taken.
        arm(configuration.headerTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        deadline = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if state == .waiting {
            state = .readingHead
            arm(configuration.headerTimeout)
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        timer?.cancel()
        timer = nil
        deadline = nil
        context.fireChannelInactive()
    }

    /// A request's head is complete.
    func headReceived() {
        guard state != .closed else { return }
        state = .busy
        deadline = nil
    }

    /// Every request read so far is answered and nothing is being read.
    func becameIdle() {
        guard state == .busy else { return }
        state = .waiting
        arm(configuration.idleTimeout)
    }

    private func arm(_ timeout: TimeAmount) {
        guard let context else { return }
        deadline = context.eventLoop.now + timeout
        if timer == nil { scheduleCheck() }
    }

    /// Checks at the deadline, or sooner: never further ahead than the shorter timeout, so any
    /// deadline armed later lies at or after the pending check.
    private func scheduleCheck() {
        guard let context, let due = deadline else { return }
        let loop = context.eventLoop
        let check = min(due, loop.now + min(configuration.headerTimeout, configuration.idleTimeout))
        timer = loop.assumeIsolated().scheduleTask(deadline: check) { [self] in
            timer = nil
            guard let deadline, state == .waiting || state == .readingHead else { return }
            if deadline <= loop.now {
                state = .closed
                self.context?.close(promise: nil)
            } else {
                scheduleCheck()
            }
        }
    }
}
