import Crypto
import Foundation
import LumoraCore

/// The bearer token a cell's `/metrics` asks for. Derived from the secret the edge, the cells
/// and the manager already share, so the manager's release health gate (and an operator's
/// scraper, given `lumora doctor`'s value) can read metrics while nobody else learns which
/// stores a cell serves or how busy they are.
public enum MetricsToken {
    public static func derived(fromSigningSecret secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("lumora-metrics-v1".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "lmt_" + Hex.lowercase(mac)
    }

    /// Whether an `Authorization` header carries `token`.
    public static func authorizes(_ header: String?, token: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        return ConstantTime.equals(header.utf8.dropFirst(7), token.utf8)
    }
}
