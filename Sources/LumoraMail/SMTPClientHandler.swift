import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Runs one `SMTPClientStateMachine` on a channel: reply lines in, commands out, TLS put in
/// front of itself when the machine asks, and the send's promise completed exactly once —
/// by the machine's verdict, a lost connection, or the deadline.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// RFC 5321 allows 512 bytes per reply line; a little slack for chatty servers.
    static let maximumLineLength = 4096

    private var machine: SMTPClientStateMachine
    private let promise: EventLoopPromise<Void>
    private let tls: NIOSSLContext?
    private let serverHostname: String?
    private let deadline: NIODeadline
    private let timeout: Duration
    private let logger: Logger
    private var lines = LineBuffer(maximumLineLength: maximumLineLength)
    private var timer: Scheduled<Void>?
    private var closing = false

    init(machine: SMTPClientStateMachine, promise: EventLoopPromise<Void>, tls: NIOSSLContext?, serverHostname: String?,
         deadline: NIODeadline, timeout: Duration, logger: Logger) {
        self.machine = machine
        self.promise = promise
        self.tls = tls
        self.serverHostname = serverHostname
        self.deadline = deadline
        self.timeout = timeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            perform(machine.timedOut(after: timeout), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        // A channel that never connected never goes inactive; the promise must still complete.
        if case .fail(let error, _) = machine.connectionClosed() { promise.fail(error) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(machine.connectionClosed(), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason = error is NIOSSLError || error is NIOSSLExtraError ? "TLS failed: \(error)" : "\(error)"
        perform(machine.connectionFailed(reason), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            logger.trace("SMTP TLS established")
            perform(machine.tlsEstablished(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        lines.append(&bytes)
        do {
            while !machine.isFinished, let line = try lines.nextLine() {
                let text = String(buffer: line)
                logger.trace("SMTP reply", metadata: ["smtp.step": "\(machine.step.rawValue)", "smtp.reply": "\(text.shownInError(200))"])
                perform(machine.receive(line: text), context: context)
            }
        } catch {
            perform(machine.connectionFailed("the server sent a line longer than \(Self.maximumLineLength) bytes"), context: context)
        }
    }

    private func perform(_ action: SMTPClientStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .wait:
            break
        case .send(let command):
            // Commands are not logged: AUTH's carry credentials.
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: command + "\r\n")), promise: nil)
        case .sendMessage(let bytes):
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        case .startTLS:
            guard lines.isEmpty else {
                return perform(machine.connectionFailed("the server sent data between its STARTTLS reply and the TLS handshake"), context: context)
            }
            guard let tls else {
                return perform(machine.connectionFailed("STARTTLS was asked for without a TLS configuration"), context: context)
            }
            do {
                try context.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverHostname), position: .first)
            } catch {
                perform(machine.connectionFailed("TLS could not start: \(error)"), context: context)
            }
        case .succeed:
            timer?.cancel()
            promise.succeed(())
            quitAndClose(context: context)
        case .fail(let error, let quit):
            timer?.cancel()
            promise.fail(error)
            if quit {
                quitAndClose(context: context)
            } else {
                close(context: context)
            }
        }
    }

    /// The result is known already; QUIT is courtesy, so the connection closes once it is
    /// written rather than after the server's 221.
    private func quitAndClose(context: ChannelHandlerContext) {
        guard !closing, context.channel.isActive else { return close(context: context) }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: "QUIT\r\n"))).assumeIsolated().whenComplete { [self] _ in
            close(context: context)
        }
    }

    private func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        context.close(promise: nil)
    }
}
