import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraWire
import PostgresNIO

/// People and their stores: signup with a password, sign-in (throttled), sessions, password
/// change and reset, staff invitations and removal, API tokens. Every store operation first
/// checks that the session's person belongs to the store (404 otherwise: another store's pages
/// do not exist for them) and that their role allows it (403). Reset and invitation mails go
/// through the outbox (`AccountMailJob`), queued with the row their link opens.
struct AccountService: Sendable {
    let platform: Platform
    let stores: StoreService
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let sessionLifetime: Duration
    static let invitationLifetime = 7 * 24 * 3600
    static let resetLifetime = 3600
    static let signInLinkLifetime = 120
    static let sessionPrefix = "lss_"

    var client: PostgresClient { platform.client }
    var logger: Logger { platform.logger }

    /// A person acting in one of their stores.
    struct Member: Sendable {
        let account: AccountWire
        let store: StoreSlug
        let role: MemberRole
    }

    // MARK: Signing up and in

    /// A store and its owner: a new account, or an existing one whose password this is.
    func signup(_ request: AccountSignupRequest) async throws -> AccountSignupWire {
        // The store's fields first (in the form's order), then the person's.
        _ = try NewStore(slug: try StoreSlug(validating: request.slug), name: request.name)
        let email = try EmailAddress(validating: request.email).rawValue.lowercased()
        let password = try PasswordHasher.validate(request.password)
        var accountID: Int64?
        var newHash: String?
        if let existing = try await account(email: email) {
            guard hasher.verify(password, against: existing.hash) else {
                throw LumoraError(.conflict, code: "account_exists",
                                  message: "There is already an account for \(email). Enter its password to add this store to it, or use another address.")
            }
            accountID = existing.id
        } else {
            newHash = try hasher.hash(password)
        }
        let (created, accountIDMade) = try await stores.create(.init(slug: request.slug, name: request.name, plan: "standard", ownerEmail: email)) { connection in
            let id: Int64
            if let accountID {
                id = accountID
            } else {
                guard let inserted = try await connection.query(AccountSQL.insertAccount(email: email, passwordHash: newHash!), logger: logger)
                    .collect(Int64.self).first else { throw LumoraError.internalError("account insert returned no row") }
                id = inserted
            }
            try await connection.query(AccountSQL.insertMembership(account: id, store: request.slug, role: .owner), logger: logger).drain()
            return id
        }
        let code = SecretToken.generate(prefix: "lsl_")
        try await client.query(AccountSQL.insertSignInLink(hash: SecretToken.hash(code), account: accountIDMade, lifetimeSeconds: Self.signInLinkLifetime),
                               logger: logger).drain()
        let store = created.store
        return AccountSignupWire(store: MemberStoreWire(slug: store.slug, name: store.name, status: store.status, url: store.url), signInCode: code)
    }

    /// A one-time sign-in code (signup's hand-over to the dashboard's host) becomes a session.
    func redeem(signInCode code: String) async throws -> SignedInWire {
        guard let id = try await client.query(AccountSQL.useSignInLink(hash: SecretToken.hash(code)), logger: logger).collect(Int64.self).first,
              let found = try await account(id: id) else {
            throw LumoraError(.unauthorized, code: "invalid_sign_in_link", message: "This sign-in link has expired or was already used. Please sign in.")
        }
        return try await startSession(AccountWire(id: id, email: found.email))
    }

    /// The operator gives a person a store (`lumora dev`'s demo owners): an account made with
    /// `password`, or an existing one, joins the store with `role`.
    func addMember(email raw: String, password: String, store slug: StoreSlug, role: MemberRole) async throws -> AccountWire {
        let email = try EmailAddress(validating: raw).rawValue.lowercased()
        _ = try await platform.directory.get(slug)
        let id: Int64
        if let existing = try await account(email: email) {
            id = existing.id
        } else {
            let hash = try hasher.hash(try PasswordHasher.validate(password))
            guard let inserted = try await client.query(AccountSQL.insertAccount(email: email, passwordHash: hash), logger: logger)
                .collect(Int64.self).first else { throw LumoraError.internalError("account insert returned no row") }
            id = inserted
        }
        try await client.query(AccountSQL.insertMembership(account: id, store: slug.rawValue, role: role), logger: logger).drain()
        return AccountWire(id: id, email: email)
    }

