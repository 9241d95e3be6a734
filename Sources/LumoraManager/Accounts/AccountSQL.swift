import Foundation
import LumoraCore
import PostgresNIO

/// The account API's statements on the control schema: accounts, memberships, sessions,
/// invitations, password resets and API tokens. Secrets arrive here already hashed.
enum AccountSQL {
    // MARK: Accounts

    static func account(email: String) -> PostgresQuery {
        "SELECT id, email, password_hash FROM lumora.accounts WHERE email = \(email)"
    }

    static func account(id: Int64) -> PostgresQuery {
        "SELECT id, email, password_hash FROM lumora.accounts WHERE id = \(id)"
    }

    static func insertAccount(email: String, passwordHash: String) -> PostgresQuery {
        "INSERT INTO lumora.accounts (email, password_hash) VALUES (\(email), \(passwordHash)) RETURNING id"
    }

    static func setPassword(account: Int64, hash: String) -> PostgresQuery {
        "UPDATE lumora.accounts SET password_hash = \(hash), password_changed_at = now() WHERE id = \(account)"
    }

    // MARK: Memberships

    static func insertMembership(account: Int64, store: String, role: MemberRole) -> PostgresQuery {
        """
        INSERT INTO lumora.memberships (account_id, store_slug, role) VALUES (\(account), \(store), \(role.rawValue))
        ON CONFLICT (account_id, store_slug) DO NOTHING
        """
    }

    /// A person's stores (not those being deleted), by name.
    static func memberships(account: Int64) -> PostgresQuery {
        """
        SELECT s.slug, s.name, s.status, m.role FROM lumora.memberships m JOIN lumora.stores s ON s.slug = m.store_slug
        WHERE m.account_id = \(account) AND s.status <> 'deleting' ORDER BY s.name, s.slug
        """
    }

    static func members(store: String) -> PostgresQuery {
        """
        SELECT a.id, a.email, m.role, m.created_at FROM lumora.memberships m JOIN lumora.accounts a ON a.id = m.account_id
        WHERE m.store_slug = \(store) ORDER BY m.created_at, a.id
        """
    }

    static func isMember(email: String, store: String) -> PostgresQuery {
        """
        SELECT 1 FROM lumora.memberships m JOIN lumora.accounts a ON a.id = m.account_id
        WHERE a.email = \(email) AND m.store_slug = \(store)
        """
    }

    static func deleteMembership(account: Int64, store: String) -> PostgresQuery {
        "DELETE FROM lumora.memberships WHERE account_id = \(account) AND store_slug = \(store) RETURNING role"
    }

    static func countOwners(store: String) -> PostgresQuery {
        "SELECT count(*)::int FROM lumora.memberships WHERE store_slug = \(store) AND role = 'owner'"
    }

    static func hasMemberships(account: Int64) -> PostgresQuery {
        "SELECT 1 FROM lumora.memberships WHERE account_id = \(account) LIMIT 1"
    }

    // MARK: Sessions

    static func insertSession(hash: String, account: Int64, lifetimeSeconds: Int) -> PostgresQuery {
        """
        INSERT INTO lumora.sessions (token_hash, account_id, expires_at)
        VALUES (\(hash), \(account), now() + make_interval(secs => \(lifetimeSeconds)))
        RETURNING expires_at
        """
    }

    /// A live session's account.
    static func session(hash: String) -> PostgresQuery {
        """
        SELECT a.id, a.email, s.expires_at FROM lumora.sessions s JOIN lumora.accounts a ON a.id = s.account_id
        WHERE s.token_hash = \(hash) AND s.expires_at > now()
        """
    }

    static func deleteSession(hash: String) -> PostgresQuery {
        "DELETE FROM lumora.sessions WHERE token_hash = \(hash)"
    }

    static func deleteSessions(account: Int64) -> PostgresQuery {
        "DELETE FROM lumora.sessions WHERE account_id = \(account)"
    }

