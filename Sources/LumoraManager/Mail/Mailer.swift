import Logging

/// Where mail goes: an SMTP server (`SMTPMailer`); without one, the console.
///
/// `send` is called by the outbox's jobs, which retry what it throws with the queue's backoff:
/// throw `PermanentJobFailure` only for a mail that can never go (a recipient the server
/// refuses for good), anything else for trouble that may pass.
public protocol Mailer: Sendable {
    func send(_ mail: Mail) async throws
}

/// Prints each mail's link in the manager's log (`lumora dev` shows it): no mail leaves the machine.
public struct ConsoleMailer: Mailer {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func send(_ mail: Mail) async throws {
        logger.notice("mail (not sent: printed here)", metadata: ["to": "\(mail.to)", "subject": "\(mail.subject)", "link": "\(mail.link)"])
    }
}
