import Foundation
import LumoraCore
import LumoraHTTP
import LumoraWire
import Mustache

/// Sends one mail a store's transaction queued (a `send_mail` job: the durable outbox).
/// A new-order notice without an address of its own goes to the store's owners. Failures are
/// retried with the queue's backoff and end `dead` — listed by `lumora jobs` — when they never
/// stop. The mail is written from Resources/Mail (plain text, and HTML in the store's colours)
/// with the store's name as the sender's; it goes out through the manager's `Mailer`.
struct OrderMailJob: JobHandler {
    let platform: Platform
    let mailer: any Mailer
    let templates: MustacheLibrary

    static func loadTemplates() throws -> MustacheLibrary {
        guard let folder = Bundle.module.url(forResource: "Mail", withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            throw LumoraError.internalError("the mail templates are missing from the LumoraManager bundle")
        }
        var templates: [String: MustacheTemplate] = [:]
        for file in files where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            templates[String(file.dropLast(".mustache".count))] = try MustacheTemplate(string: text)
        }
        return MustacheLibrary(templates: templates)
    }

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        guard let mail = try? JSONWire.decoder.decode(OrderMailWire.self, from: Data(job.payloadJSON.utf8)) else {
            throw PermanentJobFailure("a send_mail job whose payload is not a store's mail")
        }
        let recipients: [String]
        if let to = mail.to {
            recipients = [to]
        } else {
            recipients = try await platform.client.query(ManagerSQL.ownerEmails(store: mail.store), logger: platform.logger).collect(String.self)
        }
        let storefront = (try? StoreSlug(validating: mail.store)).map { platform.configuration.storefrontURL(host: platform.platformHost($0)) }
        let view = OrderMailView(mail, storefrontURL: storefront)
        guard let text = templates.render(view, withTemplate: "order.txt") else {
            throw PermanentJobFailure("no mail template named order.txt")
        }
        guard let html = templates.render(view, withTemplate: "order.html") else {
            throw PermanentJobFailure("no mail template named order.html")
        }
        // One step per recipient: a retry after the second owner's mail failed does not send
        // the first one's again.
        for recipient in recipients {
            try await steps.step("mail \(recipient)") {
                try await mailer.send(Mail(to: recipient, subject: view.subject, body: text, html: html, fromName: view.storeName,
                                           replyTo: mail.replyTo))
            }
        }
    }
}

/// What the order mail templates show.
struct OrderMailView {
    struct Line {
        let quantity: Int
        let title: String
        let variant: String
        let total: String
    }

    struct Discount {
        let title: String
        let amount: String
    }

    let subject: String
    let headline: String
    let intro: String
    let storeName: String
    let instructions: String?
    let number: Int64
    let lines: [Line]
    let subtotal: String
    /// The discounts the order was sold with: title and what it took ("−$12.00").
    let discounts: [Discount]
    let shipping: String?
    let shippingMethod: String?
    let taxLabel: String
    let tax: String
    let total: String
    let refund: String?
    let refunded: String?
    let name: String
    let address: String
    let city: String
    let postalCode: String
    let country: String
    /// The store's logo, only as an absolute https: URL (a path on the storefront is made one):
    /// Mustache's escaping does not make any other URL safe to put in `src`.
    let logoURL: String?
    /// `#rrggbb`, checked: they go into `style` attributes, where escaping does not help.
    let primaryColor: String
    let accentColor: String

    init(_ mail: OrderMailWire, storefrontURL: String? = nil) {
        let order = mail.order
        let store = mail.branding.name.isEmpty ? mail.store : mail.branding.name
        storeName = store
        logoURL = Self.mailableURL(mail.branding.logoUrl, storefrontURL: storefrontURL)
        primaryColor = Self.hexColor(mail.branding.primaryColor) ?? "#1f2937"
        accentColor = Self.hexColor(mail.branding.accentColor) ?? "#1d4ed8"
        number = order.displayId
        switch mail.template {
        case .orderReceived:
            subject = "Order #\(order.displayId) at \(store): how to pay"
            headline = "Thank you for your order"
            intro = "We have your order #\(order.displayId) and keep it for you until your payment arrives."
        case .orderConfirmation:
            subject = "Order #\(order.displayId) at \(store) is confirmed"
            headline = "Thank you for your order"
            intro = "Your payment for order #\(order.displayId) arrived. We will write again when it ships."
        case .newOrder:
            subject = "New order #\(order.displayId): \(order.total.formatted)"
            headline = "New order #\(order.displayId)"
            intro = "\(order.email) ordered \(order.items.reduce(0) { $0 + $1.quantity }) item(s); the order is \(order.status.replacingOccurrences(of: "_", with: " "))."
        case .shippingNotice:
            subject = "Order #\(order.displayId) from \(store) is on its way"
            headline = "Your order is on its way"
            intro = "Order #\(order.displayId) has shipped\(order.shippingMethod.map { " (\($0))" } ?? "")."
        case .refundNotice:
            subject = "A refund for order #\(order.displayId) at \(store)"
            headline = "We refunded \(mail.refund?.formatted ?? "your order")"
            intro = "The refund goes back to how you paid; your bank may take a few days to show it."
        }
        instructions = mail.instructions.flatMap { $0.isEmpty ? nil : $0 }
        lines = order.items.map { Line(quantity: $0.quantity, title: $0.productTitle, variant: $0.variantTitle, total: $0.total.formatted) }
        subtotal = order.subtotal.formatted
        discounts = order.discounts.map { Discount(title: $0.title, amount: "−" + $0.amount.formatted) }
        shipping = order.shippingMethod.map { _ in order.shippingTotal.amount == 0 ? "Free" : order.shippingTotal.formatted }
        shippingMethod = order.shippingMethod
        taxLabel = order.taxIncluded ? "Tax (included)" : "Tax"
        tax = order.taxTotal.formatted
        total = order.total.formatted
        refund = mail.refund?.formatted
        refunded = order.refundedAmount.amount > 0 ? order.refundedAmount.formatted : nil
        let shipTo = order.shippingAddress
        name = "\(shipTo.firstName) \(shipTo.lastName)"
        address = shipTo.address1 + (shipTo.address2.map { ", \($0)" } ?? "")
        city = shipTo.city
        postalCode = shipTo.postalCode
        country = shipTo.countryCode
    }

    private static let hexDigits = Set("0123456789abcdefABCDEF".utf8)

    static func hexColor(_ raw: String) -> String? {
        let digits = raw.utf8.dropFirst()
        guard raw.utf8.first == UInt8(ascii: "#"), digits.count == 6, digits.allSatisfy({ Self.hexDigits.contains($0) }) else { return nil }
        return raw
    }

    /// An https: URL as given, a path (`/media/…`) on the store's storefront; nil for the rest
    /// (`javascript:`, `data:`, a plain-http logo a mail reader would block or flag anyway).
    static func mailableURL(_ raw: String?, storefrontURL: String?) -> String? {
        guard let raw, !raw.isEmpty, !raw.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "\\") }) else { return nil }
        if raw.lowercased().hasPrefix("https://") { return raw }
        if raw.hasPrefix("/"), !raw.hasPrefix("//"), let storefrontURL { return storefrontURL + raw.dropFirst() }
        return nil
    }
}
