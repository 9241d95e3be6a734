import LumoraCore
import LumoraHTTP
import NIOCore
import NIOEmbedded
import Testing
@testable import LumoraEdge

/// What may be written on the wire to a cell, checked byte by byte without sockets.
@Suite struct RequestTargetTests {
    @Test func segmentsAndQueryValuesAreEncoded() {
        let target = RequestTarget.path("store", "carts", "cart_1 HTTP/1.1\r\nhost: x", "line-items")
            .query("q", "a&b=c d\u{0}").query("limit", 8).query("missing", nil)
        #expect(target.text == "/store/carts/cart_1%20HTTP%2F1.1%0D%0Ahost%3A%20x/line-items?q=a%26b%3Dc%20d%00&limit=8")
        #expect(RequestTarget.isValid(target.text))
        #expect(RequestTarget.path().text == "/")
        #expect(RequestTarget.encode("é") == "%C3%A9")
    }

    @Test func onlyOriginFormBytesAreAccepted() {
        for valid in ["/", "/store/products?limit=8&q=a%20b", "/a:b@c/!$&'()*+,;=", "/store/products/~x._-"] {
            #expect(RequestTarget(validating: valid) != nil, "\(valid)")
        }
        for invalid in ["", "store", "/a b", "/a\r\nb", "/a\0", "/a%2", "/a%zz", "/<x>", "/\"", "/{}", "/a|b", "/a\\b", "/a^b", "/a`b", "/é", "/a#b", "/a\u{7F}"] {
            #expect(RequestTarget(validating: invalid) == nil, "\(invalid.debugDescription)")
        }
    }

    @Test func headerBytes() {
        #expect(HeaderBytes.isValidName("x-store-id") && HeaderBytes.isValidName("GET"))
        #expect(!HeaderBytes.isValidName("") && !HeaderBytes.isValidName("a b") && !HeaderBytes.isValidName("a:b") && !HeaderBytes.isValidName("a\r"))
        #expect(HeaderBytes.isValidValue("Bearer abc\tdef ü"))
        for bad in ["a\rb", "a\nb", "a\0b", "a\u{1}b", "a\u{7F}"] { #expect(!HeaderBytes.isValidValue(bad), "\(bad.debugDescription)") }
    }

    @Test func controlCharactersRawEncodedAndInJSON() {
        #expect(ControlCharacters.inPercentEncoded("/p?q=%00".utf8))
        #expect(ControlCharacters.inPercentEncoded("/p?q=%1f".utf8))
        #expect(ControlCharacters.inPercentEncoded("/p?q=%7F".utf8))
        #expect(!ControlCharacters.inPercentEncoded("/p?q=%20%41%e2%82%ac".utf8))
        #expect(!ControlCharacters.inPercentEncoded("/p?q=%2".utf8))
        #expect(ControlCharacters.inJSONStrings(#"{"a":"x\u0000"}"#.utf8))
        #expect(ControlCharacters.inJSONStrings(#"{"a":"\b"}"#.utf8))
        #expect(!ControlCharacters.inJSONStrings(#"{"a":"line\nbreak\ttab\r"}"#.utf8))
        #expect(!ControlCharacters.inJSONStrings(#"{"a":"\\u0000 is text"}"#.utf8))
        #expect(!ControlCharacters.inJSONStrings(#"{"\u0041":"\u00e9"}"#.utf8))
    }
}

/// The header and idle timeouts as a state machine on an embedded channel, with time moved by
/// the test.
@Suite struct ConnectionDeadlinesTests {
    func channel(_ deadlines: ConnectionDeadlines) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(deadlines)
        return channel
    }

    @Test func aConnectionThatNeverSpeaksIsClosed() throws {
        let deadlines = ConnectionDeadlines(configuration: .init(headerTimeout: .seconds(10), idleTimeout: .seconds(60)))
        let channel = try channel(deadlines)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func aHeadMustArriveWithinTheTimeoutOfItsFirstByte() throws {
        let deadlines = ConnectionDeadlines(configuration: .init(headerTimeout: .seconds(10), idleTimeout: .seconds(60)))
        let channel = try channel(deadlines)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n"))
        #expect(deadlines.state == .readingHead)
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        // The head completes: while the server answers, no clock runs.
        deadlines.headReceived()
        channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        #expect(channel.isActive)
        // Answered: idle now, closed after the idle timeout unless a new request starts.
        deadlines.becameIdle()
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "G"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }
}
