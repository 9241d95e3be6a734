import Foundation

/// A connected account, as far as `lumora doctor` and a store's payment settings care: does it
/// exist for our platform key, and can it take charges yet.
public struct StripeAccount: Sendable, Equatable, Decodable {
    public var id: String
    /// False until the store has finished Stripe's onboarding (absent reads as false).
    public var chargesEnabled: Bool

    public init(id: String, chargesEnabled: Bool) {
        self.id = id
        self.chargesEnabled = chargesEnabled
    }

    enum CodingKeys: String, CodingKey {
        case id
        case chargesEnabled = "charges_enabled"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        chargesEnabled = try c.decodeIfPresent(Bool.self, forKey: .chargesEnabled) ?? false
    }
}
