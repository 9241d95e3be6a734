/// What one plugin call may spend. Fuel (roughly one unit per WebAssembly operator) is the hard
/// stop: the interpreter traps when it runs out, wherever the module is. Linear memory is capped
/// at growth (`memory.grow` answers -1 past the cap) and at install (a module that declares more
/// is refused). Input and output are bounded before a byte is copied. The wall-clock deadline is
/// checked when the call returns: WasmKit cannot interrupt a running
/// module from outside, so the fuel budget is what keeps a call inside its deadline, and the
/// deadline catches a call that was slow anyway (a loaded machine) and discards its answer.
public struct PluginLimits: Sendable, Equatable {
    public var fuel: UInt64
    public var memoryBytes: Int
    public var inputBytes: Int
    public var outputBytes: Int
    public var deadline: Duration
    /// Lines a call may log through `lumora.log`, and the bytes of each; the rest are dropped.
    public var logLines: Int
    public var logLineBytes: Int

    public init(
        fuel: UInt64, memoryBytes: Int, inputBytes: Int, outputBytes: Int, deadline: Duration,
        logLines: Int = 20, logLineBytes: Int = 500
    ) {
        self.fuel = fuel
        self.memoryBytes = memoryBytes
        self.inputBytes = inputBytes
        self.outputBytes = outputBytes
        self.deadline = deadline
        self.logLines = logLines
        self.logLineBytes = logLineBytes
    }

    /// An enterprise store's own cell: nobody else's requests wait on its plugins.
    public static let dedicated = PluginLimits(
        fuel: 50_000_000, memoryBytes: 16 << 20, inputBytes: 256 << 10, outputBytes: 64 << 10,
        deadline: .milliseconds(250)
    )

    /// A shared cell, when the operator allows plugins there: a tenth of the fuel and a quarter
    /// of the memory, so one store's module cannot hold a neighbour's request for long.
    public static let shared = PluginLimits(
        fuel: 5_000_000, memoryBytes: 4 << 20, inputBytes: 64 << 10, outputBytes: 16 << 10,
        deadline: .milliseconds(50)
    )

    /// The largest module an install accepts (the control schema's CHECK says the same).
    public static let maximumModuleBytes = 4 << 20
}
