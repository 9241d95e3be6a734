import AsyncHTTPClient
import Crypto
import Foundation
import LumoraCore
import LumoraMedia
import NIOCore
import NIOHTTP1

/// Media files in a Google Cloud Storage bucket, through the JSON API v1: one object per
/// `MediaKey`, named `MediaKey.objectName`.
///
/// Files are content-addressed, so a put is a create-only insert (`ifGenerationMatch=0`):
/// Google's 412 means the name, hence the bytes, is already there, which is success and makes
/// a put safe to retry. 408/429/5xx and connection failures are retried under the
/// `RetryPolicy`, honouring `Retry-After`; a 401 drops the cached token and retries once; every
/// other failure surfaces as a `LumoraError` carrying Google's own message.
public struct CloudStorageMediaStore: MediaStore {
    public static let defaultBaseURL = "https://storage.googleapis.com"
    /// objects.list never answers more than this many items a page.
    public static let largestListPage = 1000

    public let bucket: String
    public let baseURL: String
    public let tokens: GoogleAccessTokens
    let http: DriverHTTP
    let retry: RetryPolicy
    let listPageSize: Int
    /// The largest object `get` reads (DriverHTTP's default is sized for JSON answers).
    let maximumObjectBytes: Int
    /// Deletes in flight at once while a store is purged.
    let deleteConcurrency: Int

    /// Throws a configuration error when `bucket` breaks Google's naming rules or `baseURL`
    /// is not an http(s) URL, so a bad setting fails at start-up rather than on an upload.
    public init(bucket: String, baseURL: String = CloudStorageMediaStore.defaultBaseURL, tokens: GoogleAccessTokens,
                httpClient: HTTPClient = .shared, retry: RetryPolicy = .standard, requestTimeout: Duration = .seconds(60),
                listPageSize: Int = CloudStorageMediaStore.largestListPage, maximumObjectBytes: Int = 64 << 20,
                deleteConcurrency: Int = 8) throws(LumoraError) {
        try CloudStorageBucketName.validate(bucket)
        let base = URLEncoding.trimmed(baseURL)
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host?.isEmpty == false, url.query == nil else {
            throw LumoraError.badRequest("configuration_invalid", "the Cloud Storage base URL \"\(baseURL)\" is not an http(s) URL")
        }
        self.bucket = bucket
        self.baseURL = base
        self.tokens = tokens
        self.http = DriverHTTP(client: httpClient, timeout: requestTimeout)
        self.retry = retry
        self.listPageSize = min(max(listPageSize, 1), Self.largestListPage)
        self.maximumObjectBytes = max(maximumObjectBytes, 1)
        self.deleteConcurrency = max(deleteConcurrency, 1)
    }

    // MARK: MediaStore

    public func put(_ key: MediaKey, bytes: ByteBuffer, contentType: String) async throws {
        let url = "\(baseURL)/upload/storage/v1/b/\(URLEncoding.component(bucket))/o?"
            + URLEncoding.form([("uploadType", "media"), ("name", key.objectName), ("ifGenerationMatch", "0")])
        let reply = try await call(.POST, url, what: "upload \(key.objectName)", contentType: contentType, body: bytes,
                                   answered: [412])
        if reply.status == 412 { return }
        let stored = try reply.decode(CloudStorageObject.self)
        if let problem = Self.mismatch(stored, bytes) {
            // A wrong object under a content-addressed name would be kept forever (later puts
            // answer 412): remove exactly that generation so a retried put writes it afresh.
            try? await deleteObject(named: key.objectName, generation: stored.generation?.value)
            throw LumoraError(.badGateway, code: "cloud_storage_bad_upload",
                              message: "Cloud Storage stored \(key.objectName) in bucket \(bucket) with \(problem)")
        }
    }

    public func get(_ key: MediaKey) async throws -> ByteBuffer? {
        let reply = try await call(.GET, objectURL(key.objectName) + "?alt=media", what: "read \(key.objectName)", answered: [404])
        if reply.status == 404 { return nil }
        if let expected = Self.md5(inHashHeaders: reply.headers), expected != Self.md5(reply.body) {
            // Readers cache media forever: corrupt bytes must not get that far.
            throw LumoraError(.badGateway, code: "cloud_storage_corrupt_download",
                              message: "the bytes of \(key.objectName) from bucket \(bucket) do not match the MD5 Cloud Storage sent")
        }
        return reply.body
    }

    public func delete(_ key: MediaKey) async throws {
        try await deleteObject(named: key.objectName)
    }

