import Foundation
import HTTPTypes
import HummingbirdTesting
import LumoraCore
import LumoraHTTP
import LumoraManager
import LumoraTestSupport
import Synchronization
import Testing

/// Mail the tests read instead of an inbox; with a folder, each mail's link is also written to
/// `<folder>/<recipient>.link`, and the whole mail (a `Subject:` line, a blank line, the text
/// part) to `<folder>/<recipient>.<n>.mail`, n counting every mail sent (for the browser check,
/// which runs in another process). Mail
/// comes from the outbox's jobs, after the request that queued it has been answered: wait for
/// it (`mail(to:)`).
final class RecordingMailer: Mailer {
    private let sent = Mutex<[Mail]>([])
    let folder: URL?
    /// Where every mail goes on after it is recorded (the browser walk's SMTP mail catcher).
    let forward: (any Mailer)?

    init(folder: URL? = nil, forward: (any Mailer)? = nil) {
        self.folder = folder
        self.forward = forward
    }

    func send(_ mail: Mail) async throws {
        let number = sent.withLock { sent in
            sent.append(mail)
            return sent.count
        }
        if let folder {
            try Data(mail.link.utf8).write(to: folder.appendingPathComponent(mail.to + ".link"), options: .atomic)
            try Data("Subject: \(mail.subject)\n\n\(mail.body)".utf8).write(to: folder.appendingPathComponent("\(mail.to).\(number).mail"), options: .atomic)
        }
        try await forward?.send(mail)
    }

    var mails: [Mail] { sent.withLock { $0 } }

    /// The newest mail to `address`, once there is one.
    func mail(to address: String) async throws -> Mail {
        try await waitUntil { self.mails.contains { $0.to == address } }
        return try #require(mails.last { $0.to == address })
    }

    /// The token at the end of the newest link to `address`, once it has been mailed.
    func token(to address: String) async throws -> String {
        let link = try await mail(to: address).link
        return try #require(link.split(separator: "/").last.map(String.init))
    }
}

/// The account API the dashboard calls, through the manager's router: sessions, throttling,
/// roles and the store boundary. (The dashboard's own tests drive the same over real HTTP.)
@Suite struct AccountAPITests {
    static let accountsToken = AccountsToken.derived(fromSigningSecret: ManagerHarness.secret)

    struct Accounts {
        let manager: ManagerHarness
        let mailer: RecordingMailer
        let clock: ManualClock

        @discardableResult
        func call(_ method: HTTPRequest.Method, _ path: String, json: String? = nil, session: String? = nil,
                  visitor: String = "203.0.113.9") async throws -> TestResponse {
            var headers = [("x-lumora-visitor", visitor)]
            if let session { headers.append(("x-lumora-session", session)) }
            return try await manager.request(method, "/accounts/v1" + path, json: json, token: AccountAPITests.accountsToken, headers: headers)
        }

