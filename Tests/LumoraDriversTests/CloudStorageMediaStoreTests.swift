import AsyncHTTPClient
import Crypto
import Foundation
import LumoraCore
import LumoraDrivers
import LumoraFakes
import LumoraMedia
import LumoraTestSupport
import NIOCore
import Testing

/// The Cloud Storage media store against the loopback fake of the JSON API.
@Suite struct CloudStorageMediaStoreTests {
    static let token = "test-token"
    static let fastRetry = RetryPolicy(maximumAttempts: 5, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(5),
                                       deadline: .seconds(120), jitter: 0)

    static func withFake(_ body: (FakeCloudStorage) async throws -> Void) async throws {
        let fake = try await FakeCloudStorage.start(acceptedTokens: [token])
        do {
            try await body(fake)
        } catch {
            await fake.shutdown()
            throw error
        }
        await fake.shutdown()
    }

    static func store(_ fake: FakeCloudStorage, token: String = token, retry: RetryPolicy = fastRetry) throws -> CloudStorageMediaStore {
        try CloudStorageMediaStore(bucket: fake.bucket, baseURL: fake.baseURL, tokens: GoogleAccessTokens(source: .token(token)), retry: retry)
    }

    /// A distinct, well-formed key of `store` for each `seed`.
    static func key(_ store: String, _ seed: Int, width: Int = 640) throws -> MediaKey {
        let hash = SHA256.hash(data: Data("image \(seed)".utf8)).map { String(format: "%02x", $0) }.joined()
        return MediaKey(store: try StoreSlug(validating: store), file: MediaFile(hash: hash, width: width, format: .webp))
    }

