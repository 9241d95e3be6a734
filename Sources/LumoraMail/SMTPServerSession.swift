import Foundation

/// The server side of one SMTP conversation as the mail catcher holds it, without I/O: each
/// command line in, the replies and what to do out. Accepts any credentials (it is a catcher,
/// not a gate) but records who claimed to be whom.
struct SMTPServerSession {
    enum Action: Equatable {
        /// One reply (lines joined by CRLF, without the last CRLF).
        case reply(String)
        /// After the 220 reply to STARTTLS has been written: start TLS, dropping any plaintext
        /// already read (RFC 3207 §4), and call `tlsStarted()`.
        case startTLS
        /// The message is complete: store it and reply with its id.
        case deliver(Envelope, [UInt8])
        case close
    }

    struct Envelope: Equatable {
        var from: String
        var to: [String]
        var usedTLS: Bool
        var user: String?
    }

    private enum Mode: Equatable {
        case command
        case data
        case authPlain
        case authLoginUser
        case authLoginPassword(user: String)
        case closed
    }

    static let maximumRecipients = 1000

    let hostname: String
    let tlsAvailable: Bool
    let maximumMessageSize: Int
    private var mode: Mode = .command
    private var greeted = false
    private(set) var tlsActive = false
    private var user: String?
    private var from: String?
    private var recipients: [String] = []
    private var data: [UInt8] = []
    private var dataTooLarge = false

    init(hostname: String, tlsAvailable: Bool, maximumMessageSize: Int) {
        self.hostname = hostname
        self.tlsAvailable = tlsAvailable
        self.maximumMessageSize = maximumMessageSize
    }

    func greeting() -> Action {
        .reply("220 \(hostname) ESMTP Lumora mail catcher")
    }

    /// TLS is under the connection now; the client starts over with EHLO (RFC 3207 §4.2).
    mutating func tlsStarted() {
        tlsActive = true
        greeted = false
        user = nil
        resetTransaction()
    }

    mutating func lineTooLong() -> [Action] {
        mode = .closed
        return [.reply("500 5.5.6 Line too long"), .close]
    }

    mutating func receive(line: [UInt8]) -> [Action] {
        switch mode {
        case .closed:
            return []
        case .data:
            return receiveData(line)
        case .authPlain:
            mode = .command
            return finishAuthPlain(String(decoding: line, as: UTF8.self))
        case .authLoginUser:
            let text = String(decoding: line, as: UTF8.self)
            guard text != "*", let user = decodeBase64(text) else { return authCancelled() }
            mode = .authLoginPassword(user: user)
            return [.reply("334 UGFzc3dvcmQ6")]
        case .authLoginPassword(let user):
            mode = .command
            guard String(decoding: line, as: UTF8.self) != "*" else { return authCancelled() }
            return authenticated(user)
        case .command:
            return command(String(decoding: line, as: UTF8.self))
        }
    }

    private mutating func command(_ line: String) -> [Action] {
        let verb = line.prefix(while: { $0 != " " }).uppercased()
        let argument = line.drop(while: { $0 != " " }).drop(while: { $0 == " " })
        switch verb {
        case "EHLO":
            guard !argument.isEmpty else { return [.reply("501 5.5.4 EHLO needs a domain")] }
            greeted = true
            resetTransaction()
            var lines = ["\(hostname) greets \(argument.shownInError(64))", "SIZE \(maximumMessageSize)", "8BITMIME", "ENHANCEDSTATUSCODES"]
            if tlsAvailable, !tlsActive { lines.append("STARTTLS") }
            lines.append("AUTH PLAIN LOGIN")
            return [.reply(multiline(250, lines))]
        case "HELO":
            guard !argument.isEmpty else { return [.reply("501 5.5.4 HELO needs a domain")] }
            greeted = true
            resetTransaction()
            return [.reply("250 \(hostname)")]
        case "STARTTLS":
            guard tlsAvailable else { return [.reply("454 4.7.0 TLS not available")] }
            guard !tlsActive else { return [.reply("503 5.5.1 TLS already active")] }
            return [.reply("220 2.0.0 Ready to start TLS"), .startTLS]
        case "AUTH":
            return auth(argument)
        case "MAIL":
            return mail(argument)
        case "RCPT":
            return rcpt(argument)
        case "DATA":
            guard from != nil else { return [.reply("503 5.5.1 MAIL first")] }
            guard !recipients.isEmpty else { return [.reply("503 5.5.1 RCPT first")] }
            mode = .data
            data = []
            dataTooLarge = false
            return [.reply("354 End data with <CR><LF>.<CR><LF>")]
        case "RSET":
            resetTransaction()
            return [.reply("250 2.0.0 Ok")]
        case "NOOP":
            return [.reply("250 2.0.0 Ok")]
        case "VRFY":
            return [.reply("252 2.5.2 Cannot VRFY, but will accept the message")]
        case "QUIT":
            mode = .closed
            return [.reply("221 2.0.0 Bye"), .close]
        default:
            return [.reply("500 5.5.2 Command not recognized")]
        }
    }

