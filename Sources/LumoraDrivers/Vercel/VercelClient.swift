import AsyncHTTPClient
import Foundation
import LumoraCore
import NIOHTTP1

/// Vercel's project-domain API: add, get, list, verify, remove, and a domain's DNS config.
///
/// `rate_limited` (429) and 5xx answers are retried under the `RetryPolicy`, waiting for the
/// reset Vercel announces (`Retry-After`, `X-RateLimit-Reset`, or the body's `limit.reset`).
/// Every other error surfaces as a `LumoraError` whose `details["vercel_code"]` is Vercel's code.
public struct VercelClient: Sendable {
    public let configuration: VercelConfiguration
    let http: DriverHTTP

    public init(configuration: VercelConfiguration, httpClient: HTTPClient = .shared) {
        self.configuration = configuration
        self.http = DriverHTTP(client: httpClient, timeout: configuration.requestTimeout)
    }

    private var project: String { URLEncoding.component(configuration.project) }

    public func addDomain(_ name: String) async throws -> VercelDomain {
        let body = try JSONEncoder().encode(["name": name])
        return try await call(.POST, "/v10/projects/\(project)/domains", body: body).decode(VercelDomain.self)
    }

    /// The domain as attached to our project; nil when it is not.
    public func domain(_ name: String) async throws -> VercelDomain? {
        do {
            return try await call(.GET, "/v9/projects/\(project)/domains/\(URLEncoding.component(name))").decode(VercelDomain.self)
        } catch let error as LumoraError where error.status == .notFound {
            return nil
        }
    }

    public func listDomains(limit: Int? = nil) async throws -> VercelDomainList {
        try await call(.GET, "/v9/projects/\(project)/domains", query: limit.map { [("limit", String($0))] } ?? [])
            .decode(VercelDomainList.self)
    }

    public func verifyDomain(_ name: String) async throws -> VercelDomain {
        try await call(.POST, "/v9/projects/\(project)/domains/\(URLEncoding.component(name))/verify").decode(VercelDomain.self)
    }

    /// Detaches the domain from our project; false when it was not attached.
    @discardableResult
    public func removeDomain(_ name: String) async throws -> Bool {
        do {
            _ = try await call(.DELETE, "/v9/projects/\(project)/domains/\(URLEncoding.component(name))")
            return true
        } catch let error as LumoraError where error.status == .notFound {
            return false
        }
    }

    public func config(_ name: String) async throws -> VercelDomainConfig {
        try await call(.GET, "/v6/domains/\(URLEncoding.component(name))/config").decode(VercelDomainConfig.self)
    }

    // MARK: Calls

    func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil) async throws -> HTTPReply {
        var query = query
        if let team = configuration.team { query.append(("teamId", team)) }
        var url = URLEncoding.trimmed(configuration.baseURL) + path
        if !query.isEmpty { url += "?" + URLEncoding.form(query) }
        var headers: HTTPHeaders = ["authorization": "Bearer \(configuration.token)", "accept": "application/json"]
        if body != nil { headers.add(name: "content-type", value: "application/json") }
        return try await configuration.retry.run { _ in
            let reply: HTTPReply
            do {
                reply = try await http.send(method, url, headers: headers, body: body)
            } catch {
                return .retry(after: nil, failure: LumoraError(.unavailable, code: "vercel_unreachable",
                                                               message: "could not reach Vercel at \(configuration.baseURL): \(error)"))
            }
            if reply.isSuccess { return .finished(reply) }
            let failure = Self.error(for: reply, method: method, path: path)
            switch reply.status {
            case 429:
                return .retry(after: Self.rateLimitReset(reply), failure: failure)
            case 500, 502, 503, 504:
                return .retry(after: RetryHints.retryAfter(reply.headers.first(name: "retry-after")), failure: failure)
            default:
                throw failure
            }
        }
    }

    /// When a rate limit lifts: `Retry-After`, else `X-RateLimit-Reset`, else the body's `limit`.
    static func rateLimitReset(_ reply: HTTPReply) -> Duration? {
        if let hint = RetryHints.retryAfter(reply.headers.first(name: "retry-after")) { return hint }
        if let header = reply.headers.first(name: "x-ratelimit-reset"), let hint = RetryHints.reset(Double(header)) { return hint }
        let body = try? JSONDecoder().decode(VercelErrorReply.self, from: reply.body)
        let limit = body?.error?.limit ?? body?.limit
        return RetryHints.reset(limit?.reset) ?? RetryHints.reset(limit?.resetMs)
    }

    static func error(for reply: HTTPReply, method: HTTPMethod, path: String) -> LumoraError {
        let detail = (try? JSONDecoder().decode(VercelErrorReply.self, from: reply.body))?.error
        let vercelCode = detail?.code ?? "http_\(reply.status)"
        let message = detail?.message ?? String(decoding: reply.body.prefix(300), as: UTF8.self)
        let status: LumoraError.Status
        switch reply.status {
        case 400: status = .badRequest
        case 401, 403: status = detail?.invalidToken == true || reply.status == 401 ? .badGateway : .forbidden
        case 404: status = .notFound
        case 409: status = .conflict
        case 429: status = .tooManyRequests
        case 500...599: status = .unavailable
        default: status = .badGateway
        }
        let code = detail?.invalidToken == true || reply.status == 401 ? "vercel_unauthorized" : "vercel_" + vercelCode
        var error = LumoraError(status, code: code, message: "Vercel answered \(reply.status) \(vercelCode) to \(method.rawValue) \(path): \(message)")
        error.details["vercel_code"] = vercelCode
        error.details["vercel_message"] = message
        if let projectID = detail?.projectId { error.details["vercel_project_id"] = projectID }
        return error
    }
}
