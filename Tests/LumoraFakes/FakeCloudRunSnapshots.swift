/// What tests inspect: copies of the fake's state, taken under its lock.

/// One environment variable of a container: a plain value or a Secret Manager reference.
public struct FakeEnvVar: Sendable, Equatable, CustomStringConvertible {
    public enum Value: Sendable, Equatable {
        case plain(String)
        case secret(name: String, version: String?)
    }

    public var name: String
    public var value: Value

    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }

    /// The plain value, `nil` for a secret reference.
    public var plainValue: String? { if case .plain(let value) = value { value } else { nil } }

    public var description: String {
        switch value {
        case .plain(let value): "\(name)=\(value)"
        case .secret(let secret, let version): "\(name)=secret:\(secret)@\(version ?? "latest")"
        }
    }
}

public struct FakeRevision: Sendable, Equatable {
    /// Short revision name (`lumora-store-acme-v13`).
    public var name: String
    public var image: String
    /// Deployed and serving-capable (its operation finished without error).
    public var ready: Bool
    /// Set when the revision failed to deploy (`failRevisions`).
    public var failureMessage: String?
    public var env: [FakeEnvVar]
    /// Requests its simulated container answered: `requests[store]["2xx"]` (store "-" when
    /// the request had no `x-store-id`).
    public var requests: [String: [String: Int]]
}

/// A traffic target as the service holds it (`type` is the wire value,
/// `TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST` or `…_REVISION`).
public struct FakeTrafficTarget: Sendable, Equatable {
    public static let latestType = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    public static let revisionType = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"

    public var type: String
    /// Short revision name; `nil` for a LATEST target.
    public var revision: String?
    public var percent: Int
    public var tag: String?

    public init(type: String, revision: String?, percent: Int, tag: String?) {
        self.type = type
        self.revision = revision
        self.percent = percent
        self.tag = tag
    }

    public var isLatest: Bool { type == Self.latestType }
}

public struct FakeCloudRunService: Sendable, Equatable {
    public var id: String
    public var labels: [String: String]
    /// Of the first container of the current template.
    public var image: String
    public var args: [String]
    public var env: [FakeEnvVar]
    public var minInstanceCount: Int?
    public var maxInstanceCount: Int?
    public var startupProbePath: String?
    /// In creation order.
    public var revisions: [FakeRevision]
    /// The requested traffic (what `traffic` holds).
    public var traffic: [FakeTrafficTarget]
    /// Where traffic actually goes (what `trafficStatuses` holds; a LATEST target names the revision it reached).
    public var trafficStatuses: [FakeTrafficTarget]
    public var generation: Int
    public var observedGeneration: Int
    public var etag: String
    public var reconciling: Bool
    /// `CONDITION_RECONCILING`, `CONDITION_SUCCEEDED` or `CONDITION_FAILED`.
    public var terminalState: String
    public var terminalMessage: String?
    /// Short names.
    public var latestCreatedRevision: String?
    public var latestReadyRevision: String?

    /// The plain value of an environment variable of the current template.
    public func env(_ name: String) -> String? {
        env.first { $0.name == name }?.plainValue
    }

    public func revision(_ name: String) -> FakeRevision? {
        revisions.first { $0.name == name }
    }

    /// The ready rule of the contract.
    public var isReady: Bool {
        !reconciling && terminalState == "CONDITION_SUCCEEDED" && observedGeneration == generation
            && latestReadyRevision != nil && latestReadyRevision == latestCreatedRevision
    }
}
