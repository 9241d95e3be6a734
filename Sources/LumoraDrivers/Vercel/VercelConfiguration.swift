import Foundation
import LumoraCore

/// Vercel access for the storefront's domains.
public struct VercelConfiguration: Sendable {
    public static let defaultBaseURL = "https://api.vercel.com"

    public var baseURL: String
    public var token: String
    /// The storefront's project, by id or name.
    public var project: String
    /// Sent as `?teamId=` on every call when the project belongs to a team.
    public var team: String?
    public var retry: RetryPolicy
    public var requestTimeout: Duration

    public init(baseURL: String = VercelConfiguration.defaultBaseURL, token: String, project: String, team: String? = nil,
                retry: RetryPolicy = .standard, requestTimeout: Duration = .seconds(30)) {
        self.baseURL = baseURL
        self.token = token
        self.project = project
        self.team = team
        self.retry = retry
        self.requestTimeout = requestTimeout
    }

    /// Reads `LUMORA_VERCEL_TOKEN`, `LUMORA_VERCEL_PROJECT` (required), `LUMORA_VERCEL_TEAM`
    /// and `LUMORA_VERCEL_URL`.
    public static func fromEnvironment(_ env: [String: String]) throws -> VercelConfiguration {
        func value(_ name: String) -> String? {
            guard let text = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        guard let token = value("LUMORA_VERCEL_TOKEN") else {
            throw LumoraError.badRequest("configuration_missing", "LUMORA_VERCEL_TOKEN is not set: a Vercel access token for the storefront's project")
        }
        guard let project = value("LUMORA_VERCEL_PROJECT") else {
            throw LumoraError.badRequest("configuration_missing", "LUMORA_VERCEL_PROJECT is not set: the id or name of the storefront's Vercel project")
        }
        return VercelConfiguration(baseURL: value("LUMORA_VERCEL_URL") ?? defaultBaseURL, token: token, project: project,
                                   team: value("LUMORA_VERCEL_TEAM"))
    }
}
