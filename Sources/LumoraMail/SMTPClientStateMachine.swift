import Foundation
import LumoraCore

/// The client side of one SMTP conversation (RFC 5321, STARTTLS from RFC 3207, AUTH from
/// RFC 4954), without I/O: fed the server's reply lines, it says what to do next. The channel
/// handler does the writing and the TLS; tests drive this directly.
///
/// One command is in flight at a time (no PIPELINING): a transactional mail has a handful of
/// recipients, and waiting for each reply makes every failure point at its step.
public struct SMTPClientStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        /// Nothing to do until the next line (a multi-line reply is not complete yet).
        case wait
        /// Write this command line, followed by CRLF.
        case send(String)
        /// Write the message: already dot-stuffed and ending in CRLF.CRLF.
        case sendMessage([UInt8])
        /// Put TLS under the connection now; call `tlsEstablished()` once its handshake is done.
        case startTLS
        /// The server accepted the message: the send succeeded. Say `QUIT` and close.
        case succeed
        /// The send failed. Say `QUIT` first when `quit` (the server is still listening), then close.
        case fail(SMTPError, quit: Bool)
    }

    private enum State: Equatable {
        case greeting
        case ehlo
        case startTLS
        case tlsHandshake
        case authPlain
        case authLoginUser
        case authLoginPassword
        case authLoginResult
        case mailFrom
        case rcptTo(Int)
        case data
        case messageBody
        case done
    }

    struct Capabilities: Equatable {
        var startTLS = false
        var authMechanisms: Set<String> = []
        var maximumSize: Int?

        /// From the lines after the first of an EHLO reply (`STARTTLS`, `AUTH PLAIN LOGIN`,
        /// the older `AUTH=LOGIN`, `SIZE 10240000`).
        init(ehloLines: some Sequence<String>) {
            for line in ehloLines {
                let words = line.uppercased().split(separator: " ")
                guard let keyword = words.first else { continue }
                if keyword == "STARTTLS" {
                    startTLS = true
                } else if keyword == "AUTH" || keyword.hasPrefix("AUTH=") {
                    let first = keyword.hasPrefix("AUTH=") ? [keyword.dropFirst(5)] : []
                    authMechanisms.formUnion((first + words.dropFirst()).map(String.init))
                } else if keyword == "SIZE", words.count > 1, let size = Int(words[1]), size > 0 {
                    maximumSize = size
                }
            }
        }

        init() {}
    }

    private let configuration: SMTPConfiguration
    private let envelopeFrom: MailAddress?
    private let recipients: [MailAddress]
    private let message: [UInt8]
    /// Only checking the server (`lumora doctor`): done once it would take a mail.
    private let verifying: Bool
    private var state: State = .greeting
    private var replies = SMTPReplyParser()
    private var tlsActive: Bool
    private(set) var capabilities = Capabilities()

    /// `message` is the RFC 5322 text (`MIMEEncoder`'s bytes); it is dot-stuffed here.
    public init(configuration: SMTPConfiguration, envelopeFrom: MailAddress, recipients: [MailAddress], message: [UInt8]) throws(LumoraError) {
        try configuration.validate()
        guard !recipients.isEmpty else {
            throw LumoraError(.badRequest, code: "invalid_mail", message: "a mail needs at least one recipient")
        }
        self.configuration = configuration
        self.envelopeFrom = envelopeFrom
        self.recipients = recipients
        self.message = Self.dotStuffed(message)
        verifying = false
        tlsActive = configuration.security == .implicitTLS
    }

    /// A conversation that checks the server takes this configuration — greeting, EHLO, TLS,
    /// AUTH — and succeeds where a mail would begin, without sending one.
    public init(verifying configuration: SMTPConfiguration) throws(LumoraError) {
        try configuration.validate()
        self.configuration = configuration
        envelopeFrom = nil
        recipients = []
        message = []
        verifying = true
        tlsActive = configuration.security == .implicitTLS
    }

    /// The step the conversation is at (a failure that is not a reply is reported against it).
    public var step: SMTPError.Step {
        switch state {
        case .greeting: .greeting
        case .ehlo: .ehlo
        case .startTLS: .startTLS
        case .tlsHandshake: .tlsHandshake
        case .authPlain, .authLoginUser, .authLoginPassword, .authLoginResult: .auth
        case .mailFrom: .mailFrom
        case .rcptTo: .rcptTo
        case .data: .data
        case .messageBody, .done: .messageBody
        }
    }

    public var isFinished: Bool { state == .done }

    // MARK: Events

    /// One line the server sent, without its CRLF.
    public mutating func receive(line: String) -> Action {
        switch state {
        case .done:
            return .wait
        case .tlsHandshake:
            // Plaintext after "220 ready for TLS" would be read as if it came over TLS
            // (the STARTTLS injection of CVE-2011-0411).
            return fail(SMTPError(kind: .transient, step: .tlsHandshake, message: "the server sent data between its STARTTLS reply and the TLS handshake"), quit: false)
        default:
            break
        }
        let reply: SMTPReply
        do {
            guard let complete = try replies.feed(line) else { return .wait }
            reply = complete
        } catch {
            return fail(SMTPError(kind: .transient, step: step, message: "the server's reply is not SMTP: '\(error.line)'"), quit: false)
        }
        return handle(reply)
    }

    /// The TLS handshake `startTLS` asked for is done: capabilities are forgotten and asked
    /// again over TLS, as RFC 3207 §4.2 requires.
    public mutating func tlsEstablished() -> Action {
        guard state == .tlsHandshake else { return .wait }
        tlsActive = true
        capabilities = Capabilities()
        return sendEHLO()
    }

    /// The connection closed (or failed) before the conversation ended.
    public mutating func connectionClosed(_ reason: String? = nil) -> Action {
        guard state != .done else { return .wait }
        let what = reason.map { ": \($0)" } ?? ""
        return fail(SMTPError(kind: .transient, step: step, message: "the connection closed during \(step.rawValue)\(what)"), quit: false)
    }

    /// The connection failed: TLS refused the server's certificate, the socket reset, …
    public mutating func connectionFailed(_ reason: String) -> Action {
        guard state != .done else { return .wait }
        return fail(SMTPError(kind: .transient, step: step, message: reason), quit: false)
    }

    /// The send's deadline passed.
    public mutating func timedOut(after limit: Duration) -> Action {
        guard state != .done else { return .wait }
        return fail(SMTPError(kind: .transient, step: step, message: "no answer within \(limit) (waiting at \(step.rawValue))"), quit: false)
    }

    // MARK: The conversation

    private mutating func handle(_ reply: SMTPReply) -> Action {
        switch state {
        case .greeting:
            guard reply.code == 220 else { return refused(reply) }
            return sendEHLO()
        case .ehlo:
            guard reply.code == 250 else { return refused(reply) }
            capabilities = Capabilities(ehloLines: reply.lines.dropFirst())
            return afterEHLO()
        case .startTLS:
            guard reply.code == 220 else { return refused(reply) }
            state = .tlsHandshake
            return .startTLS
        case .authPlain, .authLoginResult:
            guard reply.code == 235 else { return refused(reply) }
            return sendMailFrom()
        case .authLoginUser:
            guard reply.code == 334, let credentials = configuration.credentials else { return refused(reply) }
            state = .authLoginPassword
            return .send(Data(credentials.user.utf8).base64EncodedString())
        case .authLoginPassword:
            guard reply.code == 334, let credentials = configuration.credentials else { return refused(reply) }
            state = .authLoginResult
            return .send(Data(credentials.password.utf8).base64EncodedString())
        case .mailFrom:
            guard reply.code == 250 else { return refused(reply) }
            state = .rcptTo(0)
            return .send("RCPT TO:<\(recipients[0].address)>")
        case .rcptTo(let index):
            guard reply.code == 250 || reply.code == 251 else { return refused(reply, recipient: recipients[index].address) }
            guard index + 1 < recipients.count else {
                state = .data
                return .send("DATA")
            }
            state = .rcptTo(index + 1)
            return .send("RCPT TO:<\(recipients[index + 1].address)>")
        case .data:
            guard reply.code == 354 else { return refused(reply) }
            state = .messageBody
            return .sendMessage(message)
        case .messageBody:
            guard reply.code == 250 else { return refused(reply) }
            state = .done
            return .succeed
        case .tlsHandshake, .done:
            return .wait
        }
    }

    private mutating func sendEHLO() -> Action {
        state = .ehlo
        return .send("EHLO \(configuration.heloName)")
    }

    private mutating func afterEHLO() -> Action {
        if configuration.security == .startTLS, !tlsActive {
            guard capabilities.startTLS else {
                return fail(SMTPError(kind: .permanent, step: .startTLS,
                                      message: "the server does not offer STARTTLS, and this configuration requires TLS (tls=none turns it off, for loopback only)"), quit: true)
            }
            state = .startTLS
            return .send("STARTTLS")
        }
        guard let credentials = configuration.credentials else { return sendMailFrom() }
        // `validate()` already refuses such a configuration; the machine does not rely on it.
        guard tlsActive || configuration.isLoopback else {
            return fail(SMTPError(kind: .permanent, step: .auth,
                                  message: "refusing to send credentials without TLS to \(configuration.host), which is not loopback"), quit: true)
        }
        if capabilities.authMechanisms.contains("PLAIN") {
            state = .authPlain
            // RFC 4616: authorization identity (empty: the same), NUL, user, NUL, password.
            let response = Data([0] + Array(credentials.user.utf8) + [0] + Array(credentials.password.utf8)).base64EncodedString()
            return .send("AUTH PLAIN \(response)")
        }
        if capabilities.authMechanisms.contains("LOGIN") {
            state = .authLoginUser
            return .send("AUTH LOGIN")
        }
        let offered = capabilities.authMechanisms.isEmpty ? "none" : capabilities.authMechanisms.sorted().joined(separator: " ")
        return fail(SMTPError(kind: .permanent, step: .auth,
                              message: "credentials are configured but the server offers neither AUTH PLAIN nor AUTH LOGIN (it offers: \(offered))"), quit: true)
    }

    private mutating func sendMailFrom() -> Action {
        guard !verifying, let envelopeFrom else {
            state = .done
            return .succeed
        }
        if let maximum = capabilities.maximumSize, message.count > maximum {
            return fail(SMTPError(kind: .permanent, step: .mailFrom,
                                  message: "the message is \(message.count) bytes and the server takes at most \(maximum)"), quit: true)
        }
        state = .mailFrom
        let size = capabilities.maximumSize == nil ? "" : " SIZE=\(message.count)"
        return .send("MAIL FROM:<\(envelopeFrom.address)>\(size)")
    }

    /// A reply that is not the one this step wants. After 421 the server is closing the
    /// connection on its side (RFC 5321 §3.8), so there is no one to say QUIT to.
    private mutating func refused(_ reply: SMTPReply, recipient: String? = nil) -> Action {
        fail(SMTPError(reply: reply, step: step, recipient: recipient), quit: reply.code != 421)
    }

    private mutating func fail(_ error: SMTPError, quit: Bool) -> Action {
        state = .done
        return .fail(error, quit: quit)
    }

    // MARK: Dot-stuffing

    /// `message` as DATA sends it (RFC 5321 §4.5.2): every line ends in CRLF (a bare CR or LF
    /// becomes one, so no server can find an early end of data in it), a line that starts with
    /// "." gets a second one, and a line holding "." alone ends it.
    public static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var lines = LineBreaks.lines(message)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var output: [UInt8] = []
        output.reserveCapacity(message.count + message.count / 64 + 5)
        for line in lines {
            if line.first == UInt8(ascii: ".") { output.append(UInt8(ascii: ".")) }
            output.append(contentsOf: line)
            output.append(contentsOf: [0x0D, 0x0A])
        }
        output.append(contentsOf: Array(".\r\n".utf8))
        return output
    }
}
