import LumoraCore

/// How a store's mails look: its name, logo and colours.
public struct MailBrandingWire: Codable, Sendable, Equatable {
    public let name: String
    public let logoUrl: String?
    public let primaryColor: String
    public let accentColor: String

    enum CodingKeys: String, CodingKey { case name, logoUrl = "logo_url", primaryColor = "primary_color", accentColor = "accent_color" }

    public init(name: String, logoUrl: String?, primaryColor: String, accentColor: String) {
        self.name = name
        self.logoUrl = logoUrl
        self.primaryColor = primaryColor
        self.accentColor = accentColor
    }
}

/// A mail about an order, as a cell queues it for the manager to send (a `send_mail` job's
/// payload): what to say is decided when the order changes, how it looks when it is sent.
public struct OrderMailWire: Codable, Sendable, Equatable {
    public static let kind = "send_mail"

    public enum Template: String, Codable, Sendable, CaseIterable {
        /// To the shopper, for a manual payment: the order and how to pay.
        case orderReceived = "order_received"
        /// To the shopper, once paid.
        case orderConfirmation = "order_confirmation"
        /// To the merchant.
        case newOrder = "new_order"
        case shippingNotice = "shipping_notice"
        case refundNotice = "refund_notice"
    }

    public let template: Template
    /// The recipient; nil for the store's owners (the manager looks them up).
    public let to: String?
    /// Where the recipient's reply goes (the store's notice address on a shopper's mail).
    public let replyTo: String?
    public let store: String
    public let branding: MailBrandingWire
    public let order: OrderWire
    public let instructions: String?
    /// The refund a refund notice is about.
    public let refund: Money?

    public init(template: Template, to: String?, replyTo: String? = nil, store: String, branding: MailBrandingWire, order: OrderWire,
                instructions: String? = nil, refund: Money? = nil) {
        self.template = template
        self.to = to
        self.replyTo = replyTo
        self.store = store
        self.branding = branding
        self.order = order
        self.instructions = instructions
        self.refund = refund
    }
}

/// An unpaid order to cancel once its payment window has passed (an `expire_order` job's
/// payload): the job runs at the deadline and changes nothing if the order was paid.
public struct ExpireOrderJobWire: Codable, Sendable, Equatable {
    public static let kind = "expire_order"

    public let order: Int64

    public init(order: Int64) {
        self.order = order
    }
}
