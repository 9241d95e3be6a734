import Foundation
import Synchronization
import _CryptoExtras

/// Google's two ways to get an access token, on loopback: the GCE metadata server and the
/// OAuth token endpoint with an RS256 JWT assertion (service-account key file). The fake
/// holds the key pair it hands out in `serviceAccountKey()` and really verifies signatures.
public final class FakeGoogleTokens: Sendable {
    struct State: Sendable {
        var expiresIn: Int
        var keyID = FakeRandom.hex(40)
        var clientEmails: Set<String> = []
        /// token → expiry
        var tokens: [String: Date] = [:]
        var issued: [String] = []
        var requestCount = 0
        var requestLog: [String] = []
        var tokenURI = ""
    }

    static let googleAudience = "https://oauth2.googleapis.com/token"
    static let jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    private let server: LoopbackServer
    private let box: Box
    private let privateKey: _RSA.Signing.PrivateKey

    private final class Box: Sendable {
        let state: Mutex<State>
        let publicKey: _RSA.Signing.PublicKey
        init(_ state: State, publicKey: _RSA.Signing.PublicKey) {
            self.state = Mutex(state)
            self.publicKey = publicKey
        }
    }

    private init(server: LoopbackServer, box: Box, privateKey: _RSA.Signing.PrivateKey) {
        self.server = server
        self.box = box
        self.privateKey = privateKey
    }

    public static func start(expiresIn: Int = 3600) async throws -> FakeGoogleTokens {
        let privateKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let box = Box(State(expiresIn: expiresIn), publicKey: privateKey.publicKey)
        let server = try await LoopbackServer.start(name: "fake-google-tokens") { request in
            box.state.withLock { Self.handle(request, state: &$0, publicKey: box.publicKey) }
        }
        box.state.withLock { $0.tokenURI = server.baseURL + "/token" }
        return FakeGoogleTokens(server: server, box: box, privateKey: privateKey)
    }

    public func shutdown() async { await server.shutdown() }

    public var baseURL: String { server.baseURL }

    /// Clients GET `<this>/computeMetadata/v1/instance/service-accounts/default/token` with
    /// `Metadata-Flavor: Google`.
    public var metadataBaseURL: String { server.baseURL }

    public var tokenURI: String { server.baseURL + "/token" }

    /// A service-account key file whose key this fake verifies; `token_uri` points here.
    public func serviceAccountKey(clientEmail: String = "lumora@lumora-test.iam.gserviceaccount.com") -> String {
        let keyID = box.state.withLock { state in
            state.clientEmails.insert(clientEmail)
            return state.keyID
        }
        let project = clientEmail.split(separator: "@").last?.split(separator: ".").first.map(String.init) ?? "lumora-test"
        let json: FakeJSON = [
            "type": "service_account",
            "project_id": .string(project),
            "private_key_id": .string(keyID),
            // Key files end the PEM with a newline.
            "private_key": .string(privateKey.pkcs8PEMRepresentation.hasSuffix("\n")
                ? privateKey.pkcs8PEMRepresentation : privateKey.pkcs8PEMRepresentation + "\n"),
            "client_email": .string(clientEmail),
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": .string(tokenURI),
        ]
        return String(decoding: json.encoded(), as: UTF8.self)
    }

    /// The PEM (PKCS#8) of the key inside `serviceAccountKey()`.
    public var privateKeyPEM: String { privateKey.pkcs8PEMRepresentation }

    public var issuedTokens: [String] { box.state.withLock { $0.issued } }
    public var requestCount: Int { box.state.withLock { $0.requestCount } }
    public var requestLog: [String] { box.state.withLock { $0.requestLog } }

    /// Issued here and not expired.
    public func isValid(_ token: String) -> Bool {
        box.state.withLock { $0.tokens[token].map { $0 > Date() } ?? false }
    }

    /// Every token issued so far stops being valid (as if its hour had passed).
    public func expireAllTokens() {
        box.state.withLock { state in
            for token in state.tokens.keys { state.tokens[token] = Date.distantPast }
        }
    }

    // MARK: handling

