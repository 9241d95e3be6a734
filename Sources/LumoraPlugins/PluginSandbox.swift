@_spi(Fuzzing) import WasmKit  // Store.resourceLimiter is SPI in 0.4.2: the only way to cap memory.grow.
import LumoraCore
import Synchronization
import struct WasmParser.Parser

/// Compiles plugin modules and runs them inside `limits`: fresh instance per call, fuel metered,
/// memory capped, only `lumora.log` to call out to. Synchronous and CPU-bound by design — a call
/// is bounded by its fuel, so it holds its thread for a bounded time.
///
/// ABI (docs/PLUGINS.md): the module exports `memory`, `alloc(len: i32) -> i32` and
/// `run(ptr: i32, len: i32) -> i64`; the host writes the input at `alloc(len)`'s pointer, calls
/// `run` and reads the answer at `(result >> 32, result & 0xffff_ffff)`.
public struct PluginSandbox: Sendable {
    public let limits: PluginLimits
    private let engine: Engine
    /// Install validates every function body up front, not at first call.
    private let eagerEngine: Engine
    private let clock: any MonotonicClock

    public init(limits: PluginLimits, clock: any MonotonicClock = SystemClock()) {
        self.limits = limits
        self.clock = clock
        self.engine = Engine(configuration: Self.configuration(.lazy))
        self.eagerEngine = Engine(configuration: Self.configuration(.eager))
    }

    /// Fuel metered; software bounds checks: the mprotect strategy traps through a SIGSEGV
    /// handler, which a server process with its own crash handling should not hand to a guest.
    static func configuration(_ compilation: EngineConfiguration.CompilationMode) -> EngineConfiguration {
        EngineConfiguration(compilationMode: compilation, memoryBoundsChecking: .software, fuelMetering: true)
    }

    // MARK: Install

    public func compile(_ bytes: [UInt8]) throws(PluginRejection) -> CompiledPlugin {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= PluginLimits.maximumModuleBytes else {
            throw .tooLarge(bytes: bytes.count, limit: PluginLimits.maximumModuleBytes)
        }
        guard bytes.starts(with: [0x00, 0x61, 0x73, 0x6d]) else { throw .notWebAssembly }
        let module: Module
        do {
            module = try parseWasm(bytes: bytes)
        } catch {
            throw .invalidModule(Self.firstLine(of: error))
        }
        for entry in module.imports {
            guard entry.module == HostFunctions.module, entry.name == HostFunctions.log,
                case .function = entry.descriptor
            else { throw .forbiddenImport(module: entry.module, name: entry.name) }
        }
        let initialMemory = try Self.initialMemoryBytes(of: bytes, limit: limits.memoryBytes)
        for name in ["memory", "alloc", "run"] where !module.exports.contains(where: { $0.name == name }) {
            throw .missingExport(name)
        }

        // A trial instance: validates every body (eager), runs the start function under fuel,
        // and lets the exports' types be read.
        let store = Store(engine: eagerEngine)
        store.fuel = Fuel(remaining: limits.fuel)
        let instance: Instance
        do {
            instance = try module.instantiate(store: store, imports: HostFunctions.imports(store: store) { _ in })
        } catch {
            let text = Self.firstLine(of: error)
            if text.contains("lumora") || text.contains("import") {
                throw .wrongSignature(export: "the import lumora.log", expected: "(i32, i32) -> ()")
            }
            throw text.contains("Trap") ? .startTrapped(text) : .invalidModule(text)
        }
        guard instance.exports[memory: "memory"] != nil else {
            throw .wrongSignature(export: "memory", expected: "a memory")
        }
        guard instance.exports[function: "alloc"]?.type == Self.allocType else {
            throw .wrongSignature(export: "alloc", expected: "(i32) -> i32")
        }
        guard instance.exports[function: "run"]?.type == Self.runType else {
            throw .wrongSignature(export: "run", expected: "(i32, i32) -> i64")
        }
        return CompiledPlugin(module: module, byteCount: bytes.count, initialMemoryBytes: initialMemory)
    }

    // MARK: Calls