    /// One answer for an unknown address and a wrong password; too many failures lock the
    /// account and the address for a while, whatever the password.
    func login(_ request: LoginRequest, address: String) async throws -> SignedInWire {
        let email = request.email.trimmingASCIIWhitespace().lowercased()
        try throttle.check(email: email, address: address)
        let found = try await account(email: email)
        let valid: Bool
        if let found {
            valid = hasher.verify(request.password, against: found.hash)
        } else {
            hasher.verifyNothing(request.password)
            valid = false
        }
        guard valid, let found else {
            throttle.failed(email: email, address: address)
            throw LumoraError(.unauthorized, code: "invalid_credentials", message: "That e-mail address and password do not match an account.")
        }
        throttle.succeeded(email: email)
        try? await client.query(AccountSQL.deleteExpiredSessions, logger: logger).drain()
        return try await startSession(AccountWire(id: found.id, email: found.email))
    }

    func logout(session token: String) async throws {
        try await client.query(AccountSQL.deleteSession(hash: SecretToken.hash(token)), logger: logger).drain()
    }

    /// Who `token` belongs to, with their stores; 401 when it is unknown or has expired.
    func session(_ token: String) async throws -> SessionWire {
        guard token.hasPrefix(Self.sessionPrefix),
              let (id, email, expires) = try await client.query(AccountSQL.session(hash: SecretToken.hash(token)), logger: logger)
                .collect((Int64, String, Date).self).first else {
            throw LumoraError(.unauthorized, code: "invalid_session", message: "Please sign in.")
        }
        let memberships = try await client.query(AccountSQL.memberships(account: id), logger: logger).collect((String, String, String, String).self)
            .compactMap { slug, name, status, role -> MembershipWire? in
                guard let role = MemberRole(rawValue: role), let storeSlug = try? StoreSlug(validating: slug) else { return nil }
                return MembershipWire(store: storeView(storeSlug, name: name, status: status), role: role)
            }
        return SessionWire(account: AccountWire(id: id, email: email), memberships: memberships, expiresAt: expires)
    }

    /// The session's person in `slug`, allowed to do `action`.
    func member(_ token: String, of slug: StoreSlug, may action: StoreAction) async throws -> Member {
        let session = try await session(token)
        guard let membership = session.membership(slug.rawValue) else {
            throw LumoraError.notFound("store_not_found", "no store named '\(slug)'")
        }
        guard membership.role.may(action) else {
            throw LumoraError(.forbidden, code: "forbidden_role", message: "Your role in \(membership.store.name) (\(membership.role.rawValue)) does not allow this.")
        }
        return Member(account: session.account, store: slug, role: membership.role)
    }

    // MARK: Passwords

    /// Ends every session of the account (other browsers included) and starts a new one here.
    func changePassword(session token: String, _ request: PasswordChangeRequest) async throws -> SignedInWire {
        let session = try await session(token)
        guard let found = try await account(email: session.account.email), hasher.verify(request.currentPassword, against: found.hash) else {
            throw LumoraError(.unprocessable, code: "wrong_password", message: "The current password is not right.")
        }
        try await setPassword(account: session.account.id, to: try PasswordHasher.validate(request.newPassword))
        return try await startSession(session.account)
    }

    /// Mails a reset link when the address has an account; the answer is the same either way.
    func requestReset(_ request: PasswordResetRequest) async throws {
        let email = request.email.trimmingASCIIWhitespace().lowercased()
        guard let found = try await account(email: email) else { return }
        let token = SecretToken.generate(prefix: "lpr_")
        let link = platform.configuration.dashboardURL + "reset/" + token
        let mail = Mail(to: email, subject: "Reset your Lumora password",
                        body: "Someone asked to reset the password of your Lumora account. Open this link within an hour to choose a new one:\n\n\(link)\n\nIf it was not you, ignore this mail.",
                        link: link)
        try await client.transaction(logger: logger) { connection in
            try await connection.query(AccountSQL.insertReset(hash: SecretToken.hash(token), account: found.id, lifetimeSeconds: Self.resetLifetime),
                                       logger: logger).drain()
            try await AccountMailJob.enqueue(mail, store: nil, queue: platform.queue, on: connection)
        }
    }

    func completeReset(_ request: PasswordResetCompletion) async throws -> SignedInWire {
        let password = try PasswordHasher.validate(request.password)
        guard let id = try await client.query(AccountSQL.useReset(hash: SecretToken.hash(request.token)), logger: logger).collect(Int64.self).first,
              let found = try await account(id: id) else {
            throw LumoraError(.unprocessable, code: "invalid_reset", message: "This reset link has expired or was already used. Ask for a new one.")
        }
        try await setPassword(account: id, to: password)
        return try await startSession(AccountWire(id: id, email: found.email))
    }

    // MARK: Staff

