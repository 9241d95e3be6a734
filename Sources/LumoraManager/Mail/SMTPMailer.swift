import Logging
import LumoraCore
import LumoraMail

/// Sends the platform's mail through an SMTP server (`--smtp-url`), one connection per mail.
///
/// Every mail comes from one address (`--mail-from`), with the store's name beside it on a
/// store's mail: receiving servers check that the sender's domain is the platform's own
/// (SPF/DKIM), so a store cannot be the address, only the name and the reply-to.
///
/// What the job that called it should do with a failure follows who refused: a recipient or a
/// message the server refuses for good (5xx at MAIL, RCPT or DATA) will be refused again, so the
/// job ends (`PermanentJobFailure`); the server being down, busy (4xx) or refusing this
/// configuration (TLS, AUTH — an operator's fix) is retried, and the mail waits.
public struct SMTPMailer: Mailer {
    public let client: SMTPClient
    public let sender: MailAddress

    /// Refuses a configuration or a sender address that could never send (at start-up, not at
    /// the first mail).
    public init(configuration: SMTPConfiguration, from address: String, logger: Logger) throws(LumoraError) {
        client = try SMTPClient(configuration: configuration, logger: logger)
        sender = try MailAddress(address)
    }

    public func send(_ mail: Mail) async throws {
        let message: MailMessage
        do throws(LumoraError) {
            // A name the header cannot carry (too long) costs the name, not the mail.
            let from = (try? MailAddress(sender.address, displayName: mail.fromName)) ?? sender
            message = try MailMessage(from: from, to: [try MailAddress(mail.to)], replyTo: try mail.replyTo.map { raw throws(LumoraError) in try MailAddress(raw) },
                                      subject: mail.subject, text: mail.body, html: mail.html)
        } catch {
            throw PermanentJobFailure("the mail to \(mail.to) cannot be written: \(error.message)")
        }
        // Anything but a permanent refusal of this mail (an `SMTPError` that may pass) is thrown
        // as it is: the job retries, and its `last_error` reads what the server said (never the
        // password).
        do {
            try await client.send(message)
        } catch let error as SMTPError where !error.isTransient && Self.refusesTheMail(error.step) {
            throw PermanentJobFailure(error.description)
        }
    }

    /// The steps whose permanent refusal is about this mail rather than the server or its
    /// configuration.
    static func refusesTheMail(_ step: SMTPError.Step) -> Bool {
        switch step {
        case .mailFrom, .rcptTo, .data, .messageBody: true
        case .connect, .greeting, .ehlo, .startTLS, .tlsHandshake, .auth: false
        }
    }
}