    static func bytes(_ count: Int, seed: UInt8 = 7) -> ByteBuffer {
        ByteBuffer(bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) ^ seed })
    }

    @Test func aPutFileReadsBackByteForByte() async throws {
        try await Self.withFake { fake in
            let store = try Self.store(fake)
            let key = try Self.key("acme", 1)
            let bytes = Self.bytes(3000)
            try await store.put(key, bytes: bytes, contentType: "image/webp")
            #expect(try await store.get(key) == bytes)

            let object = try #require(fake.object(key.objectName))
            #expect(object.contentType == "image/webp")
            #expect(object.bytes == Data(bytes.readableBytesView))
            // The name is percent-encoded everywhere: one path segment ('/' as %2F) and a query value.
            let encoded = "stores%2Facme%2F\(key.file.name)"
            #expect(fake.requestLog == [
                "POST /upload/storage/v1/b/\(fake.bucket)/o?uploadType=media&name=\(encoded)&ifGenerationMatch=0",
                "GET /storage/v1/b/\(fake.bucket)/o/\(encoded)?alt=media",
            ])
        }
    }

    @Test func aSecondPutOfTheSameKeyIsAcceptedAndKeepsOneObject() async throws {
        try await Self.withFake { fake in
            let store = try Self.store(fake)
            let key = try Self.key("acme", 1)
            try await store.put(key, bytes: Self.bytes(100), contentType: "image/webp")
            let first = try #require(fake.object(key.objectName))
            try await store.put(key, bytes: Self.bytes(100), contentType: "image/webp")
            #expect(fake.statusLog == [200, 412])
            #expect(fake.objectNames == [key.objectName])
            #expect(fake.object(key.objectName) == first)
        }
    }

    @Test func aMissingFileIsNilAndDeletingItIsFine() async throws {
        try await Self.withFake { fake in
            let store = try Self.store(fake)
            let key = try Self.key("acme", 1)
            #expect(try await store.get(key) == nil)
            try await store.delete(key)

            try await store.put(key, bytes: Self.bytes(10), contentType: "image/webp")
            try await store.delete(key)
            #expect(fake.objectNames.isEmpty)
            #expect(try await store.get(key) == nil)
            #expect(fake.statusLog == [404, 404, 200, 204, 404])
        }
    }

    @Test func purgingAStoreDeletesOnlyItsFilesAcrossListPages() async throws {
        try await Self.withFake { fake in
            fake.setPageSizeLimit(2)
            let store = try Self.store(fake)
            // "acmeshop" shares "acme" as a string prefix: only "stores/acme/" may go.
            let purged = try (1...5).map { try Self.key("acme", $0) }
            let kept = try [Self.key("acmeshop", 1), Self.key("acmeshop", 2), Self.key("other", 1)]
            for key in purged + kept {
                try await store.put(key, bytes: Self.bytes(20), contentType: "image/webp")
            }
            try await store.deleteAll(of: try StoreSlug(validating: "acme"))

            #expect(fake.objectNames == kept.map(\.objectName).sorted())
            let lists = fake.requestLog.filter { $0.hasPrefix("GET /storage/v1/b/\(fake.bucket)/o?") }
            #expect(lists.count == 3, "\(lists)")
            #expect(lists.allSatisfy { $0.contains("prefix=stores%2Facme%2F") })
            #expect(lists.dropFirst().allSatisfy { $0.contains("pageToken=") })
            #expect(fake.requestLog.filter { $0.hasPrefix("DELETE") }.count == 5)

            // Nothing left to purge is not an error.
            try await store.deleteAll(of: try StoreSlug(validating: "acme"))
        }
    }

    @Test func aRejectedTokenIsAClearErrorNotAMissingFile() async throws {
        try await Self.withFake { fake in
            let store = try Self.store(fake, token: "revoked-token")
            let key = try Self.key("acme", 1)
            let upload = await #expect(throws: LumoraError.self) {
                try await store.put(key, bytes: Self.bytes(10), contentType: "image/webp")
            }
            #expect(upload?.code == "cloud_storage_unauthenticated")
            #expect(upload?.message.contains("401 authError") == true)
            #expect(upload?.message.contains("Invalid Credentials") == true)
            #expect(upload?.message.contains(fake.bucket) == true)
            // The token was dropped and asked again once, then the answer stood.
            #expect(fake.statusLog == [401, 401])

            let read = await #expect(throws: LumoraError.self) { _ = try await store.get(key) }
            #expect(read?.code == "cloud_storage_unauthenticated")
        }
    }

    @Test func anExpiredTokenIsRefreshedOnce() async throws {
        let google = try await FakeGoogleTokens.start()
        try await Self.withFake { fake in
            fake.acceptTokens(from: google)
            let tokens = GoogleAccessTokens(source: .metadataServer(baseURL: google.metadataBaseURL))
            let store = try CloudStorageMediaStore(bucket: fake.bucket, baseURL: fake.baseURL, tokens: tokens, retry: Self.fastRetry)
            let key = try Self.key("acme", 1)
            try await store.put(key, bytes: Self.bytes(10), contentType: "image/webp")
            google.expireAllTokens()
            #expect(try await store.get(key) == Self.bytes(10))
            #expect(fake.statusLog == [200, 401, 200])
            #expect(google.issuedTokens.count == 2)
        }
        await google.shutdown()
    }

    @Test func aBurstOfUnavailabilityIsRetried() async throws {
        try await Self.withFake { fake in
            let store = try Self.store(fake)
            let key = try Self.key("acme", 1)
            fake.injectFailures([503, 503, 429], retryAfterSeconds: 0)
            try await store.put(key, bytes: Self.bytes(50), contentType: "image/webp")
            #expect(fake.statusLog == [503, 503, 429, 200])

            fake.injectFailures([500, 504])
            #expect(try await store.get(key) == Self.bytes(50))
            fake.injectFailures([503])
            try await store.deleteAll(of: try StoreSlug(validating: "acme"))
            #expect(fake.objectNames.isEmpty)
        }
    }

    @Test func anOutageLongerThanThePolicyQuotesGoogle() async throws {
        try await Self.withFake { fake in
            let policy = RetryPolicy(maximumAttempts: 3, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(2), deadline: .seconds(10), jitter: 0)
            let store = try Self.store(fake, retry: policy)
            fake.injectFailures(Array(repeating: 503, count: 5))
            let error = await #expect(throws: LumoraError.self) {
                try await store.put(try Self.key("acme", 1), bytes: Self.bytes(5), contentType: "image/webp")
            }
            #expect(error?.code == "cloud_storage_unavailable")
            #expect(error?.message.contains("503 backendError") == true)
            #expect(error?.message.contains("Backend Error") == true)
            #expect(fake.pendingInjectedFailures == 2)
        }
    }

    @Test func aRefusalIsNotRetried() async throws {
        try await Self.withFake { fake in
            let store = try Self.store(fake)
            fake.injectFailures([403])
            let error = await #expect(throws: LumoraError.self) { _ = try await store.get(try Self.key("acme", 1)) }
            #expect(error?.code == "cloud_storage_permission_denied")
            #expect(fake.requestLog.count == 1)
        }
    }

    @Test func bucketNamesFollowGooglesRules() throws {
        let tokens = GoogleAccessTokens(source: .token("t"))
        for valid in ["lumora-media", "abc", "media_2024", "media.lumora.example.com", String(repeating: "a", count: 63)] {
            #expect(CloudStorageBucketName.problem(valid) == nil, "\(valid)")
        }
        let invalid = ["ab", String(repeating: "a", count: 64), "Lumora", "-media", "media-", "media bucket", "goog-media",
                       "my-google-media", "my-g00gle-media", "192.168.5.4", "media..lumora", "a.\(String(repeating: "b", count: 64))"]
        for name in invalid {
            #expect(CloudStorageBucketName.problem(name) != nil, "\(name)")
            let error = #expect(throws: LumoraError.self) { try CloudStorageMediaStore(bucket: name, tokens: tokens) }
            #expect(error?.code == "configuration_invalid")
            #expect(error?.message.contains(name) == true)
        }
        let badURL = #expect(throws: LumoraError.self) { try CloudStorageMediaStore(bucket: "lumora-media", baseURL: "storage.googleapis.com", tokens: tokens) }
        #expect(badURL?.code == "configuration_invalid")
    }

    @Test func diagnoseListsTheBucket() async throws {
        try await Self.withFake { fake in
            let checks = await (try Self.store(fake)).diagnose()
            #expect(checks.allSatisfy { $0.ok }, "\(checks)")
            let missing = try CloudStorageMediaStore(bucket: "lumora-no-such-bucket", baseURL: fake.baseURL,
                                                     tokens: GoogleAccessTokens(source: .token(Self.token)), retry: Self.fastRetry)
            let storage = try #require(await missing.diagnose().first { $0.name == "cloud storage" })
            #expect(!storage.ok)
            #expect(storage.detail.contains("The specified bucket does not exist."))
        }
    }
}