    func staff(_ member: Member) async throws -> StaffWire {
        let members = try await client.query(AccountSQL.members(store: member.store.rawValue), logger: logger)
            .collect((Int64, String, String, Date).self)
            .compactMap { id, email, role, since in MemberRole(rawValue: role).map { MemberWire(accountId: id, email: email, role: $0, since: since) } }
        let invitations = try await client.query(AccountSQL.pendingInvitations(store: member.store.rawValue), logger: logger)
            .collect((String, String, Date, Date).self)
            .compactMap { email, role, created, expires in MemberRole(rawValue: role).map { InvitationWire(email: email, role: $0, createdAt: created, expiresAt: expires) } }
        return StaffWire(members: members, invitations: invitations)
    }

    /// Mails an invitation link (a second invitation to the same address replaces the first).
    func invite(_ request: InviteRequest, by member: Member) async throws -> InvitationWire {
        let email = try EmailAddress(validating: request.email).rawValue.lowercased()
        let role = try MemberRole(validating: request.role)
        guard role != .owner else {
            throw LumoraError(.unprocessable, code: "invalid_role", message: "Invite people as admin or staff.")
        }
        if try await client.query(AccountSQL.isMember(email: email, store: member.store.rawValue), logger: logger).hasRows() {
            throw LumoraError.conflict("already_member", "\(email) is already in this store.")
        }
        let token = SecretToken.generate(prefix: "lin_")
        let storeName = try await platform.directory.get(member.store).name
        let link = platform.configuration.dashboardURL + "invitations/" + token
        let mail = Mail(to: email, subject: "Join \(storeName) on Lumora",
                        body: "\(member.account.email) invites you to help run \(storeName) as \(role.rawValue). Open this link within 7 days to accept:\n\n\(link)",
                        link: link)
        let (created, expires) = try await client.transaction(logger: logger) { connection in
            try await connection.query(AccountSQL.withdrawInvitations(store: member.store.rawValue, email: email), logger: logger).drain()
            guard let row = try await connection.query(AccountSQL.insertInvitation(hash: SecretToken.hash(token), store: member.store.rawValue, email: email,
                                                                                   role: role, invitedBy: member.account.id, lifetimeSeconds: Self.invitationLifetime),
                                                       logger: logger).collect((Date, Date).self).first else {
                throw LumoraError.internalError("invitation insert returned no row")
            }
            try await AccountMailJob.enqueue(mail, store: member.store, queue: platform.queue, on: connection)
            return row
        }
        return InvitationWire(email: email, role: role, createdAt: created, expiresAt: expires)
    }

    /// Takes a person out of the store: their access ends with their next request; with no
    /// store left, their sessions end too. The last owner cannot be removed.
    func remove(account id: Int64, by member: Member) async throws {
        try await client.transaction(logger: logger) { connection in
            guard let role = try await connection.query(AccountSQL.deleteMembership(account: id, store: member.store.rawValue), logger: logger)
                .collect(String.self).first else {
                throw LumoraError.notFound("member_not_found", "That person is not in this store.")
            }
            if role == MemberRole.owner.rawValue,
               try await connection.query(AccountSQL.countOwners(store: member.store.rawValue), logger: logger).collect(Int.self).first == 0 {
                throw LumoraError.conflict("last_owner", "A store needs an owner: make someone else owner before removing this one.")
            }
            if try await !connection.query(AccountSQL.hasMemberships(account: id), logger: logger).hasRows() {
                try await connection.query(AccountSQL.deleteSessions(account: id), logger: logger).drain()
            }
        }
    }

    func invitation(_ token: String) async throws -> InvitationPreviewWire {
        let (slug, name, status, email, role) = try await openInvitation(token, on: nil)
        return InvitationPreviewWire(store: storeView(slug, name: name, status: status), email: email, role: role,
                                     accountExists: try await account(email: email) != nil)
    }

    /// Joins the invited store: with the existing account's password, or making the account.
    func accept(_ token: String, _ request: AcceptInvitationRequest) async throws -> (SignedInWire, StoreSlug) {
        let password = request.password
        let (_, _, _, invited, _) = try await openInvitation(token, on: nil)
        let existing = try await account(email: invited)
        if let existing, !hasher.verify(password, against: existing.hash) {
            throw LumoraError(.unauthorized, code: "invalid_credentials", message: "That is not the password of \(invited).")
        }
        let newHash = existing == nil ? try hasher.hash(try PasswordHasher.validate(password)) : nil
        let (id, slug) = try await client.transaction(logger: logger) { connection in
            let (slug, _, _, email, role) = try await openInvitation(token, on: connection)
            let id: Int64
            if let existing {
                id = existing.id
            } else {
                guard let inserted = try await connection.query(AccountSQL.insertAccount(email: email, passwordHash: newHash!), logger: logger)
                    .collect(Int64.self).first else { throw LumoraError.internalError("account insert returned no row") }
                id = inserted
            }
            try await connection.query(AccountSQL.insertMembership(account: id, store: slug.rawValue, role: role), logger: logger).drain()
            try await connection.query(AccountSQL.acceptInvitation(hash: SecretToken.hash(token)), logger: logger).drain()
            return (id, slug)
        }
        return (try await startSession(AccountWire(id: id, email: invited)), slug)
    }

