import _CryptoExtras
import Crypto
import Foundation
import LumoraCore

/// The RS256 assertion of Google's JWT-bearer grant (RFC 7523), signed with a service
/// account's private key.
enum GoogleJWT {
    static let scope = "https://www.googleapis.com/auth/cloud-platform"

    static func assertion(key: ServiceAccountKey, audience: String, issuedAt: Date = Date(),
                          lifetime: TimeInterval = 3600) throws -> String {
        var header: [String: String] = ["alg": "RS256", "typ": "JWT"]
        if let kid = key.privateKeyID { header["kid"] = kid }
        let iat = Int(issuedAt.timeIntervalSince1970)
        let claims = Claims(iss: key.clientEmail, scope: scope, aud: audience, iat: iat, exp: iat + Int(lifetime))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let signingInput = base64URL(try encoder.encode(header)) + "." + base64URL(try encoder.encode(claims))
        let privateKey: _RSA.Signing.PrivateKey
        do {
            privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: key.privateKey)
        } catch {
            throw LumoraError.badRequest("google_credentials_invalid",
                                         "the service-account key's private_key is not a usable RSA key: \(error)")
        }
        let signature = try privateKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        return signingInput + "." + base64URL(signature.rawRepresentation)
    }

    struct Claims: Encodable {
        let iss: String
        let scope: String
        let aud: String
        let iat: Int
        let exp: Int
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
