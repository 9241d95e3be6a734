/// Where a store is in its life. Only `active` stores are served.
public enum StoreStatus: String, Sendable, Codable, CaseIterable, Equatable {
    case provisioning
    case active
    case suspended
    case failed
    case deleting
}
