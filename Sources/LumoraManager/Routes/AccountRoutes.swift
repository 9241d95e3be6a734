import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraHTTP
import LumoraWire

/// `/accounts/v1/…`: the account API the edge's dashboard calls (Bearer the accounts token,
/// derived from the secret the edge and the manager share). The person is named by their
/// session in `x-lumora-session`, their address by `x-lumora-visitor`; neither is believed from
/// anyone without the token.
struct AccountRoutes: Sendable {
    static let sessionHeader = HTTPField.Name("x-lumora-session")!
    static let visitorHeader = HTTPField.Name("x-lumora-visitor")!

    let accounts: AccountService
    let domains: DomainService
    let signupLimiter: SignupLimiter
    let maximumBodySize: Int

    func add(to group: RouterGroup<ManagerRequestContext>) {
        group.post("signup") { request, _ in
            try signupLimiter.admit(visitor(request))
            let body = try await JSONWire.decode(AccountSignupRequest.self, from: request, limit: maximumBodySize)
            return try unstored(JSONWire.response(try await accounts.signup(body), status: .created))
        }
        group.post("sign-in-links/redeem") { request, _ in
            let body = try await JSONWire.decode(SignInCodeRequest.self, from: request, limit: maximumBodySize)
            return try unstored(JSONWire.response(try await accounts.redeem(signInCode: body.code)))
        }
        group.post("login") { request, _ in
            let body = try await JSONWire.decode(LoginRequest.self, from: request, limit: maximumBodySize)
            return try unstored(JSONWire.response(try await accounts.login(body, address: visitor(request))))
        }
        group.post("logout") { request, _ in
            try await accounts.logout(session: try session(request))
            return Response(status: .noContent)
        }
        group.get("session") { request, _ in
            try unstored(JSONWire.response(try await accounts.session(try session(request))))
        }
        group.post("password") { request, _ in
            let body = try await JSONWire.decode(PasswordChangeRequest.self, from: request, limit: maximumBodySize)
            return try unstored(JSONWire.response(try await accounts.changePassword(session: try session(request), body)))
        }
        group.post("password-resets") { request, _ in
            try signupLimiter.admit(visitor(request))
            let body = try await JSONWire.decode(PasswordResetRequest.self, from: request, limit: maximumBodySize)
            try await accounts.requestReset(body)
            return Response(status: .accepted)
        }
        group.post("password-resets/complete") { request, _ in
            let body = try await JSONWire.decode(PasswordResetCompletion.self, from: request, limit: maximumBodySize)
            return try unstored(JSONWire.response(try await accounts.completeReset(body)))
        }
        group.get("invitations/:token") { _, context in
            try JSONWire.response(try await accounts.invitation(try context.parameters.decoded("token")))
        }
        group.post("invitations/:token/accept") { request, context in
            let body = try await JSONWire.decode(AcceptInvitationRequest.self, from: request, limit: maximumBodySize)
            let (signedIn, slug) = try await accounts.accept(try context.parameters.decoded("token"), body)
            return try unstored(JSONWire.response(AcceptedInvitationWire(signedIn: signedIn, store: slug.rawValue)))
        }

        let store = group.group("stores/:slug")
        store.get("staff") { request, context in
            let member = try await member(request, context, may: .staff)
            return try JSONWire.response(try await accounts.staff(member))
        }
        store.post("invitations") { request, context in
            let member = try await member(request, context, may: .staff)
            let body = try await JSONWire.decode(InviteRequest.self, from: request, limit: maximumBodySize)
            return try JSONWire.response(["invitation": try await accounts.invite(body, by: member)], status: .created)
        }
        store.delete("members/:account") { request, context in
            let member = try await member(request, context, may: .staff)
            guard let id = Int64(try context.parameters.decoded("account")) else {
                throw LumoraError.notFound("member_not_found", "That person is not in this store.")
            }
            try await accounts.remove(account: id, by: member)
            return Response(status: .noContent)
        }
        store.get("api-tokens") { request, context in
            let member = try await member(request, context, may: .apiTokens)
            return try JSONWire.response(["api_tokens": try await accounts.apiTokens(member)])
        }
        store.post("api-tokens") { request, context in
            let member = try await member(request, context, may: .apiTokens)
            let body = try await JSONWire.decode(CreateAPITokenRequest.self, from: request, limit: maximumBodySize)
            return try unstored(JSONWire.response(try await accounts.createAPIToken(body, by: member), status: .created))
        }
        store.delete("api-tokens/:id") { request, context in
            let member = try await member(request, context, may: .apiTokens)
            guard let id = Int64(try context.parameters.decoded("id")) else { throw LumoraError.notFound("token_not_found", "no such API token") }
            return try JSONWire.response(["api_token": try await accounts.revokeAPIToken(id, by: member)])
        }
        store.get("domains") { request, context in
            let member = try await member(request, context, may: .domains)
            return try JSONWire.response(["domains": try await domains.list(member.store)])
        }
        store.post("domains") { request, context in
            let member = try await member(request, context, may: .domains)
            let body = try await JSONWire.decode(DomainRequest.self, from: request, limit: maximumBodySize)
            return try JSONWire.response(["domain": try await domains.add(body.hostname, to: member.store)], status: .created)
        }
        store.post("domains/:hostname/verify") { request, context in
            let member = try await member(request, context, may: .domains)
            return try JSONWire.response(["domain": try await domains.verify(try context.parameters.decoded("hostname"), of: member.store)])
        }
        store.post("domains/:hostname/primary") { request, context in
            let member = try await member(request, context, may: .domains)
            return try JSONWire.response(["domain": try await domains.makePrimary(try context.parameters.decoded("hostname"), of: member.store)])
        }
        store.delete("domains/:hostname") { request, context in
            let member = try await member(request, context, may: .domains)
            let hostname = try context.parameters.decoded("hostname")
            try await domains.remove(hostname, from: member.store)
            return Response(status: .noContent)
        }
    }