    /// Lists the store's prefix a page at a time and deletes each page. GCS page tokens
    /// continue after the last name listed, so deleting what was listed does not skip the rest.
    public func deleteAll(of store: StoreSlug) async throws {
        let prefix = MediaKey.prefix(of: store)
        var pageToken: String?
        repeat {
            let page = try await listPage(prefix: prefix, pageToken: pageToken)
            let names = try (page.items ?? []).map { item in
                // Never delete outside the store, whatever the listing says.
                guard let name = item.name, name.hasPrefix(prefix) else {
                    throw LumoraError(.badGateway, code: "cloud_storage_bad_response",
                                      message: "listing \(prefix) in bucket \(bucket) answered an object outside it: \(item.name ?? "(no name)")")
                }
                return name
            }
            try await deleteObjects(names)
            pageToken = page.nextPageToken
        } while pageToken?.isEmpty == false
    }

    // MARK: Operations

    var bucketURL: String { "\(baseURL)/storage/v1/b/\(URLEncoding.component(bucket))" }

    /// The object's URL: the whole name is ONE path segment (`/` sent as `%2F`).
    func objectURL(_ name: String) -> String { "\(bucketURL)/o/\(URLEncoding.component(name))" }

    func listPage(prefix: String, pageToken: String?, maxResults: Int? = nil) async throws -> CloudStorageObjectList {
        var query = [("prefix", prefix), ("maxResults", String(maxResults ?? listPageSize))]
        if let pageToken, !pageToken.isEmpty { query.append(("pageToken", pageToken)) }
        return try await call(.GET, "\(bucketURL)/o?" + URLEncoding.form(query), what: "list \(prefix)")
            .decode(CloudStorageObjectList.self)
    }

    /// Deletes the object (only that generation, when given); an object already gone is fine.
    func deleteObject(named name: String, generation: Int64? = nil) async throws {
        let query = generation.map { "?" + URLEncoding.form([("ifGenerationMatch", String($0))]) } ?? ""
        _ = try await call(.DELETE, objectURL(name) + query, what: "delete \(name)", answered: [404])
    }

