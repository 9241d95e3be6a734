import NIOCore

/// Bytes read from a connection, handed out a line at a time (LF or CRLF ends one). The SMTP
/// handlers keep it themselves rather than in a decoder in front of them: at STARTTLS they must
/// know whether plaintext is still waiting, and throw it away or refuse the connection.
struct LineBuffer {
    struct LineTooLong: Error {}

    let maximumLineLength: Int
    private var buffer: ByteBuffer?

    init(maximumLineLength: Int) {
        self.maximumLineLength = maximumLineLength
    }

    var isEmpty: Bool { (buffer?.readableBytes ?? 0) == 0 }

    mutating func append(_ bytes: inout ByteBuffer) {
        if buffer == nil {
            buffer = bytes
        } else {
            buffer!.writeBuffer(&bytes)
        }
    }

    /// The next whole line without its line break; nil until one has arrived.
    mutating func nextLine() throws(LineTooLong) -> ByteBuffer? {
        guard var buffer, buffer.readableBytes > 0 else { return nil }
        guard let newline = buffer.readableBytesView.firstIndex(of: 0x0A) else {
            if buffer.readableBytes > maximumLineLength { throw LineTooLong() }
            return nil
        }
        let length = newline - buffer.readableBytesView.startIndex
        guard length <= maximumLineLength + 1 else { throw LineTooLong() }
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == 0x0D { line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)! }
        if buffer.readableBytes == 0 {
            self.buffer = nil
        } else {
            self.buffer = buffer
        }
        return line
    }

    mutating func discardAll() {
        buffer = nil
    }
}
