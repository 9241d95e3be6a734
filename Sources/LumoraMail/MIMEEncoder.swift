import Foundation
import LumoraCore

/// A message as it goes over the wire: its RFC 5322 bytes (CRLF line endings, 7-bit only) and
/// the Message-ID written into them.
public struct EncodedMail: Sendable, Equatable {
    public let messageID: String
    public let bytes: [UInt8]
}

/// Writes a `MailMessage` as RFC 5322 / MIME: text alone as `text/plain`, text and HTML as
/// `multipart/alternative` (plain first, so clients that prefer the last part they understand
/// show the HTML), both parts UTF-8 and quoted-printable.
///
/// Header injection is ruled out twice: `MailMessage` refuses control characters in anything
/// that becomes a header, and this writes any text that is not plain printable ASCII as
/// base64 encoded-words, so even an unvalidated CR or LF could not reach a header as itself.
public struct MIMEEncoder: Sendable {
    /// The domain of generated Message-IDs; nil: the From address's.
    public var messageIDDomain: String?

    public init(messageIDDomain: String? = nil) {
        self.messageIDDomain = messageIDDomain
    }

    static let maximumLineLength = 78

    /// `messageID` (`<id@domain>` or `id@domain`) is used as given once validated; nil makes one.
    public func encode(_ message: MailMessage, messageID: String? = nil, date: Date = Date()) throws(LumoraError) -> EncodedMail {
        let id = if let messageID { try Self.validatedMessageID(messageID) } else { Self.makeMessageID(domain: messageIDDomain ?? String(message.from.domain)) }
        var head = ""
        head += Self.header("Date", [RFC5322Date.format(date)])
        head += Self.header("From", Self.mailboxTokens(message.from))
        head += Self.header("To", Self.addressListTokens(message.to))
        if let replyTo = message.replyTo {
            head += Self.header("Reply-To", Self.mailboxTokens(replyTo))
        }
        head += Self.header("Subject", Self.unstructuredTokens(message.subject))
        head += Self.header("Message-ID", [id])
        head += Self.header("MIME-Version", ["1.0"])
        for extra in message.headers {
            head += Self.header(extra.name, extra.value.split(separator: " ", omittingEmptySubsequences: false).map(String.init))
        }

        var bytes = Array(head.utf8)
        let textPart = QuotedPrintable.encode(message.text)
        guard let html = message.html else {
            bytes += Array(Self.header("Content-Type", ["text/plain;", "charset=utf-8"]).utf8)
            bytes += Array(Self.header("Content-Transfer-Encoding", ["quoted-printable"]).utf8)
            bytes += crlf + textPart + crlf
            return EncodedMail(messageID: id, bytes: bytes)
        }
        // Quoted-printable never writes "=_" (a "=" is followed by hex digits or a line
        // break), so a boundary that starts with it cannot occur inside either part.
        let boundary = "=_Lumora_" + Self.randomToken(length: 24)
        bytes += Array(Self.header("Content-Type", ["multipart/alternative;", "boundary=\"\(boundary)\""]).utf8)
        bytes += crlf
        for (type, body) in [("text/plain", textPart), ("text/html", QuotedPrintable.encode(html))] {
            bytes += Array("--\(boundary)\r\nContent-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
            bytes += body + crlf
        }
        bytes += Array("--\(boundary)--\r\n".utf8)
        return EncodedMail(messageID: id, bytes: bytes)
    }

    private let crlf: [UInt8] = [0x0D, 0x0A]

    // MARK: Message-ID

    /// `<random@domain>`; a domain that is not plain letters, digits, dots and hyphens is
    /// replaced by `localhost` rather than written into a header.
    public static func makeMessageID(domain: String) -> String {
        let plain = !domain.isEmpty && domain.utf8.allSatisfy { domainCharacters.contains($0) }
        return "<\(randomToken(length: 24))@\(plain ? domain : "localhost")>"
    }

    /// `<left@right>` from `left@right` or `<left@right>`: printable ASCII without spaces or
    /// angle brackets, one `@`, at most 250 bytes.
    public static func validatedMessageID(_ raw: String) throws(LumoraError) -> String {
        var inner = Substring(raw)
        if inner.hasPrefix("<"), inner.hasSuffix(">") { inner = inner.dropFirst().dropLast() }
        let parts = inner.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, inner.utf8.count <= 250,
              inner.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") })
        else {
            throw LumoraError(.badRequest, code: "invalid_message_id", message: "'\(raw.shownInError())' is not a Message-ID (expected <id@domain>)")
        }
        return "<\(inner)>"
    }

    private static let domainCharacters: Set<UInt8> = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-".utf8)

    private static let tokenAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    static func randomToken(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<length).map { _ in tokenAlphabet.randomElement(using: &generator)! }, as: UTF8.self)
    }

    // MARK: Headers

    /// `Name: tokens…` folded before a token wherever the line would pass 78 characters (a
    /// single token longer than that, such as a long URL, cannot be folded and stays whole). Tokens
    /// are joined by single spaces, and unfolding (removing each CRLF) gives back exactly that
    /// text. An empty token (two spaces in a row) is never a fold point: a folded line of white
    /// space alone is not allowed.
    static func header(_ name: String, _ tokens: [String]) -> String {
        var output = ""
        var line = name + ":"
        var tokensOnLine = 0
        for token in tokens {
            // Before the first token only when that makes it fit: a lone "Name:" line is legal
            // but pointless if the token overflows the next line anyway.
            if !token.isEmpty, line.utf8.count + 1 + token.utf8.count > maximumLineLength,
               tokensOnLine > 0 || 1 + token.utf8.count <= maximumLineLength {
                output += line + "\r\n"
                line = ""
                tokensOnLine = 0
            }
            line += " " + token
            tokensOnLine += 1
        }
        return output + line + "\r\n"
    }

    static func mailboxTokens(_ mailbox: MailAddress) -> [String] {
        guard let name = mailbox.displayName else { return [mailbox.address] }
        return phraseTokens(name) + ["<\(mailbox.address)>"]
    }

    static func addressListTokens(_ mailboxes: [MailAddress]) -> [String] {
        var tokens: [String] = []
        for (index, mailbox) in mailboxes.enumerated() {
            var own = mailboxTokens(mailbox)
            if index < mailboxes.count - 1 { own[own.count - 1] += "," }
            tokens += own
        }
        return tokens
    }

    /// A display name: as it is when it is words of atom characters, quoted when it is other
    /// printable ASCII, encoded-words otherwise.
    static func phraseTokens(_ text: String) -> [String] {
        if isPlainWords(text, allowed: { atomCharacters.contains($0) }) {
            return text.split(separator: " ").map(String.init)
        }
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), text.utf8.count <= 60 {
            var quoted = "\""
            for character in text {
                if character == "\"" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            return [quoted + "\""]
        }
        return EncodedWord.encode(text)
    }

    /// A subject: as it is when it is printable ASCII words that fit on a line, encoded-words
    /// otherwise (which also keeps leading, trailing and doubled spaces exactly).
    static func unstructuredTokens(_ text: String) -> [String] {
        if text.isEmpty { return [] }
        if isPlainWords(text, allowed: { $0 > 0x20 && $0 < 0x7F }) {
            let words = text.split(separator: " ").map(String.init)
            if words.allSatisfy({ $0.utf8.count <= 70 }) { return words }
        }
        return EncodedWord.encode(text)
    }

    /// Words of `allowed` bytes separated by single spaces, with nothing a decoder could take
    /// for an encoded-word.
    private static func isPlainWords(_ text: String, allowed: (UInt8) -> Bool) -> Bool {
        guard !text.isEmpty, !text.contains("=?"), !text.hasPrefix(" "), !text.hasSuffix(" "), !text.contains("  ") else { return false }
        return text.utf8.allSatisfy { $0 == 0x20 || allowed($0) }
    }

    private static let atomCharacters: Set<UInt8> = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~".utf8)
}
