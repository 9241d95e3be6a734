import Foundation
import LumoraCore
import Testing
@testable import LumoraMail

/// The client's conversation, fed reply lines by hand: no sockets, every step and failure.
@Suite struct SMTPClientStateMachineTests {
    static let message = Array("Subject: hi\r\n\r\nhello\r\n".utf8)

    func machine(_ url: String = "smtp://127.0.0.1:2525?tls=none", recipients: [String] = ["ann@example.com"],
                 message: [UInt8] = message) throws -> SMTPClientStateMachine {
        try SMTPClientStateMachine(configuration: try SMTPConfiguration(url: url, heloName: "shop.example"),
                                   envelopeFrom: try MailAddress("bounces@shop.example"),
                                   recipients: try recipients.map { try MailAddress($0) }, message: message)
    }

    /// Feeds `lines` one by one; every line but the last must leave the machine waiting.
    func feed(_ machine: inout SMTPClientStateMachine, _ lines: String...) -> SMTPClientStateMachine.Action {
        for line in lines.dropLast() {
            #expect(machine.receive(line: line) == .wait, "'\(line)' should be a continuation line")
        }
        return machine.receive(line: lines.last!)
    }

    func failure(_ action: SMTPClientStateMachine.Action) -> (error: SMTPError, quit: Bool)? {
        if case .fail(let error, let quit) = action { return (error, quit) }
        return nil
    }

    @Test func happyPathWithoutTLSOrAuth() throws {
        var machine = try machine()
        #expect(feed(&machine, "220 mx.example ESMTP ready") == .send("EHLO shop.example"))
        #expect(feed(&machine, "250-mx.example greets shop.example", "250-8BITMIME", "250 PIPELINING") == .send("MAIL FROM:<bounces@shop.example>"))
        #expect(feed(&machine, "250 2.1.0 Ok") == .send("RCPT TO:<ann@example.com>"))
        #expect(feed(&machine, "250 2.1.5 Ok") == .send("DATA"))
        #expect(feed(&machine, "354 End data with <CR><LF>.<CR><LF>") == .sendMessage(Array("Subject: hi\r\n\r\nhello\r\n.\r\n".utf8)))
        #expect(machine.step == .messageBody)
        #expect(feed(&machine, "250 2.0.0 Ok: queued as 12") == .succeed)
        #expect(machine.isFinished)
        // Whatever comes after (the reply to QUIT) changes nothing.
        #expect(feed(&machine, "221 2.0.0 Bye") == .wait)
        #expect(machine.connectionClosed() == .wait)
    }

    /// `lumora doctor`'s check: the conversation up to where a mail would begin, then done.
    @Test func verifyingStopsWhereAMailWouldBegin() throws {
        var machine = try SMTPClientStateMachine(verifying: try SMTPConfiguration(url: "smtp://wile:secret@127.0.0.1:2525?tls=none", heloName: "shop.example"))
        #expect(feed(&machine, "220 mx.example ESMTP ready") == .send("EHLO shop.example"))
        #expect(feed(&machine, "250-mx.example", "250 AUTH PLAIN") == .send("AUTH PLAIN AHdpbGUAc2VjcmV0"))
        #expect(feed(&machine, "235 2.7.0 Authentication successful") == .succeed)
        #expect(machine.isFinished)

        var refused = try SMTPClientStateMachine(verifying: try SMTPConfiguration(url: "smtp://127.0.0.1:2525?tls=none"))
        #expect(failure(feed(&refused, "421 4.3.2 down for maintenance"))?.error.code == 421)
    }

    @Test func everyRecipientGetsARcptTo() throws {
        var machine = try machine(recipients: ["ann@example.com", "bob@example.org", "cy@example.net"])
        _ = feed(&machine, "220 ready")
        _ = feed(&machine, "250 mx")
        #expect(feed(&machine, "250 Ok") == .send("RCPT TO:<ann@example.com>"))
        #expect(feed(&machine, "250 Ok") == .send("RCPT TO:<bob@example.org>"))
        #expect(feed(&machine, "251 User not local; will forward") == .send("RCPT TO:<cy@example.net>"))
        #expect(feed(&machine, "250 Ok") == .send("DATA"))
    }

