import Foundation
import HTTPTypes
import Hummingbird
import Logging
import LumoraMail
import Mustache
import NIOCore

/// `lumora dev`'s page of the mail its catcher caught, on loopback: newest first, each with its
/// sender, recipients, subject and time, its text, and its HTML in a sandboxed frame; the same
/// as JSON at `/messages.json` (for scripts and tests).
///
/// Mail is written by whoever sends it — a store's name, a shopper's address — so nothing of it
/// reaches the page unescaped (Mustache's `{{ }}`), and a mail's HTML is served on its own
/// (`/messages/<id>/html`) under `Content-Security-Policy: sandbox`: no script, no forms, an
/// origin of its own, whether it is opened in the frame or directly.
public enum CaughtMailPage {
    /// The page's server; `onListening` is told its port (port 0: any free one).
    public static func buildApplication(catcher: MailCatcher, host: String = "127.0.0.1", port: Int = 0, logger: Logger,
                                        onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        Application(
            router: try router(catcher: catcher),
            configuration: .init(address: .hostname(host, port: port), serverName: "lumora-dev-mail"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    static func router(catcher: MailCatcher) throws -> Router<BasicRequestContext> {
        let template = try MustacheTemplate(string: pageTemplate)
        let router = Router()
        router.get("/") { _, _ in
            let mails = catcher.messages().reversed().map(Row.init)
            let view: [String: Any] = ["smtp": "smtp://\(catcher.host):\(catcher.port)", "mails": mails, "any": !mails.isEmpty]
            return html(template.render(view), policy: "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; frame-ancestors 'none'")
        }
        router.get("messages.json") { _, _ in
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            headers[.cacheControl] = "no-store"
            let body = try encoder.encode(Array(catcher.messages().reversed()))
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("messages/:id/html") { _, context in
            let id = try context.parameters.require("id", as: Int.self)
            guard let mail = catcher.messages().first(where: { $0.id == id }), let body = mail.html else {
                throw HTTPError(.notFound, message: "no caught mail \(id) with an HTML part")
            }
            // Images may load (a store's logo): a mail reader shows them too.
            return html(body, policy: "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:")
        }
        return router
    }

    private static func html(_ body: String, policy: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = policy
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// One mail as the page shows it.
    struct Row {
        let id: Int
        let time: String
        let from: String
        let to: String
        let subject: String
        let text: String?
        let hasHTML: Bool

        init(_ mail: CaughtMail) {
            id = mail.id
            time = mail.receivedAt.formatted(.iso8601)
            from = mail.from?.description ?? mail.envelopeFrom
            to = (mail.to.isEmpty ? mail.envelopeTo : mail.to.map(\.description)).joined(separator: ", ")
            subject = mail.subject.isEmpty ? "(no subject)" : mail.subject
            text = mail.text
            hasHTML = mail.html != nil
        }
    }

    static let pageTemplate = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Caught mail · lumora dev</title>
        <style>
        body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #111827; }
        table { border-collapse: collapse; width: 100%; margin-bottom: 24px; }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
        article { border: 1px solid #e5e7eb; border-radius: 6px; padding: 12px 16px; margin-bottom: 16px; }
        pre { white-space: pre-wrap; background: #f9fafb; padding: 12px; }
        iframe { width: 100%; height: 480px; border: 1px solid #e5e7eb; }
        .muted { color: #6b7280; }
        </style>
        </head>
        <body>
        <h1>Caught mail</h1>
        <p class="muted">What the platform sends while <code>lumora dev</code> runs comes here, not to anyone's inbox: SMTP at {{smtp}}.
        Newest first. <a href="/">Refresh</a> · <a href="/messages.json">JSON</a></p>
        {{^mails}}<p>No mail yet. Place an order in a demo store, or ask for a password reset on the dashboard.</p>{{/mails}}
        {{#any}}
        <table>
        <thead><tr><th>Time</th><th>From</th><th>To</th><th>Subject</th></tr></thead>
        <tbody>
        {{#mails}}<tr><td class="muted">{{time}}</td><td>{{from}}</td><td>{{to}}</td><td><a href="#mail-{{id}}">{{subject}}</a></td></tr>
        {{/mails}}
        </tbody>
        </table>
        {{/any}}
        {{#mails}}
        <article id="mail-{{id}}">
        <h2>{{subject}}</h2>
        <p class="muted">{{time}} · from {{from}} · to {{to}}</p>
        {{#text}}<h3>Text</h3>
        <pre>{{text}}</pre>{{/text}}
        {{#hasHTML}}<h3>HTML</h3>
        <iframe sandbox src="/messages/{{id}}/html" title="The HTML part of mail {{id}}"></iframe>{{/hasHTML}}
        </article>
        {{/mails}}
        </body>
        </html>
        """
}
