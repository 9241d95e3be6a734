import LumoraCore

/// One mail as Lumora composes it: plain text always, HTML optionally, for one or more
/// recipients. Everything that ends up in a header is validated here, once; the encoder then
/// writes it without having to trust it (and encodes anything that is not plain ASCII anyway).
public struct MailMessage: Sendable, Equatable, Codable {
    public let from: MailAddress
    public let to: [MailAddress]
    public let replyTo: MailAddress?
    public let subject: String
    public let text: String
    public let html: String?
    public let headers: [MailHeader]

    static let maximumRecipients = 100
    static let maximumSubjectLength = 500

    public init(from: MailAddress, to: [MailAddress], replyTo: MailAddress? = nil, subject: String,
                text: String, html: String? = nil, headers: [MailHeader] = []) throws(LumoraError) {
        guard !to.isEmpty, to.count <= Self.maximumRecipients else {
            throw LumoraError(.badRequest, code: "invalid_mail", message: "a mail needs 1 to \(Self.maximumRecipients) recipients")
        }
        guard !ControlCharacters.contains(subject) else {
            throw LumoraError(.badRequest, code: "invalid_mail", message: "a subject cannot hold control characters or line breaks")
        }
        guard subject.count <= Self.maximumSubjectLength else {
            throw LumoraError(.badRequest, code: "invalid_mail", message: "a subject is at most \(Self.maximumSubjectLength) characters")
        }
        var seen: Set<String> = []
        for header in headers where !seen.insert(header.name).inserted {
            throw LumoraError(.badRequest, code: "invalid_mail", message: "\(header.name) is set twice")
        }
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.headers = headers
    }

    private enum CodingKeys: String, CodingKey {
        case from, to, replyTo, subject, text, html, headers
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(from: try container.decode(MailAddress.self, forKey: .from),
                      to: try container.decode([MailAddress].self, forKey: .to),
                      replyTo: try container.decodeIfPresent(MailAddress.self, forKey: .replyTo),
                      subject: try container.decode(String.self, forKey: .subject),
                      text: try container.decode(String.self, forKey: .text),
                      html: try container.decodeIfPresent(String.self, forKey: .html),
                      headers: try container.decodeIfPresent([MailHeader].self, forKey: .headers) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encodeIfPresent(replyTo, forKey: .replyTo)
        try container.encode(subject, forKey: .subject)
        try container.encode(text, forKey: .text)
        try container.encodeIfPresent(html, forKey: .html)
        if !headers.isEmpty { try container.encode(headers, forKey: .headers) }
    }
}
