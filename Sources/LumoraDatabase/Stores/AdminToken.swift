import Crypto
import Foundation
import LumoraCore

/// A store's admin API token (`lumora.api_tokens`, several per store, each named): 32 random
/// bytes, shown once when issued; only its SHA-256 is stored (the token carries enough entropy
/// that a slow hash buys nothing).
public enum AdminToken {
    public static let prefix = "lsk_"
    /// The name of the token a store is created with.
    public static let firstTokenName = "Admin token"

    public static func generate() -> String {
        SecretToken.generate(prefix: prefix)
    }

    public static func hash(_ token: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(token.utf8)))
    }

    /// Whether a presented token is one of the live tokens' hashes (each compared in constant time).
    public static func matches(_ token: String, anyOf hashes: [String]) -> Bool {
        let presented = hash(token)
        var found = false
        for expected in hashes where ConstantTime.equals(presented, expected) { found = true }
        return found
    }
}

/// Random secrets handed to people and programs (API tokens, session ids, invitation and reset
/// links): a prefix saying what it is, 32 random bytes in URL-safe base64; kept only as SHA-256.
public enum SecretToken {
    public static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return prefix + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func hash(_ token: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(token.utf8)))
    }
}
