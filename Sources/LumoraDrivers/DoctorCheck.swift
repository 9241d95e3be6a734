/// One line of `lumora doctor`: whether a driver's prerequisite holds, and if not, exactly
/// what is missing or what the provider answered.
public struct DoctorCheck: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let ok: Bool
    public let detail: String

    public init(name: String, ok: Bool, detail: String) {
        self.name = name
        self.ok = ok
        self.detail = detail
    }

    public var description: String { "\(ok ? "ok  " : "FAIL") \(name): \(detail)" }
}
