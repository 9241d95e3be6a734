import Foundation
import LumoraCore
import LumoraHTTP
import LumoraWire
import Mustache

/// Sends one mail a store's transaction queued (a `send_mail` job: the durable outbox).
/// A new-order notice without an address of its own goes to the store's owners. Failures are
/// retried with the queue's backoff and end `dead` — listed by `lumora jobs` — when they never
/// stop. The mail is written from Resources/Mail with the store's name; it goes out through the
/// manager's `Mailer` (the console on a developer's machine; an SMTP transport is next).
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
        let view = OrderMailView(mail)
        guard let text = templates.render(view, withTemplate: "order.txt") else {
            throw PermanentJobFailure("no mail template named order.txt")
        }
        for recipient in recipients {
            try await mailer.send(Mail(to: recipient, subject: view.subject, body: text, link: ""))
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

    let subject: String
    let headline: String
    let intro: String
    let storeName: String
    let instructions: String?
    let number: Int64
    let lines: [Line]
    let subtotal: String
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

    init(_ mail: OrderMailWire) {
        let order = mail.order
        let store = mail.branding.name.isEmpty ? mail.store : mail.branding.name
        storeName = store
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
}
