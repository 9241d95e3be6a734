import Crypto
import Foundation
import LumoraCore

/// A store's admin API token: 32 random bytes, shown once when issued; only its SHA-256 is
/// stored (the token carries enough entropy that a slow hash buys nothing).
public enum AdminToken {
    public static let prefix = "lsk_"

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return prefix + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func hash(_ token: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(token.utf8)))
    }

    /// Compares a presented token with a stored hash in constant time.
    public static func matches(_ token: String, hash expected: String?) -> Bool {
        guard let expected else { return false }
        return ConstantTime.equals(hash(token), expected)
    }
}
