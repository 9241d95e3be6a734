import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import LumoraMail

/// The channel handler that runs the state machine, on an `EmbeddedChannel`: what it writes,
/// how it splits what it reads, and that the send's promise always completes.
@Suite struct SMTPClientHandlerTests {
    func channel(_ url: String = "smtp://127.0.0.1:25?tls=none") throws -> (EmbeddedChannel, EventLoopFuture<Void>) {
        let channel = EmbeddedChannel()
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let machine = try SMTPClientStateMachine(configuration: try SMTPConfiguration(url: url, heloName: "cell.test"),
                                                 envelopeFrom: try MailAddress("a@shop.example"),
                                                 recipients: [try MailAddress("b@example.com")],
                                                 message: Array("Subject: x\r\n\r\n.hi\r\n".utf8))
        try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(
            machine: machine, promise: promise, tls: nil, serverHostname: nil,
            deadline: .now() + .hours(1), timeout: .seconds(3600), logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        return (channel, promise.futureResult)
    }

    func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func aWholeConversationInOddlySplitReads() async throws {
        let (channel, result) = try channel()
        // A reply split mid-line, and two replies in one read.
        try channel.writeInbound(ByteBuffer(string: "220 mx ready\r"))
        try channel.writeInbound(ByteBuffer(string: "\n"))
        #expect(try written(channel) == "EHLO cell.test\r\n")
        try channel.writeInbound(ByteBuffer(string: "250-mx\r\n250 8BITM"))
        try channel.writeInbound(ByteBuffer(string: "IME\r\n"))
        #expect(try written(channel) == "MAIL FROM:<a@shop.example>\r\n")
        try channel.writeInbound(ByteBuffer(string: "250 Ok\r\n"))
        #expect(try written(channel) == "RCPT TO:<b@example.com>\r\n")
        try channel.writeInbound(ByteBuffer(string: "250 Ok\r\n"))
        #expect(try written(channel) == "DATA\r\n")
        try channel.writeInbound(ByteBuffer(string: "354 go\r\n"))
        #expect(try written(channel) == "Subject: x\r\n\r\n..hi\r\n.\r\n")
        try channel.writeInbound(ByteBuffer(string: "250 queued\r\n"))
        #expect(try written(channel) == "QUIT\r\n")
        try await result.get()
        #expect(!channel.isActive)
    }

    @Test func plaintextRidingOnTheSTARTTLSReplyIsRefused() async throws {
        let (channel, result) = try channel("smtp://127.0.0.1:25")
        try channel.writeInbound(ByteBuffer(string: "220 mx\r\n"))
        try channel.writeInbound(ByteBuffer(string: "250-mx\r\n250 STARTTLS\r\n"))
        #expect(try written(channel).hasSuffix("STARTTLS\r\n"))
        try channel.writeInbound(ByteBuffer(string: "220 go ahead\r\n250-mx\r\n250 AUTH PLAIN\r\n"))
        let error = await #expect(throws: SMTPError.self) { try await result.get() }
        #expect(error?.step == .tlsHandshake)
        #expect(!channel.isActive)
    }

    @Test func aClosedConnectionFailsTheSend() async throws {
        let (channel, result) = try channel()
        try channel.writeInbound(ByteBuffer(string: "220 mx\r\n"))
        _ = try channel.finish(acceptAlreadyClosed: true)
        let error = await #expect(throws: SMTPError.self) { try await result.get() }
        #expect(error?.kind == .transient && error?.step == .ehlo)
    }

    @Test func theDeadlineFailsTheSend() async throws {
        let channel = EmbeddedChannel()
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let machine = try SMTPClientStateMachine(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:25?tls=none"),
                                                 envelopeFrom: try MailAddress("a@shop.example"),
                                                 recipients: [try MailAddress("b@example.com")], message: [])
        try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(
            machine: machine, promise: promise, tls: nil, serverHostname: nil,
            deadline: channel.embeddedEventLoop.now + .seconds(10), timeout: .seconds(10), logger: Logger(label: "test")))
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).get()
        // The embedded loop's clock moves only when told to.
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        let error = await #expect(throws: SMTPError.self) { try await promise.futureResult.get() }
        #expect(error?.kind == .transient && error?.step == .greeting)
    }
}
