import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraHTTP
import LumoraWire
import NIOHTTP1

/// The pages the manager answers: staff and invitations, API tokens (owner only), domains
/// (owner and admin). The manager checks the person's role again; these pages check it first
/// so a staff member sees "not allowed" instead of a broken page.
struct TeamPages: Sendable {
    let dashboard: Dashboard

    func add(to group: RouterGroup<EdgeRequestContext>) {
        group.get("stores/:slug/staff", use: staff)
        group.post("stores/:slug/staff", use: invite)
        group.post("stores/:slug/staff/:account/remove", use: remove)
        group.get("stores/:slug/tokens", use: tokens)
        group.post("stores/:slug/tokens", use: createToken)
        group.post("stores/:slug/tokens/:id/revoke", use: revokeToken)
        group.get("stores/:slug/domains", use: domains)
        group.post("stores/:slug/domains", use: addDomain)
        group.post("stores/:slug/domains/:hostname/verify", use: verifyDomain)
        group.post("stores/:slug/domains/:hostname/primary", use: makePrimary)
        group.post("stores/:slug/domains/:hostname/remove", use: removeDomain)
    }

    // MARK: Staff

    @Sendable func staff(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .staff) else { return dashboard.redirectToLogin(visit) }
        let invited = request.uri.queryParameters.get("invited").flatMap { $0.isEmpty ? nil : "Invitation sent to \($0)." }
        return try await staffPage(member, visit: visit, email: FieldView(), notice: nil, confirmation: invited)
    }

    @Sendable func invite(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .staff) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        let email = form["email"] ?? ""
        do {
            try dashboard.requireWritable(member)
            _ = try await dashboard.accounts.post(.path("stores", member.slug, "invitations"), InviteRequest(email: email, role: form["role"] ?? "staff"),
                                                  session: visit.sessionToken, visitor: context.visitor, as: [String: InvitationWire].self)
        } catch let error as LumoraError where error.isFormRefusal {
            return try await staffPage(member, visit: visit, email: FieldView(email, error: error.message), notice: nil, status: .unprocessableContent)
        }
        return Dashboard.redirect(RequestTarget.path("stores", member.slug, "staff").query("invited", email.trimmingASCIIWhitespace().lowercased()).text)
    }

    /// Their access ends with their next request.
    @Sendable func remove(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .staff) else { return dashboard.redirectToLogin(visit) }
        _ = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        do {
            try await dashboard.accounts.send(.DELETE, .path("stores", member.slug, "members", try context.parameters.require("account")),
                                              Optional<AccountsClient.NoBody>.none, session: visit.sessionToken, visitor: context.visitor)
        } catch let error as LumoraError where error.status == .conflict {
            return try await staffPage(member, visit: visit, email: FieldView(), notice: error.message, status: .conflict)
        }
        return Dashboard.redirect("/stores/\(member.slug)/staff")
    }

    private func staffPage(_ member: Dashboard.Member, visit: Dashboard.Visit, email: FieldView, notice: String?, confirmation: String? = nil,
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        let staff = try await dashboard.accounts.get(.path("stores", member.slug, "staff"), session: visit.sessionToken,
                                                     visitor: visit.context.visitor, as: StaffWire.self)
        let page = StaffPage(
            chrome: dashboard.chrome(member, visit: visit, area: "Staff", notice: notice, confirmation: confirmation), baseURL: "/stores/\(member.slug)",
            members: staff.members.map {
                .init(email: $0.email, role: $0.role.rawValue, since: DashboardFormat.date($0.since),
                      removeURL: $0.accountId == member.session.account.id ? nil : "/stores/\(member.slug)/staff/\($0.accountId)/remove")
            },
            invitations: staff.invitations.map { .init(email: $0.email, role: $0.role.rawValue, expires: DashboardFormat.date($0.expiresAt)) },
            hasInvitations: !staff.invitations.isEmpty, email: email)
        return try dashboard.page("dashboard/staff", page, visit: visit, status: status)
    }

    // MARK: API tokens

    @Sendable func tokens(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .apiTokens) else { return dashboard.redirectToLogin(visit) }
        return try await tokensPage(member, visit: visit, name: FieldView())
    }

    /// The secret is on this answer's page only (no redirect: nothing keeps it).
    @Sendable func createToken(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .apiTokens) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        let name = form["name"] ?? ""
        do {
            try dashboard.requireWritable(member)
            let created = try await dashboard.accounts.post(.path("stores", member.slug, "api-tokens"), CreateAPITokenRequest(name: name),
                                                            session: visit.sessionToken, visitor: context.visitor, as: CreatedAPITokenWire.self)
            return try await tokensPage(member, visit: visit, name: FieldView(), created: created)
        } catch let error as LumoraError where error.status == .unprocessable {
            return try await tokensPage(member, visit: visit, name: FieldView(name, error: error.message), status: .unprocessableContent)
        }
    }

    @Sendable func revokeToken(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .apiTokens) else { return dashboard.redirectToLogin(visit) }
        _ = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        try await dashboard.accounts.send(.DELETE, .path("stores", member.slug, "api-tokens", try context.parameters.require("id")),
                                          Optional<AccountsClient.NoBody>.none, session: visit.sessionToken, visitor: context.visitor)
        return Dashboard.redirect("/stores/\(member.slug)/tokens")
    }

    struct TokenList: Decodable {
        let apiTokens: [APITokenWire]
        enum CodingKeys: String, CodingKey { case apiTokens = "api_tokens" }
    }

    private func tokensPage(_ member: Dashboard.Member, visit: Dashboard.Visit, name: FieldView, created: CreatedAPITokenWire? = nil,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        let list = try await dashboard.accounts.get(.path("stores", member.slug, "api-tokens"), session: visit.sessionToken,
                                                    visitor: visit.context.visitor, as: TokenList.self)
        let page = TokensPage(
            chrome: dashboard.chrome(member, visit: visit, area: "API tokens"), baseURL: "/stores/\(member.slug)",
            tokens: list.apiTokens.map {
                .init(name: $0.name, created: DashboardFormat.date($0.createdAt), revoked: $0.revokedAt.map(DashboardFormat.date),
                      revokeURL: "/stores/\(member.slug)/tokens/\($0.id)/revoke")
            },
            name: name, createdName: created?.token.name, createdSecret: created?.secret)
        return try dashboard.page("dashboard/tokens", page, visit: visit, status: status)
    }

    // MARK: Domains

    @Sendable func domains(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .domains) else { return dashboard.redirectToLogin(visit) }
        return try await domainsPage(member, visit: visit, hostname: FieldView())
    }

    /// The exact records to create come back with the list.
    @Sendable func addDomain(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .domains) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        let hostname = form["hostname"] ?? ""
        do {
            try dashboard.requireWritable(member)
            _ = try await dashboard.accounts.post(.path("stores", member.slug, "domains"), DomainRequest(hostname: hostname),
                                                  session: visit.sessionToken, visitor: context.visitor, as: [String: DomainWire].self)
        } catch let error as LumoraError where error.status == .badRequest || error.status == .conflict || error.status == .unprocessable {
            return try await domainsPage(member, visit: visit, hostname: FieldView(hostname, error: error.message), status: .unprocessableContent)
        }
        return Dashboard.redirect("/stores/\(member.slug)/domains")
    }

    @Sendable func verifyDomain(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await domainAction(request, context) { member, hostname, visit in
            _ = try await dashboard.accounts.post(.path("stores", member.slug, "domains", hostname, "verify"), AccountsClient.NoBody(),
                                                  session: visit.sessionToken, visitor: context.visitor, as: [String: DomainWire].self)
        }
    }

    @Sendable func makePrimary(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await domainAction(request, context) { member, hostname, visit in
            _ = try await dashboard.accounts.post(.path("stores", member.slug, "domains", hostname, "primary"), AccountsClient.NoBody(),
                                                  session: visit.sessionToken, visitor: context.visitor, as: [String: DomainWire].self)
        }
    }

    @Sendable func removeDomain(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await domainAction(request, context) { member, hostname, visit in
            try await dashboard.accounts.send(.DELETE, .path("stores", member.slug, "domains", hostname), Optional<AccountsClient.NoBody>.none,
                                              session: visit.sessionToken, visitor: context.visitor)
        }
    }

    private func domainAction(_ request: Request, _ context: EdgeRequestContext,
                              _ action: (Dashboard.Member, String, Dashboard.Visit) async throws -> Void) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .domains) else { return dashboard.redirectToLogin(visit) }
        _ = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        do {
            try await action(member, try context.parameters.require("hostname"), visit)
        } catch let error as LumoraError where error.status == .conflict || error.status == .unprocessable || error.status == .notFound {
            return try await domainsPage(member, visit: visit, hostname: FieldView(), notice: error.message, status: .unprocessableContent)
        }
        return Dashboard.redirect("/stores/\(member.slug)/domains")
    }

    struct DomainList: Decodable { let domains: [DomainWire] }

    private func domainsPage(_ member: Dashboard.Member, visit: Dashboard.Visit, hostname: FieldView, notice: String? = nil,
                             status: HTTPResponse.Status = .ok) async throws -> Response {
        let list = try await dashboard.accounts.get(.path("stores", member.slug, "domains"), session: visit.sessionToken,
                                                    visitor: visit.context.visitor, as: DomainList.self)
        let rows = list.domains.map { domain -> DomainsPage.Row in
            let state: (String, String) = domain.status == "verified" ? ("Valid", "valid")
                : domain.message != nil ? ("Invalid configuration", "invalid") : ("Pending", "pending")
            return DomainsPage.Row(
                hostname: domain.hostname, primary: domain.primary, state: state.0, stateClass: state.1, message: domain.message,
                records: domain.records.map { .init(type: $0.type, name: $0.name, value: $0.value) }, hasRecords: !domain.records.isEmpty,
                verifiable: domain.status != "verified", canBePrimary: domain.status == "verified" && !domain.primary,
                removable: domain.kind == "custom", actionURL: RequestTarget.path("stores", member.slug, "domains", domain.hostname).text)
        }
        let page = DomainsPage(chrome: dashboard.chrome(member, visit: visit, area: "Domains", notice: notice), baseURL: "/stores/\(member.slug)",
                               domains: rows, hostname: hostname)
        return try dashboard.page("dashboard/domains", page, visit: visit, status: status)
    }
}
