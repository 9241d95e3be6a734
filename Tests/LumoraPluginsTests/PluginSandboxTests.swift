import Foundation
import LumoraCore
import LumoraPlugins
import LumoraTestSupport
import LumoraWire
import Synchronization
import Testing
import WAT

@Suite struct PluginSandboxTests {
    // A clock that never moves: no call here is judged by how fast this machine is (a debug
    // build interprets a few million operators a second); only the deadline test moves time.
    let sandbox = PluginSandbox(limits: .dedicated, clock: ManualClock())

    // MARK: The examples, built from C

    @Test func theTenPercentExampleTakesTenPercentOffBigCartsOnly() throws {
        let plugin = try sandbox.compile(ExamplePlugins.wasm(ExamplePlugins.tenPercentOver100))

        let big = try answer(sandbox.run(plugin, input: Self.cartInput(subtotal: 12_345)))
        let discounts = try JSONDecoder().decode(CartDiscountsOutput.self, from: Data(big.output))
        #expect(discounts.discounts == [.init(title: "10% off orders over 100", amount: 1_234)])
        #expect(big.logLines == ["10% off applied"])
        #expect(big.fuelUsed > 0 && big.fuelUsed < PluginLimits.dedicated.fuel)

        let small = try answer(sandbox.run(plugin, input: Self.cartInput(subtotal: 9_999)))
        #expect(try JSONDecoder().decode(CartDiscountsOutput.self, from: Data(small.output)).discounts.isEmpty)
        #expect(small.logLines.isEmpty)
    }

    @Test func theValidatorExampleNamesTheLineOverTwo() throws {
        let plugin = try sandbox.compile(ExamplePlugins.wasm(ExamplePlugins.maxTwoPerOrder))
        let run = try answer(sandbox.run(plugin, input: Self.cartInput(subtotal: 4_000, quantities: [2, 3])))
        let output = try JSONDecoder().decode(CheckoutValidateOutput.self, from: Data(run.output))
        #expect(try output.validated() == ["At most 2 of Mug 2 per order"])

        let fine = try answer(sandbox.run(plugin, input: Self.cartInput(subtotal: 4_000, quantities: [2, 1])))
        #expect(try JSONDecoder().decode(CheckoutValidateOutput.self, from: Data(fine.output)).errors.isEmpty)
    }

    // MARK: Install refuses

