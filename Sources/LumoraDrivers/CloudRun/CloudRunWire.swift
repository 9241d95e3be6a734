import Foundation

// The Cloud Run Admin API v2 resources Lumora reads and writes (camelCase JSON). Only the
// fields Lumora uses are modelled; every one is optional so an answer missing one still
// decodes, and nil fields are left out of requests.

public enum CloudRunWire {
    public static let latest = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    public static let revision = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
    public static let succeeded = "CONDITION_SUCCEEDED"
    public static let failed = "CONDITION_FAILED"
}

/// int64 fields arrive as JSON strings (proto3 JSON); accept numbers too.
public struct GoogleInt64: Codable, Sendable, Equatable {
    public var value: Int64

    public init(_ value: Int64) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else {
            let text = try container.decode(String.self)
            guard let number = Int64(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an int64: \(text)")
            }
            value = number
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

public struct CloudRunService: Codable, Sendable, Equatable {
    public var name: String?
    public var uid: String?
    public var generation: GoogleInt64?
    public var observedGeneration: GoogleInt64?
    public var labels: [String: String]?
    public var template: CloudRunRevisionTemplate?
    public var traffic: [CloudRunTrafficTarget]?
    public var uri: String?
    public var reconciling: Bool?
    public var etag: String?
    public var latestReadyRevision: String?
    public var latestCreatedRevision: String?
    public var terminalCondition: CloudRunCondition?
    public var conditions: [CloudRunCondition]?
    public var trafficStatuses: [CloudRunTrafficStatus]?
    public var invokerIamDisabled: Bool?

    public init(labels: [String: String]? = nil, template: CloudRunRevisionTemplate? = nil, traffic: [CloudRunTrafficTarget]? = nil,
                invokerIamDisabled: Bool? = nil) {
        self.invokerIamDisabled = invokerIamDisabled
        self.labels = labels
        self.template = template
        self.traffic = traffic
    }
}

public struct CloudRunRevisionTemplate: Codable, Sendable, Equatable {
    public var revision: String?
    public var labels: [String: String]?
    public var scaling: Scaling?
    public var timeout: String?
    public var maxInstanceRequestConcurrency: Int?
    public var containers: [Container]?

    public init(revision: String? = nil, labels: [String: String]? = nil, scaling: Scaling? = nil, timeout: String? = nil,
                maxInstanceRequestConcurrency: Int? = nil, containers: [Container]? = nil) {
        self.revision = revision
        self.labels = labels
        self.scaling = scaling
        self.timeout = timeout
        self.maxInstanceRequestConcurrency = maxInstanceRequestConcurrency
        self.containers = containers
    }

    public struct Scaling: Codable, Sendable, Equatable {
        public var minInstanceCount: Int?
        public var maxInstanceCount: Int?
    }

    public struct Container: Codable, Sendable, Equatable {
        public var image: String?
        public var args: [String]?
        public var env: [EnvVar]?
        public var ports: [Port]?
        public var resources: Resources?
        public var startupProbe: Probe?
        public var livenessProbe: Probe?
    }

    public struct EnvVar: Codable, Sendable, Equatable {
        public var name: String
        public var value: String?
        public var valueSource: ValueSource?

        public struct ValueSource: Codable, Sendable, Equatable {
            public var secretKeyRef: SecretKeyRef?
        }

        public struct SecretKeyRef: Codable, Sendable, Equatable {
            public var secret: String
            public var version: String?
        }
    }

    public struct Port: Codable, Sendable, Equatable {
        public var containerPort: Int?
        public var name: String?
    }

    public struct Resources: Codable, Sendable, Equatable {
        public var limits: [String: String]?
    }

    public struct Probe: Codable, Sendable, Equatable {
        public var httpGet: HTTPGet?
        public var periodSeconds: Int?
        public var failureThreshold: Int?
        public var timeoutSeconds: Int?

        public struct HTTPGet: Codable, Sendable, Equatable {
            public var path: String?
            public var port: Int?
        }
    }
}

public struct CloudRunTrafficTarget: Codable, Sendable, Equatable {
    public var type: String?
    public var revision: String?
    public var percent: Int?
    public var tag: String?

    public init(type: String? = nil, revision: String? = nil, percent: Int? = nil, tag: String? = nil) {
        self.type = type
        self.revision = revision
        self.percent = percent
        self.tag = tag
    }

    public static func revision(_ name: String, percent: Int, tag: String? = nil) -> CloudRunTrafficTarget {
        CloudRunTrafficTarget(type: CloudRunWire.revision, revision: name, percent: percent, tag: tag)
    }
}

public struct CloudRunTrafficStatus: Codable, Sendable, Equatable {
    public var type: String?
    public var revision: String?
    public var percent: Int?
    public var tag: String?
    public var uri: String?
}

public struct CloudRunCondition: Codable, Sendable, Equatable {
    public var type: String?
    public var state: String?
    public var message: String?
    public var reason: String?
    public var revisionReason: String?
}

public struct CloudRunOperation: Codable, Sendable, Equatable {
    public var name: String?
    public var done: Bool?
    public var error: Status?
    public var response: CloudRunService?

    public struct Status: Codable, Sendable, Equatable {
        public var code: Int?
        public var message: String?
    }
}

public struct CloudRunServiceList: Codable, Sendable, Equatable {
    public var services: [CloudRunService]?
    public var nextPageToken: String?
}

/// `{"error":{"code":409,"message":"…","status":"ALREADY_EXISTS"}}` (AIP-193).
struct GoogleErrorReply: Decodable {
    struct Detail: Decodable {
        let code: Int?
        let message: String?
        let status: String?
    }

    let error: Detail
}

extension CloudRunService {
    /// Revision names may be full (`projects/…/revisions/x`) or short (`x`): compare short.
    static func shortRevision(_ name: String?) -> String? {
        guard let name, !name.isEmpty else { return nil }
        return name.split(separator: "/").last.map(String.init)
    }

    /// The contract's readiness rule: not reconciling, terminal condition succeeded, the
    /// latest generation observed, and the latest created revision is the latest ready one.
    public var isReady: Bool {
        reconciling != true
            && terminalCondition?.state == CloudRunWire.succeeded
            && observedGeneration?.value == generation?.value
            && Self.shortRevision(latestReadyRevision) != nil
            && Self.shortRevision(latestReadyRevision) == Self.shortRevision(latestCreatedRevision)
    }

    /// Why the service is not ready, in Google's words when Google gave any.
    public var failureMessage: String? {
        if terminalCondition?.state == CloudRunWire.failed, let message = terminalCondition?.message, !message.isEmpty {
            return message
        }
        if let failed = conditions?.first(where: { $0.state == CloudRunWire.failed }) {
            return failed.message ?? "condition \(failed.type ?? "?") failed"
        }
        if terminalCondition?.state == CloudRunWire.failed { return "the service's Ready condition failed" }
        return nil
    }

    /// The revision taking all the traffic now (a LATEST target resolves to the latest ready
    /// revision), or nil when the traffic is split or unknown.
    var servingRevision: String? {
        let statuses = (trafficStatuses ?? []).filter { ($0.percent ?? 0) > 0 }
        if statuses.count == 1, let only = statuses.first, only.percent == 100 {
            if only.type == CloudRunWire.latest || only.revision == nil { return Self.shortRevision(latestReadyRevision) }
            return Self.shortRevision(only.revision)
        }
        if statuses.isEmpty, trafficStatuses == nil || trafficStatuses?.isEmpty == true {
            // No status reported: Cloud Run's default is everything to the latest ready one.
            if traffic == nil || traffic?.isEmpty == true { return Self.shortRevision(latestReadyRevision) }
        }
        return nil
    }

    /// The revision with the most traffic (the one a canary is measured against).
    var mainRevision: String? {
        if let serving = servingRevision { return serving }
        guard let top = (trafficStatuses ?? []).max(by: { ($0.percent ?? 0) < ($1.percent ?? 0) }), (top.percent ?? 0) > 0 else {
            return nil
        }
        if top.type == CloudRunWire.latest || top.revision == nil { return Self.shortRevision(latestReadyRevision) }
        return Self.shortRevision(top.revision)
    }

    func tagURI(_ tag: String) -> String? {
        trafficStatuses?.first(where: { $0.tag == tag })?.uri
    }
}
