/// One reply of an SMTP server: its code and the text of each of its lines (a multi-line reply
/// is `250-first`, `250-second`, …, `250 last`).
public struct SMTPReply: Sendable, Equatable {
    public let code: Int
    public let lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// The lines joined by spaces, control characters shown as `?`.
    public var text: String { lines.map { $0.shownInError(512) }.joined(separator: " ") }

    public var isPositiveCompletion: Bool { (200..<300).contains(code) }
}

/// Gathers reply lines into replies.
struct SMTPReplyParser: Sendable {
    struct Malformed: Error, Equatable {
        let line: String
    }

    /// A server that keeps sending continuation lines is not allowed to grow memory without end.
    static let maximumLines = 200

    private var code: Int?
    private var lines: [String] = []

    /// The reply `line` completes, nil while it is a continuation line.
    mutating func feed(_ line: String) throws(Malformed) -> SMTPReply? {
        let bytes = Array(line.utf8.prefix(4))
        guard bytes.count >= 3, bytes[0] >= UInt8(ascii: "2"), bytes[0] <= UInt8(ascii: "5"),
              bytes[1...2].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-"),
              let code = Int(line.prefix(3)), self.code == nil || self.code == code,
              lines.count < Self.maximumLines
        else {
            throw Malformed(line: line.shownInError(120))
        }
        let text = line.count > 4 ? String(line.dropFirst(4)) : ""
        lines.append(text)
        if bytes.count == 4, bytes[3] == UInt8(ascii: "-") {
            self.code = code
            return nil
        }
        defer {
            self.code = nil
            lines = []
        }
        return SMTPReply(code: code, lines: lines)
    }
}
