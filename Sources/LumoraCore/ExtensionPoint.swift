/// The fixed points of checkout where a store's plugin (a WebAssembly module, see
/// docs/PLUGINS.md) may run, each with a versioned JSON input and output.
///
/// A plugin is installed for one point and one `apiVersion`; a cell runs it only when it
/// speaks that version of the point's schema, so a release or a pin never hands a module an
/// input it was not built for.
public enum ExtensionPoint: String, Sendable, Codable, CaseIterable {
    /// Given the cart, discount lines (an amount or a percentage, of a line or the order).
    case cartDiscounts = "cart.discounts"
    /// Errors that block checkout ("at most 2 of each item per order").
    case checkoutValidate = "checkout.validate"
    /// Adjust, rename, hide or add the shipping rates a cart is offered.
    case shippingRates = "shipping.rates"
    /// A placed order, told to the plugin once through a durable job; its answer is ignored.
    case orderCreated = "order.created"

    /// The schema versions of this point that this build speaks.
    public var supportedVersions: ClosedRange<Int> { 1...1 }

    public var currentVersion: Int { supportedVersions.upperBound }

    public init(validating raw: String) throws(LumoraError) {
        guard let point = ExtensionPoint(rawValue: raw) else {
            throw LumoraError(.badRequest, code: "invalid_extension_point",
                              message: "unknown extension point '\(raw.prefix(40))'; expected one of: \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = point
    }

    /// The version a module is installed for: this build's current one unless named; a version
    /// this build does not speak is refused.
    public func version(validating requested: Int?) throws(LumoraError) -> Int {
        guard let requested else { return currentVersion }
        guard supportedVersions.contains(requested) else {
            throw LumoraError(.badRequest, code: "unsupported_api_version",
                              message: "\(rawValue) speaks api_version \(supportedVersions.lowerBound) to \(supportedVersions.upperBound), not \(requested)")
        }
        return requested
    }
}