    // MARK: API tokens

    func apiTokens(_ member: Member) async throws -> [APITokenWire] {
        try await client.query(AccountSQL.apiTokens(store: member.store.rawValue), logger: logger)
            .collect((Int64, String, Date, Date?).self).map { APITokenWire(id: $0.0, name: $0.1, createdAt: $0.2, revokedAt: $0.3) }
    }

    func createAPIToken(_ request: CreateAPITokenRequest, by member: Member) async throws -> CreatedAPITokenWire {
        let name = request.name.trimmingASCIIWhitespace()
        guard (1...100).contains(name.count) else {
            throw LumoraError(.unprocessable, code: "invalid_name", message: "Give the token a name of 1 to 100 characters.")
        }
        let secret = AdminToken.generate()
        guard let (id, created) = try await client.query(AccountSQL.insertAPIToken(store: member.store.rawValue, name: name, hash: AdminToken.hash(secret)),
                                                         logger: logger).collect((Int64, Date).self).first else {
            throw LumoraError.internalError("token insert returned no row")
        }
        return CreatedAPITokenWire(token: APITokenWire(id: id, name: name, createdAt: created, revokedAt: nil), secret: secret)
    }

    func revokeAPIToken(_ id: Int64, by member: Member) async throws -> APITokenWire {
        guard let row = try await client.query(AccountSQL.revokeAPIToken(id: id, store: member.store.rawValue), logger: logger)
            .collect((Int64, String, Date, Date?).self).first else {
            throw LumoraError.notFound("token_not_found", "no such API token")
        }
        return APITokenWire(id: row.0, name: row.1, createdAt: row.2, revokedAt: row.3)
    }

    // MARK: Helpers

    private func account(email: String) async throws -> (id: Int64, email: String, hash: String)? {
        try await client.query(AccountSQL.account(email: email), logger: logger).collect((Int64, String, String).self).first
            .map { (id: $0.0, email: $0.1, hash: $0.2) }
    }

    private func account(id: Int64) async throws -> (id: Int64, email: String, hash: String)? {
        try await client.query(AccountSQL.account(id: id), logger: logger).collect((Int64, String, String).self).first
            .map { (id: $0.0, email: $0.1, hash: $0.2) }
    }

    private func setPassword(account id: Int64, to password: String) async throws {
        let hash = try hasher.hash(password)
        try await client.transaction(logger: logger) { connection in
            try await connection.query(AccountSQL.setPassword(account: id, hash: hash), logger: logger).drain()
            try await connection.query(AccountSQL.deleteSessions(account: id), logger: logger).drain()
        }
    }

    private func startSession(_ account: AccountWire) async throws -> SignedInWire {
        let token = SecretToken.generate(prefix: Self.sessionPrefix)
        let seconds = Int(sessionLifetime.components.seconds)
        guard let expires = try await client.query(AccountSQL.insertSession(hash: SecretToken.hash(token), account: account.id, lifetimeSeconds: seconds),
                                                   logger: logger).collect(Date.self).first else {
            throw LumoraError.internalError("session insert returned no row")
        }
        return SignedInWire(session: token, expiresAt: expires, account: account)
    }

    private func openInvitation(_ token: String, on connection: PostgresConnection?) async throws -> (StoreSlug, String, String, String, MemberRole) {
        let query = AccountSQL.invitation(hash: SecretToken.hash(token), forUpdate: connection != nil)
        let rows = if let connection {
            try await connection.query(query, logger: logger).collect((String, String, String, String, String).self)
        } else {
            try await client.query(query, logger: logger).collect((String, String, String, String, String).self)
        }
        guard let (slug, name, status, email, role) = rows.first, let storeSlug = try? StoreSlug(validating: slug), let memberRole = MemberRole(rawValue: role) else {
            throw LumoraError.notFound("invitation_not_found", "This invitation has expired, was already accepted, or was replaced by a newer one.")
        }
        return (storeSlug, name, status, email, memberRole)
    }

    private func storeView(_ slug: StoreSlug, name: String, status: String) -> MemberStoreWire {
        MemberStoreWire(slug: slug.rawValue, name: name, status: status,
                        url: platform.configuration.storefrontURL(host: platform.platformHost(slug)))
    }
}