/// The Cloud Storage fake against Google's JSON API reference, over plain HTTP (no Lumora
/// client code involved).
@Suite struct FakeCloudStorageContractTests {
    static let token = "test-token"

    struct API {
        let fake: FakeCloudStorage
        var objects: String { "\(fake.baseURL)/storage/v1/b/\(fake.bucket)/o" }
        var uploads: String { "\(fake.baseURL)/upload/storage/v1/b/\(fake.bucket)/o" }

        func send(_ method: String, _ url: String, bearer: String? = FakeCloudStorageContractTests.token, body: Data? = nil,
                  contentType: String? = nil) async throws -> FakeWireReply {
            var request = HTTPClientRequest(url: url)
            request.method = .init(rawValue: method)
            if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            if let body {
                request.body = .bytes(ByteBuffer(bytes: body))
                request.headers.add(name: "Content-Length", value: String(body.count))
            }
            let response = try await HTTPClient.shared.execute(request, timeout: patientRequestDeadline)
            let bytes = try await response.body.collect(upTo: 4 << 20)
            return FakeWireReply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                                 body: Data(buffer: bytes))
        }

        func upload(_ name: String, _ text: String, query: String = "", contentType: String? = "text/plain") async throws -> FakeWireReply {
            try await send("POST", "\(uploads)?uploadType=media&name=\(encoded(name))\(query)", body: Data(text.utf8), contentType: contentType)
        }

