import Foundation
import LumoraCore
import Testing
@testable import LumoraMail

/// Nothing a store or a visitor types can add a header (a Bcc, a second From) or end the
/// headers early: each way in is refused, and the encoder would not write it as itself anyway.
@Suite struct HeaderInjectionTests {
    let injections = ["x\r\nBcc: victim@example.com", "x\nBcc: victim@example.com", "x\rBcc: victim@example.com", "x\u{0}y", "x\u{7F}"]

    @Test func subjectsWithLineBreaksOrControlsAreRefused() throws {
        for subject in injections {
            #expect(throws: LumoraError.self) {
                try MailMessage(from: MailAddress("a@shop.example"), to: [MailAddress("b@example.com")], subject: subject, text: "hi")
            }
        }
    }

    @Test func addressesAndNamesWithLineBreaksAreRefused() throws {
        for injection in injections {
            #expect(throws: LumoraError.self) { try MailAddress("a@example.com" + injection) }
            #expect(throws: LumoraError.self) { try MailAddress("a@example.com", displayName: "Eve" + injection) }
        }
        // What would break out of <…> in MAIL FROM or of the mailbox in a header.
        for address in ["a@example.com> SIZE=1", "<a@example.com>", "a b@example.com", "a@example.com,b@example.com",
                        "a\"@example.com", "no-at.example.com", "a@b@example.com", "@example.com", "a@", "zoë@example.com",
                        String(repeating: "a", count: 65) + "@example.com", "a@" + String(repeating: "d", count: 253)] {
            #expect(throws: LumoraError.self, "\(address)") { try MailAddress(address) }
        }
        #expect(try MailAddress("first.last+tag@sub.example.com").address == "first.last+tag@sub.example.com")
        #expect(try MailAddress("shop@localhost").domain == "localhost")
    }

    @Test func onlyAllowedHeadersWithSafeValuesPass() throws {
        for name in ["Bcc", "From", "Content-Type", "Subject", "X-Lumora-Store\r\nBcc", "X-Lumora-Store:", ""] {
            #expect(throws: LumoraError.self, "\(name)") { try MailHeader(name, "value") }
        }
        for value in injections + ["", "Zoë", String(repeating: "v", count: 901)] {
            #expect(throws: LumoraError.self) { try MailHeader("X-Lumora-Store", value) }
        }
        #expect(try MailHeader("x-lumora-store", "zoes-cafe").name == "X-Lumora-Store")
        #expect(throws: LumoraError.self) {
            try MailMessage(from: MailAddress("a@shop.example"), to: [MailAddress("b@example.com")], subject: "s", text: "t",
                            headers: [MailHeader("X-Lumora-Store", "a"), MailHeader("x-lumora-store", "b")])
        }
    }

    @Test func decodingValidatesToo() throws {
        let json = #"{"from":{"address":"a@shop.example"},"to":[{"address":"b@example.com"}],"subject":"hi\r\nBcc: c@example.com","text":"t"}"#
        #expect(throws: (any Error).self) { try JSONDecoder().decode(MailMessage.self, from: Data(json.utf8)) }
        let header = #"{"from":{"address":"a@shop.example"},"to":[{"address":"b@example.com"}],"subject":"hi","text":"t","headers":[{"name":"Bcc","value":"c@example.com"}]}"#
        #expect(throws: (any Error).self) { try JSONDecoder().decode(MailMessage.self, from: Data(header.utf8)) }
        let address = #"{"from":{"address":"a@shop.example\r\nBcc: c@example.com"},"to":[{"address":"b@example.com"}],"subject":"hi","text":"t"}"#
        #expect(throws: (any Error).self) { try JSONDecoder().decode(MailMessage.self, from: Data(address.utf8)) }

        let message = try MailMessage(from: MailAddress("a@shop.example", displayName: "Zoë"), to: [MailAddress("b@example.com")],
                                      replyTo: MailAddress("help@shop.example"), subject: "Hi", text: "t", html: "<p>t</p>",
                                      headers: [MailHeader("X-Lumora-Store", "zoes-cafe")])
        #expect(try JSONDecoder().decode(MailMessage.self, from: JSONEncoder().encode(message)) == message)
    }

    /// Text that looks like headers stays in the body, where it is harmless.
    @Test func headerLookingBodyTextStaysInTheBody() throws {
        let message = try MailMessage(from: MailAddress("a@shop.example"), to: [MailAddress("b@example.com")], subject: "hi",
                                      text: "\r\nBcc: victim@example.com\r\n\r\nmore", html: "\nBcc: victim@example.com")
        let parsed = MIMEParser.parse(try MIMEEncoder().encode(message).bytes)
        #expect(!parsed.headers.contains { $0.name.lowercased() == "bcc" })
        #expect(parsed.text == "\nBcc: victim@example.com\n\nmore")
    }

    /// Even if validation were bypassed, a line break could only reach a header base64-encoded.
    @Test func theEncoderNeverWritesRawLineBreaksIntoHeaders() {
        for text in injections {
            let tokens = MIMEEncoder.unstructuredTokens(text) + MIMEEncoder.phraseTokens(text)
            #expect(tokens.allSatisfy { !$0.contains("\r") && !$0.contains("\n") && !$0.unicodeScalars.contains { $0.value < 0x20 } })
        }
    }
}
