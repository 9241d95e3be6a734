import Foundation
import LumoraCore
import LumoraDrivers
import LumoraFakes
import Testing

@Suite struct GoogleAccessTokensTests {
    @Test func aServiceAccountKeyIsExchangedForACachedToken() async throws {
        let google = try await FakeGoogleTokens.start(expiresIn: 3600)
        defer { Task { await google.shutdown() } }
        let key = try ServiceAccountKey(json: Data(google.serviceAccountKey(clientEmail: "lumora@lumora-test.iam.gserviceaccount.com").utf8))
        let tokens = GoogleAccessTokens(source: .serviceAccount(key, tokenURI: google.tokenURI))
        // Concurrent callers share one exchange.
        let all = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<5 { group.addTask { try await tokens.token() } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(all).count == 1)
        #expect(google.isValid(all[0]))
        #expect(try await tokens.token() == all[0])
        #expect(google.requestCount == 1)
        #expect(google.issuedTokens == [all[0]])
    }

    @Test func theMetadataServerIsAskedWithItsHeader() async throws {
        let google = try await FakeGoogleTokens.start()
        defer { Task { await google.shutdown() } }
        let tokens = GoogleAccessTokens(source: .metadataServer(baseURL: google.metadataBaseURL))
        let token = try await tokens.token()
        #expect(google.isValid(token))
        _ = try await tokens.token()
        #expect(google.requestCount == 1)
    }

    @Test func aTokenCloseToExpiryIsRefreshed() async throws {
        // 30 s of life is inside the 60 s margin: every call refreshes.
        let google = try await FakeGoogleTokens.start(expiresIn: 30)
        defer { Task { await google.shutdown() } }
        let tokens = GoogleAccessTokens(source: .metadataServer(baseURL: google.metadataBaseURL))
        _ = try await tokens.token()
        _ = try await tokens.token()
        #expect(google.requestCount == 2)
    }

    @Test func aRejectedKeySaysWhatGoogleAnswered() async throws {
        let google = try await FakeGoogleTokens.start()
        defer { Task { await google.shutdown() } }
        // A key Google does not know (signed by another private key).
        let other = try await FakeGoogleTokens.start()
        defer { Task { await other.shutdown() } }
        let key = try ServiceAccountKey(json: Data(other.serviceAccountKey().utf8))
        let tokens = GoogleAccessTokens(source: .serviceAccount(key, tokenURI: google.tokenURI))
        let error = await #expect(throws: LumoraError.self) { try await tokens.token() }
        #expect(error?.code == "google_token_rejected")
        #expect(error?.message.contains("invalid_grant") == true)
    }

    @Test func cloudRunCallsUseTheKeyFilesTokenAndRefreshAfterA401() async throws {
        let google = try await FakeGoogleTokens.start()
        defer { Task { await google.shutdown() } }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString).json").path
        try Data(google.serviceAccountKey().utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await CloudRunHarness.with { h in
            h.fake.acceptTokens(from: google)
            var configuration = try CloudRunConfiguration.fromEnvironment([
                "LUMORA_GCP_PROJECT": CloudRunHarness.project, "LUMORA_GCP_REGION": CloudRunHarness.region,
                "LUMORA_CLOUDRUN_URL": h.fake.baseURL, "GOOGLE_APPLICATION_CREDENTIALS": path,
                "LUMORA_GCP_TOKEN_URL": google.tokenURI, "LUMORA_CELL_IMAGE": CloudRunHarness.repository,
                "LUMORA_CELL_DATABASE_URL": "postgres://cell@db.internal/lumora", "LUMORA_EDGE_SECRET": "s",
            ])
            configuration.retry = CloudRunHarness.fastRetry
            configuration.pollInterval = .milliseconds(2)
            let runtime = try h.runtime(configuration)
            _ = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            #expect(google.requestCount == 1, "one token for the whole deploy")

            google.expireAllTokens()
            _ = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            #expect(google.requestCount == 2, "a 401 fetched a new token once")
        }
    }

    @Test func theJWTCarriesTheContractsClaims() async throws {
        let google = try await FakeGoogleTokens.start()
        defer { Task { await google.shutdown() } }
        let key = try ServiceAccountKey(json: Data(google.serviceAccountKey(clientEmail: "a@b.iam.gserviceaccount.com").utf8))
        #expect(key.clientEmail == "a@b.iam.gserviceaccount.com")
        #expect(key.privateKey.contains("PRIVATE KEY"))
    }
}
