import Foundation
import LumoraCore
import Testing
@testable import LumoraMail

/// The encoder's bytes, checked line by line and read back with the catcher's parser.
@Suite struct MIMEEncoderTests {
    func message(subject: String = "Your order", text: String = "Thank you.", html: String? = nil,
                 from: MailAddress? = nil, to: [MailAddress]? = nil, replyTo: MailAddress? = nil,
                 headers: [MailHeader] = []) throws -> MailMessage {
        try MailMessage(from: from ?? MailAddress("orders@shop.example", displayName: "Shop"),
                        to: to ?? [MailAddress("ann@example.com")], replyTo: replyTo,
                        subject: subject, text: text, html: html, headers: headers)
    }

    func encode(_ message: MailMessage, messageID: String? = nil) throws -> (encoded: EncodedMail, parsed: MIMEParser.Parsed) {
        let encoded = try MIMEEncoder().encode(message, messageID: messageID, date: Date(timeIntervalSince1970: 1_751_360_700))
        try checkWireForm(encoded.bytes)
        return (encoded, MIMEParser.parse(encoded.bytes))
    }

    /// 7-bit, CRLF only, header lines within 78 and body lines within 76 characters.
    func checkWireForm(_ bytes: [UInt8]) throws {
        #expect(bytes.allSatisfy { $0 < 0x80 }, "only 7-bit bytes")
        #expect(bytes.suffix(2) == [0x0D, 0x0A])
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D, "bare LF at \(index)") }
            if byte == 0x0D { #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A, "bare CR at \(index)") }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let blank = try #require(lines.firstIndex(of: ""))
        for line in lines[..<blank] { #expect(line.utf8.count <= 78, "header line too long: \(line)") }
        for line in lines[blank...] { #expect(line.utf8.count <= 76, "body line too long: \(line)") }
    }

    func header(_ name: String, in parsed: MIMEParser.Parsed) -> String? {
        parsed.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    @Test func textOnlyMail() throws {
        let (encoded, parsed) = try encode(try message(text: "Hello Ann,\nyour order is on its way.\n"))
        let raw = String(decoding: encoded.bytes, as: UTF8.self)
        #expect(raw.hasPrefix("Date: Tue, 01 Jul 2025 09:05:00 +0000\r\nFrom: Shop <orders@shop.example>\r\nTo: ann@example.com\r\nSubject: Your order\r\nMessage-ID: <"))
        #expect(raw.contains("\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"))
        #expect(encoded.messageID.hasSuffix("@shop.example>"))
        #expect(header("Message-ID", in: parsed) == encoded.messageID)
        #expect(parsed.subject == "Your order")
        #expect(parsed.text == "Hello Ann,\nyour order is on its way.\n")
        #expect(parsed.html == nil)
        #expect(parsed.from == CaughtMail.Mailbox(name: "Shop", address: "orders@shop.example"))
        #expect(parsed.to == [CaughtMail.Mailbox(name: nil, address: "ann@example.com")])
    }

    @Test func nonASCIISubjectAndBody() throws {
        let subject = "Ihre Bestellung bei Zoë’s Café ☕️ ist unterwegs — vielen Dank für Ihren Einkauf! 🎉"
        let text = "Grüße aus Köln,\nZoë 👩🏽‍🍳\n\n日本語のテキストも大丈夫です。"
        let (encoded, parsed) = try encode(try message(subject: subject, text: text))
        let raw = String(decoding: encoded.bytes, as: UTF8.self)
        #expect(raw.contains("Subject: =?UTF-8?B?"))
        // Long enough to take several encoded-words, folded onto continuation lines.
        #expect(raw.components(separatedBy: "=?UTF-8?B?").count > 3)
        #expect(parsed.subject == subject)
        #expect(parsed.text == text)
    }

    @Test func longLinesAreSoftBrokenAndComeBackWhole() throws {
        let paragraph = String(repeating: "All work and no play makes Jack a dull boy. ", count: 20)
        let word = String(repeating: "x", count: 300)
        let accents = String(repeating: "é", count: 120)
        let text = paragraph + "\n" + word + "\n" + accents + "\nend = equals =3D"
        let (encoded, parsed) = try encode(try message(subject: String(repeating: "long ", count: 40) + "subject", text: text))
        #expect(String(decoding: encoded.bytes, as: UTF8.self).contains("=\r\n"))
        #expect(parsed.text == text)
        #expect(parsed.subject == String(repeating: "long ", count: 40) + "subject")
    }

    @Test func linesStartingWithADotSurviveSMTP() throws {
        let text = ".hidden?\n..two dots\n.\nFrom the start\n trailing spaces  \ntab\t"
        let (encoded, parsed) = try encode(try message(text: text, html: "<p>.</p>\n.<b>dot</b>"))
        #expect(parsed.text == text)
        #expect(parsed.html == "<p>.</p>\n.<b>dot</b>")
        // Through the client's dot-stuffing and the catcher's unstuffing, byte for byte.
        let stuffed = SMTPClientStateMachine.dotStuffed(encoded.bytes)
        var session = SMTPServerSession(hostname: "test", tlsAvailable: false, maximumMessageSize: 1 << 20)
        for command in ["EHLO me", "MAIL FROM:<a@b.example>", "RCPT TO:<c@d.example>", "DATA"] {
            _ = session.receive(line: Array(command.utf8))
        }
        var delivered: [UInt8]?
        for line in LineBreaks.lines(stuffed).dropLast() {
            for case .deliver(_, let data) in session.receive(line: line) { delivered = data }
        }
        #expect(delivered == encoded.bytes)
        // "From " at the start of a line is encoded so no mbox-minded agent rewrites it.
        #expect(String(decoding: encoded.bytes, as: UTF8.self).contains("\r\n=46rom the start"))
    }

    @Test func textAndHTMLMakeAMultipartAlternative() throws {
        let html = "<html><body><h1>Danke, Zoë!</h1><p>" + String(repeating: "<span>item</span> ", count: 30) + "</p></body></html>"
        let (encoded, parsed) = try encode(try message(text: "Danke, Zoë!", html: html))
        let raw = String(decoding: encoded.bytes, as: UTF8.self)
        let boundaryStart = try #require(raw.range(of: "boundary=\""))
        let boundary = String(raw[boundaryStart.upperBound...].prefix { $0 != "\"" })
        #expect(boundary.hasPrefix("=_Lumora_"))
        let parts = raw.components(separatedBy: "--" + boundary)
        // Preamble, plain, html, and the closing "--" after the last delimiter.
        #expect(parts.count == 4)
        #expect(parts[1].contains("Content-Type: text/plain; charset=utf-8"))
        #expect(parts[2].contains("Content-Type: text/html; charset=utf-8"))
        #expect(parts[3] == "--\r\n")
        #expect(parsed.text == "Danke, Zoë!")
        #expect(parsed.html == html)
        // A fresh boundary each time.
        let again = String(decoding: try encode(try message(text: "Danke, Zoë!", html: html)).encoded.bytes, as: UTF8.self)
        #expect(!again.contains(boundary))
    }

    @Test func namesAreQuotedOrEncodedAsNeeded() throws {
        let to = [try MailAddress("jane@example.com", displayName: "Doe, Jane \"JD\""),
                  try MailAddress("zoe@example.com", displayName: "Zoë Café"),
                  try MailAddress("plain@example.com", displayName: "Plain Name"),
                  try MailAddress("bare@example.com")]
        let (encoded, parsed) = try encode(try message(to: to, replyTo: try MailAddress("help@shop.example", displayName: "Shop Help")))
        let raw = String(decoding: encoded.bytes, as: UTF8.self)
        #expect(raw.contains("\"Doe, Jane \\\"JD\\\"\" <jane@example.com>,"))
        #expect(raw.contains("=?UTF-8?B?"))
        #expect(parsed.to == [CaughtMail.Mailbox(name: "Doe, Jane \"JD\"", address: "jane@example.com"),
                              CaughtMail.Mailbox(name: "Zoë Café", address: "zoe@example.com"),
                              CaughtMail.Mailbox(name: "Plain Name", address: "plain@example.com"),
                              CaughtMail.Mailbox(name: nil, address: "bare@example.com")])
        #expect(header("Reply-To", in: parsed) == "Shop Help <help@shop.example>")
    }

    @Test func allowedExtraHeadersAreWritten() throws {
        let unsubscribe = "<https://shop.example/unsubscribe/" + String(repeating: "t", count: 30) + ">, <mailto:unsubscribe@shop.example>"
        let (_, parsed) = try encode(try message(headers: [try MailHeader("list-unsubscribe", unsubscribe),
                                                           try MailHeader("X-Lumora-Store", "zoes-cafe")]))
        #expect(header("List-Unsubscribe", in: parsed) == unsubscribe)
        #expect(header("X-Lumora-Store", in: parsed) == "zoes-cafe")
    }

    @Test func subjectsThatLookEncodedOrHaveOddSpacingComeBackAsTheyWere() throws {
        for subject in ["=?UTF-8?B?SGFja2Vk?=", "  two leading", "trailing ", "double  space", "", String(repeating: "y", count: 120)] {
            let (_, parsed) = try encode(try message(subject: subject))
            #expect(parsed.subject == subject)
        }
    }

    @Test func messageIDs() throws {
        let (encoded, parsed) = try encode(try message(), messageID: "order-42.1@mail.shop.example")
        #expect(encoded.messageID == "<order-42.1@mail.shop.example>")
        #expect(header("Message-ID", in: parsed) == "<order-42.1@mail.shop.example>")
        #expect(try MIMEEncoder.validatedMessageID("<a@b>") == "<a@b>")
        for bad in ["no-at-sign", "a@b@c", "<a b@c>", "a@b>\r\nBcc: x@y", "@b", ""] {
            #expect(throws: LumoraError.self) { try MIMEEncoder().encode(try message(), messageID: bad) }
        }
        // A domain that could not be written as is is not written.
        #expect(MIMEEncoder.makeMessageID(domain: "shop.example").hasSuffix("@shop.example>"))
        #expect(MIMEEncoder.makeMessageID(domain: "x>\r\nBcc: y").hasSuffix("@localhost>"))
    }

    @Test func dates() {
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: 1_709_208_000)) == "Thu, 29 Feb 2024 12:00:00 +0000")
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: 4_102_444_799)) == "Thu, 31 Dec 2099 23:59:59 +0000")
    }

    @Test func quotedPrintableAndEncodedWordsDecodeWhatOthersSend() {
        #expect(EncodedWord.decode("=?iso-8859-1?q?Caf=E9_au_lait?= und =?UTF-8?B?S8O2bG4=?=") == "Café au lait und Köln")
        #expect(EncodedWord.decode("=?UTF-8?Q?a?= =?UTF-8?Q?b?= c") == "ab c")
        #expect(EncodedWord.decode("=?unknown?Q?x?= plain") == "=?unknown?Q?x?= plain")
        #expect(QuotedPrintable.decode(Array("soft=\r\nbreak =3D ok=\r\n".utf8)) == Array("softbreak = ok".utf8))
        #expect(QuotedPrintable.decode(Array("lone = and =ZZ stay".utf8)) == Array("lone = and =ZZ stay".utf8))
    }
}
