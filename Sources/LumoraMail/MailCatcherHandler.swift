import Logging
import NIOCore
import NIOSSL

/// One client connection of the catcher: lines to the session, its replies back, TLS put in
/// front when the session agrees to STARTTLS, finished mails to the store.
final class MailCatcherHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// RFC 5321 caps text lines at 1000 bytes; a catcher is lenient but not unbounded.
    static let maximumLineLength = 64 * 1024

    private var session: SMTPServerSession
    private let store: MailStore
    private let tls: NIOSSLContext?
    private let logger: Logger
    private var lines = LineBuffer(maximumLineLength: maximumLineLength)
    private var closed = false

    init(store: MailStore, tls: NIOSSLContext?, maximumMessageSize: Int, logger: Logger) {
        session = SMTPServerSession(hostname: "lumora-mailcatcher", tlsAvailable: tls != nil, maximumMessageSize: maximumMessageSize)
        self.store = store
        self.tls = tls
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        guard store.register(context.channel) else { return context.close(promise: nil) }
        if store.isRefusing {
            logger.debug("mail catcher refused a connection (refusing)")
            perform([.reply("421 4.3.2 Service not available, try again later"), .close], context: context)
        } else {
            perform([session.greeting()], context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        store.unregister(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("mail catcher connection failed", metadata: ["error": "\(error)"])
        closed = true
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        lines.append(&bytes)
        do {
            while !closed, let line = try lines.nextLine() {
                perform(session.receive(line: Array(line.readableBytesView)), context: context)
            }
        } catch {
            perform(session.lineTooLong(), context: context)
        }
    }

    private func perform(_ actions: [SMTPServerSession.Action], context: ChannelHandlerContext) {
        for action in actions where !closed {
            switch action {
            case .reply(let text):
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text + "\r\n")), promise: nil)
            case .startTLS:
                guard let tls else { continue }
                lines.discardAll()
                do {
                    // The 220 has already gone out in plaintext, below where this handler sits.
                    try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
                    session.tlsStarted()
                } catch {
                    logger.debug("mail catcher could not start TLS", metadata: ["error": "\(error)"])
                    closed = true
                    context.close(promise: nil)
                }
            case .deliver(let envelope, let data):
                let mail = store.add(envelope: envelope, data: data)
                logger.debug("mail caught", metadata: ["mail.id": "\(mail.id)", "mail.subject": "\(mail.subject.shownInError(120))"])
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: "250 2.0.0 Ok: queued as \(mail.id)\r\n")), promise: nil)
            case .close:
                closed = true
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        }
    }
}
