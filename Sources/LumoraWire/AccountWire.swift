import Foundation
import LumoraCore

// What the manager's account API (the dashboard's sign-in, staff, tokens and domains) sends
// and accepts; the edge's dashboard decodes the same types.

public struct AccountWire: Codable, Sendable, Equatable {
    public let id: Int64
    public let email: String

    public init(id: Int64, email: String) {
        self.id = id
        self.email = email
    }
}

/// A store as a member sees it in the dashboard's store switcher.
public struct MemberStoreWire: Codable, Sendable, Equatable {
    public let slug: String
    public let name: String
    public let status: String
    public let url: String

    public init(slug: String, name: String, status: String, url: String) {
        self.slug = slug
        self.name = name
        self.status = status
        self.url = url
    }
}

public struct MembershipWire: Codable, Sendable, Equatable {
    public let store: MemberStoreWire
    public let role: MemberRole

    public init(store: MemberStoreWire, role: MemberRole) {
        self.store = store
        self.role = role
    }
}

/// Who a session belongs to and the stores they may open.
public struct SessionWire: Codable, Sendable, Equatable {
    public let account: AccountWire
    public let memberships: [MembershipWire]
    public let expiresAt: Date

    public init(account: AccountWire, memberships: [MembershipWire], expiresAt: Date) {
        self.account = account
        self.memberships = memberships
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey { case account, memberships, expiresAt = "expires_at" }

    public func membership(_ slug: String) -> MembershipWire? {
        memberships.first { $0.store.slug == slug }
    }
}

/// A new session: its secret (the cookie's value; only its hash is kept) and when it ends.
public struct SignedInWire: Codable, Sendable, Equatable {
    public let session: String
    public let expiresAt: Date
    public let account: AccountWire

    public init(session: String, expiresAt: Date, account: AccountWire) {
        self.session = session
        self.expiresAt = expiresAt
        self.account = account
    }

    enum CodingKeys: String, CodingKey { case session, expiresAt = "expires_at", account }
}

public struct LoginRequest: Codable, Sendable {
    public let email: String
    public let password: String

    public init(email: String, password: String) {
        self.email = email
        self.password = password
    }
}

/// The landing page's signup: a store and its owner's account in one step.
public struct AccountSignupRequest: Codable, Sendable {
    public let slug: String
    public let name: String
    public let email: String
    public let password: String

    public init(slug: String, name: String, email: String, password: String) {
        self.slug = slug
        self.name = name
        self.email = email
        self.password = password
    }
}

/// A store just made and a one-time code that signs its owner in on the dashboard's host.
public struct AccountSignupWire: Codable, Sendable {
    public let store: MemberStoreWire
    public let signInCode: String

    public init(store: MemberStoreWire, signInCode: String) {
        self.store = store
        self.signInCode = signInCode
    }

    enum CodingKeys: String, CodingKey { case store, signInCode = "sign_in_code" }
}

public struct SignInCodeRequest: Codable, Sendable {
    public let code: String

    public init(code: String) { self.code = code }
}

/// The operator's way to give a person a store.
public struct AddMemberRequest: Codable, Sendable {
    public let email: String
    public let password: String
    public let role: String

    public init(email: String, password: String, role: String) {
        self.email = email
        self.password = password
        self.role = role
    }
}

public struct PasswordChangeRequest: Codable, Sendable {
    public let currentPassword: String
    public let newPassword: String

    public init(currentPassword: String, newPassword: String) {
        self.currentPassword = currentPassword
        self.newPassword = newPassword
    }

    enum CodingKeys: String, CodingKey { case currentPassword = "current_password", newPassword = "new_password" }
}

public struct PasswordResetRequest: Codable, Sendable {
    public let email: String

    public init(email: String) { self.email = email }
}

public struct PasswordResetCompletion: Codable, Sendable {
    public let token: String
    public let password: String

