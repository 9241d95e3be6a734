import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraHTTP
import LumoraWire

/// What every dashboard handler shares: the signed-in person (asked of the manager on every
/// request, so a removed person or an ended session is out at once), the store they opened and
/// their role in it, CSRF, pages and redirects. Pages that need a person redirect (303) to
/// `/login?next=…`; a store the person is not in is not found (404); an area their role does
/// not reach is not allowed (403). Every answer is `no-store` (`PrivatePagesMiddleware`).
struct Dashboard: Sendable {
    let pages: PageRenderer
    let csrf: CSRFTokens
    let accounts: AccountsClient
    let cells: CellClient
    let table: StoreRoutingTable
    let maximumBodySize: Int
    /// Picture and logo uploads may be as large as the API's.
    let uploadLimits: BodyLimits
    /// The store's media files, shown to its members.
    let media: MediaFiles

    /// One request's view of the dashboard.
    struct Visit {
        let request: Request
        let context: EdgeRequestContext
        let browser: Session
        let sessionToken: String?

        /// The token this browser's forms carry on this host.
        func csrfToken(_ tokens: CSRFTokens) -> String {
            tokens.token(host: context.host, session: browser)
        }
    }

    /// A person in one of their stores.
    struct Member {
        let session: SessionWire
        let membership: MembershipWire
        let route: StoreRoute

        var slug: String { membership.store.slug }
        var role: MemberRole { membership.role }
        var actor: StoreActor { StoreActor(accountID: session.account.id, role: membership.role) }
        /// A suspended store's dashboard shows, but changes nothing.
        var isReadOnly: Bool { route.status == .suspended }
        /// Just signed up: the store's last provisioning steps are still running (seconds).
        var isOpening: Bool { route.status == .provisioning }
    }

    func visit(_ request: Request, _ context: EdgeRequestContext) -> Visit {
        Visit(request: request, context: context, browser: Session(request: request), sessionToken: DashboardCookie.session(in: request))
    }

    // MARK: Who is asking

    /// The signed-in person, or nil (no cookie, or the manager no longer knows the session):
    /// the caller redirects to the sign-in page, which comes back here (`redirectToLogin`).
    func person(_ visit: Visit) async throws -> SessionWire? {
        guard let token = visit.sessionToken else { return nil }
        do {
            return try await accounts.get(.path("session"), session: token, visitor: visit.context.visitor, as: SessionWire.self)
        } catch let error as LumoraError where error.status == .unauthorized {
            return nil
        }
    }

    func redirectToLogin(_ visit: Visit) -> Response {
        // The path as the visitor wrote it (routed internally under /_app).
        var next = String(visit.request.uri.path.dropFirst(visit.request.uri.path.hasPrefix("/_app") ? 5 : 0))
        if next.isEmpty { next = "/" }
        if let query = visit.request.uri.query, !query.isEmpty { next += "?" + query }
        var response = Self.redirect(RequestTarget.path("login").query("next", Self.internalPath(next)).text)
        if visit.sessionToken != nil { response.headers.append(DashboardCookie.clear(secure: visit.context.isSecure)) }
        return response
    }

    /// The person in the store the URL names, allowed `action`; nil when nobody is signed in
    /// (the caller redirects to the sign-in page); another store is 404, a role short of it 403.
    func member(_ visit: Visit, may action: StoreAction) async throws -> Member? {
        guard let session = try await person(visit) else { return nil }
        let raw = try visit.context.parameters.require("slug")
        guard let membership = session.membership(raw), let slug = try? StoreSlug(validating: raw), var route = table.store(slug) else {
            throw LumoraError.notFound("store_not_found", "There is no store of yours at this address.")
        }
        // The manager has just read the store's status; a routing table that has not heard of
        // the change yet (a store that opened a moment ago, a suspension) reads the route again.
        if membership.store.status != route.status.rawValue, let fresh = try? await table.reload(slug) {
            route = fresh
        }
        guard membership.role.may(action) else {
            throw LumoraError(.forbidden, code: "forbidden_role",
                              message: "Your role in \(membership.store.name) (\(membership.role.rawValue)) does not open this page. Ask the store's owner.")
        }
        return Member(session: session, membership: membership, route: route)
    }

    /// A form posted by the dashboard's own page: the body within the limit, the CSRF token right.
    func form(_ visit: Visit) async throws -> FormFields {
        let form = try await FormFields(visit.request, limit: maximumBodySize)
        try csrf.verify(form["csrf"], host: visit.context.host, session: visit.browser)
        return form
    }

    /// A change to a store: refused on a suspended one.
    func requireWritable(_ member: Member) throws {
        guard !member.isOpening else {
            throw LumoraError(.unavailable, code: "store_opening", message: "\(member.membership.store.name) is still being set up. Please try again in a few seconds.")
        }
        guard !member.isReadOnly else {
            throw LumoraError(.forbidden, code: "store_suspended", message: "\(member.membership.store.name) is suspended: the dashboard is read-only until the operator reopens it.")
        }
    }

    // MARK: Answers

    // Every answer under /_app is made `no-store` by `PrivatePagesMiddleware`, errors included.

    /// A page, with the CSRF cookie set when the browser had none.
    func page(_ template: String, _ view: Any, visit: Visit, status: HTTPResponse.Status = .ok) throws -> Response {
        var response = try pages.html(template, view, status: status)
        visit.browser.stamp(&response, secure: visit.context.isSecure)
        return response
    }

    /// 303 to a dashboard target the caller built with `RequestTarget` (or checked with
    /// `internalPath`).
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// A `next=` target: only a path on the dashboard itself (no `//host`, no scheme), else `/`.
    static func internalPath(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), raw.utf8.count <= 500, let target = RequestTarget(validating: raw) else { return "/" }
        return target.text
    }

    /// The chrome of a page inside a store: the person, their stores, the store's areas.
    func chrome(_ member: Member, visit: Visit, area: String, notice: String? = nil, confirmation: String? = nil) -> DashboardChrome {
        DashboardChrome(person: member.session, current: member, area: area, csrf: visit.csrfToken(csrf), notice: notice, confirmation: confirmation)
    }

    func chrome(_ session: SessionWire, visit: Visit, notice: String? = nil) -> DashboardChrome {
        DashboardChrome(person: session, current: nil, area: "", csrf: visit.csrfToken(csrf), notice: notice)
    }
}