        /// Signs up `slug` with its owner and returns the owner's session.
        func signup(_ slug: String, email: String, password: String = "correct horse") async throws -> String {
            let reply = try await call(.post, "/signup", json: #"{"slug":"\#(slug)","name":"\#(slug.capitalized)","email":"\#(email)","password":"\#(password)"}"#)
            try #require(reply.status == .created, "\(String(buffer: reply.body))")
            let code = try #require(try reply.object()["sign_in_code"] as? String)
            let redeemed = try await call(.post, "/sign-in-links/redeem", json: #"{"code":"\#(code)"}"#)
            try #require(redeemed.status == .ok)
            // Once only.
            #expect(try await call(.post, "/sign-in-links/redeem", json: #"{"code":"\#(code)"}"#).status == .unauthorized)
            return try #require(try redeemed.object()["session"] as? String)
        }

        func login(_ email: String, _ password: String, visitor: String = "203.0.113.9") async throws -> TestResponse {
            try await call(.post, "/login", json: #"{"email":"\#(email)","password":"\#(password)"}"#, visitor: visitor)
        }
    }

    static func run(_ body: @Sendable (Accounts) async throws -> Void) async throws {
        let mailer = RecordingMailer()
        let clock = ManualClock()
        try await ManagerHarness.run(configure: {
            $0.accountsToken = accountsToken
            $0.passwordLogRounds = 4
            $0.mailer = mailer
            $0.clock = clock
            $0.signupsPerMinute = 100
        }) { manager in
            try await body(Accounts(manager: manager, mailer: mailer, clock: clock))
        }
    }

    @Test func onlyTheEdgeMayCallIt() async throws {
        try await Self.run { accounts in
            let reply = try await accounts.manager.request(.post, "/accounts/v1/login", json: #"{"email":"a@b.test","password":"whatever1"}"#,
                                                          token: ManagerHarness.operatorToken)
            #expect(reply.status == .unauthorized)
        }
    }

    @Test func signupMakesAnOwnerWhoseSessionNamesTheStore() async throws {
        try await Self.run { accounts in
            let session = try await accounts.signup("acme", email: "Wile@Acme.test")
            let shown = try await accounts.call(.get, "/session", session: session).object()
            #expect((shown["account"] as? [String: Any])?["email"] as? String == "wile@acme.test")
            let memberships = try #require(shown["memberships"] as? [[String: Any]])
            #expect(memberships.count == 1)
            #expect(memberships.first?["role"] as? String == "owner")
            #expect((memberships.first?["store"] as? [String: Any])?["slug"] as? String == "acme")
            // Stored hashed with scrypt, never as typed.
            let stored = try await accounts.manager.database.withClient { try await $0.scalar("SELECT password_hash FROM lumora.accounts", as: String.self) }
            #expect(stored?.hasPrefix("scrypt$4$8$1$") == true)
            #expect(stored?.contains("correct horse") == false)
            // A second store for the same person needs their password.
            let wrong = try await accounts.call(.post, "/signup", json: #"{"slug":"acme2","name":"Acme 2","email":"wile@acme.test","password":"not the one"}"#)
            #expect(wrong.status == .conflict)
            #expect(wrong.errorCode == "account_exists")
            #expect(try await accounts.manager.count("SELECT count(*)::int FROM lumora.stores WHERE slug = 'acme2'") == 0)
            _ = try await accounts.signup("acme2", email: "wile@acme.test")
            let both = try await accounts.call(.get, "/session", session: session).object()["memberships"] as? [[String: Any]]
            #expect(both?.count == 2)
        }
    }

    @Test func signInOutAndTheGenericMessage() async throws {
        try await Self.run { accounts in
            _ = try await accounts.signup("acme", email: "wile@acme.test")
            let unknown = try await accounts.login("nobody@acme.test", "correct horse")
            let wrong = try await accounts.login("wile@acme.test", "incorrect horse")
            #expect(unknown.status == .unauthorized)
            #expect(wrong.status == .unauthorized)
            // The same words whether or not the address has an account.
            #expect(unknown.errorCode == "invalid_credentials" && wrong.errorCode == "invalid_credentials")
            #expect((try unknown.object()["error"] as? [String: String]) == (try wrong.object()["error"] as? [String: String]))

            let good = try await accounts.login("wile@acme.test", "correct horse")
            #expect(good.status == .ok)
            #expect(good.headers[.cacheControl] == "no-store")
            let session = try #require(try good.object()["session"] as? String)
            #expect(try await accounts.call(.get, "/session", session: session).status == .ok)
            #expect(try await accounts.call(.post, "/logout", session: session).status == .noContent)
            #expect(try await accounts.call(.get, "/session", session: session).status == .unauthorized)
            #expect(try await accounts.call(.get, "/session", session: "lss_made-up").status == .unauthorized)
        }
    }

    @Test func anExpiredSessionSignsNobodyIn() async throws {
        try await Self.run { accounts in
            let session = try await accounts.signup("acme", email: "wile@acme.test")
            try await accounts.manager.database.withClient { try await $0.query("UPDATE lumora.sessions SET expires_at = now() - interval '1 second'").drain() }
            #expect(try await accounts.call(.get, "/session", session: session).status == .unauthorized)
        }
    }

    /// Five failures lock the account (even the right password) until the window passes; twenty
    /// from one address lock that address for every account.
    @Test func failedSignInsAreThrottledPerAccountAndPerAddress() async throws {
        try await Self.run { accounts in
            _ = try await accounts.signup("acme", email: "wile@acme.test")
            _ = try await accounts.signup("globex", email: "hank@globex.test")
            for _ in 0..<5 { #expect(try await accounts.login("wile@acme.test", "wrong password").status == .unauthorized) }
            let locked = try await accounts.login("wile@acme.test", "correct horse")
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers[.retryAfter] != nil)
            // Another account from another address is not affected.
            #expect(try await accounts.login("hank@globex.test", "correct horse", visitor: "198.51.100.7").status == .ok)
            accounts.clock.advance(by: .seconds(15 * 60))
            #expect(try await accounts.login("wile@acme.test", "correct horse").status == .ok)

            // One address trying many accounts.
            for index in 0..<20 {
                _ = try await accounts.login("guess\(index)@acme.test", "wrong password", visitor: "192.0.2.66")
            }
            #expect(try await accounts.login("hank@globex.test", "correct horse", visitor: "192.0.2.66").status == .tooManyRequests)
            #expect(try await accounts.login("hank@globex.test", "correct horse", visitor: "192.0.2.67").status == .ok)
        }
    }

    @Test func aPasswordChangeEndsEverySession() async throws {
        try await Self.run { accounts in
            let first = try await accounts.signup("acme", email: "wile@acme.test")
            let second = try #require(try await accounts.login("wile@acme.test", "correct horse").object()["session"] as? String)
            let wrong = try await accounts.call(.post, "/password", json: #"{"current_password":"nope nope","new_password":"a new one!"}"#, session: first)
            #expect(wrong.status == .unprocessableContent)
            let changed = try await accounts.call(.post, "/password", json: #"{"current_password":"correct horse","new_password":"a new one!"}"#, session: first)
            #expect(changed.status == .ok)
            let third = try #require(try changed.object()["session"] as? String)
            #expect(try await accounts.call(.get, "/session", session: first).status == .unauthorized)
            #expect(try await accounts.call(.get, "/session", session: second).status == .unauthorized)
            #expect(try await accounts.call(.get, "/session", session: third).status == .ok)
            #expect(try await accounts.login("wile@acme.test", "a new one!").status == .ok)
        }
    }

    @Test func aResetLinkWorksOnceAndEndsSessions() async throws {
        try await Self.run { accounts in
            let session = try await accounts.signup("acme", email: "wile@acme.test")
            // The same answer for an address without an account, and no mail.
            #expect(try await accounts.call(.post, "/password-resets", json: #"{"email":"nobody@acme.test"}"#).status == .accepted)
            #expect(try await accounts.manager.count("SELECT count(*)::int FROM lumora.jobs WHERE kind = 'send_account_mail'") == 0)
            #expect(try await accounts.call(.post, "/password-resets", json: #"{"email":"wile@acme.test"}"#).status == .accepted)
            let mail = try await accounts.mailer.mail(to: "wile@acme.test")
            #expect(mail.link.hasPrefix("http://app.lumora.test/reset/lpr_"))
            #expect(mail.fromName == "Lumora")
            #expect(accounts.mailer.mails.map(\.to) == ["wile@acme.test"])
            let token = try await accounts.mailer.token(to: "wile@acme.test")
            let short = try await accounts.call(.post, "/password-resets/complete", json: #"{"token":"\#(token)","password":"short"}"#)
            #expect(short.errorCode == "weak_password")
            let done = try await accounts.call(.post, "/password-resets/complete", json: #"{"token":"\#(token)","password":"brand new pass"}"#)
            #expect(done.status == .ok)
            #expect(try await accounts.call(.get, "/session", session: session).status == .unauthorized)
            let again = try await accounts.call(.post, "/password-resets/complete", json: #"{"token":"\#(token)","password":"another pass"}"#)
            #expect(again.errorCode == "invalid_reset")
            #expect(try await accounts.login("wile@acme.test", "brand new pass").status == .ok)
        }
    }

    /// Staff invited by the owner; roles decide what each may reach; another store's things do
    /// not exist for them; removal ends access at once.
    @Test func invitationsRolesAndTheStoreBoundary() async throws {
        try await Self.run { accounts in
            let owner = try await accounts.signup("acme", email: "wile@acme.test")
            let other = try await accounts.signup("globex", email: "hank@globex.test")
            let invited = try await accounts.call(.post, "/stores/acme/invitations", json: #"{"email":"road@runner.test","role":"staff"}"#, session: owner)
            #expect(invited.status == .created)
            let token = try await accounts.mailer.token(to: "road@runner.test")
            let preview = try await accounts.call(.get, "/invitations/\(token)").object()
            #expect(preview["account_exists"] as? Bool == false)
            let accepted = try await accounts.call(.post, "/invitations/\(token)/accept", json: #"{"password":"meep meep meep"}"#)
            #expect(accepted.status == .ok)
            let staff = try #require((try accepted.object()["signed_in"] as? [String: Any])?["session"] as? String)
            #expect(try await accounts.call(.get, "/invitations/\(token)").status == .notFound)

            // Owner-only areas: 403 for staff; another store: 404 for everyone in it.
            #expect(try await accounts.call(.get, "/stores/acme/staff", session: staff).status == .forbidden)
            #expect(try await accounts.call(.get, "/stores/acme/api-tokens", session: staff).status == .forbidden)
            #expect(try await accounts.call(.get, "/stores/acme/domains", session: staff).status == .forbidden)
            #expect(try await accounts.call(.get, "/stores/globex/staff", session: owner).status == .notFound)
            #expect(try await accounts.call(.get, "/stores/globex/api-tokens", session: owner).status == .notFound)
            #expect(try await accounts.call(.get, "/stores/acme/staff", session: other).status == .notFound)
            let members = try await accounts.call(.get, "/stores/acme/staff", session: owner).object()["members"] as? [[String: Any]]
            #expect(members?.map { $0["role"] as? String } == ["owner", "staff"])

            // The last owner stays; the staff member goes, and with no store left, their session too.
            let ownerID = try #require(members?.first?["account_id"] as? Int)
            let staffID = try #require(members?.last?["account_id"] as? Int)
            #expect(try await accounts.call(.delete, "/stores/acme/members/\(ownerID)", session: owner).errorCode == "last_owner")
            #expect(try await accounts.call(.delete, "/stores/acme/members/\(staffID)", session: other).status == .notFound)
            #expect(try await accounts.call(.delete, "/stores/acme/members/\(staffID)", session: owner).status == .noContent)
            #expect(try await accounts.call(.get, "/session", session: staff).status == .unauthorized)
        }
    }

    @Test func apiTokensAreNamedShownOnceAndRevocable() async throws {
        try await Self.run { accounts in
            let owner = try await accounts.signup("acme", email: "wile@acme.test")
            let created = try await accounts.call(.post, "/stores/acme/api-tokens", json: #"{"name":"Warehouse sync"}"#, session: owner)
            #expect(created.status == .created)
            let body = try created.object()
            #expect((body["secret"] as? String)?.hasPrefix("lsk_") == true)
            let id = try #require((body["token"] as? [String: Any])?["id"] as? Int)
            let listed = try await accounts.call(.get, "/stores/acme/api-tokens", session: owner)
            #expect(!String(buffer: listed.body).contains("lsk_"))
            let names = (try listed.object()["api_tokens"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["Admin token", "Warehouse sync"])
            #expect(try await accounts.call(.post, "/stores/acme/api-tokens", json: #"{"name":"  "}"#, session: owner).errorCode == "invalid_name")
            let revoked = try await accounts.call(.delete, "/stores/acme/api-tokens/\(id)", session: owner).object()["api_token"] as? [String: Any]
            #expect(revoked?["revoked_at"] is String)
            #expect(try await accounts.manager.count("SELECT count(*)::int FROM lumora.api_tokens WHERE revoked_at IS NULL AND store_slug = 'acme'") == 1)
        }
    }
}
