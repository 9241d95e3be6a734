import Foundation

/// Reads a received message back: headers (unfolded, encoded-words decoded), the subject and
/// addresses, and the text and HTML bodies of a single part or of a multipart (alternative,
/// mixed, related — nested too) in quoted-printable, base64 or plain 7/8-bit. Lenient, as a
/// catcher for development should be: what it cannot read it leaves out rather than failing.
enum MIMEParser {
    struct Entity {
        /// Unfolded, not decoded.
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    struct Parsed {
        var headers: [CaughtMail.Header]
        var subject: String
        var from: CaughtMail.Mailbox?
        var to: [CaughtMail.Mailbox]
        var text: String?
        var html: String?
    }

    /// Parts nested deeper than this are not looked into (a crafted mail cannot recurse forever).
    static let maximumDepth = 8

    static func parse(_ raw: [UInt8]) -> Parsed {
        var message = entity(raw)
        // The message's last CRLF ends its last line; it is not part of a single-part body.
        if message.body.suffix(2) == [0x0D, 0x0A] { message.body.removeLast(2) } else if message.body.last == 0x0A { message.body.removeLast() }
        var text: String?
        var html: String?
        collectText(message, depth: 0, text: &text, html: &html)
        return Parsed(
            headers: message.headers.map { CaughtMail.Header(name: $0.name, value: EncodedWord.decode($0.value)) },
            subject: EncodedWord.decode(message.header("Subject") ?? ""),
            from: message.header("From").flatMap { mailboxes($0).first },
            to: message.header("To").map(mailboxes) ?? [],
            text: text,
            html: html)
    }

    /// Headers and body of `bytes`, split at the first empty line.
    static func entity(_ bytes: [UInt8]) -> Entity {
        var headerLines: [[UInt8]] = []
        var bodyStart = bytes.count
        var lineStart = 0
        var index = 0
        while index < bytes.count {
            guard bytes[index] == 0x0A else {
                index += 1
                continue
            }
            var line = Array(bytes[lineStart..<index])
            if line.last == 0x0D { line.removeLast() }
            lineStart = index + 1
            index += 1
            if line.isEmpty {
                bodyStart = lineStart
                break
            }
            headerLines.append(line)
        }
        if bodyStart == bytes.count, lineStart < bytes.count { headerLines.append(Array(bytes[lineStart...])) }

        var headers: [(name: String, value: String)] = []
        for line in headerLines {
            let text = String(decoding: line, as: UTF8.self)
            if let first = line.first, first == 0x20 || first == 0x09, !headers.isEmpty {
                headers[headers.count - 1].value += text
                continue
            }
            guard let colon = text.firstIndex(of: ":") else { continue }
            headers.append((String(text[..<colon]).trimmingCharacters(in: .whitespaces), String(text[text.index(after: colon)...])))
        }
        headers = headers.map { ($0.name, $0.value.trimmingCharacters(in: .whitespaces)) }
        return Entity(headers: headers, body: Array(bytes[min(bodyStart, bytes.count)...]))
    }

    /// `type/subtype` (lowercased) and its parameters (names lowercased, values unquoted).
    static func contentType(_ value: String?) -> (type: String, parameters: [String: String]) {
        guard let value else { return ("text/plain", [:]) }
        var pieces = splitOutsideQuotes(value, separator: ";")
        let type = pieces.isEmpty ? "text/plain" : pieces.removeFirst().trimmingCharacters(in: .whitespaces).lowercased()
        var parameters: [String: String] = [:]
        for piece in pieces {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var parameter = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if parameter.hasPrefix("\""), parameter.hasSuffix("\""), parameter.count >= 2 { parameter = unquote(parameter) }
            parameters[name] = parameter
        }
        return (type, parameters)
    }

    private static func collectText(_ entity: Entity, depth: Int, text: inout String?, html: inout String?) {
        let (type, parameters) = contentType(entity.header("Content-Type"))
        if type.hasPrefix("multipart/") {
            guard depth < maximumDepth, let boundary = parameters["boundary"], !boundary.isEmpty else { return }
            for part in parts(of: entity.body, boundary: boundary) {
                collectText(self.entity(part), depth: depth + 1, text: &text, html: &html)
            }
            return
        }
        if entity.header("Content-Disposition")?.lowercased().hasPrefix("attachment") == true { return }
        switch type {
        case "text/plain" where text == nil:
            text = decodedText(entity, charset: parameters["charset"])
        case "text/html" where html == nil:
            html = decodedText(entity, charset: parameters["charset"])
        default:
            break
        }
    }

    /// The body bytes between `--boundary` lines, up to `--boundary--`. The line break before a
    /// boundary line belongs to it (RFC 2046 §5.1.1), not to the part.
    static func parts(of body: [UInt8], boundary: String) -> [[UInt8]] {
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [[UInt8]] = []
        var current: [[UInt8]]?
        for line in LineBreaks.lines(body) {
            if line.starts(with: delimiter) {
                let rest = line.dropFirst(delimiter.count)
                let closing = rest.starts(with: "--".utf8)
                if closing || rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    if let current { parts.append(Array(current.joined(separator: [0x0D, 0x0A]))) }
                    current = closing ? nil : []
                    if closing { break }
                    continue
                }
            }
            current?.append(line)
        }
        return parts
    }

    /// The body decoded to text, with its line breaks as "\n".
    static func decodedText(_ entity: Entity, charset: String?) -> String {
        let bytes: [UInt8]
        switch entity.header("Content-Transfer-Encoding")?.lowercased() {
        case "quoted-printable":
            bytes = QuotedPrintable.decode(entity.body)
        case "base64":
            bytes = Data(base64Encoded: Data(entity.body), options: .ignoreUnknownCharacters).map(Array.init) ?? []
        default:
            bytes = entity.body
        }
        let unixLines = Array(LineBreaks.lines(bytes).joined(separator: [0x0A]))
        return Charset.decode(unixLines, charset: (charset ?? "utf-8").lowercased()) ?? String(decoding: unixLines, as: UTF8.self)
    }

    /// The mailboxes of an address header: split at commas outside quotes, angle brackets and
    /// comments, each with its display name unquoted or decoded.
    static func mailboxes(_ value: String) -> [CaughtMail.Mailbox] {
        splitOutsideQuotes(value, separator: ",").compactMap { item in
            let item = item.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { return nil }
            guard let open = item.lastIndex(of: "<"), let close = item[open...].firstIndex(of: ">") else {
                return CaughtMail.Mailbox(name: nil, address: item)
            }
            let address = String(item[item.index(after: open)..<close])
            var name = item[..<open].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
                name = unquote(name)
            } else {
                name = EncodedWord.decode(name)
            }
            return CaughtMail.Mailbox(name: name.isEmpty ? nil : name, address: address)
        }
    }

    private static func splitOutsideQuotes(_ value: String, separator: Character) -> [String] {
        var pieces: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        var angle = 0
        var comment = 0
        for character in value {
            if inQuotes {
                current.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inQuotes = false
                }
                continue
            }
            switch character {
            case "\"": inQuotes = true
            case "<": angle += 1
            case ">": angle = max(0, angle - 1)
            case "(": comment += 1
            case ")": comment = max(0, comment - 1)
            case separator where angle == 0 && comment == 0:
                pieces.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        pieces.append(current)
        return pieces
    }

    /// `"a \"b\""` → `a "b"`.
    private static func unquote(_ quoted: String) -> String {
        var output = ""
        var escaped = false
        for character in quoted.dropFirst().dropLast() {
            if escaped {
                output.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                output.append(character)
            }
        }
        return output
    }
}
