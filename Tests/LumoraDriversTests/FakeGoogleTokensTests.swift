import Foundation
import LumoraFakes
import Testing
import _CryptoExtras

/// The token fake: metadata server and JWT-bearer exchange with real RS256 verification.
@Suite struct FakeGoogleTokensTests {
    static let metadataPath = "/computeMetadata/v1/instance/service-accounts/default/token"
    static let scope = "https://www.googleapis.com/auth/cloud-platform"

    static func withFake(_ body: (FakeGoogleTokens) async throws -> Void) async throws {
        let fake = try await FakeGoogleTokens.start()
        do {
            try await body(fake)
        } catch {
            await fake.shutdown()
            throw error
        }
        await fake.shutdown()
    }

    static func exchange(_ fake: FakeGoogleTokens, assertion: String) async throws -> FakeWireReply {
        // The grant type percent-encoded, as form encoding requires (`:` → `%3A`).
        let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + assertion
        return try await FakeWire.send("POST", fake.tokenURI, form: form)
    }

    /// Claims as a client builds them from the key file.
    static func claims(_ key: FakeWireJSON, audience: String? = nil, lifetime: Int = 3600, issuedAgo: Int = 0) -> [String: any Sendable] {
        let now = Int(Date().timeIntervalSince1970) - issuedAgo
        return ["iss": key["client_email"].string ?? "", "scope": scope, "aud": audience ?? key["token_uri"].string ?? "",
                "iat": now, "exp": now + lifetime]
    }

    static func keyFile(_ fake: FakeGoogleTokens) -> FakeWireJSON {
        FakeWireJSON((try? JSONSerialization.jsonObject(with: Data(fake.serviceAccountKey().utf8))) ?? [:])
    }

    @Test func theMetadataServerWantsItsHeader() async throws {
        try await Self.withFake { fake in
            let refused = try await FakeWire.send("GET", fake.metadataBaseURL + Self.metadataPath)
            #expect([400, 403].contains(refused.status))
            let granted = try await FakeWire.send("GET", fake.metadataBaseURL + Self.metadataPath, headers: [("Metadata-Flavor", "Google")])
            #expect(granted.status == 200)
            let token = try #require(granted.json["access_token"].string)
            #expect(granted.json["token_type"].string == "Bearer")
            #expect(granted.json["expires_in"].int == 3600)
            #expect(fake.issuedTokens == [token])
            #expect(fake.isValid(token))
            #expect(!fake.isValid("made-up"))
            #expect(fake.requestCount == 2)
        }
    }

    @Test func aKeyFileAssertionIsExchangedForAToken() async throws {
        try await Self.withFake { fake in
            let key = Self.keyFile(fake)
            #expect(key["type"].string == "service_account")
            #expect(key["token_uri"].string == fake.tokenURI)
            let pem = try #require(key["private_key"].string)
            #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
            #expect(key["private_key_id"].string?.isEmpty == false)

            let assertion = try FakeJWT.rs256(claims: Self.claims(key), keyID: key["private_key_id"].string, privateKeyPEM: pem)
            let reply = try await Self.exchange(fake, assertion: assertion)
            #expect(reply.status == 200, "\(reply)")
            let token = try #require(reply.json["access_token"].string)
            #expect(fake.isValid(token))

            // Google's own audience is accepted too.
            let google = try FakeJWT.rs256(claims: Self.claims(key, audience: "https://oauth2.googleapis.com/token"), privateKeyPEM: pem)
            #expect(try await Self.exchange(fake, assertion: google).status == 200)

            // The token fake and the Cloud Run fake work together.
            let cloudRun = try await FakeCloudRun.start(acceptedTokens: [])
            cloudRun.acceptTokens(from: fake)
            #expect(try await FakeWire.send("GET", cloudRun.baseURL + "/v2/projects/lumora-test/locations/europe-west1/services", bearer: token).status == 200)
            fake.expireAllTokens()
            #expect(try await FakeWire.send("GET", cloudRun.baseURL + "/v2/projects/lumora-test/locations/europe-west1/services", bearer: token).status == 401)
            await cloudRun.shutdown()
        }
    }

    @Test func badAssertionsAreInvalidGrants() async throws {
        try await Self.withFake { fake in
            let key = Self.keyFile(fake)
            let pem = try #require(key["private_key"].string)
            let otherKey = try _RSA.Signing.PrivateKey(keySize: .bits2048).pkcs8PEMRepresentation
            let cases: [(String, String)] = [
                ("another key", try FakeJWT.rs256(claims: Self.claims(key), privateKeyPEM: otherKey)),
                ("wrong audience", try FakeJWT.rs256(claims: Self.claims(key, audience: "https://example.com/token"), privateKeyPEM: pem)),
                ("too long", try FakeJWT.rs256(claims: Self.claims(key, lifetime: 7200), privateKeyPEM: pem)),
                ("expired", try FakeJWT.rs256(claims: Self.claims(key, issuedAgo: 4000), privateKeyPEM: pem)),
                ("not a JWT", "abc.def"),
            ]
            for (label, assertion) in cases {
                let reply = try await Self.exchange(fake, assertion: assertion)
                #expect(reply.status == 400, "\(label): \(reply)")
                #expect(reply.json["error"].string == "invalid_grant", "\(label)")
                #expect(reply.json["error_description"].string?.isEmpty == false, "\(label)")
            }
            var noScope = Self.claims(key)
            noScope["scope"] = nil
            #expect(try await Self.exchange(fake, assertion: FakeJWT.rs256(claims: noScope, privateKeyPEM: pem)).json["error"].string == "invalid_grant")
            var stranger = Self.claims(key)
            stranger["iss"] = "intruder@elsewhere.iam.gserviceaccount.com"
            #expect(try await Self.exchange(fake, assertion: FakeJWT.rs256(claims: stranger, privateKeyPEM: pem)).status == 400)
            let wrongGrant = try await FakeWire.send("POST", fake.tokenURI, form: "grant_type=client_credentials")
            #expect(wrongGrant.json["error"].string == "unsupported_grant_type")
            #expect(fake.issuedTokens.isEmpty)
        }
    }
}
