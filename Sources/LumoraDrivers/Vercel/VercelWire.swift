import Foundation

// Vercel's project-domain resources, the fields Lumora reads. Every field is optional so a
// lean answer still decodes.

public struct VercelDomain: Codable, Sendable, Equatable {
    public var name: String
    public var apexName: String?
    public var projectId: String?
    public var verified: Bool?
    public var verification: [VercelVerification]?

    public init(name: String, apexName: String? = nil, projectId: String? = nil, verified: Bool? = nil,
                verification: [VercelVerification]? = nil) {
        self.name = name
        self.apexName = apexName
        self.projectId = projectId
        self.verified = verified
        self.verification = verification
    }
}

/// A record Vercel wants before it verifies a domain (`TXT _vercel.<apex> vc-domain-verify=…`).
public struct VercelVerification: Codable, Sendable, Equatable {
    public var type: String
    public var domain: String
    public var value: String
    public var reason: String?
}

public struct VercelDomainConfig: Codable, Sendable, Equatable {
    public var configuredBy: String?
    public var misconfigured: Bool?
    public var acceptedChallenges: [String]?
}

public struct VercelDomainList: Codable, Sendable, Equatable {
    public var domains: [VercelDomain]?
}

/// `{"error":{"code":"…","message":"…"}}`, with `projectId` on `domain_already_in_use` and
/// `limit` on `rate_limited` (inside `error` or beside it, both are seen).
struct VercelErrorReply: Decodable {
    struct Limit: Decodable {
        let remaining: Double?
        let reset: Double?
        let resetMs: Double?
    }

    struct Detail: Decodable {
        let code: String?
        let message: String?
        let projectId: String?
        let invalidToken: Bool?
        let limit: Limit?
    }

    let error: Detail?
    let limit: Limit?
}
