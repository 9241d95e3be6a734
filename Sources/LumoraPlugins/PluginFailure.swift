/// Why a call produced no answer. The caller skips the plugin (or, for a blocking validator,
/// refuses the checkout), logs the failure and counts it under `code`.
public enum PluginFailure: Error, Sendable, Equatable {
    case inputTooLarge(bytes: Int, limit: Int)
    case outOfFuel(limit: UInt64)
    case memoryLimit(limitBytes: Int)
    case trapped(String)
    case outputOutOfBounds(pointer: UInt32, length: UInt32, memoryBytes: Int)
    case outputTooLarge(bytes: Int, limit: Int)
    case deadlineExceeded(elapsed: Duration, limit: Duration)

    public var code: String {
        switch self {
        case .inputTooLarge: "input_too_large"
        case .outOfFuel: "out_of_fuel"
        case .memoryLimit: "memory_limit"
        case .trapped: "trapped"
        case .outputOutOfBounds: "output_out_of_bounds"
        case .outputTooLarge: "output_too_large"
        case .deadlineExceeded: "deadline_exceeded"
        }
    }

    public var message: String {
        switch self {
        case .inputTooLarge(let bytes, let limit):
            "the input is \(bytes) bytes, over the \(limit)-byte limit; the plugin was not run"
        case .outOfFuel(let limit):
            "ran out of fuel (\(limit) units)"
        case .memoryLimit(let limit):
            "asked for more than \(limit) bytes of memory"
        case .trapped(let reason):
            "trapped: \(reason)"
        case .outputOutOfBounds(let pointer, let length, let memoryBytes):
            "answered \(length) bytes at \(pointer), outside its \(memoryBytes)-byte memory"
        case .outputTooLarge(let bytes, let limit):
            "answered \(bytes) bytes, over the \(limit)-byte limit"
        case .deadlineExceeded(let elapsed, let limit):
            "took \(elapsed), over its \(limit) deadline"
        }
    }
}
