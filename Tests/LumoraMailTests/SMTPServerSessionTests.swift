import Foundation
import Testing
@testable import LumoraMail

/// The catcher's side of the conversation, without sockets.
@Suite struct SMTPServerSessionTests {
    func session(tls: Bool = false, limit: Int = 1 << 20) -> SMTPServerSession {
        SMTPServerSession(hostname: "catcher", tlsAvailable: tls, maximumMessageSize: limit)
    }

    func replies(_ session: inout SMTPServerSession, _ line: String) -> [String] {
        session.receive(line: Array(line.utf8)).compactMap { if case .reply(let text) = $0 { text } else { nil } }
    }

    func delivered(_ session: inout SMTPServerSession, _ line: String) -> (SMTPServerSession.Envelope, String)? {
        for case .deliver(let envelope, let data) in session.receive(line: Array(line.utf8)) {
            return (envelope, String(decoding: data, as: UTF8.self))
        }
        return nil
    }

    @Test func aWholeTransactionWithUnstuffing() throws {
        var session = session()
        #expect(replies(&session, "MAIL FROM:<a@b.example>") == ["503 5.5.1 EHLO first"])
        #expect(replies(&session, "EHLO client")[0].hasPrefix("250-catcher greets client\r\n250-SIZE 1048576"))
        #expect(replies(&session, "DATA") == ["503 5.5.1 MAIL first"])
        #expect(replies(&session, "mail from:<a@b.example> SIZE=100") == ["250 2.1.0 Ok"])
        #expect(replies(&session, "DATA") == ["503 5.5.1 RCPT first"])
        #expect(replies(&session, "RCPT TO:<c@d.example>") == ["250 2.1.5 Ok"])
        #expect(replies(&session, "RCPT TO:<e@f.example>") == ["250 2.1.5 Ok"])
        #expect(replies(&session, "DATA") == ["354 End data with <CR><LF>.<CR><LF>"])
        for line in ["Subject: x", "", "..one dot", "...", "plain"] { #expect(replies(&session, line).isEmpty) }
        let (envelope, data) = try #require(delivered(&session, "."))
        #expect(envelope == .init(from: "a@b.example", to: ["c@d.example", "e@f.example"], usedTLS: false, user: nil))
        #expect(data == "Subject: x\r\n\r\n.one dot\r\n..\r\nplain\r\n")
        #expect(replies(&session, "NOOP") == ["250 2.0.0 Ok"])
        #expect(replies(&session, "RCPT TO:<c@d.example>") == ["503 5.5.1 MAIL first"])
        #expect(session.receive(line: Array("QUIT".utf8)) == [.reply("221 2.0.0 Bye"), .close])
    }

    @Test func rsetForgetsTheTransaction() {
        var session = session()
        _ = replies(&session, "HELO client")
        _ = replies(&session, "MAIL FROM:<a@b.example>")
        #expect(replies(&session, "MAIL FROM:<a@b.example>") == ["503 5.5.1 Nested MAIL command"])
        #expect(replies(&session, "RSET") == ["250 2.0.0 Ok"])
        #expect(replies(&session, "MAIL FROM:<>") == ["250 2.1.0 Ok"])
    }

    @Test func tooLargeIsRefusedWith552() {
        var session = session(limit: 100)
        _ = replies(&session, "EHLO client")
        #expect(replies(&session, "MAIL FROM:<a@b.example> SIZE=101") == ["552 5.3.4 Message size exceeds fixed limit of 100 bytes"])
        _ = replies(&session, "MAIL FROM:<a@b.example>")
        _ = replies(&session, "RCPT TO:<c@d.example>")
        _ = replies(&session, "DATA")
        for _ in 0..<10 { #expect(replies(&session, String(repeating: "x", count: 20)).isEmpty) }
        #expect(replies(&session, ".") == ["552 5.3.4 Message size exceeds fixed limit of 100 bytes"])
        // The connection carries on with a fresh transaction.
        #expect(replies(&session, "MAIL FROM:<a@b.example>") == ["250 2.1.0 Ok"])
    }

    @Test func authPlainAndLoginRecordTheUser() throws {
        var plain = session()
        _ = replies(&plain, "EHLO client")
        #expect(replies(&plain, "AUTH PLAIN") == ["334 "])
        #expect(replies(&plain, Data("\u{0}ann\u{0}pw".utf8).base64EncodedString()) == ["235 2.7.0 Authentication successful"])
        _ = replies(&plain, "MAIL FROM:<a@b.example>")
        _ = replies(&plain, "RCPT TO:<c@d.example>")
        _ = replies(&plain, "DATA")
        #expect(try #require(delivered(&plain, ".")).0.user == "ann")

        var login = session()
        _ = replies(&login, "EHLO client")
        #expect(replies(&login, "AUTH LOGIN") == ["334 VXNlcm5hbWU6"])
        #expect(replies(&login, Data("bob".utf8).base64EncodedString()) == ["334 UGFzc3dvcmQ6"])
        #expect(replies(&login, Data("pw".utf8).base64EncodedString()) == ["235 2.7.0 Authentication successful"])
        #expect(replies(&login, "AUTH LOGIN") == ["503 5.5.1 Already authenticated"])
        #expect(replies(&login, "AUTH CRAM-MD5")[0].hasPrefix("503"))
    }

    @Test func startTLSResetsTheSession() {
        var session = session(tls: true)
        #expect(replies(&session, "EHLO client")[0].contains("250-STARTTLS"))
        #expect(session.receive(line: Array("STARTTLS".utf8)) == [.reply("220 2.0.0 Ready to start TLS"), .startTLS])
        session.tlsStarted()
        #expect(replies(&session, "MAIL FROM:<a@b.example>") == ["503 5.5.1 EHLO first"])
        let ehlo = replies(&session, "EHLO client")[0]
        #expect(!ehlo.contains("STARTTLS") && ehlo.contains("AUTH PLAIN LOGIN"))
        #expect(replies(&session, "STARTTLS") == ["503 5.5.1 TLS already active"])
        var plain = self.session()
        #expect(replies(&plain, "STARTTLS") == ["454 4.7.0 TLS not available"])
    }
}
