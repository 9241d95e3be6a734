import Foundation

/// A webhook event (`event` in the OpenAPI document) with `data.object` decoded by type.
///
/// Delivery is at least once and in no particular order: handlers key on `id` to run once, and
/// re-read the object from the API when its latest state matters more than the snapshot here.
public struct StripeEvent: Sendable, Equatable, Decodable {
    public enum Object: Sendable, Equatable {
        case checkoutSession(StripeCheckoutSession)
        case charge(StripeCharge)
        case refund(StripeRefund)
        /// Another object type, by its `object` field (`payment_intent`, …).
        case other(String)
    }

    public var id: String
    public var type: String
    /// The connected account the event happened on; nil for the platform's own.
    public var account: String?
    public var created: Date
    public var livemode: Bool
    public var apiVersion: String?
    public var object: Object

    public init(id: String, type: String, account: String? = nil, created: Date, livemode: Bool = false, apiVersion: String? = nil,
                object: Object) {
        self.id = id
        self.type = type
        self.account = account
        self.created = created
        self.livemode = livemode
        self.apiVersion = apiVersion
        self.object = object
    }

    /// The object's metadata, where Lumora puts its store and order ids.
    public var metadata: [String: String] {
        switch object {
        case .checkoutSession(let session): session.metadata
        case .charge(let charge): charge.metadata
        case .refund(let refund): refund.metadata
        case .other: [:]
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, type, account, created, livemode, data
        case apiVersion = "api_version"
    }

    private enum DataKeys: String, CodingKey { case object }
    private struct Kind: Decodable { var object: String? }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        type = try c.decode(String.self, forKey: .type)
        account = try c.decodeIfPresent(String.self, forKey: .account)
        created = Date(timeIntervalSince1970: TimeInterval(try c.decode(Int64.self, forKey: .created)))
        livemode = try c.decodeIfPresent(Bool.self, forKey: .livemode) ?? false
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        let data = try c.nestedContainer(keyedBy: DataKeys.self, forKey: .data)
        // The object's own `object` field says what it is; the event type only hints at it
        // (`charge.refund.updated` carries a refund, not a charge).
        switch try data.decode(Kind.self, forKey: .object).object ?? "" {
        case "checkout.session": object = .checkoutSession(try data.decode(StripeCheckoutSession.self, forKey: .object))
        case "charge": object = .charge(try data.decode(StripeCharge.self, forKey: .object))
        case "refund": object = .refund(try data.decode(StripeRefund.self, forKey: .object))
        case let kind: object = .other(kind)
        }
    }

    /// Decodes a verified payload.
    public static func decode(_ payload: some Collection<UInt8>) throws -> StripeEvent {
        try JSONDecoder().decode(StripeEvent.self, from: Data(payload))
    }
}

/// Just enough of an event to route it — which store, which order — without decoding the
/// object it carries (a receiver that serves many stores reads this first, then hands the
/// payload to the store's handler).
public struct StripeEventRouting: Sendable, Equatable, Decodable {
    /// The metadata keys Lumora puts on what it creates: which store, which order.
    public static let storeKey = "lumora_store"
    public static let orderKey = "lumora_order"

    public var id: String
    public var type: String
    public var account: String?
    /// `data.object.id`
    public var objectID: String?
    /// `data.object.object` (`checkout.session`, `charge`, …)
    public var objectType: String?
    /// `data.object.metadata`
    public var metadata: [String: String]

    private enum CodingKeys: String, CodingKey { case id, type, account, data }
    private struct Envelope: Decodable { var object: Object }
    private struct Object: Decodable {
        var id: String?
        var object: String?
        var metadata: [String: String]?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        type = try c.decode(String.self, forKey: .type)
        account = try c.decodeIfPresent(String.self, forKey: .account)
        let object = try c.decode(Envelope.self, forKey: .data).object
        objectID = object.id
        objectType = object.object
        metadata = object.metadata ?? [:]
    }

    public static func decode(_ payload: some Collection<UInt8>) throws -> StripeEventRouting {
        try JSONDecoder().decode(StripeEventRouting.self, from: Data(payload))
    }
}
