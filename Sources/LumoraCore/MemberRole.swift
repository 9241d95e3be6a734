/// What a person may do in a store they belong to. The manager keeps memberships, the edge's
/// dashboard shows what a role may reach, and the cell refuses what it may not.
public enum MemberRole: String, Sendable, Codable, CaseIterable {
    /// Everything, billing, staff, API tokens and deleting the store included.
    case owner
    /// All but billing, staff, API tokens and deletion.
    case admin
    /// Products and orders.
    case staff

    public init(validating raw: String) throws(LumoraError) {
        guard let role = MemberRole(rawValue: raw) else {
            throw LumoraError.badRequest("invalid_role", "role must be owner, admin or staff")
        }
        self = role
    }

    public func may(_ action: StoreAction) -> Bool {
        switch (self, action) {
        case (.owner, _): return true
        case (.admin, .catalog), (.admin, .orders), (.admin, .settings), (.admin, .domains): return true
        case (.staff, .catalog), (.staff, .orders): return true
        default: return false
        }
    }
}

/// The areas of a store a role grants.
public enum StoreAction: Sendable, CaseIterable {
    case catalog, orders, settings, domains, staff, apiTokens, billing, deleteStore
}
