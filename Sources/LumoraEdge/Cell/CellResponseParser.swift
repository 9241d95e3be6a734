import Foundation
import NIOCore
import NIOHTTP1

/// Reads a cell connection's HTTP/1.1 responses from its bytes, one at a time: the status line
/// and headers, then a body delimited by `Content-Length`, by chunked transfer coding, or by the
/// connection's close. Informational (1xx) responses are skipped. The edge's forwarder reads
/// its cells' answers with this rather than NIO's HTTP client codec: on the API path the codec's
/// per-part machinery cost as much as the rest of the proxying.
struct CellResponseParser {
    enum Failure: Error, Equatable {
        case malformed
        case tooLarge
    }

    /// A whole response.
    struct Response {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer
        /// The connection may carry another request.
        var keepAlive: Bool
    }

    let maximumBodySize: Int
    var maximumHeadSize = 64 * 1024

    private enum State {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    private var state = State.head
    private var buffer = ByteBuffer()
    /// How far the search for the end of the head got (it restarts a little before).
    private var scanned = 0
    private var head: (status: HTTPResponseStatus, headers: HTTPHeaders, keepAlive: Bool)?
    private var body = ByteBuffer()
    private var bodyless = false

    init(maximumBodySize: Int) {
        self.maximumBodySize = maximumBodySize
    }

    /// Any byte of the current response has arrived.
    var hasStarted: Bool { head != nil || buffer.readableBytes > 0 }

    /// Bytes that arrived after the last whole response.
    var hasLeftover: Bool { buffer.readableBytes > 0 }

    /// Ready for the response to a new request; `isHEAD`: it has no body whatever it says.
    mutating func expectResponse(isHEAD: Bool) {
        state = .head
        buffer.clear()
        scanned = 0
        head = nil
        body = ByteBuffer()
        bodyless = isHEAD
    }

    /// Takes more bytes; the response once it is whole.
    mutating func feed(_ bytes: inout ByteBuffer) throws(Failure) -> Response? {
        if buffer.readableBytes == 0 {
            swap(&buffer, &bytes)
        } else {
            buffer.writeBuffer(&bytes)
        }
        return try parse()
    }

    /// The connection closed: the response, if its body was delimited by the close.
    mutating func finishAtClose() -> Response? {
        guard case .untilClose = state else { return nil }
        return complete()
    }

    private mutating func parse() throws(Failure) -> Response? {
        while true {
            switch state {
            case .head:
                guard let end = find(crlfcrlf, from: max(0, scanned - 3)) else {
                    scanned = buffer.readableBytes
                    guard buffer.readableBytes <= maximumHeadSize else { throw .malformed }
                    return nil
                }
                let headBytes = buffer.readSlice(length: end + 4)!
                scanned = 0
                guard let parsed = Self.parseHead(headBytes) else { throw .malformed }
                let code = parsed.status.code
                if code >= 100 && code < 200 && code != 101 { continue }  // 100 Continue and friends
                head = (parsed.status, parsed.headers, parsed.keepAlive)
                if bodyless || code == 204 || code == 304 || (code >= 100 && code < 200) {
                    return complete()
                } else if parsed.chunked {
                    state = .chunkSize
                } else if let length = parsed.contentLength {
                    guard length <= maximumBodySize else { throw .tooLarge }
                    if length == 0 { return complete() }
                    state = .fixed(remaining: length)
                } else {
                    head?.keepAlive = false
                    state = .untilClose
                }
            case .fixed(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let taken = min(remaining, buffer.readableBytes)
                appendBody(buffer.readSlice(length: taken)!)
                if taken == remaining { return complete() }
                state = .fixed(remaining: remaining - taken)
                return nil
            case .chunkSize:
                guard let end = find(crlf, from: 0) else {
                    guard buffer.readableBytes <= 1024 else { throw .malformed }
                    return nil
                }
                let line = buffer.readSlice(length: end + 2)!
                guard let size = Self.chunkSize(line.readableBytesView.dropLast(2)) else { throw .malformed }
                if size == 0 {
                    state = .trailers
                } else {
                    guard body.readableBytes + size <= maximumBodySize else { throw .tooLarge }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let taken = min(remaining, buffer.readableBytes)
                appendBody(buffer.readSlice(length: taken)!)
                state = taken == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - taken)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw .malformed }
                state = .chunkSize
            case .trailers:
                guard let end = find(crlf, from: 0) else {
                    guard buffer.readableBytes <= maximumHeadSize else { throw .malformed }
                    return nil
                }
                buffer.moveReaderIndex(forwardBy: end + 2)
                if end == 0 { return complete() }
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                guard body.readableBytes + buffer.readableBytes <= maximumBodySize else { throw .tooLarge }
                appendBody(buffer.readSlice(length: buffer.readableBytes)!)
                return nil
            }
        }
    }

    private mutating func appendBody(_ slice: ByteBuffer) {
        if body.readableBytes == 0 {
            body = slice
        } else {
            var slice = slice
            body.writeBuffer(&slice)
        }
    }

    private mutating func complete() -> Response? {
        guard let head else { return nil }
        let response = Response(status: head.status, headers: head.headers, body: body, keepAlive: head.keepAlive)
        self.head = nil
        body = ByteBuffer()
        state = .head
        return response
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]
    private static let crlfcrlf: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
    private var crlf: [UInt8] { Self.crlf }
    private var crlfcrlf: [UInt8] { Self.crlfcrlf }

