import Foundation
import Logging
import LumoraCore
import LumoraHTTP
import LumoraPlugins
import LumoraWire

/// Runs a store's plugins at an extension point and turns their answers into what checkout
/// uses. A plugin that fails (traps, runs out of fuel or time, answers what the point does not
/// accept) is skipped, logged with the store, plugin and version, and counted — except a
/// `checkout.validate` plugin installed with `on_failure=block`, whose failure refuses checkout.
struct PluginRunner: Sendable {
    let registry: StorePluginRegistry
    let metrics: CellMetrics
    let logger: Logger

    /// Whether the store has plugins this cell runs at `point`.
    func has(_ store: StoreSlug, at point: ExtensionPoint) async throws -> Bool {
        !(try await registry.plugins(for: store, at: point)).isEmpty
    }

    /// The discounts of every `cart.discounts` plugin, in install order. `input` is made only
    /// when the store has such plugins (a cart is priced on every call that returns it).
    func discounts(_ store: StoreSlug, cart makeInput: @autoclosure () -> PluginCartInput) async throws -> [DiscountAllocation.Discount] {
        let plugins = try await registry.plugins(for: store, at: .cartDiscounts)
        guard !plugins.isEmpty else { return [] }
        let input = makeInput()
        let lineIDs = input.cart.lines.map(\.id)
        var discounts: [DiscountAllocation.Discount] = []
        for plugin in plugins {
            if let answer = run(plugin, store: store, input: try Self.encode(input, for: plugin), decode: { data throws in
                try JSONDecoder().decode(CartDiscountsOutput.self, from: data).validated(lineIDs: lineIDs)
            }) {
                discounts += answer
            }
        }
        return discounts
    }

    /// The rates the `shipping.rates` plugins leave, renamed and repriced as they say, each
    /// plugin given what the one before answered; a plugin that fails changes nothing.
    /// `input` is made only when the store has such plugins.
    func shippingRates(_ store: StoreSlug, _ input: @autoclosure () -> PluginShippingInput) async throws -> [PluginShippingInput.Rate]? {
        let plugins = try await registry.plugins(for: store, at: .shippingRates)
        guard !plugins.isEmpty else { return nil }
        var given = input()
        for plugin in plugins {
            given.apiVersion = plugin.apiVersion
            let offered = given.rates
            if let answer = run(plugin, store: store, input: Array(try Self.encoder.encode(given)), decode: { data throws in
                try JSONDecoder().decode(ShippingRatesOutput.self, from: data).validated(given: offered)
            }) {
                given.rates = answer
            }
        }
        return given.rates
    }

    /// What the `checkout.validate` plugins object to (empty: nothing); throws when a blocking
    /// validator could not answer.
    func objections(_ store: StoreSlug, cart makeInput: @autoclosure () -> PluginCartInput) async throws -> [String] {
        let plugins = try await registry.plugins(for: store, at: .checkoutValidate)
        guard !plugins.isEmpty else { return [] }
        var input = makeInput()
        input.point = ExtensionPoint.checkoutValidate.rawValue
        var objections: [String] = []
        for plugin in plugins {
            if let answer = run(plugin, store: store, input: try Self.encode(input, for: plugin), decode: { data throws in
                try JSONDecoder().decode(CheckoutValidateOutput.self, from: data).validated()
            }) {
                objections += answer
            } else if plugin.onFailure == .block {
                throw LumoraError(.unavailable, code: "checkout_check_failed",
                                  message: "This store could not check your order just now. Please try again in a moment.")
            }
        }
        return objections
    }

    /// One call: its answer decoded, or nil (logged and counted) when there is none to use.
    private func run<Answer>(_ plugin: LoadedPlugin, store: StoreSlug, input: [UInt8], decode: (Data) throws -> Answer) -> Answer? {
        let metadata: Logger.Metadata = ["store": "\(store)", "plugin": "\(plugin.name)", "version": "\(plugin.version)", "point": "\(plugin.point.rawValue)"]
        switch registry.sandbox.run(plugin.compiled, input: input) {
        case .failure(let failure):
            metrics.recordPlugin(point: plugin.point, outcome: failure.code, fuel: 0)
            logger.warning("plugin failed; checkout goes on without it", metadata: metadata.merging(
                ["code": "\(failure.code)", "error": "\(failure.message)"]) { $1 })
            return nil
        case .success(let answer):
            for line in answer.logLines { logger.info("plugin: \(line)", metadata: metadata) }
            do {
                let decoded = try decode(Data(answer.output))
                metrics.recordPlugin(point: plugin.point, outcome: "ok", fuel: answer.fuelUsed)
                return decoded
            } catch {
                metrics.recordPlugin(point: plugin.point, outcome: "invalid_output", fuel: answer.fuelUsed)
                logger.warning("plugin answered what its point does not accept; checkout goes on without it", metadata: metadata.merging(
                    ["code": "invalid_output", "error": "\(String(describing: error).prefix(300))"]) { $1 })
                return nil
            }
        }
    }

    private static func encode(_ input: PluginCartInput, for plugin: LoadedPlugin) throws -> [UInt8] {
        var input = input
        input.apiVersion = plugin.apiVersion
        return Array(try encoder.encode(input))
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