    @Test func installRefusesWhatIsNotAPlugin() throws {
        #expect(throws: PluginRejection.empty) { try sandbox.compile([]) }
        #expect(throws: PluginRejection.notWebAssembly) { try sandbox.compile(Array("<html>".utf8)) }
        #expect(throws: PluginRejection.tooLarge(bytes: PluginLimits.maximumModuleBytes + 1, limit: PluginLimits.maximumModuleBytes)) {
            try sandbox.compile([0, 0x61, 0x73, 0x6d] + [UInt8](repeating: 0, count: PluginLimits.maximumModuleBytes - 3))
        }
        let truncated = try Self.module(run: "(i64.const 0)").dropLast(3)
        #expect(Self.rejection { try sandbox.compile(Array(truncated)) }?.code == "plugin_invalid")
    }

    @Test func installRefusesEveryImportButTheLog() throws {
        let wasi = try wat2wasm("""
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
              \(Self.standardExports(run: "(i64.const 0)")))
            """)
        #expect(throws: PluginRejection.forbiddenImport(module: "wasi_snapshot_preview1", name: "fd_write")) { try sandbox.compile(wasi) }

        let otherHost = try wat2wasm("""
            (module (import "lumora" "fetch" (func (param i32)))
              \(Self.standardExports(run: "(i64.const 0)")))
            """)
        #expect(throws: PluginRejection.forbiddenImport(module: "lumora", name: "fetch")) { try sandbox.compile(otherHost) }

        let importedMemory = try wat2wasm("""
            (module (import "lumora" "log" (memory 1))
              (func (export "alloc") (param i32) (result i32) (i32.const 0))
              (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
            """)
        #expect(throws: PluginRejection.forbiddenImport(module: "lumora", name: "log")) { try sandbox.compile(importedMemory) }

        let wrongLog = try wat2wasm("""
            (module (import "lumora" "log" (func (param i64)))
              \(Self.standardExports(run: "(i64.const 0)")))
            """)
        #expect(Self.rejection { try sandbox.compile(wrongLog) }?.code == "plugin_wrong_signature")
    }

    @Test func installRefusesMissingOrMistypedExports() throws {
        let noRun = try wat2wasm("""
            (module (memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)))
            """)
        #expect(throws: PluginRejection.missingExport("run")) { try sandbox.compile(noRun) }

        let runReturnsI32 = try wat2wasm("""
            (module (memory (export "memory") 1)
              (func (export "alloc") (param i32) (result i32) (i32.const 0))
              (func (export "run") (param i32 i32) (result i32) (i32.const 0)))
            """)
        #expect(throws: PluginRejection.wrongSignature(export: "run", expected: "(i32, i32) -> i64")) { try sandbox.compile(runReturnsI32) }
    }

    @Test func installRefusesMoreMemoryThanThePlanGives() throws {
        let greedy = try wat2wasm("""
            (module (memory (export "memory") 512)
              (func (export "alloc") (param i32) (result i32) (i32.const 0))
              (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
            """)
        // 512 pages = 32 MiB: over a dedicated cell's 16 MiB.
        #expect(throws: PluginRejection.memoryTooLarge(declaredBytes: 512 * 65_536, limit: PluginLimits.dedicated.memoryBytes)) {
            try sandbox.compile(greedy)
        }
    }

    @Test func installRunsTheStartFunctionUnderFuel() throws {
        var limits = PluginLimits.dedicated
        limits.fuel = 1_000_000
        let sandbox = PluginSandbox(limits: limits, clock: ManualClock())
        let spinsAtStart = try wat2wasm("""
            (module (memory (export "memory") 1)
              (func $spin (loop $forever (br $forever)))
              (start $spin)
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
            """)
        #expect(Self.rejection { try sandbox.compile(spinsAtStart) }?.code == "plugin_start_trapped")
    }

    // MARK: Calls that fail, and the sandbox that survives them

    @Test func aModuleThatNeverStopsRunsOutOfFuel() throws {
        var limits = PluginLimits.dedicated
        limits.fuel = 1_000_000
        let sandbox = PluginSandbox(limits: limits, clock: ManualClock())
        let plugin = try sandbox.compile(Self.module(run: "(loop $forever (br $forever)) (i64.const 0)"))
        #expect(failure(sandbox.run(plugin, input: Self.cartInput(subtotal: 1))) == .outOfFuel(limit: 1_000_000))
    }

    @Test func aModuleThatHoardsMemoryHitsTheCap() throws {
        let plugin = try sandbox.compile(Self.module(run: """
            (loop $more (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
            unreachable
            """))
        #expect(failure(sandbox.run(plugin, input: Self.cartInput(subtotal: 1))) == .memoryLimit(limitBytes: PluginLimits.dedicated.memoryBytes))
    }

    @Test func answersOutsideMemoryOrOverTheLimitAreRefused() throws {
        let outside = try sandbox.compile(Self.module(run: "(i64.const 0x7fff000000000010)"))
        #expect(failure(sandbox.run(outside, input: Self.cartInput(subtotal: 1))) == .outputOutOfBounds(pointer: 0x7fff_0000, length: 16, memoryBytes: 65_536))

        let huge = try sandbox.compile(Self.module(run: "(i64.const 0x7fffffff)"))
        #expect(failure(sandbox.run(huge, input: Self.cartInput(subtotal: 1))) == .outputTooLarge(bytes: 0x7fff_ffff, limit: PluginLimits.dedicated.outputBytes))
    }

    @Test func aTrapIsReportedAndTheNextCallStartsClean() throws {
        let plugin = try sandbox.compile(Self.module(run: """
            (if (i32.gt_u (local.get 1) (i32.const 1000)) (then unreachable))
            (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
            (i32.store8 (i32.const 2048) (i32.add (i32.const 48) (global.get $calls)))
            (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 1))
            """))
        let long = [UInt8](repeating: 0x20, count: 2_000)
        guard case .trapped(let reason) = failure(sandbox.run(plugin, input: long)) else {
            Issue.record("an unreachable instruction should trap")
            return
        }
        #expect(reason.contains("unreachable"))
        // A fresh instance per call: the counter is 1 every time, never 2.
        for _ in 0..<3 {
            #expect(try answer(sandbox.run(plugin, input: Array("{}".utf8))).output == Array("1".utf8))
        }
    }

    @Test func inputOverTheLimitIsNotRun() throws {
        let shared = PluginSandbox(limits: .shared, clock: ManualClock())
        let plugin = try shared.compile(Self.module(run: "unreachable"))
        let input = [UInt8](repeating: 0x20, count: PluginLimits.shared.inputBytes + 1)
        #expect(failure(shared.run(plugin, input: input)) == .inputTooLarge(bytes: input.count, limit: PluginLimits.shared.inputBytes))
    }

    @Test func aCallPastItsDeadlineIsDiscarded() throws {
        // Each reading of this clock is a second after the last: every call looks slow.
        let slow = PluginSandbox(limits: .dedicated, clock: SteppingClock(step: .seconds(1)))
        let plugin = try slow.compile(ExamplePlugins.wasm(ExamplePlugins.tenPercentOver100))
        #expect(failure(slow.run(plugin, input: Self.cartInput(subtotal: 20_000))) == .deadlineExceeded(elapsed: .seconds(1), limit: PluginLimits.dedicated.deadline))
    }

    @Test func sharedLimitsStopSoonerThanDedicatedOnes() throws {
        // A loop of a million iterations: within a dedicated cell's fuel, over a shared one's.
        let counting = try Self.module(run: """
            (local $i i32)
            (loop $next (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $next (i32.lt_u (local.get $i) (i32.const 1000000))))
            (i64.const 0)
            """)
        let dedicated = try answer(sandbox.run(sandbox.compile(counting), input: Array("{}".utf8)))
        #expect(dedicated.fuelUsed > PluginLimits.shared.fuel)
        let shared = PluginSandbox(limits: .shared, clock: ManualClock())
        #expect(failure(shared.run(try shared.compile(counting), input: Array("{}".utf8))) == .outOfFuel(limit: PluginLimits.shared.fuel))
    }

    // MARK: Helpers

    /// A plugin whose `run` body is `run` (locals: 0 = input pointer, 1 = input length).
    static func module(run: String) throws -> [UInt8] {
        try wat2wasm("(module (global $calls (mut i32) (i32.const 0)) \(standardExports(run: run)))")
    }

    static func standardExports(run: String) -> String {
        """
        (memory (export "memory") 1)
        (func (export "alloc") (param i32) (result i32) (i32.const 1024))
        (func (export "run") (param i32 i32) (result i64) \(run))
        """
    }

    static func cartInput(subtotal: Int64, quantities: [Int] = [1]) -> [UInt8] {
        let lines = quantities.enumerated().map { index, quantity in
            PluginCartInput.Line(
                id: "line_\(index + 1)", variantId: "var_\(index + 1)", productId: "prod_\(index + 1)", sku: nil,
                title: "Mug \(index + 1)", quantity: quantity, unitPrice: subtotal, total: subtotal * Int64(quantity))
        }
        let input = PluginCartInput(
            point: .cartDiscounts, apiVersion: 1, store: try! StoreSlug(validating: "demo"), currency: .usd,
            cart: .init(id: "cart_1", subtotal: subtotal, itemCount: quantities.reduce(0, +), lines: lines),
            customer: .init(email: nil))
        return try! Array(JSONEncoder().encode(input))
    }

    func answer(_ result: Result<PluginAnswer, PluginFailure>) throws -> PluginAnswer { try result.get() }

    func failure(_ result: Result<PluginAnswer, PluginFailure>) -> PluginFailure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }

    static func rejection(_ body: () throws -> CompiledPlugin) -> PluginRejection? {
        do { _ = try body(); return nil } catch let rejection as PluginRejection { return rejection } catch { return nil }
    }
}

/// A clock each reading of which is `step` after the one before.
final class SteppingClock: MonotonicClock {
    private let origin = ContinuousClock.now
    private let readings = Mutex(0)
    let step: Duration

    init(step: Duration) { self.step = step }

    var now: ContinuousClock.Instant {
        let count = readings.withLock { value in
            defer { value += 1 }
            return value
        }
        return origin + step * count
    }

    func sleep(until deadline: ContinuousClock.Instant) async throws {}
}
