/// A store's plan decides where it runs: standard stores share a cell, enterprise stores get
/// a dedicated one.
public enum Plan: String, Sendable, Codable, CaseIterable, Equatable {
    case standard
    case enterprise

    public init(validating raw: String) throws(LumoraError) {
        guard let plan = Plan(rawValue: raw) else {
            throw LumoraError(.badRequest, code: "invalid_plan", message: "unknown plan '\(raw.prefix(40))'; expected one of: standard, enterprise")
        }
        self = plan
    }

    /// Whether the store runs in its own cell (process / Cloud Run service).
    public var hasDedicatedCell: Bool { self == .enterprise }
}
