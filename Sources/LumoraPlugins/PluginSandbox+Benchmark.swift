@_spi(Fuzzing) import WasmKit

extension PluginSandbox {
    /// What pooling instances would save: `count` calls on one instance, reusing it (its memory
    /// and globals carry over, which is why stores never get this). For `lumora bench plugins`
    /// only; answers the calls that succeeded.
    @_spi(Benchmark)
    public func runReusingOneInstance(_ plugin: CompiledPlugin, input: [UInt8], count: Int) throws -> Int {
        let store = Store(engine: Engine(configuration: Self.configuration(.lazy)))
        store.resourceLimiter = MemoryCap(limitBytes: 1 << 30)
        store.fuel = Fuel(remaining: .max / 2)
        let instance = try plugin.module.instantiate(store: store, imports: HostFunctions.imports(store: store) { _ in })
        guard let memory = instance.exports[memory: "memory"], let alloc = instance.exports[function: "alloc"],
              let run = instance.exports[function: "run"] else { return 0 }
        var succeeded = 0
        for _ in 0..<count {
            guard case .i32(let pointer) = try alloc([.i32(UInt32(input.count))]).first, pointer != 0,
                  UInt64(pointer) + UInt64(input.count) <= UInt64(memory.byteCount) else { break }
            memory.withUnsafeMutableBufferPointer(offset: UInt(pointer), count: input.count) { $0.copyBytes(from: input) }
            guard case .i64 = try run([.i32(pointer), .i32(UInt32(input.count))]).first else { break }
            succeeded += 1
        }
        return succeeded
    }
}

/// Where a fresh call's time goes, for `lumora bench plugins`.
public struct FreshCallBreakdown: Sendable {
    public var store: Duration = .zero
    public var instantiate: Duration = .zero
    public var firstCalls: Duration = .zero
    public var repeatCalls: Duration = .zero
}

extension PluginSandbox {
    /// Times each stage of a fresh call `count` times: making the store, instantiating the
    /// module, the first alloc+run (which translates the functions it reaches) and a second one.
    @_spi(Benchmark)
    public func freshCallBreakdown(_ plugin: CompiledPlugin, input: [UInt8], count: Int) throws -> FreshCallBreakdown {
        let clock = ContinuousClock()
        let engine = Engine(configuration: Self.configuration(.lazy))
        var total = FreshCallBreakdown()
        for _ in 0..<count {
            var mark = clock.now
            let store = Store(engine: engine)
            store.resourceLimiter = MemoryCap(limitBytes: limits.memoryBytes)
            store.fuel = Fuel(remaining: limits.fuel)
            total.store += clock.now - mark
            mark = clock.now
            let instance = try plugin.module.instantiate(store: store, imports: HostFunctions.imports(store: store) { _ in })
            total.instantiate += clock.now - mark
            guard let memory = instance.exports[memory: "memory"], let alloc = instance.exports[function: "alloc"],
                  let run = instance.exports[function: "run"] else { return total }
            for round in 0..<2 {
                mark = clock.now
                guard case .i32(let pointer) = try alloc([.i32(UInt32(input.count))]).first,
                      UInt64(pointer) + UInt64(input.count) <= UInt64(memory.byteCount) else { return total }
                memory.withUnsafeMutableBufferPointer(offset: UInt(pointer), count: input.count) { $0.copyBytes(from: input) }
                _ = try run([.i32(pointer), .i32(UInt32(input.count))])
                if round == 0 { total.firstCalls += clock.now - mark } else { total.repeatCalls += clock.now - mark }
            }
        }
        return total
    }
}
