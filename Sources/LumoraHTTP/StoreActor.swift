import LumoraCore

/// A dashboard user acting in a store, as the edge names them to a cell (`x-lumora-actor`,
/// covered by the edge's signature): `<account id>:<role>`.
public struct StoreActor: Sendable, Equatable {
    public let accountID: Int64
    public let role: MemberRole

    public init(accountID: Int64, role: MemberRole) {
        self.accountID = accountID
        self.role = role
    }

    public var headerValue: String { "\(accountID):\(role.rawValue)" }

    public init?(headerValue: String) {
        let parts = headerValue.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let id = Int64(parts[0]), id > 0, let role = MemberRole(rawValue: String(parts[1])) else { return nil }
        self.init(accountID: id, role: role)
    }
}
