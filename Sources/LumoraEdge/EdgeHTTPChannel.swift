import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization

/// Hummingbird's HTTP/1.1 child channel with the edge's fast path in it. The pipeline is
/// `HTTP1Channel`'s (NIO's HTTP/1 codec, the HTTP types codec, the connection state handler,
/// the async channel Hummingbird reads from) with `FastPathHandler` right after NIO's codec,
/// and in front of it all the writer the fast path sends its serialised answers through.
struct EdgeHTTPChannel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let fastPath: FastPath
    let connections: ConnectionCounter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            // One address may hold only so many connections (a trusted proxy carries everyone's).
            // One over is closed as soon as it is open (failing the setup would end the server's
            // accept loop).
            let address = channel.remoteAddress?.ipAddress
            if let address, !fastPath.configuration.trusts(channel.remoteAddress) {
                if connections.open(address) {
                    channel.closeFuture.whenComplete { _ in connections.close(address) }
                } else {
                    try pipeline.addHandler(CloseWhenActive())
                }
            }
            let deadlines = ConnectionDeadlines(configuration: fastPath.configuration.connectionDeadlines)
            try pipeline.addHandler(deadlines)
            let writer = SerialisedResponseWriter()
            try pipeline.addHandler(writer)
            // NIO's codec, added by hand rather than by `configureHTTPServerPipeline`: since
            // swift-nio 2.101 that pairs the decoder with the encoder, which then matches each
            // response to the oldest request it decoded and drops the body of a response to a
            // HEAD. The fast path answers requests without the encoder, so the pairing matched
            // Hummingbird's later responses to requests the fast path had answered (a GET after a
            // HEAD lost its body and the client waited for it). Without it the encoder frames by
            // status alone, as before; HEAD answers carry no body by construction (the fast path,
            // Hummingbird's HEAD routes, and `EdgeResponder` for the rest). No pipelining
            // assistance (Hummingbird and the fast path answer in order), no error handler
            // (Hummingbird answers parse errors), no header validation (HTTP types validate).
            try pipeline.addHandler(HTTPResponseEncoder(configuration: .init()))
            try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: .init())))
            try pipeline.addHandler(FastPathHandler(fastPath: fastPath, writer: writer, deadlines: deadlines))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

/// Open visitor connections per client address, capped: one address cannot take every
/// descriptor of the edge.
final class ConnectionCounter: Sendable {
    let maximumPerAddress: Int
    private let counts = Mutex<[String: Int]>([:])

    init(maximumPerAddress: Int) {
        self.maximumPerAddress = maximumPerAddress
    }

    /// Counts a connection from `address`; false (and not counted) when it has its maximum.
    func open(_ address: String) -> Bool {
        counts.withLock { counts in
            let current = counts[address, default: 0]
            guard current < maximumPerAddress else { return false }
            counts[address] = current + 1
            return true
        }
    }

    func close(_ address: String) {
        counts.withLock { counts in
            let remaining = counts[address, default: 1] - 1
            counts[address] = remaining > 0 ? remaining : nil
        }
    }

    func count(_ address: String) -> Int {
        counts.withLock { $0[address, default: 0] }
    }
}

/// Closes a connection the moment it is open (one over its address's limit).
final class CloseWhenActive: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }
}
