import Foundation

/// The bucket behind `FakeCloudStorage`, and its routes:
///
/// | call | HTTP |
/// |---|---|
/// | objects.insert | `POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=…` body = the bytes |
/// | objects.get | `GET /storage/v1/b/{bucket}/o/{object}` (metadata) or `…?alt=media` (the bytes) |
/// | objects.delete | `DELETE /storage/v1/b/{bucket}/o/{object}` → 204 |
/// | objects.list | `GET /storage/v1/b/{bucket}/o?prefix=&maxResults=&pageToken=` |
///
/// `{object}` is one path segment: a name's `/` arrives as `%2F`.
struct CloudStorageState: Sendable {
    struct StoredObject: Sendable {
        var name: String
        var bytes: Data
        var contentType: String
        var generation: Int64
        var metageneration: Int64 = 1
        var created: Date
    }

    /// objects.list: "The service will use this parameter or 1,000 items, whichever is smaller."
    static let servicePageSizeLimit = 1000

    let bucket: String
    var baseURL = ""
    var acceptedTokens: Set<String>
    var tokenSources: [FakeGoogleTokens] = []
    var objects: [String: StoredObject] = [:]
    var pageSizeLimit = servicePageSizeLimit
    var injected: [Int] = []
    var injectedRetryAfter: Int?
    var requestLog: [String] = []
    var statusLog: [Int] = []
    /// Generations are microseconds since the epoch, as Google's are, and always increase.
    var lastGeneration: Int64 = 0

    init(bucket: String, acceptedTokens: Set<String>) {
        self.bucket = bucket
        self.acceptedTokens = acceptedTokens
    }

    mutating func handle(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        requestLog.append("\(request.method) \(request.rawTarget)")
        let response = route(request)
        statusLog.append(response.status)
        return response
    }

    private mutating func route(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        // Injected failures come first: they stand for a flaky or overloaded front end.
        if !injected.isEmpty {
            let headers = injectedRetryAfter.map { [("Retry-After", String($0))] } ?? []
            return CloudStorageWire.injectedFailure(injected.removeFirst(), headers: headers)
        }
        if let refusal = authenticate(request) { return refusal }
        let s = request.segments
        do throws(CloudStorageWire.Failure) {
            switch (request.method, s.count) {
            case ("POST", 6) where s.starts(with: ["upload", "storage", "v1", "b"]) && s[5] == "o":
                try requireBucket(s[4])
                return try insert(request)
            case (_, 5) where s.starts(with: ["storage", "v1", "b"]) && s[4] == "o":
                try requireBucket(s[3])
                switch request.method {
                case "GET": return try list(request)
                // Uploads go to /upload/storage/v1/…; metadata-only inserts are not allowed.
                case "POST": throw CloudStorageWire.wrongURLForUpload
                default: throw CloudStorageWire.Failure(code: 405, reason: "methodNotAllowed", message: "Method Not Allowed")
                }
            case (_, 6) where s.starts(with: ["storage", "v1", "b"]) && s[4] == "o":
                try requireBucket(s[3])
                switch request.method {
                case "GET": return try get(s[5], request)
                case "DELETE": return try delete(s[5], request)
                default: throw CloudStorageWire.Failure(code: 405, reason: "methodNotAllowed", message: "Method Not Allowed")
                }
            case ("GET", 7) where s.starts(with: ["download", "storage", "v1", "b"]) && s[5] == "o":
                // `mediaLink` points here; it serves the bytes like `alt=media`.
                try requireBucket(s[4])
                var media = request
                media.query["alt"] = "media"
                return try get(s[6], media)
            default:
                // An object name sent with raw `/` lands here: more segments than any route.
                throw CloudStorageWire.Failure(code: 404, reason: "notFound", message: "Not Found")
            }
        } catch {
            return error.response
        }
    }

    // MARK: authentication