        func object(_ name: String, _ method: String = "GET", query: String = "") async throws -> FakeWireReply {
            try await send(method, "\(objects)/\(encoded(name))\(query)")
        }
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }

    static func withFake(_ body: (API) async throws -> Void) async throws {
        let fake = try await FakeCloudStorage.start(bucket: "lumora-contract", acceptedTokens: [token])
        do {
            try await body(API(fake: fake))
        } catch {
            await fake.shutdown()
            throw error
        }
        await fake.shutdown()
    }

    /// `{"error":{"code","message","errors":[{"domain","reason","message"}]}}`
    static func expectError(_ reply: FakeWireReply, _ code: Int, reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == code, "\(reply)", sourceLocation: sourceLocation)
        let error = reply.json["error"]
        #expect(error["code"].int == code, "\(reply)", sourceLocation: sourceLocation)
        #expect(error["message"].string?.isEmpty == false, "\(reply)", sourceLocation: sourceLocation)
        #expect(error["errors"][0]["domain"].string == "global", "\(reply)", sourceLocation: sourceLocation)
        #expect(error["errors"][0]["reason"].string == reason, "\(reply)", sourceLocation: sourceLocation)
        #expect(error["errors"][0]["message"].string == error["message"].string, "\(reply)", sourceLocation: sourceLocation)
        #expect(!error["status"].exists, "the JSON API's errors carry no AIP-193 status", sourceLocation: sourceLocation)
    }

    @Test func everyCallNeedsAnAcceptedBearerToken() async throws {
        try await Self.withFake { api in
            let anonymous = try await api.send("GET", api.objects, bearer: nil)
            Self.expectError(anonymous, 401, reason: "required")
            #expect(anonymous.json["error"]["message"].string == "Login Required")
            #expect(anonymous.json["error"]["errors"][0]["location"].string == "Authorization")
            let wrong = try await api.send("GET", api.objects, bearer: "not-a-token")
            Self.expectError(wrong, 401, reason: "authError")
            #expect(wrong.json["error"]["message"].string == "Invalid Credentials")
            #expect(wrong.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        }
    }

    @Test func aMediaUploadAnswersTheObjectResource() async throws {
        try await Self.withFake { api in
            let reply = try await api.upload("stores/acme/check.txt", "123456789")
            #expect(reply.status == 200, "\(reply)")
            let object = reply.json
            #expect(object["kind"].string == "storage#object")
            #expect(object["name"].string == "stores/acme/check.txt")
            #expect(object["bucket"].string == "lumora-contract")
            let generation = try #require(object["generation"].string, "int64 is a JSON string")
            #expect((Int64(generation) ?? 0) > 0)
            #expect(object["metageneration"].string == "1")
            #expect(object["size"].string == "9")
            #expect(object["contentType"].string == "text/plain")
            // The published check values for "123456789", in base64.
            #expect(object["md5Hash"].string == "JfnnlDI7RTiF9RgfG2JNCw==")
            #expect(object["crc32c"].string == "4waSgw==")
            #expect(object["id"].string == "lumora-contract/stores/acme/check.txt/\(generation)")
            #expect(object["selfLink"].string == "\(api.objects)/stores%2Facme%2Fcheck.txt")
            #expect(object["mediaLink"].string?.contains("/download/storage/v1/b/lumora-contract/o/stores%2Facme%2Fcheck.txt") == true)
            #expect(object["storageClass"].string == "STANDARD")
            #expect(object["etag"].isString && object["timeCreated"].isString && object["updated"].isString)

            let media = try await api.send("GET", try #require(object["mediaLink"].string))
            #expect(media.text == "123456789")
        }
    }

    @Test func anUploadNeedsUploadTypeMediaANameAndItsBucket() async throws {
        try await Self.withFake { api in
            Self.expectError(try await api.send("POST", "\(api.uploads)?name=x", body: Data("x".utf8)), 400, reason: "wrongUrlForUpload")
            Self.expectError(try await api.send("POST", "\(api.uploads)?uploadType=media", body: Data("x".utf8)), 400, reason: "wrongUrlForUpload")
            Self.expectError(try await api.send("POST", "\(api.objects)?uploadType=media&name=x", body: Data("x".utf8)), 400, reason: "wrongUrlForUpload")
            // Preconditions the fake does not implement are refused, not ignored.
            Self.expectError(try await api.upload("y", "y", query: "&ifMetagenerationMatch=1"), 400, reason: "invalid")
            let elsewhere = try await api.send("POST", "\(api.fake.baseURL)/upload/storage/v1/b/someone-else/o?uploadType=media&name=x", body: Data("x".utf8))
            Self.expectError(elsewhere, 404, reason: "notFound")
            #expect(elsewhere.json["error"]["message"].string == "The specified bucket does not exist.")
            let noType = try await api.upload("untyped", "x", contentType: nil)
            #expect(noType.json["contentType"].string == "application/octet-stream")
        }
    }

    @Test func ifGenerationMatchZeroCreatesOnlyOnce() async throws {
        try await Self.withFake { api in
            let created = try await api.upload("a", "first", query: "&ifGenerationMatch=0")
            #expect(created.status == 200, "\(created)")
            let again = try await api.upload("a", "second", query: "&ifGenerationMatch=0")
            Self.expectError(again, 412, reason: "conditionNotMet")
            #expect(api.fake.object("a")?.bytes == Data("first".utf8))

            // Without a precondition an upload replaces the object, in a newer generation.
            let generation = try #require(created.json["generation"].string)
            let replaced = try await api.upload("a", "third")
            let newer = try #require(replaced.json["generation"].string)
            #expect((Int64(newer) ?? 0) > (Int64(generation) ?? 0))
            Self.expectError(try await api.upload("a", "fourth", query: "&ifGenerationMatch=\(generation)"), 412, reason: "conditionNotMet")
            #expect(try await api.upload("a", "fifth", query: "&ifGenerationMatch=\(newer)").status == 200)
        }
    }

    @Test func getAnswersMetadataOrTheBytes() async throws {
        try await Self.withFake { api in
            let generation = try #require(try await api.upload("stores/acme/a.webp", "bytes", contentType: "image/webp").json["generation"].string)
            let metadata = try await api.object("stores/acme/a.webp")
            #expect(metadata.json["kind"].string == "storage#object")
            #expect(metadata.json["size"].string == "5")

            let media = try await api.object("stores/acme/a.webp", query: "?alt=media")
            #expect(media.status == 200)
            #expect(media.text == "bytes")
            #expect(media.header("Content-Type") == "image/webp")
            #expect(media.header("x-goog-generation") == generation)
            #expect(media.headers.contains { $0.0.lowercased() == "x-goog-hash" && $0.1.hasPrefix("md5=") })
            // Versioning is off: only the live generation can be selected.
            #expect(try await api.object("stores/acme/a.webp", query: "?alt=media&generation=\(generation)").text == "bytes")
            Self.expectError(try await api.object("stores/acme/a.webp", query: "?alt=media&generation=1"), 404, reason: "notFound")

            // The name must be ONE segment: raw slashes do not address the object.
            Self.expectError(try await api.send("GET", "\(api.objects)/stores/acme/a.webp?alt=media"), 404, reason: "notFound")
            let missing = try await api.object("stores/acme/b.webp", query: "?alt=media")
            Self.expectError(missing, 404, reason: "notFound")
            #expect(missing.json["error"]["message"].string == "No such object: lumora-contract/stores/acme/b.webp")
            Self.expectError(try await api.object("stores/acme/a.webp", query: "?alt=xml"), 400, reason: "invalid")
        }
    }

    @Test func deleteAnswersNoContentThenNotFound() async throws {
        try await Self.withFake { api in
            _ = try await api.upload("stores/acme/a.webp", "x")
            let deleted = try await api.object("stores/acme/a.webp", "DELETE")
            #expect(deleted.status == 204)
            #expect(deleted.body.isEmpty)
            Self.expectError(try await api.object("stores/acme/a.webp", "DELETE"), 404, reason: "notFound")
        }
    }

    @Test func listFiltersByPrefixAndPages() async throws {
        try await Self.withFake { api in
            let names = (1...5).map { "stores/acme/\($0).webp" }
            for name in names.reversed() + ["stores/acmeshop/1.webp", "stores/other/1.webp"] { api.fake.seed(name: name, bytes: Data("x".utf8)) }
            func page(_ token: String?, size: Int = 2) async throws -> FakeWireJSON {
                let tokenQuery = token.map { "&pageToken=\(Self.encoded($0))" } ?? ""
                let reply = try await api.send("GET", "\(api.objects)?prefix=\(Self.encoded("stores/acme/"))&maxResults=\(size)\(tokenQuery)")
                #expect(reply.status == 200, "\(reply)")
                #expect(reply.json["kind"].string == "storage#objects")
                return reply.json
            }
            let first = try await page(nil)
            #expect(first["items"].array.compactMap { $0["name"].string } == Array(names[0..<2]))
            #expect(first["items"][0]["kind"].string == "storage#object")
            // Deleting what was listed does not move the next page.
            for name in names[0..<2] { #expect(try await api.object(name, "DELETE").status == 204) }
            let second = try await page(first["nextPageToken"].string)
            #expect(second["items"].array.compactMap { $0["name"].string } == Array(names[2..<4]))
            let last = try await page(second["nextPageToken"].string)
            #expect(last["items"].array.compactMap { $0["name"].string } == [names[4]])
            #expect(!last["nextPageToken"].exists)

            // An empty listing has no items at all; the fake's page limit caps maxResults.
            let none = try await api.send("GET", "\(api.objects)?prefix=\(Self.encoded("stores/nobody/"))")
            #expect(none.status == 200 && !none.json["items"].exists && !none.json["nextPageToken"].exists, "\(none)")
            api.fake.setPageSizeLimit(1)
            #expect(try await page(nil, size: 10)["items"].array.count == 1)
            Self.expectError(try await api.send("GET", "\(api.objects)?maxResults=many"), 400, reason: "invalid")
            Self.expectError(try await api.send("GET", "\(api.objects)?pageToken=%25%25"), 400, reason: "invalid")
        }
    }

    @Test func injectedFailuresAnswerFirst() async throws {
        try await Self.withFake { api in
            api.fake.injectFailures([503], retryAfterSeconds: 2)
            let failed = try await api.send("GET", api.objects, bearer: nil)
            Self.expectError(failed, 503, reason: "backendError")
            #expect(failed.header("Retry-After") == "2")
            #expect(try await api.send("GET", api.objects).status == 200)
            #expect(api.fake.pendingInjectedFailures == 0)
        }
    }
}
