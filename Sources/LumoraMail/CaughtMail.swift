import Foundation

/// A mail the catcher received: its envelope, how it came (TLS, AUTH user) and what a person
/// reading it would see. Text bodies have "\n" line breaks.
public struct CaughtMail: Sendable, Equatable, Codable, Identifiable {
    public struct Mailbox: Sendable, Equatable, Codable, CustomStringConvertible {
        public let name: String?
        public let address: String

        public var description: String { name.map { "\($0) <\(address)>" } ?? address }
    }

    /// A header as received, unfolded, with encoded-words decoded.
    public struct Header: Sendable, Equatable, Codable {
        public let name: String
        public let value: String
    }

    /// Increasing in the order mails arrived.
    public let id: Int
    public let envelopeFrom: String
    public let envelopeTo: [String]
    public let receivedAt: Date
    /// Whether the mail came over TLS (STARTTLS).
    public let usedTLS: Bool
    /// The user the client authenticated as, if it did.
    public let authenticatedUser: String?
    public let subject: String
    public let from: Mailbox?
    public let to: [Mailbox]
    public let headers: [Header]
    public let text: String?
    public let html: String?
    /// The message as it arrived, dot-unstuffed, lossily read as UTF-8.
    public let raw: String

    /// The first header of that name, compared without regard to case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    init(id: Int, envelope: SMTPServerSession.Envelope, parsed: MIMEParser.Parsed, raw: String, receivedAt: Date) {
        self.id = id
        envelopeFrom = envelope.from
        envelopeTo = envelope.to
        self.receivedAt = receivedAt
        usedTLS = envelope.usedTLS
        authenticatedUser = envelope.user
        subject = parsed.subject
        from = parsed.from
        to = parsed.to
        headers = parsed.headers
        text = parsed.text
        html = parsed.html
        self.raw = raw
    }
}