    @Test func startTLSThenAuthPlain() throws {
        var machine = try machine("smtp://shop%40example.com:s%3Acret@mail.example.com:587")
        #expect(feed(&machine, "220 mail.example.com ESMTP") == .send("EHLO shop.example"))
        #expect(feed(&machine, "250-mail.example.com", "250-STARTTLS", "250 SIZE 1000") == .send("STARTTLS"))
        #expect(feed(&machine, "220 2.0.0 Ready to start TLS") == .startTLS)
        #expect(machine.step == .tlsHandshake)
        // Capabilities are asked again over TLS; AUTH only shows up there.
        #expect(machine.tlsEstablished() == .send("EHLO shop.example"))
        let expected = Data("\u{0}shop@example.com\u{0}s:cret".utf8).base64EncodedString()
        #expect(feed(&machine, "250-mail.example.com", "250-AUTH LOGIN PLAIN", "250 SIZE 1000") == .send("AUTH PLAIN \(expected)"))
        #expect(feed(&machine, "235 2.7.0 Authentication successful") == .send("MAIL FROM:<bounces@shop.example> SIZE=\(Self.message.count + 3)"))
    }

    @Test func authLoginWhenThatIsAllTheServerOffers() throws {
        var machine = try machine("smtps://shop:secret@mail.example.com")
        // Implicit TLS: no STARTTLS, straight to AUTH.
        _ = feed(&machine, "220 mail.example.com")
        #expect(feed(&machine, "250-mail.example.com", "250 AUTH=LOGIN") == .send("AUTH LOGIN"))
        #expect(feed(&machine, "334 VXNlcm5hbWU6") == .send(Data("shop".utf8).base64EncodedString()))
        #expect(feed(&machine, "334 UGFzc3dvcmQ6") == .send(Data("secret".utf8).base64EncodedString()))
        #expect(feed(&machine, "235 2.7.0 Accepted") == .send("MAIL FROM:<bounces@shop.example>"))
    }

    @Test func badCredentialsArePermanent() throws {
        var machine = try machine("smtps://shop:wrong@mail.example.com")
        _ = feed(&machine, "220 mail.example.com")
        _ = feed(&machine, "250-mail.example.com", "250 AUTH PLAIN")
        let (error, quit) = try #require(failure(feed(&machine, "535 5.7.8 Authentication credentials invalid")))
        #expect(error == SMTPError(kind: .permanent, step: .auth, code: 535, message: "5.7.8 Authentication credentials invalid"))
        #expect(quit)
    }

    @Test func refusesWhenTLSIsRequiredButNotOffered() throws {
        var machine = try machine("smtp://shop:secret@mail.example.com")
        _ = feed(&machine, "220 mail.example.com")
        let (error, quit) = try #require(failure(feed(&machine, "250-mail.example.com", "250 AUTH PLAIN LOGIN")))
        #expect(error.kind == .permanent && error.step == .startTLS && error.code == nil)
        #expect(error.message.contains("does not offer STARTTLS"))
        #expect(quit)
    }

    @Test func refusesCredentialsWithoutAMechanismItSpeaks() throws {
        var machine = try machine("smtps://shop:secret@mail.example.com")
        _ = feed(&machine, "220 mail.example.com")
        let (error, _) = try #require(failure(feed(&machine, "250-mail.example.com", "250 AUTH CRAM-MD5 XOAUTH2")))
        #expect(error.kind == .permanent && error.step == .auth)
        #expect(error.message.contains("CRAM-MD5 XOAUTH2"))
    }

