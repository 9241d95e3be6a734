import Crypto
import Foundation
import LumoraCore

/// The bearer token a cell's `/metrics` asks for. Derived from the secret the edge, the cells
/// and the manager already share, so the manager's release health gate (and an operator's
/// scraper, given `lumora doctor`'s value) can read metrics while nobody else learns which
/// stores a cell serves or how busy they are.
public enum MetricsToken {
    public static func derived(fromSigningSecret secret: String) -> String {
        ServiceToken.derive(from: secret, purpose: "lumora-metrics-v1", prefix: "lmt_")
    }

    /// Whether an `Authorization` header carries `token`.
    public static func authorizes(_ header: String?, token: String) -> Bool {
        BearerToken.authorizes(header, token: token)
    }
}

public enum BearerToken {
    /// Whether an `Authorization` header is `Bearer <token>` (compared in constant time).
    public static func authorizes(_ header: String?, token: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        return ConstantTime.equals(header.utf8.dropFirst(7), token.utf8)
    }
}

/// The bearer token the edge presents to the manager's account API (the dashboard's sign-in,
/// sessions, staff, tokens and domains), derived like `MetricsToken` from the shared secret.
public enum AccountsToken {
    public static func derived(fromSigningSecret secret: String) -> String {
        ServiceToken.derive(from: secret, purpose: "lumora-accounts-v1", prefix: "lat_")
    }
}

enum ServiceToken {
    /// One secret, several tokens: each an HMAC of its purpose, so none reveals another.
    static func derive(from secret: String, purpose: String, prefix: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return prefix + Hex.lowercase(mac)
    }
}
