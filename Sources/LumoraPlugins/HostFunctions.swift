import WasmKit

/// The host functions a plugin may import — one: `lumora.log(ptr: i32, len: i32)`, a line for the
/// cell's log. Anything else is refused at install, so a module can compute but not reach out.
enum HostFunctions {
    static let module = "lumora"
    static let log = "log"

    static func imports(store: Store, log: @escaping (String) -> Void) -> Imports {
        [
            module: [
                Self.log: Function(store: store, parameters: [.i32, .i32]) { caller, arguments in
                    guard case .i32(let pointer) = arguments[0], case .i32(let length) = arguments[1],
                        let memory = caller.instance?.exports[memory: "memory"],
                        UInt64(pointer) + UInt64(length) <= UInt64(memory.byteCount)
                    else { return [] }
                    let count = min(Int(length), 4_096)
                    let bytes = memory.withUnsafeBufferPointer(offset: UInt(pointer), count: count) { Array($0) }
                    log(String(decoding: bytes, as: UTF8.self))
                    return []
                },
            ],
        ]
    }
}

/// The lines one call logged, within its limits.
final class LogLines {
    private let limits: PluginLimits
    private(set) var lines: [String] = []

    init(limits: PluginLimits) { self.limits = limits }

    func append(_ line: String) {
        guard lines.count < limits.logLines else { return }
        let cleaned = String(line.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : Character($0) })
        lines.append(String(cleaned.prefix(limits.logLineBytes)))
    }
}
