import AsyncHTTPClient
import Foundation
import LumoraCore
import NIOHTTP1

/// OAuth access tokens for Google APIs, from one of three sources: a token given outright
/// (`LUMORA_GCP_TOKEN`), a service-account key file (JWT-bearer grant), or the metadata
/// server of the GCP machine the manager runs on.
///
/// A token is cached until a minute before it expires; callers arriving while a refresh is in
/// flight wait for that one refresh instead of starting their own.
public actor GoogleAccessTokens {
    public enum Source: Sendable, Equatable {
        case token(String)
        /// `tokenURI` overrides the key's own `token_uri` (tests, private endpoints).
        case serviceAccount(ServiceAccountKey, tokenURI: String? = nil)
        /// The metadata server's base URL (`http://metadata.google.internal`).
        case metadataServer(baseURL: String)
    }

    public static let defaultMetadataURL = "http://metadata.google.internal"
    /// Refresh this long before expiry so a token never expires mid-request.
    static let refreshMargin: Duration = .seconds(60)

    public nonisolated let source: Source
    private let http: DriverHTTP
    private let retry: RetryPolicy
    private var cached: (token: String, expiresAt: ContinuousClock.Instant)?
    private var refreshing: Task<FetchedToken, any Error>?

    public init(source: Source, httpClient: HTTPClient = .shared, retry: RetryPolicy = .standard) {
        self.source = source
        self.http = DriverHTTP(client: httpClient, timeout: .seconds(20))
        self.retry = retry
    }

    /// A valid access token.
    public func token() async throws -> String {
        if case .token(let token) = source { return token }
        if let cached, ContinuousClock.now < cached.expiresAt { return cached.token }
        let task: Task<FetchedToken, any Error>
        if let refreshing {
            task = refreshing
        } else {
            task = Task { [source, http, retry] in try await Self.fetch(source: source, http: http, retry: retry) }
            refreshing = task
        }
        do {
            let fetched = try await task.value
            if refreshing == task { refreshing = nil }
            let lifetime = max(fetched.expiresIn - Self.refreshMargin, .zero)
            cached = (fetched.token, ContinuousClock.now + lifetime)
            return fetched.token
        } catch {
            if refreshing == task { refreshing = nil }
            throw error
        }
    }

    /// Forgets `token` (the API answered 401: revoked, or expired early).
    public func invalidate(_ token: String) {
        if cached?.token == token { cached = nil }
    }

    struct FetchedToken: Sendable {
        let token: String
        let expiresIn: Duration
    }

    private struct TokenResponse: Decodable {
        let access_token: String
        let expires_in: Double?
    }

    private static func fetch(source: Source, http: DriverHTTP, retry: RetryPolicy) async throws -> FetchedToken {
        let reply: HTTPReply = try await retry.run { _ in
            let reply: HTTPReply
            do {
                switch source {
                case .token(let token):
                    return .finished(HTTPReply(status: 200, headers: [:], body: Data("{\"access_token\":\"\(token)\"}".utf8)))
                case .serviceAccount(let key, let override):
                    let audience = override ?? key.tokenURI
                    let assertion = try GoogleJWT.assertion(key: key, audience: audience)
                    let form = URLEncoding.form([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)])
                    reply = try await http.send(.POST, audience, headers: ["content-type": "application/x-www-form-urlencoded"],
                                                body: Data(form.utf8))
                case .metadataServer(let base):
                    reply = try await http.send(.GET, URLEncoding.trimmed(base) + "/computeMetadata/v1/instance/service-accounts/default/token",
                                                headers: ["Metadata-Flavor": "Google"])
                }
            } catch let error as LumoraError {
                throw error
            } catch {
                return .retry(after: nil, failure: LumoraError(.badGateway, code: "google_token_unreachable",
                                                               message: "could not reach \(source.endpointDescription): \(error)"))
            }
            if reply.isSuccess { return .finished(reply) }
            let failure = LumoraError(.badGateway, code: "google_token_rejected",
                                      message: "\(source.endpointDescription) answered \(reply.status): \(Self.errorText(reply.body))")
            if [429, 500, 502, 503, 504].contains(reply.status) {
                return .retry(after: RetryHints.retryAfter(reply.headers.first(name: "retry-after")), failure: failure)
            }
            throw failure
        }
        let decoded = try reply.decode(TokenResponse.self)
        return FetchedToken(token: decoded.access_token, expiresIn: .seconds(decoded.expires_in ?? 3600))
    }

    /// OAuth errors are `{"error":"invalid_grant","error_description":"…"}`.
    static func errorText(_ body: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            let error = (object["error"] as? String) ?? ((object["error"] as? [String: Any])?["message"] as? String)
            let description = object["error_description"] as? String
            let parts = [error, description].compactMap { $0 }
            if !parts.isEmpty { return parts.joined(separator: ": ") }
        }
        return String(decoding: body.prefix(300), as: UTF8.self)
    }
}

extension GoogleAccessTokens.Source {
    var endpointDescription: String {
        switch self {
        case .token: return "the configured token"
        case .serviceAccount(let key, let override): return "Google's token endpoint \(override ?? key.tokenURI) (key \(key.clientEmail))"
        case .metadataServer(let base): return "the metadata server at \(base)"
        }
    }

    var description: String {
        switch self {
        case .token: return "LUMORA_GCP_TOKEN"
        case .serviceAccount(let key, _): return "service-account key for \(key.clientEmail)"
        case .metadataServer(let base): return "metadata server \(base)"
        }
    }
}

extension GoogleAccessTokens.Source {
    /// Where a process's Google credentials come from: `LUMORA_GCP_TOKEN`, else the key file
    /// `GOOGLE_APPLICATION_CREDENTIALS` (with an optional `LUMORA_GCP_TOKEN_URL`), else the
    /// metadata server of the machine (`LUMORA_GCP_METADATA_URL` overrides its address).
    public static func fromEnvironment(_ env: [String: String]) throws -> GoogleAccessTokens.Source {
        func value(_ name: String) -> String? {
            guard let text = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        if let token = value("LUMORA_GCP_TOKEN") { return .token(token) }
        if let path = value("GOOGLE_APPLICATION_CREDENTIALS") {
            return .serviceAccount(try ServiceAccountKey(contentsOf: path), tokenURI: value("LUMORA_GCP_TOKEN_URL"))
        }
        return .metadataServer(baseURL: value("LUMORA_GCP_METADATA_URL") ?? GoogleAccessTokens.defaultMetadataURL)
    }
}