    func deleteObjects(_ names: [String]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for name in names {
                if inFlight == deleteConcurrency {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask { try await deleteObject(named: name) }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }

    // MARK: Calls

    /// One API call under the retry policy. Statuses in `answered` are handed back for the
    /// caller to read (a 404 that means "no such file"); other failures retry or throw.
    func call(_ method: HTTPMethod, _ url: String, what: String, contentType: String? = nil, body: ByteBuffer? = nil,
              answered: Set<Int> = []) async throws -> CloudStorageReply {
        var refreshedToken = false
        return try await retry.run { _ in
            try Task.checkCancellation()
            let token = try await tokens.token()
            var headers: HTTPHeaders = ["authorization": "Bearer \(token)"]
            if let contentType { headers.add(name: "content-type", value: contentType) }
            let reply: CloudStorageReply
            do {
                reply = try await http.transfer(method, url, headers: headers, body: body, maximumResponseBytes: maximumObjectBytes)
            } catch is NIOTooManyBytesError {
                throw LumoraError(.badGateway, code: "cloud_storage_object_too_large",
                                  message: "Cloud Storage answered more than \(maximumObjectBytes) bytes to \(what) in bucket \(bucket)")
            } catch {
                return .retry(after: nil, failure: LumoraError(.unavailable, code: "cloud_storage_unreachable",
                                                               message: "could not reach Cloud Storage at \(baseURL) to \(what): \(error)"))
            }
            if reply.isSuccess || answered.contains(reply.status) { return .finished(reply) }
            let failure = self.failure(for: reply, what: what)
            switch reply.status {
            case 401 where !refreshedToken:
                // A revoked or early-expired token: fetch a fresh one, once.
                refreshedToken = true
                await tokens.invalidate(token)
                return .retry(after: .zero, failure: failure)
            case 408, 429, 500, 502, 503, 504:
                return .retry(after: RetryHints.retryAfter(reply.headers.first(name: "retry-after")), failure: failure)
            default:
                throw failure
            }
        }
    }

    /// Google's answer as a `LumoraError`: a code naming the class of failure, Google's
    /// reason and message kept word for word.
    func failure(for reply: CloudStorageReply, what: String) -> LumoraError {
        let detail = try? JSONDecoder().decode(CloudStorageErrorReply.self, from: reply.data)
        let reason = detail?.reason ?? ""
        let message = detail?.error.message ?? String(decoding: reply.body.readableBytesView.prefix(300), as: UTF8.self)
        let status: LumoraError.Status
        let code: String
        switch reply.status {
        case 400: (status, code) = (.badRequest, "cloud_storage_invalid_argument")
        case 401: (status, code) = (.badGateway, "cloud_storage_unauthenticated")
        case 403: (status, code) = (.badGateway, "cloud_storage_permission_denied")
        case 404: (status, code) = (.notFound, "cloud_storage_not_found")
        case 409: (status, code) = (.conflict, "cloud_storage_conflict")
        case 412: (status, code) = (.conflict, "cloud_storage_precondition_failed")
        case 429: (status, code) = (.tooManyRequests, "cloud_storage_rate_limited")
        case 408, 504: (status, code) = (.gatewayTimeout, "cloud_storage_timeout")
        case 500...599: (status, code) = (.unavailable, "cloud_storage_unavailable")
        default: (status, code) = (.badGateway, "cloud_storage_error")
        }
        let label = reason.isEmpty ? "\(reply.status)" : "\(reply.status) \(reason)"
        var error = LumoraError(status, code: code, message: "Cloud Storage answered \(label) to \(what) in bucket \(bucket): \(message)")
        error.details["google_reason"] = reason
        error.details["google_message"] = message
        return error
    }

    // MARK: Integrity

    /// What is wrong with the object Google says it stored, or nil when it holds `bytes`.
    static func mismatch(_ stored: CloudStorageObject, _ bytes: ByteBuffer) -> String? {
        if let size = stored.size, size != String(bytes.readableBytes) {
            return "size \(size) where \(bytes.readableBytes) bytes were sent"
        }
        if let reported = stored.md5Hash, reported != md5(bytes) {
            return "MD5 \(reported) where the bytes sent hash to \(md5(bytes))"
        }
        return nil
    }

    /// Base64 of the MD5 digest, as `md5Hash` and `x-goog-hash` carry it.
    static func md5(_ bytes: ByteBuffer) -> String {
        var hasher = Insecure.MD5()
        bytes.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return Data(hasher.finalize()).base64EncodedString()
    }

    /// The `md5=` of the `x-goog-hash` headers (`crc32c=…,md5=…`, one header or several).
    static func md5(inHashHeaders headers: HTTPHeaders) -> String? {
        headers["x-goog-hash"].lazy
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("md5=") }
            .map { String($0.dropFirst(4)) }
    }
}

extension CloudStorageMediaStore {
    /// Whether media can be stored at all: a token can be had and the bucket can be listed.
    /// Each failure names what is missing or quotes Google.
    public func diagnose() async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        do {
            _ = try await tokens.token()
            checks.append(DoctorCheck(name: "google credentials", ok: true, detail: "token obtained (\(tokens.source.description))"))
        } catch {
            checks.append(DoctorCheck(name: "google credentials", ok: false,
                                      detail: "no token from \(tokens.source.description): \((error as? LumoraError)?.message ?? "\(error)")"))
        }
        do {
            _ = try await listPage(prefix: "stores/", pageToken: nil, maxResults: 1)
            checks.append(DoctorCheck(name: "cloud storage", ok: true, detail: "bucket \(bucket) can be listed at \(baseURL)"))
        } catch {
            checks.append(DoctorCheck(name: "cloud storage", ok: false,
                                      detail: "listing bucket \(bucket) failed: \((error as? LumoraError)?.message ?? "\(error)")"))
        }
        return checks
    }
}

/// One answer of the JSON API, with its body as bytes: media bodies are passed on as they came.
struct CloudStorageReply: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: ByteBuffer

    var isSuccess: Bool { (200..<300).contains(status) }
    var data: Data { Data(body.readableBytesView) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try HTTPReply(status: status, headers: headers, body: data).decode(type)
    }
}

extension DriverHTTP {
    /// `send` for object bodies: bytes out and in without copies through `Data`, and a limit
    /// sized for media rather than for a provider's JSON answer.
    func transfer(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders, body: ByteBuffer?,
                  maximumResponseBytes: Int) async throws -> CloudStorageReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers
        if let body {
            request.body = .bytes(body)
            request.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        }
        let seconds = Int64(timeout.components.seconds) + (timeout.components.attoseconds > 0 ? 1 : 0)
        let response = try await client.execute(request, timeout: .seconds(max(seconds, 1)))
        let buffer = try await response.body.collect(upTo: maximumResponseBytes)
        return CloudStorageReply(status: Int(response.status.code), headers: response.headers, body: buffer)
    }
}
