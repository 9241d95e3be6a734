/// Why a module is refused at install, before it is stored. Each has a stable code for the API
/// and a message that says what to change in the module.
public enum PluginRejection: Error, Sendable, Equatable {
    case empty
    case tooLarge(bytes: Int, limit: Int)
    case notWebAssembly
    case invalidModule(String)
    case forbiddenImport(module: String, name: String)
    case missingExport(String)
    case wrongSignature(export: String, expected: String)
    case memoryTooLarge(declaredBytes: UInt64, limit: Int)
    case unsupportedMemory(String)
    case startTrapped(String)

    public var code: String {
        switch self {
        case .empty: "plugin_empty"
        case .tooLarge: "plugin_too_large"
        case .notWebAssembly: "plugin_not_webassembly"
        case .invalidModule: "plugin_invalid"
        case .forbiddenImport: "plugin_forbidden_import"
        case .missingExport: "plugin_missing_export"
        case .wrongSignature: "plugin_wrong_signature"
        case .memoryTooLarge: "plugin_memory_too_large"
        case .unsupportedMemory: "plugin_unsupported_memory"
        case .startTrapped: "plugin_start_trapped"
        }
    }

    public var message: String {
        switch self {
        case .empty:
            "The module is empty: send the .wasm file's bytes as the request body."
        case .tooLarge(let bytes, let limit):
            "The module is \(bytes) bytes; the limit is \(limit)."
        case .notWebAssembly:
            "This is not a WebAssembly module (it does not start with \\0asm)."
        case .invalidModule(let reason):
            "The module does not validate: \(reason)"
        case .forbiddenImport(let module, let name):
            "The module imports \(module).\(name); a plugin may import only lumora.log (no WASI, no other host functions)."
        case .missingExport(let name):
            "The module does not export \(name); a plugin exports memory, alloc and run."
        case .wrongSignature(let export, let expected):
            "\(export) must be \(expected)."
        case .memoryTooLarge(let declared, let limit):
            "The module asks for \(declared) bytes of memory at start; plugins here get at most \(limit)."
        case .unsupportedMemory(let reason):
            "Unsupported memory: \(reason)"
        case .startTrapped(let reason):
            "The module's start function failed: \(reason)"
        }
    }
}
