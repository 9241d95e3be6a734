import WasmKit

/// A module that passed install's checks, parsed once and shared by every call (WasmKit's
/// `Module` is immutable and Sendable); each call instantiates it afresh in its own store, so no
/// state survives from one cart to the next.
public struct CompiledPlugin: Sendable {
    let module: Module
    /// The module's bytes, as installed.
    public let byteCount: Int
    /// Memory the module asks for at start (its memory section's minimum), in bytes.
    public let initialMemoryBytes: Int
}