    /// The 401 for a request without a usable bearer token, or nil when it has one.
    private func authenticate(_ request: FakeHTTPRequest) -> FakeHTTPResponse? {
        guard request.header("Authorization") != nil else {
            return CloudStorageWire.Failure(code: 401, reason: "required", message: "Login Required", location: "Authorization")
                .response(headers: [("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\"")])
        }
        guard let token = request.bearerToken, acceptedTokens.contains(token) || tokenSources.contains(where: { $0.isValid(token) }) else {
            return CloudStorageWire.Failure(code: 401, reason: "authError", message: "Invalid Credentials", location: "Authorization")
                .response(headers: [("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"")])
        }
        return nil
    }

    private func requireBucket(_ name: String) throws(CloudStorageWire.Failure) {
        guard name == bucket else {
            throw CloudStorageWire.Failure(code: 404, reason: "notFound", message: "The specified bucket does not exist.")
        }
    }

    // MARK: objects

    private mutating func insert(_ request: FakeHTTPRequest) throws(CloudStorageWire.Failure) -> FakeHTTPResponse {
        guard let uploadType = request.query["uploadType"] else { throw CloudStorageWire.wrongURLForUpload }
        guard uploadType == "media" else {
            let known = ["multipart", "resumable"].contains(uploadType)
            throw CloudStorageWire.invalid(known ? "uploadType=\(uploadType) is not supported by this fake (only media)."
                                                 : "Invalid upload type: \(uploadType)")
        }
        guard let name = request.query["name"], !name.isEmpty else { throw CloudStorageWire.wrongURLForUpload }
        try CloudStorageWire.validateObjectName(name)
        try CloudStorageWire.refuseUnsupportedPreconditions(request)
        try CloudStorageWire.checkGenerationMatch(request, live: objects[name]?.generation)
        // Google takes the media's type from Content-Type; without one it is stored as
        // application/octet-stream (unconfirmed: the reference only says the header is "generally required").
        let contentType = request.header("Content-Type").flatMap { $0.isEmpty ? nil : $0 } ?? "application/octet-stream"
        let stored = store(name: name, bytes: request.body, contentType: contentType)
        return .json(200, CloudStorageWire.resource(stored, bucket: bucket, baseURL: baseURL))
    }

    private func get(_ name: String, _ request: FakeHTTPRequest) throws(CloudStorageWire.Failure) -> FakeHTTPResponse {
        try CloudStorageWire.refuseUnsupportedPreconditions(request)
        let alt = request.query["alt"] ?? "json"
        guard alt == "json" || alt == "media" else { throw CloudStorageWire.invalid("Invalid value for alt: \(alt)") }
        guard let object = objects[name], try CloudStorageWire.selectsLiveGeneration(request, live: object.generation) else {
            throw noSuchObject(name)
        }
        try CloudStorageWire.checkGenerationMatch(request, live: object.generation)
        guard alt == "media" else { return .json(200, CloudStorageWire.resource(object, bucket: bucket, baseURL: baseURL)) }
        return FakeHTTPResponse(status: 200, headers: CloudStorageWire.mediaHeaders(object), body: object.bytes)
    }

    private mutating func delete(_ name: String, _ request: FakeHTTPRequest) throws(CloudStorageWire.Failure) -> FakeHTTPResponse {
        try CloudStorageWire.refuseUnsupportedPreconditions(request)
        guard let object = objects[name], try CloudStorageWire.selectsLiveGeneration(request, live: object.generation) else {
            throw noSuchObject(name)
        }
        try CloudStorageWire.checkGenerationMatch(request, live: object.generation)
        objects[name] = nil
        return FakeHTTPResponse(status: 204)
    }

    private func list(_ request: FakeHTTPRequest) throws(CloudStorageWire.Failure) -> FakeHTTPResponse {
        for parameter in ["delimiter", "startOffset", "endOffset", "matchGlob", "includeTrailingDelimiter", "softDeleted"]
        where request.query[parameter] != nil {
            throw CloudStorageWire.invalid("\(parameter) is not supported by this fake.")
        }
        if request.query["versions"] == "true" { throw CloudStorageWire.invalid("versions=true is not supported by this fake.") }
        let prefix = request.query["prefix"] ?? ""
        var size = pageSizeLimit
        if let text = request.query["maxResults"] {
            // uint32, minimum 0 in the discovery document; 0 is taken as "the default".
            guard let asked = UInt32(text) else { throw CloudStorageWire.invalid("Invalid value for maxResults: \(text)") }
            if asked > 0 { size = min(Int(asked), pageSizeLimit) }
        }
        var names = sortedNames().filter { $0.hasPrefix(prefix) }
        if let token = request.query["pageToken"], !token.isEmpty {
            guard let after = CloudStorageWire.nameAfter(pageToken: token) else {
                throw CloudStorageWire.invalid("Invalid value for pageToken: \(token)")
            }
            names = names.filter { CloudStorageWire.precedes(after, $0) }
        }
        let page = names.prefix(size)
        var body: FakeJSON = ["kind": "storage#objects"]
        // An empty page has no `items` at all.
        if !page.isEmpty {
            body["items"] = .array(page.compactMap { objects[$0].map { CloudStorageWire.resource($0, bucket: bucket, baseURL: baseURL) } })
        }
        if names.count > page.count, let last = page.last { body["nextPageToken"] = .string(CloudStorageWire.pageToken(after: last)) }
        return .json(200, body)
    }

    private func noSuchObject(_ name: String) -> CloudStorageWire.Failure {
        CloudStorageWire.Failure(code: 404, reason: "notFound", message: "No such object: \(bucket)/\(name)")
    }

    // MARK: storage

    /// Writes a new generation of `name`.
    mutating func store(name: String, bytes: Data, contentType: String) -> StoredObject {
        let now = Date()
        lastGeneration = max(lastGeneration + 1, Int64(now.timeIntervalSince1970 * 1_000_000))
        let object = StoredObject(name: name, bytes: bytes, contentType: contentType, generation: lastGeneration, created: now)
        objects[name] = object
        return object
    }

    /// Names in lexicographic order of their UTF-8 bytes, as objects.list returns them.
    func sortedNames() -> [String] {
        objects.keys.sorted(by: CloudStorageWire.precedes)
    }
}
