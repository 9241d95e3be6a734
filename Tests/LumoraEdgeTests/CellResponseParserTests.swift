import NIOCore
import NIOHTTP1
import Testing
@testable import LumoraEdge

/// The forwarder's reader of cell responses, fed whole and in every split a socket could give.
@Suite struct CellResponseParserTests {
    /// Feeds `text` in pieces of `size` bytes; the response once whole (and whether it came
    /// before the last piece).
    func parse(_ text: String, pieces size: Int = .max, isHEAD: Bool = false, limit: Int = 1 << 20)
        throws(CellResponseParser.Failure) -> (response: CellResponseParser.Response?, parser: CellResponseParser) {
        var parser = CellResponseParser(maximumBodySize: limit)
        parser.expectResponse(isHEAD: isHEAD)
        var all = ByteBuffer(string: text)
        while all.readableBytes > 0 {
            var piece = all.readSlice(length: min(size, all.readableBytes))!
            if let response = try parser.feed(&piece) {
                if all.readableBytes > 0 { var rest = all; _ = try parser.feed(&rest) }
                return (response, parser)
            }
        }
        return (nil, parser)
    }

    @Test(arguments: [1, 2, 3, 7, 64, Int.max])
    func readsLengthAndChunkedBodiesInAnySplit(pieces: Int) throws {
        let fixed = try #require(try parse("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Lumora-Cache: hit\r\n\r\n{\"ok\":true}",
                                           pieces: pieces).response)
        #expect(fixed.status == .created)
        #expect(fixed.headers.first(name: "content-type") == "application/json")
        #expect(fixed.headers.first(name: "x-lumora-cache") == "hit")
        #expect(String(buffer: fixed.body) == #"{"ok":true}"#)
        #expect(fixed.keepAlive)

        let chunked = try #require(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: yes\r\n\r\n",
                                             pieces: pieces).response)
        #expect(String(buffer: chunked.body) == "hello, world!!!")
        #expect(chunked.keepAlive)
    }

    @Test func skipsInformationalResponses() throws {
        let response = try #require(try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", pieces: 5).response)
        #expect(response.status == .ok && String(buffer: response.body) == "ok")
    }

    @Test func knowsWhenTheConnectionCanBeReused() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").response?.keepAlive == false)
        #expect(try parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").response?.keepAlive == false)
        #expect(try parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").response?.keepAlive == true)
        // Two responses where one was asked for: bytes left over.
        let (response, parser) = try parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n")
        #expect(response != nil && parser.hasLeftover)
    }

    @Test func bodiesDelimitedByTheCloseEndThere() throws {
        var (response, parser) = try parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", pieces: 4)
        #expect(response == nil)
        let finished = parser.finishAtClose()
        let closed = try #require(finished)
        #expect(String(buffer: closed.body) == "until the end" && !closed.keepAlive)
    }

    @Test func bodilessResponses() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", isHEAD: true).response?.body.readableBytes == 0)
        #expect(try parse("HTTP/1.1 204 No Content\r\n\r\n").response?.status == .noContent)
        #expect(try parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").response?.body.readableBytes == 0)
    }

    @Test func refusesWhatIsTooLargeOrMalformed() {
        #expect(throws: CellResponseParser.Failure.tooLarge) { _ = try parse("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", limit: 10) }
        #expect(throws: CellResponseParser.Failure.tooLarge) {
            _ = try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n", limit: 10)
        }
        #expect(throws: CellResponseParser.Failure.tooLarge) { _ = try parse("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 11), limit: 10) }
        for broken in ["SPDY/3 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
                       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 200 OK\r\nX-Split: a\rSet-Cookie: b\r\n\r\n",
                       "HTTP/1.1 200 O\rK\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY"] {
            #expect(throws: CellResponseParser.Failure.malformed, "\(broken)") { _ = try parse(broken) }
        }
    }
}