    private static func handle(_ request: FakeHTTPRequest, state: inout State, publicKey: _RSA.Signing.PublicKey) -> FakeHTTPResponse {
        state.requestCount += 1
        state.requestLog.append("\(request.method) \(request.rawTarget)")
        switch (request.method, request.segments) {
        case ("GET", ["computeMetadata", "v1", "instance", "service-accounts", "default", "token"]):
            // The real metadata server refuses requests without the header (SSRF guard).
            guard request.header("Metadata-Flavor") == "Google" else {
                return .text(403, "Missing required header \"Metadata-Flavor\": \"Google\"", contentType: "text/html; charset=UTF-8")
            }
            return issue(&state)
        case ("POST", ["token"]):
            return exchange(request, state: &state, publicKey: publicKey)
        default:
            return .text(404, "Not Found")
        }
    }

    private static func issue(_ state: inout State) -> FakeHTTPResponse {
        let token = "ya29.fake-" + FakeRandom.hex(32)
        state.tokens[token] = Date().addingTimeInterval(TimeInterval(state.expiresIn))
        state.issued.append(token)
        return .json(200, ["access_token": .string(token), "expires_in": .int(state.expiresIn), "token_type": "Bearer"])
    }

    private static func oauthError(_ error: String, _ description: String) -> FakeHTTPResponse {
        .json(400, ["error": .string(error), "error_description": .string(description)])
    }

    private static func exchange(_ request: FakeHTTPRequest, state: inout State, publicKey: _RSA.Signing.PublicKey) -> FakeHTTPResponse {
        guard request.header("Content-Type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false else {
            return oauthError("invalid_request", "The request body must be application/x-www-form-urlencoded.")
        }
        let form = FakeHTTPRequest.formDecode(String(decoding: request.body, as: UTF8.self))
        guard let grantType = form["grant_type"] else { return oauthError("invalid_request", "Missing required parameter: grant_type") }
        guard grantType == jwtBearer else { return oauthError("unsupported_grant_type", "Invalid grant_type: \(grantType)") }
        guard let assertion = form["assertion"], !assertion.isEmpty else {
            return oauthError("invalid_request", "Missing required parameter: assertion")
        }
        if let problem = verify(assertion, state: state, publicKey: publicKey) {
            return oauthError("invalid_grant", problem)
        }
        return issue(&state)
    }

    /// Why the assertion is refused, or `nil` when it is good.
    private static func verify(_ assertion: String, state: State, publicKey: _RSA.Signing.PublicKey) -> String? {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return "Invalid JWT: Token must have three segments." }
        guard let headerData = FakeJWT.base64URLDecode(parts[0]), let header = FakeJSON.decode(headerData),
              let claimsData = FakeJWT.base64URLDecode(parts[1]), let claims = FakeJSON.decode(claimsData),
              let signature = FakeJWT.base64URLDecode(parts[2])
        else { return "Invalid JWT: segments are not base64url-encoded JSON." }
        guard header["alg"]?.string == "RS256" else { return "Invalid JWT: alg must be RS256." }
        if let kid = header["kid"]?.string, kid != state.keyID { return "Invalid JWT Signature." }
        let signed = Data((parts[0] + "." + parts[1]).utf8)
        guard publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: signed, padding: .insecurePKCS1v1_5)
        else { return "Invalid JWT Signature." }
        guard let issuer = claims["iss"]?.string, state.clientEmails.contains(issuer) else {
            return "Invalid JWT: iss is not a known service account."
        }
        guard let audience = claims["aud"]?.string, audience == state.tokenURI || audience == googleAudience else {
            return "Invalid JWT: aud must be the token URI."
        }
        guard let scope = claims["scope"]?.string, !scope.isEmpty else {
            return "Invalid JWT: No access token scope was specified (scope)."
        }
        guard let iat = claims["iat"]?.number, let exp = claims["exp"]?.number else {
            return "Invalid JWT: iat and exp must be integers (seconds since the epoch)."
        }
        let now = Int(Date().timeIntervalSince1970)
        guard exp > iat, exp - iat <= 3600, iat <= now + 300, exp > now else {
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
        }
        return nil
    }
}
