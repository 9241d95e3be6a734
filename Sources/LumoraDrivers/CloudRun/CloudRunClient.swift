import AsyncHTTPClient
import Foundation
import LumoraCore
import NIOHTTP1

/// The Cloud Run Admin API v2, the calls Lumora needs: services (create, get, list, patch,
/// delete) and their long-running operations.
///
/// 429/500/503/504 and connection failures are retried under the `RetryPolicy`, honouring
/// `Retry-After`; a 401 drops the cached token and retries once; every other error surfaces
/// as a `LumoraError` carrying Google's own message.
public struct CloudRunClient: Sendable {
    public static let defaultBaseURL = "https://run.googleapis.com"

    public let baseURL: String
    public let project: String
    public let region: String
    public let tokens: GoogleAccessTokens
    let http: DriverHTTP
    let retry: RetryPolicy

    public init(baseURL: String = CloudRunClient.defaultBaseURL, project: String, region: String, tokens: GoogleAccessTokens,
                httpClient: HTTPClient = .shared, retry: RetryPolicy = .standard, requestTimeout: Duration = .seconds(60)) {
        self.baseURL = URLEncoding.trimmed(baseURL)
        self.project = project
        self.region = region
        self.tokens = tokens
        self.http = DriverHTTP(client: httpClient, timeout: requestTimeout)
        self.retry = retry
    }

    var parent: String { "projects/\(URLEncoding.component(project))/locations/\(URLEncoding.component(region))" }

    func servicePath(_ id: String) -> String { "\(parent)/services/\(URLEncoding.component(id))" }

    // MARK: Services

    /// The service, or nil when there is none.
    public func service(_ id: String) async throws -> CloudRunService? {
        do {
            return try await call(.GET, servicePath(id)).decode(CloudRunService.self)
        } catch let error as LumoraError where error.status == .notFound {
            return nil
        }
    }

    public func createService(_ id: String, _ service: CloudRunService) async throws -> CloudRunOperation {
        try await call(.POST, "\(parent)/services", query: [("serviceId", id)], body: service).decode(CloudRunOperation.self)
    }

    public func listServices(pageSize: Int? = nil, pageToken: String? = nil) async throws -> CloudRunServiceList {
        var query: [(String, String)] = []
        if let pageSize { query.append(("pageSize", String(pageSize))) }
        if let pageToken, !pageToken.isEmpty { query.append(("pageToken", pageToken)) }
        return try await call(.GET, "\(parent)/services", query: query).decode(CloudRunServiceList.self)
    }

    /// Every service in the region, following `nextPageToken`.
    public func allServices(pageSize: Int = 100) async throws -> [CloudRunService] {
        var services: [CloudRunService] = []
        var token: String?
        repeat {
            let page = try await listServices(pageSize: pageSize, pageToken: token)
            services += page.services ?? []
            token = page.nextPageToken
        } while token?.isEmpty == false
        return services
    }

    /// Replaces the service's settable fields. Send the whole template and an explicit
    /// `traffic`: an empty traffic list would mean "everything to the latest revision".
    public func patchService(_ id: String, _ service: CloudRunService) async throws -> CloudRunOperation {
        try await call(.PATCH, servicePath(id), body: service).decode(CloudRunOperation.self)
    }

    /// Deletes the service; nil when it was already gone.
    public func deleteService(_ id: String) async throws -> CloudRunOperation? {
        do {
            return try await call(.DELETE, servicePath(id)).decode(CloudRunOperation.self)
        } catch let error as LumoraError where error.status == .notFound {
            return nil
        }
    }

    // MARK: Operations

    public func operation(_ name: String) async throws -> CloudRunOperation {
        try await call(.GET, name).decode(CloudRunOperation.self)
    }