    public init(token: String, password: String) {
        self.token = token
        self.password = password
    }
}

public struct MemberWire: Codable, Sendable, Equatable {
    public let accountId: Int64
    public let email: String
    public let role: MemberRole
    public let since: Date

    public init(accountId: Int64, email: String, role: MemberRole, since: Date) {
        self.accountId = accountId
        self.email = email
        self.role = role
        self.since = since
    }

    enum CodingKeys: String, CodingKey { case accountId = "account_id", email, role, since }
}

public struct InvitationWire: Codable, Sendable, Equatable {
    public let email: String
    public let role: MemberRole
    public let createdAt: Date
    public let expiresAt: Date

    public init(email: String, role: MemberRole, createdAt: Date, expiresAt: Date) {
        self.email = email
        self.role = role
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey { case email, role, createdAt = "created_at", expiresAt = "expires_at" }
}

public struct StaffWire: Codable, Sendable {
    public let members: [MemberWire]
    public let invitations: [InvitationWire]

    public init(members: [MemberWire], invitations: [InvitationWire]) {
        self.members = members
        self.invitations = invitations
    }
}

public struct InviteRequest: Codable, Sendable {
    public let email: String
    public let role: String

    public init(email: String, role: String) {
        self.email = email
        self.role = role
    }
}

/// What an invitation link shows before it is accepted.
public struct InvitationPreviewWire: Codable, Sendable {
    public let store: MemberStoreWire
    public let email: String
    public let role: MemberRole
    /// Whether the invited address already has an account (then its password accepts).
    public let accountExists: Bool

    public init(store: MemberStoreWire, email: String, role: MemberRole, accountExists: Bool) {
        self.store = store
        self.email = email
        self.role = role
        self.accountExists = accountExists
    }

    enum CodingKeys: String, CodingKey { case store, email, role, accountExists = "account_exists" }
}

public struct AcceptInvitationRequest: Codable, Sendable {
    public let password: String

    public init(password: String) { self.password = password }
}

public struct APITokenWire: Codable, Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let createdAt: Date
    public let revokedAt: Date?

    public init(id: Int64, name: String, createdAt: Date, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    enum CodingKeys: String, CodingKey { case id, name, createdAt = "created_at", revokedAt = "revoked_at" }
}

/// A token just made: the secret is in this answer only.
public struct CreatedAPITokenWire: Codable, Sendable {
    public let token: APITokenWire
    public let secret: String

    public init(token: APITokenWire, secret: String) {
        self.token = token
        self.secret = secret
    }
}

public struct CreateAPITokenRequest: Codable, Sendable {
    public let name: String

    public init(name: String) { self.name = name }
}

public struct DNSRecordWire: Codable, Sendable, Equatable {
    public let type: String
    public let name: String
    public let value: String

    public init(type: String, name: String, value: String) {
        self.type = type
        self.name = name
        self.value = value
    }
}

/// A store's domain: `status` is `pending` (records not seen yet, or — with a `message` — the
/// provider found them wrong: invalid configuration) or `verified` (live).
public struct DomainWire: Codable, Sendable, Equatable {
    public let hostname: String
    public let kind: String
    public let primary: Bool
    public let status: String
    /// DNS records to create while the domain is pending.
    public let records: [DNSRecordWire]
    public let message: String?

    public init(hostname: String, kind: String, primary: Bool, status: String, records: [DNSRecordWire], message: String?) {
        self.hostname = hostname
        self.kind = kind
        self.primary = primary
        self.status = status
        self.records = records
        self.message = message
    }
}

public struct DomainRequest: Codable, Sendable {
    public let hostname: String

    public init(hostname: String) { self.hostname = hostname }
}

/// An accepted invitation: the person's new session and the store they joined.
public struct AcceptedInvitationWire: Codable, Sendable {
    public let signedIn: SignedInWire
    public let store: String

    public init(signedIn: SignedInWire, store: String) {
        self.signedIn = signedIn
        self.store = store
    }

    enum CodingKeys: String, CodingKey { case signedIn = "signed_in", store }
}
