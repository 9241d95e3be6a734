/// An e-mail the platform sends a person: a store's order mails, and the account mails
/// (invitations, password resets). Stored as it is written in an account mail's job (the
/// outbox), so it is `Codable`.
public struct Mail: Sendable, Equatable, Codable {
    /// The platform's own name, the sender of the account mails.
    public static let platformName = "Lumora"

    public let to: String
    public let subject: String
    /// The plain-text part, always there (the alternative for readers without HTML).
    public let body: String
    public let html: String?
    /// The name shown beside the sender address: the store's for its mails, "Lumora" for
    /// the platform's. The address itself is the mailer's (`--mail-from`), so replies that
    /// should reach a store go to `replyTo`.
    public let fromName: String
    public let replyTo: String?
    /// The one link the mail is about, for a console that prints it ("" for none).
    public let link: String

    public init(to: String, subject: String, body: String, html: String? = nil, fromName: String = Mail.platformName,
                replyTo: String? = nil, link: String = "") {
        self.to = to
        self.subject = subject
        self.body = body
        self.html = html
        self.fromName = fromName
        self.replyTo = replyTo
        self.link = link
    }

    enum CodingKeys: String, CodingKey {
        case to, subject, body, html, fromName = "from_name", replyTo = "reply_to", link
    }
}
