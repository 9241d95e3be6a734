import Logging

/// An e-mail the platform sends a person (invitations, password resets).
public struct Mail: Sendable, Equatable {
    public let to: String
    public let subject: String
    public let body: String
    /// The one link the mail is about, for a console that prints it.
    public let link: String
}

/// Where mail goes: a provider in production; on a developer's machine the console.
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
