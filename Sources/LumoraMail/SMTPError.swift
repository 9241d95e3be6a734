/// Why a mail was not sent, in the terms a retry policy needs: whether trying again later can
/// help (`transient`: a 4xx reply, a lost connection, a timeout) or not (`permanent`: a 5xx
/// reply, or a server that cannot be used as configured), at which step, and what the server
/// said.
public struct SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, Codable {
        case transient, permanent
    }

    /// Where the conversation was when it failed.
    public enum Step: String, Sendable, Equatable, Codable {
        case connect = "connect"
        case greeting = "greeting"
        case ehlo = "EHLO"
        case startTLS = "STARTTLS"
        case tlsHandshake = "TLS handshake"
        case auth = "AUTH"
        case mailFrom = "MAIL FROM"
        case rcptTo = "RCPT TO"
        case data = "DATA"
        case messageBody = "end of data"
    }

    public var kind: Kind
    public var step: Step
    /// The server's reply code; nil when the failure was not a reply (a lost connection, a
    /// timeout, a server Lumora refuses to use).
    public var code: Int?
    /// The server's text, or what went wrong when there was no reply.
    public var message: String
    /// The recipient a `RCPT TO` failure is about.
    public var recipient: String?

    public init(kind: Kind, step: Step, code: Int? = nil, message: String, recipient: String? = nil) {
        self.kind = kind
        self.step = step
        self.code = code
        self.message = message
        self.recipient = recipient
    }

    /// A refusal: 4xx is transient, 5xx permanent. Anything else where a refusal was not
    /// expected either (an out-of-place 2xx or 3xx) is a confused server, treated as transient
    /// so a fresh connection gets a chance; the retry policy's attempt limit bounds it.
    init(reply: SMTPReply, step: Step, recipient: String? = nil) {
        self.init(kind: (500..<600).contains(reply.code) ? .permanent : .transient, step: step, code: reply.code,
                  message: reply.text, recipient: recipient)
    }

    public var isTransient: Bool { kind == .transient }

    public var description: String {
        let what = recipient.map { "\(step.rawValue) <\($0)>" } ?? step.rawValue
        return "SMTP \(what) failed (\(kind.rawValue)): " + (code.map { "\($0) " } ?? "") + message
    }
}
