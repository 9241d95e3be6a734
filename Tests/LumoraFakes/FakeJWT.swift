import Foundation
import _CryptoExtras

/// Base64url and RS256 JWTs, for the token fake and for tests that need to sign assertions
/// themselves (with the key of a service-account file, or deliberately with another one).
public enum FakeJWT {
    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func base64URLDecode(_ string: some StringProtocol) -> Data? {
        var base64 = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    /// `base64url(header).base64url(claims).base64url(RS256 signature)`; `claims` are JSON
    /// values (strings, numbers, booleans).
    public static func rs256(claims: [String: any Sendable], keyID: String? = nil, privateKeyPEM: String) throws -> String {
        var header: [String: String] = ["alg": "RS256", "typ": "JWT"]
        header["kid"] = keyID
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        let encoded = try base64URL(JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
            + "." + base64URL(JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let signature = try key.signature(for: Data(encoded.utf8), padding: .insecurePKCS1v1_5)
        return encoded + "." + base64URL(signature.rawRepresentation)
    }
}