    @Test func refusesPlaintextCredentialsToAnotherHost() throws {
        var configuration = SMTPConfiguration(host: "mail.example.com", port: 25, security: .none)
        configuration.credentials = .init(user: "shop", password: "secret")
        #expect(throws: LumoraError.self) {
            try SMTPClientStateMachine(configuration: configuration, envelopeFrom: try MailAddress("a@shop.example"),
                                       recipients: [try MailAddress("b@example.com")], message: Self.message)
        }
        // On loopback nothing crosses a network: allowed.
        configuration.host = "127.0.0.1"
        var machine = try SMTPClientStateMachine(configuration: configuration, envelopeFrom: try MailAddress("a@shop.example"),
                                                 recipients: [try MailAddress("b@example.com")], message: Self.message)
        _ = feed(&machine, "220 catcher")
        #expect(feed(&machine, "250-catcher", "250 AUTH PLAIN") == .send("AUTH PLAIN \(Data("\u{0}shop\u{0}secret".utf8).base64EncodedString())"))
    }

    @Test func plaintextAfterTheSTARTTLSReplyIsRefused() throws {
        var machine = try machine("smtp://mail.example.com")
        _ = feed(&machine, "220 mail.example.com")
        _ = feed(&machine, "250-mail.example.com", "250 STARTTLS")
        #expect(feed(&machine, "220 Go ahead") == .startTLS)
        // An attacker's "reply" squeezed in before the handshake must not count as one over TLS.
        let (error, quit) = try #require(failure(feed(&machine, "250 AUTH PLAIN")))
        #expect(error.step == .tlsHandshake && !quit)
    }

    @Test func serviceUnavailableAtGreetingIsTransient() throws {
        var machine = try machine()
        let (error, quit) = try #require(failure(feed(&machine, "421 4.3.2 Service not available, try again later")))
        #expect(error == SMTPError(kind: .transient, step: .greeting, code: 421, message: "4.3.2 Service not available, try again later"))
        #expect(error.isTransient)
        // The server closes after 421; no QUIT.
        #expect(!quit)
        #expect(error.description == "SMTP greeting failed (transient): 421 4.3.2 Service not available, try again later")
    }

    @Test(arguments: [(450, SMTPError.Kind.transient), (550, .permanent), (452, .transient), (553, .permanent)])
    func refusedRecipients(code: Int, kind: SMTPError.Kind) throws {
        var machine = try machine(recipients: ["ann@example.com", "nobody@example.com"])
        _ = feed(&machine, "220 mx")
        _ = feed(&machine, "250 mx")
        _ = feed(&machine, "250 Ok")
        #expect(feed(&machine, "250 Ok") == .send("RCPT TO:<nobody@example.com>"))
        let (error, quit) = try #require(failure(feed(&machine, "\(code) 5.1.1 <nobody@example.com>: mailbox unavailable")))
        #expect(error.kind == kind && error.step == .rcptTo && error.code == code)
        #expect(error.recipient == "nobody@example.com")
        #expect(error.description.contains("RCPT TO <nobody@example.com>"))
        #expect(quit)
    }

    @Test func rejectionAfterTheMessageIsPermanent() throws {
        var machine = try machine()
        _ = feed(&machine, "220 mx")
        _ = feed(&machine, "250 mx")
        _ = feed(&machine, "250 Ok")
        _ = feed(&machine, "250 Ok")
        _ = feed(&machine, "354 go ahead")
        let (error, _) = try #require(failure(feed(&machine, "554-5.7.1 Message rejected:", "554 5.7.1 spam score too high")))
        #expect(error == SMTPError(kind: .permanent, step: .messageBody, code: 554, message: "5.7.1 Message rejected: 5.7.1 spam score too high"))
    }

    @Test func refusedMailFromAndData() throws {
        var first = try machine()
        _ = feed(&first, "220 mx")
        _ = feed(&first, "250 mx")
        #expect(failure(feed(&first, "530 5.7.0 Authentication required"))?.error.step == .mailFrom)

        var second = try machine()
        _ = feed(&second, "220 mx")
        _ = feed(&second, "250 mx")
        _ = feed(&second, "250 Ok")
        _ = feed(&second, "250 Ok")
        let (error, _) = try #require(failure(feed(&second, "451 4.3.0 Try later")))
        #expect(error.step == .data && error.kind == .transient)
    }

    @Test func multiLineRepliesAreGatheredBeforeActing() throws {
        var machine = try machine("smtp://mail.example.com")
        #expect(feed(&machine, "220-mail.example.com ESMTP", "220-no UCE", "220 welcome") == .send("EHLO shop.example"))
        #expect(feed(&machine, "250-mail.example.com Hello", "250-SIZE 35882577", "250-8BITMIME", "250-STARTTLS",
                     "250-ENHANCEDSTATUSCODES", "250 CHUNKING") == .send("STARTTLS"))
        #expect(machine.capabilities.maximumSize == 35_882_577 && machine.capabilities.startTLS)
        // A bare code is a whole reply too.
        var bare = try self.machine()
        #expect(feed(&bare, "220") == .send("EHLO shop.example"))
    }

    @Test func malformedRepliesEndTheConversation() throws {
        for lines in [["hello there"], ["250-first", "251 second"], ["2500 too long a code"], ["650 no such class"]] {
            var machine = try machine()
            _ = feed(&machine, "220 mx")
            var action = SMTPClientStateMachine.Action.wait
            for line in lines { action = machine.receive(line: line) }
            let (error, quit) = try #require(failure(action), "\(lines)")
            #expect(error.kind == .transient && error.step == .ehlo && error.message.contains("not SMTP") && !quit)
        }
    }

    @Test func aMessageLargerThanTheServerTakesIsNotSent() throws {
        var machine = try machine(message: Array(repeating: UInt8(ascii: "x"), count: 2000))
        _ = feed(&machine, "220 mx")
        let (error, quit) = try #require(failure(feed(&machine, "250-mx", "250 SIZE 1000")))
        #expect(error.kind == .permanent && error.step == .mailFrom && error.message.contains("at most 1000") && quit)
    }

    @Test func lostConnectionsAndTimeoutsAreTransientAndSayWhere() throws {
        var machine = try machine()
        _ = feed(&machine, "220 mx")
        let (closed, _) = try #require(failure(machine.connectionClosed()))
        #expect(closed.kind == .transient && closed.step == .ehlo && closed.code == nil)

        var slow = try self.machine()
        _ = feed(&slow, "220 mx")
        _ = feed(&slow, "250 mx")
        _ = feed(&slow, "250 Ok")
        let (timedOut, quit) = try #require(failure(slow.timedOut(after: .seconds(30))))
        #expect(timedOut.kind == .transient && timedOut.step == .rcptTo && !quit)
        #expect(timedOut.message.contains("30"))
        #expect(slow.timedOut(after: .seconds(30)) == .wait)
    }

    @Test func dotStuffing() {
        func stuffed(_ text: String) -> String {
            String(decoding: SMTPClientStateMachine.dotStuffed(Array(text.utf8)), as: UTF8.self)
        }
        #expect(stuffed("a\r\n.b\r\n..c\r\n.\r\nend\r\n") == "a\r\n..b\r\n...c\r\n..\r\nend\r\n.\r\n")
        #expect(stuffed(".first line") == "..first line\r\n.\r\n")
        #expect(stuffed("") == ".\r\n")
        #expect(stuffed("no final break") == "no final break\r\n.\r\n")
        // Bare LF and CR become CRLF, so no server can see an early end of data ("SMTP smuggling").
        #expect(stuffed("x\n.\ny\r.\rz") == "x\r\n..\r\ny\r\n..\r\nz\r\n.\r\n")
        #expect(stuffed("x\r\n.\r\n") == "x\r\n..\r\n.\r\n")
    }
}