    /// The offset (from the reader index) where `pattern` starts, searching from `start`.
    private func find(_ pattern: [UInt8], from start: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in
            guard bytes.count >= pattern.count, start <= bytes.count - pattern.count else { return nil }
            var index = start
            let last = bytes.count - pattern.count
            while index <= last {
                if bytes[index] == pattern[0] {
                    var matched = true
                    for offset in 1..<pattern.count where bytes[index + offset] != pattern[offset] {
                        matched = false
                        break
                    }
                    if matched { return index }
                }
                index += 1
            }
            return nil
        }
    }

    private struct Head {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var keepAlive: Bool
        var chunked: Bool
        var contentLength: Int?
    }

    /// `HTTP/1.x NNN reason`, then `name: value` lines; nil when it is not that. Works on the
    /// raw bytes: generic collection algorithms over `ByteBufferView` cost more than the rest
    /// of the proxying put together.
    private static func parseHead(_ bytes: ByteBuffer) -> Head? {
        bytes.withUnsafeReadableBytes { raw -> Head? in
            // Lines without their CR LF; the head ends with an empty line.
            var lines: [Range<Int>] = []
            lines.reserveCapacity(16)
            var start = 0
            for index in 0..<raw.count where raw[index] == 0x0A {
                let end = index > start && raw[index - 1] == 0x0D ? index - 1 : index
                if end > start { lines.append(start..<end) }
                start = index + 1
            }
            // The reason and header values go on into the edge's own responses: nothing in a
            // line may end one.
            guard !lines.contains(where: { line in line.contains { raw[$0] == 0x0D || raw[$0] == 0x00 } }),
                  let statusLine = lines.first, statusLine.count >= 12 else { return nil }
            let s = statusLine.lowerBound
            for (offset, byte) in Self.versionPrefix.enumerated() where raw[s + offset] != byte { return nil }
            let minor = raw[s + 7]
            guard minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1"), raw[s + 8] == UInt8(ascii: " ") else { return nil }
            var code = 0
            for offset in 9..<12 {
                let digit = raw[s + offset]
                guard digit >= 0x30 && digit <= 0x39 else { return nil }
                code = code * 10 + Int(digit - 0x30)
            }
            let reason = statusLine.count > 13 ? Self.string(raw, (s + 13)..<statusLine.upperBound) : ""
            var head = Head(status: HTTPResponseStatus(statusCode: code, reasonPhrase: reason), headers: HTTPHeaders(),
                            keepAlive: minor == UInt8(ascii: "1"), chunked: false)
            head.headers.reserveCapacity(lines.count - 1)
            for line in lines.dropFirst() {
                guard raw[line.lowerBound] != 0x20, raw[line.lowerBound] != 0x09,
                      let colon = line.first(where: { raw[$0] == UInt8(ascii: ":") }), colon > line.lowerBound else { return nil }
                var valueStart = colon + 1, valueEnd = line.upperBound
                while valueStart < valueEnd, raw[valueStart] == 0x20 || raw[valueStart] == 0x09 { valueStart += 1 }
                while valueEnd > valueStart, raw[valueEnd - 1] == 0x20 || raw[valueEnd - 1] == 0x09 { valueEnd -= 1 }
                let name = Self.string(raw, line.lowerBound..<colon)
                let value = Self.string(raw, valueStart..<valueEnd)
                head.headers.add(name: name, value: value)
                switch name.utf8.count {
                case 14 where Self.equalsIgnoringCase(raw, line.lowerBound..<colon, "content-length"):
                    guard let length = Int(value), length >= 0, head.contentLength == nil || head.contentLength == length else { return nil }
                    head.contentLength = length
                case 17 where Self.equalsIgnoringCase(raw, line.lowerBound..<colon, "transfer-encoding"):
                    head.chunked = value.lowercased().split(separator: ",").last?.trimmingCharacters(in: .whitespaces) == "chunked"
                case 10 where Self.equalsIgnoringCase(raw, line.lowerBound..<colon, "connection"):
                    let tokens = value.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    if tokens.contains("close") { head.keepAlive = false }
                    if tokens.contains("keep-alive") && minor == UInt8(ascii: "0") { head.keepAlive = true }
                default:
                    break
                }
            }
            return head
        }
    }

    private static let versionPrefix: [UInt8] = Array("HTTP/1.".utf8)

    private static func string(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
    }

    /// `raw[range]` is `lowercase` in any case (ASCII).
    private static func equalsIgnoringCase(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for offset in 0..<range.count {
            let byte = raw[range.lowerBound + offset]
            let folded = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            if folded != expected[offset] { return false }
        }
        return true
    }

    /// A chunk-size line's hexadecimal size (extensions after `;` ignored).
    private static func chunkSize(_ line: ByteBufferView.SubSequence) -> Int? {
        var size = 0
        var digits = 0
        for byte in line {
            let digit: Int
            switch byte {
            case 0x30...0x39: digit = Int(byte - 0x30)
            case 0x41...0x46: digit = Int(byte - 0x41 + 10)
            case 0x61...0x66: digit = Int(byte - 0x61 + 10)
            case UInt8(ascii: ";"), 0x20, 0x09: return digits > 0 ? size : nil
            default: return nil
            }
            guard digits < 15 else { return nil }
            size = size * 16 + digit
            digits += 1
        }
        return digits > 0 ? size : nil
    }
}
