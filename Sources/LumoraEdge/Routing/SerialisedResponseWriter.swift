import NIOCore

/// The first handler of a visitor connection's pipeline, ahead of NIO's HTTP encoder: the fast path
/// writes its answers, serialised already, from here. Its writes and the encoder's reach the
/// socket in the order they are made, and the fast path writes only between Hummingbird's responses.
final class SerialisedResponseWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
    }

    func flush() {
        context?.flush()
    }
}