    /// Runs the plugin on `input`; its answer's bytes, or why there is none.
    public func run(_ plugin: CompiledPlugin, input: [UInt8]) -> Result<PluginAnswer, PluginFailure> {
        guard input.count <= limits.inputBytes else {
            return .failure(.inputTooLarge(bytes: input.count, limit: limits.inputBytes))
        }
        let started = clock.now
        let cap = MemoryCap(limitBytes: limits.memoryBytes)
        let store = Store(engine: engine)
        store.resourceLimiter = cap
        store.fuel = Fuel(remaining: limits.fuel)
        let logs = LogLines(limits: limits)

        let output: [UInt8]
        do {
            let instance = try plugin.module.instantiate(
                store: store, imports: HostFunctions.imports(store: store) { logs.append($0) })
            guard let memory = instance.exports[memory: "memory"],
                let alloc = instance.exports[function: "alloc"],
                let run = instance.exports[function: "run"]
            else { return .failure(.trapped("the module lost an export")) }

            let length = UInt32(input.count)
            guard case .i32(let pointer) = try alloc([.i32(length)]).first else {
                return .failure(.trapped("alloc answered no pointer"))
            }
            guard Self.fits(pointer: pointer, length: length, in: memory) else {
                return .failure(.trapped("alloc answered \(pointer), which cannot hold \(length) bytes"))
            }
            memory.withUnsafeMutableBufferPointer(offset: UInt(pointer), count: input.count) { buffer in
                buffer.copyBytes(from: input)
            }
            guard case .i64(let packed) = try run([.i32(pointer), .i32(length)]).first else {
                return .failure(.trapped("run answered no value"))
            }
            let outPointer = UInt32(truncatingIfNeeded: packed >> 32)
            let outLength = UInt32(truncatingIfNeeded: packed)
            guard Int(outLength) <= limits.outputBytes else {
                return .failure(.outputTooLarge(bytes: Int(outLength), limit: limits.outputBytes))
            }
            guard Self.fits(pointer: outPointer, length: outLength, in: memory) else {
                return .failure(.outputOutOfBounds(
                    pointer: outPointer, length: outLength, memoryBytes: memory.byteCount))
            }
            output = memory.withUnsafeBufferPointer(offset: UInt(outPointer), count: Int(outLength)) { Array($0) }
        } catch {
            return .failure(classify(error, cap: cap))
        }

        let elapsed = clock.now - started
        guard elapsed <= limits.deadline else {
            return .failure(.deadlineExceeded(elapsed: elapsed, limit: limits.deadline))
        }
        let fuelUsed = limits.fuel - (store.fuel?.remaining ?? 0)
        return .success(PluginAnswer(output: output, fuelUsed: fuelUsed, elapsed: elapsed, logLines: logs.lines))
    }

    // MARK: Helpers

    static let allocType = FunctionType(parameters: [.i32], results: [.i32])
    static let runType = FunctionType(parameters: [.i32, .i32], results: [.i64])

    private func classify(_ error: any Error, cap: MemoryCap) -> PluginFailure {
        let text = Self.firstLine(of: error)
        // WasmKit's trap reasons are package-internal; their descriptions are what it publishes.
        // PluginSandboxTests drive each case, so a change of wording fails there, not in a cell.
        if text.contains("out of fuel") { return .outOfFuel(limit: limits.fuel) }
        if cap.refused { return .memoryLimit(limitBytes: limits.memoryBytes) }
        return .trapped(text)
    }

    private static func fits(pointer: UInt32, length: UInt32, in memory: WasmKit.Memory) -> Bool {
        UInt64(pointer) + UInt64(length) <= UInt64(memory.byteCount)
    }

    /// The memory section's minimum, read before anything is allocated: instantiation would
    /// allocate it without asking the resource limiter.
    private static func initialMemoryBytes(of bytes: [UInt8], limit: Int) throws(PluginRejection) -> Int {
        var parser = Parser(bytes: bytes)
        var total: UInt64 = 0
        do {
            while let payload = try parser.parseNext() {
                guard case .memorySection(let memories) = payload else { continue }
                guard memories.count <= 1 else { throw PluginRejection.unsupportedMemory("more than one memory") }
                for memory in memories {
                    if memory.type.isMemory64 { throw PluginRejection.unsupportedMemory("64-bit memory") }
                    if memory.type.shared { throw PluginRejection.unsupportedMemory("shared memory") }
                    total = memory.type.min * 65_536
                }
            }
        } catch let rejection as PluginRejection {
            throw rejection
        } catch {
            throw .invalidModule(firstLine(of: error))
        }
        guard total <= UInt64(limit) else { throw .memoryTooLarge(declaredBytes: total, limit: limit) }
        return Int(total)
    }

    static func firstLine(of error: any Error) -> String {
        let text = String(describing: error)
        let line = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
        return String(line.prefix(300))
    }
}

/// A call's answer: the output bytes (JSON for every point so far) and what it cost.
public struct PluginAnswer: Sendable, Equatable {
    public let output: [UInt8]
    public let fuelUsed: UInt64
    public let elapsed: Duration
    public let logLines: [String]
}

/// Caps linear memory: growth past the limit is refused (`memory.grow` answers -1), and the
/// refusal is remembered so a trap that follows is reported as the memory limit it is.
final class MemoryCap: ResourceLimiter {
    let limitBytes: Int
    private let refusedGrowth = Atomic<Bool>(false)

    init(limitBytes: Int) { self.limitBytes = limitBytes }

    var refused: Bool { refusedGrowth.load(ordering: .relaxed) }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard desired <= limitBytes else {
            refusedGrowth.store(true, ordering: .relaxed)
            return false
        }
        return true
    }

    func limitTableGrowth(to desired: Int) throws -> Bool { desired <= 10_000 }
}