    /// `POST /v1/stores/:slug/members` (operator token): a person joins a store with a role,
    /// their account made with the password if they have none.
    func addOperatorRoutes(to group: RouterGroup<ManagerRequestContext>) {
        group.post("stores/:slug/members") { request, context in
            let body = try await JSONWire.decode(AddMemberRequest.self, from: request, limit: maximumBodySize)
            let account = try await accounts.addMember(email: body.email, password: body.password, store: try context.storeSlug(),
                                                       role: try MemberRole(validating: body.role))
            return try JSONWire.response(["account": account], status: .created)
        }
    }

    private func session(_ request: Request) throws -> String {
        guard let token = request.headers[Self.sessionHeader], !token.isEmpty else {
            throw LumoraError(.unauthorized, code: "invalid_session", message: "Please sign in.")
        }
        return token
    }

    private func visitor(_ request: Request) -> String {
        request.headers[Self.visitorHeader] ?? "unknown"
    }

    private func member(_ request: Request, _ context: ManagerRequestContext, may action: StoreAction) async throws -> AccountService.Member {
        try await accounts.member(try session(request), of: try context.storeSlug(), may: action)
    }

    /// Answers holding a secret (a session, a token) are never stored by anything on the way.
    private func unstored(_ response: Response) -> Response {
        var response = response
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

/// `Authorization: Bearer <accounts token>` on every `/accounts/v1` route: only the edge has it.
struct EdgeAuthentication: RouterMiddleware {
    typealias Context = ManagerRequestContext

    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard BearerToken.authorizes(request.headers[.authorization], token: token) else {
            throw LumoraError(.unauthorized, code: "invalid_token", message: "the account API is for the edge (Authorization: Bearer <accounts token>)")
        }
        return try await next(request, context)
    }
}