    static let deleteExpiredSessions: PostgresQuery = "DELETE FROM lumora.sessions WHERE expires_at <= now()"

    // MARK: Invitations

    static func insertInvitation(hash: String, store: String, email: String, role: MemberRole, invitedBy: Int64, lifetimeSeconds: Int) -> PostgresQuery {
        """
        INSERT INTO lumora.invitations (token_hash, store_slug, email, role, invited_by, expires_at)
        VALUES (\(hash), \(store), \(email), \(role.rawValue), \(invitedBy), now() + make_interval(secs => \(lifetimeSeconds)))
        RETURNING created_at, expires_at
        """
    }

    static func pendingInvitations(store: String) -> PostgresQuery {
        """
        SELECT email, role, created_at, expires_at FROM lumora.invitations
        WHERE store_slug = \(store) AND accepted_at IS NULL AND expires_at > now() ORDER BY created_at
        """
    }

    /// An open invitation, locked when `forUpdate` (accepting it).
    static func invitation(hash: String, forUpdate: Bool = false) -> PostgresQuery {
        """
        SELECT i.store_slug, s.name, s.status, i.email, i.role FROM lumora.invitations i JOIN lumora.stores s ON s.slug = i.store_slug
        WHERE i.token_hash = \(hash) AND i.accepted_at IS NULL AND i.expires_at > now() AND s.status <> 'deleting'
        \(unescaped: forUpdate ? "FOR UPDATE OF i" : "")
        """
    }

    static func acceptInvitation(hash: String) -> PostgresQuery {
        "UPDATE lumora.invitations SET accepted_at = now() WHERE token_hash = \(hash)"
    }

    static func withdrawInvitations(store: String, email: String) -> PostgresQuery {
        "DELETE FROM lumora.invitations WHERE store_slug = \(store) AND email = \(email) AND accepted_at IS NULL"
    }

    // MARK: Password resets

    static func insertReset(hash: String, account: Int64, lifetimeSeconds: Int) -> PostgresQuery {
        """
        INSERT INTO lumora.password_resets (token_hash, account_id, expires_at)
        VALUES (\(hash), \(account), now() + make_interval(secs => \(lifetimeSeconds)))
        """
    }

    /// Marks an unused, unexpired reset as used and names its account (nothing when it is not).
    static func useReset(hash: String) -> PostgresQuery {
        """
        UPDATE lumora.password_resets SET used_at = now()
        WHERE token_hash = \(hash) AND used_at IS NULL AND expires_at > now()
        RETURNING account_id
        """
    }

    // MARK: Sign-in links

    static func insertSignInLink(hash: String, account: Int64, lifetimeSeconds: Int) -> PostgresQuery {
        """
        INSERT INTO lumora.sign_in_links (token_hash, account_id, expires_at)
        VALUES (\(hash), \(account), now() + make_interval(secs => \(lifetimeSeconds)))
        """
    }

    static func useSignInLink(hash: String) -> PostgresQuery {
        """
        UPDATE lumora.sign_in_links SET used_at = now()
        WHERE token_hash = \(hash) AND used_at IS NULL AND expires_at > now()
        RETURNING account_id
        """
    }

    // MARK: API tokens

    static func apiTokens(store: String) -> PostgresQuery {
        "SELECT id, name, created_at, revoked_at FROM lumora.api_tokens WHERE store_slug = \(store) ORDER BY revoked_at IS NOT NULL, id"
    }

    static func insertAPIToken(store: String, name: String, hash: String) -> PostgresQuery {
        "INSERT INTO lumora.api_tokens (store_slug, name, token_hash) VALUES (\(store), \(name), \(hash)) RETURNING id, created_at"
    }

    static func revokeAPIToken(id: Int64, store: String) -> PostgresQuery {
        """
        UPDATE lumora.api_tokens SET revoked_at = COALESCE(revoked_at, now())
        WHERE id = \(id) AND store_slug = \(store)
        RETURNING id, name, created_at, revoked_at
        """
    }
}
