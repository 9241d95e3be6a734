import Foundation
import LumoraCore
import PostgresNIO

/// Sends one of the platform's own mails (a password reset, a staff invitation): a
/// `send_account_mail` job, queued in the transaction that stores the reset or invitation, so
/// the mail exists exactly when its link does and waits out an SMTP server that is down.
///
/// The mail is queued written (subject, text, link), not as a template and its fields: what a
/// person is sent is decided when they ask for it. Its link holds a one-time secret, which the
/// database otherwise keeps only hashed, so once the mail is sent the job forgets everything but
/// to whom and about what.
struct AccountMailJob: JobHandler {
    let platform: Platform
    let mailer: any Mailer

    /// A password reset's link is good for an hour, an invitation's for a week: attempts that
    /// outlast the reset link (with the queue's backoff capped at a minute, about 90 minutes),
    /// then `dead`, where `lumora jobs retry` sends it on.
    static let maximumAttempts = 90

    /// The job's payload.
    struct Payload: Codable {
        let mail: Mail
        /// Set once the mail went (body and link are gone), for whoever reads the row.
        var sent: Bool?
    }

    /// Queues `mail` on `connection`, inside the caller's transaction.
    static func enqueue(_ mail: Mail, store: StoreSlug?, queue: JobQueue, on connection: PostgresConnection) async throws {
        try await queue.enqueue(kind: JobKind.sendAccountMail, store: store?.rawValue, document: Payload(mail: mail),
                                maxAttempts: maximumAttempts, on: connection)
    }

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(job.payloadJSON.utf8)) else {
            throw PermanentJobFailure("a send_account_mail job whose payload is not a mail")
        }
        try await steps.step("send") {
            try await mailer.send(payload.mail)
        }
        try await steps.step("forget") {
            let mail = payload.mail
            let kept = Mail(to: mail.to, subject: mail.subject, body: "", fromName: mail.fromName, replyTo: mail.replyTo)
            try await platform.queue.replacePayload(job.id, with: Payload(mail: kept, sent: true))
        }
    }
}
