import Foundation
import Logging
import LumoraCore
@_spi(Benchmark) import LumoraPlugins
import LumoraWire
import WAT

/// `lumora bench plugins`: what a store's plugin costs. In this process: compiling the module,
/// one `cart.discounts` call on carts of 1, 10 and 100 lines (a fresh instance per call, as
/// stores get it, against one reused instance, what pooling would save), and how long the fuel
/// budgets last in a module that never stops. Then whole checkouts through a real edge and
/// shared cell (`lumora bench checkout`), without and with the plugin installed in every store.
public struct PluginBenchmark: Sendable {
    public let server: BenchmarkServer
    public let binary: URL
    public let module: [UInt8]
    public let calls: Int
    public let stores: Int
    public let seconds: Int
    public let concurrency: Int
    public let logger: Logger

    public init(server: BenchmarkServer, binary: URL, module: [UInt8], calls: Int = 20_000, stores: Int = 10, seconds: Int = 10,
                concurrency: Int = 16, logger: Logger) {
        self.server = server
        self.binary = binary
        self.module = module
        self.calls = calls
        self.stores = stores
        self.seconds = seconds
        self.concurrency = concurrency
        self.logger = logger
    }

    public func run() async throws -> String {
        let sandbox = PluginSandbox(limits: .dedicated)
        var compiles = LatencySample()
        var plugin: CompiledPlugin?
        for _ in 0..<50 {
            let (compiled, took) = try await measure { try sandbox.compile(module) }
            compiles.record(took)
            plugin = compiled
        }
        guard let plugin else { throw BenchmarkError(message: "the module did not compile") }

        var rows: [[String]] = []
        for lines in [1, 10, 100] {
            let input = Self.cartInput(lines: lines)
            for _ in 0..<200 { _ = sandbox.run(plugin, input: input) }  // warm-up
            var sample = LatencySample()
            var fuel: UInt64 = 0
            let cpuBefore = LoadTools.cpuSeconds(pid: getpid())
            let started = ContinuousClock.now
            for _ in 0..<calls {
                let (result, took) = await measure { sandbox.run(plugin, input: input) }
                guard case .success(let answer) = result else { throw BenchmarkError(message: "a call failed: \(result)") }
                fuel = answer.fuelUsed
                sample.record(took)
            }
            let wall = ContinuousClock.now - started
            let cpu = LoadTools.cpuSeconds(pid: getpid()) - cpuBefore

            let pooledCalls = min(calls, 2_000)
            let pooledStarted = ContinuousClock.now
            let pooled = try sandbox.runReusingOneInstance(plugin, input: input, count: pooledCalls)
            let pooledWall = ContinuousClock.now - pooledStarted
            guard pooled == pooledCalls else { throw BenchmarkError(message: "the reused instance stopped after \(pooled) calls") }

            rows.append([
                "\(lines) (\(input.count) B of JSON)", sample.percentile(50).microsecondsText, sample.percentile(99).microsecondsText,
                String(format: "%.0f", Double(calls) / max(cpu, wall.seconds / 4, 0.000_001)),
                String(format: "%.1f µs", pooledWall.microseconds / Double(pooledCalls)), "\(fuel)",
            ])
        }

        let breakdownInput = Self.cartInput(lines: 1)
        let breakdownCalls = min(calls, 2_000)
        let breakdown = try sandbox.freshCallBreakdown(plugin, input: breakdownInput, count: breakdownCalls)
        let perCall = { (duration: Duration) in String(format: "%.1f µs", duration.microseconds / Double(breakdownCalls)) }
        let stages: [[String]] = [
            ["a store (WasmKit's `Store`: allocator, fuel, memory cap)", perCall(breakdown.store)],
            ["instantiating the module (memory, data, globals, imports)", perCall(breakdown.instantiate)],
            ["first alloc + run (translates the functions it reaches)", perCall(breakdown.firstCalls)],
            ["a second alloc + run on the same instance", perCall(breakdown.repeatCalls)],
        ]

        let spin = try sandbox.compile(try wat2wasm("""
            (module (memory (export "memory") 1)
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "run") (param i32 i32) (result i64) (loop $forever (br $forever)) (i64.const 0)))
            """))
        var budgets: [[String]] = []
        for (name, limits) in [("dedicated cell", PluginLimits.dedicated), ("shared cell", PluginLimits.shared)] {
            let spinning = PluginSandbox(limits: limits)
            let (result, took) = await measure { spinning.run(spin, input: [0x7b, 0x7d]) }
            budgets.append([name, "\(limits.fuel)", took.formattedMilliseconds(), "\(limits.deadline)", "\(result.failureCode ?? "answered")"])
        }

        let without = try await CheckoutBenchmark(server: server, binary: binary, stores: stores, seconds: seconds, concurrency: concurrency,
                                                  logger: logger).run()
        let with = try await CheckoutBenchmark(server: server, binary: binary, stores: stores, seconds: seconds, concurrency: concurrency,
                                               plugin: module, logger: logger).run()
        return """
            lumora bench plugins --calls \(calls) --stores \(stores) --seconds \(seconds) --concurrency \(concurrency)
            module: \(module.count) bytes; compile (parse, validate, check exports): p50 \(compiles.percentile(50).microsecondsText), \
            p99 \(compiles.percentile(99).microsecondsText)

            One cart.discounts call in this process, a fresh instance per call (what a store gets):

            \(markdownTable(["cart lines", "p50", "p99", "calls/s per core", "reused instance, per call", "fuel per call"], rows))

            Where a fresh call's time goes (1 line, \(breakdownCalls) calls):

            \(markdownTable(["stage", "per call"], stages))

            A module that never stops, against each fuel budget (the call ends out of fuel):

            \(markdownTable(["limits", "fuel", "wall time to run out", "deadline", "outcome"], budgets))

            Checkouts without the plugin:

            \(without)

            Checkouts with the plugin in every store (cart.discounts, allowed on the shared cell):

            \(with)
            """
    }

    /// A cart of `lines` lines, as a cell encodes it for a plugin.
    static func cartInput(lines count: Int) -> [UInt8] {
        let lines = (1...count).map { index in
            PluginCartInput.Line(id: "item_\(index)", variantId: "variant_\(index)", productId: "prod_\(index)", sku: "SKU-\(index)",
                                 title: "Product \(index) / Default", quantity: 1 + index % 3, unitPrice: 2_500, total: 2_500 * Int64(1 + index % 3))
        }
        let input = PluginCartInput(
            point: .cartDiscounts, apiVersion: 1, store: try! StoreSlug(validating: "bench"), currency: .usd,
            cart: .init(id: "cart_" + String(repeating: "a", count: 32), subtotal: lines.reduce(0) { $0 + $1.total },
                        itemCount: lines.reduce(0) { $0 + $1.quantity }, lines: lines),
            customer: .init(email: "buyer@bench.test"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try! encoder.encode(input))
    }
}

extension Result where Failure == PluginFailure {
    var failureCode: String? {
        if case .failure(let failure) = self { return failure.code }
        return nil
    }
}

extension Duration {
    var microsecondsText: String { String(format: "%.1f µs", microseconds) }
}