    /// Polls the operation until it is done, within `timeout`. An operation that finished
    /// with an `error` throws Google's message.
    public func wait(for operation: CloudRunOperation, timeout: Duration, pollInterval: Duration,
                     what: String) async throws -> CloudRunOperation {
        var current = operation
        let deadline = ContinuousClock.now + timeout
        while current.done != true {
            guard let name = current.name, !name.isEmpty else {
                throw LumoraError(.badGateway, code: "cloud_run_bad_response", message: "Cloud Run answered an operation without a name (\(what))")
            }
            guard ContinuousClock.now < deadline else {
                throw LumoraError(.gatewayTimeout, code: "cloud_run_timeout",
                                  message: "Cloud Run operation \(name) (\(what)) was not done within \(timeout)")
            }
            try await Task.sleep(for: pollInterval)
            current = try await self.operation(name)
        }
        if let error = current.error {
            throw LumoraError(.badGateway, code: "cloud_run_operation_failed",
                              message: "Cloud Run could not \(what): \(error.message ?? "operation failed with code \(error.code ?? 0)")")
        }
        return current
    }

    // MARK: Calls

    func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: CloudRunService? = nil) async throws -> HTTPReply {
        var url = "\(baseURL)/v2/\(path)"
        if !query.isEmpty { url += "?" + URLEncoding.form(query) }
        let data = try body.map { try JSONEncoder().encode($0) }
        var refreshedToken = false
        return try await retry.run { _ in
            let token = try await tokens.token()
            var headers: HTTPHeaders = ["authorization": "Bearer \(token)", "accept": "application/json"]
            if data != nil { headers.add(name: "content-type", value: "application/json") }
            let reply: HTTPReply
            do {
                reply = try await http.send(method, url, headers: headers, body: data)
            } catch {
                return .retry(after: nil, failure: LumoraError(.unavailable, code: "cloud_run_unreachable",
                                                               message: "could not reach Cloud Run at \(baseURL): \(error)"))
            }
            if reply.isSuccess { return .finished(reply) }
            let failure = Self.error(for: reply, method: method, path: path)
            switch reply.status {
            case 401 where !refreshedToken:
                // A revoked or early-expired token: fetch a fresh one, once.
                refreshedToken = true
                await tokens.invalidate(token)
                return .retry(after: .zero, failure: failure)
            case 429, 500, 503, 504:
                return .retry(after: RetryHints.retryAfter(reply.headers.first(name: "retry-after")), failure: failure)
            default:
                throw failure
            }
        }
    }

    /// Google's answer as a `LumoraError`: a code naming the class of failure, Google's
    /// message kept word for word.
    static func error(for reply: HTTPReply, method: HTTPMethod, path: String) -> LumoraError {
        let detail = (try? JSONDecoder().decode(GoogleErrorReply.self, from: reply.body))?.error
        let googleStatus = detail?.status ?? ""
        let message = detail?.message ?? String(decoding: reply.body.prefix(300), as: UTF8.self)
        let status: LumoraError.Status
        let code: String
        switch reply.status {
        case 400:
            status = .badRequest
            code = googleStatus == "FAILED_PRECONDITION" ? "cloud_run_failed_precondition" : "cloud_run_invalid_argument"
        case 401: (status, code) = (.badGateway, "cloud_run_unauthenticated")
        case 403: (status, code) = (.badGateway, "cloud_run_permission_denied")
        case 404: (status, code) = (.notFound, "cloud_run_not_found")
        case 409: (status, code) = (.conflict, "cloud_run_conflict")
        case 429: (status, code) = (.tooManyRequests, "cloud_run_rate_limited")
        case 504: (status, code) = (.gatewayTimeout, "cloud_run_timeout")
        case 500...599: (status, code) = (.unavailable, "cloud_run_unavailable")
        default: (status, code) = (.badGateway, "cloud_run_error")
        }
        let label = googleStatus.isEmpty ? "\(reply.status)" : "\(reply.status) \(googleStatus)"
        var error = LumoraError(status, code: code, message: "Cloud Run answered \(label) to \(method.rawValue) \(path): \(message)")
        error.details["google_status"] = googleStatus
        error.details["google_message"] = message
        return error
    }
}