    private mutating func auth(_ argument: Substring) -> [Action] {
        guard greeted else { return [.reply("503 5.5.1 EHLO first")] }
        guard user == nil else { return [.reply("503 5.5.1 Already authenticated")] }
        guard from == nil else { return [.reply("503 5.5.1 AUTH is not allowed during a mail transaction")] }
        let words = argument.split(separator: " ")
        switch words.first?.uppercased() {
        case "PLAIN":
            guard words.count > 1 else {
                mode = .authPlain
                return [.reply("334 ")]
            }
            return finishAuthPlain(String(words[1]))
        case "LOGIN":
            guard words.count > 1 else {
                mode = .authLoginUser
                return [.reply("334 VXNlcm5hbWU6")]
            }
            guard let user = decodeBase64(String(words[1])) else { return authCancelled() }
            mode = .authLoginPassword(user: user)
            return [.reply("334 UGFzc3dvcmQ6")]
        default:
            return [.reply("504 5.5.4 Unrecognized authentication type")]
        }
    }

    /// RFC 4616: `authzid NUL authcid NUL password`; the catcher keeps the authcid.
    private mutating func finishAuthPlain(_ response: String) -> [Action] {
        guard response != "*" else { return authCancelled() }
        guard let data = Data(base64Encoded: response) else { return [.reply("501 5.5.2 Cannot decode the response")] }
        let fields = data.split(separator: 0, omittingEmptySubsequences: false)
        guard fields.count == 3, !fields[1].isEmpty else { return [.reply("501 5.5.2 Malformed PLAIN response")] }
        return authenticated(String(decoding: fields[1], as: UTF8.self))
    }

    private mutating func authenticated(_ user: String) -> [Action] {
        self.user = user
        return [.reply("235 2.7.0 Authentication successful")]
    }

    private mutating func authCancelled() -> [Action] {
        mode = .command
        return [.reply("501 5.7.0 Authentication cancelled")]
    }

    private func decodeBase64(_ text: String) -> String? {
        Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) }
    }

    private mutating func mail(_ argument: Substring) -> [Action] {
        guard greeted else { return [.reply("503 5.5.1 EHLO first")] }
        guard from == nil else { return [.reply("503 5.5.1 Nested MAIL command")] }
        guard let (address, parameters) = path(argument, prefix: "FROM:") else {
            return [.reply("501 5.5.4 Syntax: MAIL FROM:<address>")]
        }
        for parameter in parameters {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].uppercased() == "SIZE", let size = Int(pair[1]), size > maximumMessageSize {
                return [.reply("552 5.3.4 Message size exceeds fixed limit of \(maximumMessageSize) bytes")]
            }
        }
        from = address
        return [.reply("250 2.1.0 Ok")]
    }

    private mutating func rcpt(_ argument: Substring) -> [Action] {
        guard from != nil else { return [.reply("503 5.5.1 MAIL first")] }
        guard let (address, _) = path(argument, prefix: "TO:"), !address.isEmpty else { return [.reply("501 5.5.4 Syntax: RCPT TO:<address>")] }
        guard recipients.count < Self.maximumRecipients else { return [.reply("452 4.5.3 Too many recipients")] }
        recipients.append(address)
        return [.reply("250 2.1.5 Ok")]
    }

    /// `FROM:<a@b> SIZE=10` → ("a@b", ["SIZE=10"]); the brackets may be missing, as some
    /// clients send it.
    private func path(_ argument: Substring, prefix: String) -> (String, [Substring])? {
        guard argument.uppercased().hasPrefix(prefix) else { return nil }
        let rest = argument.dropFirst(prefix.count).drop(while: { $0 == " " })
        if rest.hasPrefix("<") {
            guard let close = rest.firstIndex(of: ">") else { return nil }
            return (String(rest[rest.index(after: rest.startIndex)..<close]), rest[rest.index(after: close)...].split(separator: " "))
        }
        let words = rest.split(separator: " ")
        guard let first = words.first else { return nil }
        return (String(first), Array(words.dropFirst()))
    }

    private mutating func receiveData(_ line: [UInt8]) -> [Action] {
        if line == [UInt8(ascii: ".")] {
            mode = .command
            defer { resetTransaction() }
            if dataTooLarge { return [.reply("552 5.3.4 Message size exceeds fixed limit of \(maximumMessageSize) bytes")] }
            return [.deliver(Envelope(from: from ?? "", to: recipients, usedTLS: tlsActive, user: user), data)]
        }
        guard !dataTooLarge else { return [] }
        let content = line.first == UInt8(ascii: ".") ? line.dropFirst() : line[...]
        guard data.count + content.count + 2 <= maximumMessageSize else {
            // Keep reading to the final "." so the reply lands where the client expects it.
            dataTooLarge = true
            data = []
            return []
        }
        data.append(contentsOf: content)
        data.append(contentsOf: [0x0D, 0x0A])
        return []
    }

    private mutating func resetTransaction() {
        from = nil
        recipients = []
        data = []
        dataTooLarge = false
    }

    private func multiline(_ code: Int, _ lines: [String]) -> String {
        lines.enumerated().map { index, line in "\(code)\(index == lines.count - 1 ? " " : "-")\(line)" }.joined(separator: "\r\n")
    }
}
