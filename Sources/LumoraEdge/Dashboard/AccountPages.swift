import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraHTTP
import LumoraWire
import NIOHTTP1

/// Signing in and out, the signup hand-over, passwords (change, reset by mail), invitations.
struct AccountPages: Sendable {
    let dashboard: Dashboard

    func add(to group: RouterGroup<EdgeRequestContext>) {
        group.get(use: home)
        group.get("login", use: loginForm)
        group.post("login", use: login)
        group.post("logout", use: logout)
        group.get("welcome", use: welcome)
        group.get("password", use: passwordForm)
        group.post("password", use: changePassword)
        group.get("reset", use: resetRequestForm)
        group.post("reset", use: requestReset)
        group.get("reset/:token", use: resetForm)
        group.post("reset/:token", use: reset)
        group.get("invitations/:token", use: invitation)
        group.post("invitations/:token", use: acceptInvitation)
    }

    /// The first store of the person, or a page that says they have none.
    @Sendable func home(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let session = try await dashboard.person(visit) else { return dashboard.redirectToLogin(visit) }
        if let first = session.memberships.first { return Dashboard.redirect("/stores/\(first.store.slug)") }
        return try dashboard.page("dashboard/no-stores", NoStoresPage(chrome: dashboard.chrome(session, visit: visit)), visit: visit)
    }

    @Sendable func loginForm(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        let next = Dashboard.internalPath(request.uri.queryParameters.get("next"))
        if try await dashboard.person(visit) != nil { return Dashboard.redirect(next) }
        let notice = request.uri.queryParameters.get("done") == "reset" ? "Your password is changed. Please sign in." : nil
        return try dashboard.page("dashboard/login", LoginPage(csrf: visit.csrfToken(dashboard.csrf), next: next, email: FieldView(), notice: notice), visit: visit)
    }

    /// Wrong address or password: one message for both, the address kept; throttled by the manager.
    @Sendable func login(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        let form = try await dashboard.form(visit)
        let email = form["email"] ?? "", next = Dashboard.internalPath(form["next"])
        do {
            let signedIn = try await dashboard.accounts.post(.path("login"), LoginRequest(email: email, password: form["password"] ?? ""),
                                                             session: nil, visitor: context.visitor, as: SignedInWire.self)
            return signIn(signedIn, then: next, visit: visit)
        } catch let error as LumoraError where error.status == .unauthorized || error.status == .tooManyRequests {
            var response = try dashboard.page("dashboard/login", LoginPage(csrf: visit.csrfToken(dashboard.csrf), next: next,
                                                                           email: FieldView(email), notice: error.message),
                                              visit: visit, status: error.status == .tooManyRequests ? .tooManyRequests : .unauthorized)
            for field in error.responseHeaders where field.name == .retryAfter { response.headers.append(field) }
            return response
        }
    }

    @Sendable func logout(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        _ = try await dashboard.form(visit)
        if let token = visit.sessionToken {
            try? await dashboard.accounts.send(.POST, .path("logout"), Optional<AccountsClient.NoBody>.none, session: token, visitor: context.visitor)
        }
        var response = Dashboard.redirect("/login")
        response.headers.append(DashboardCookie.clear(secure: context.isSecure))
        return response
    }

    /// The landing page's signup ends here: its one-time code becomes the new owner's session.
    @Sendable func welcome(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        let code = request.uri.queryParameters.get("code") ?? ""
        let next = Dashboard.internalPath(request.uri.queryParameters.get("next"))
        do {
            let signedIn = try await dashboard.accounts.post(.path("sign-in-links", "redeem"), SignInCodeRequest(code: code),
                                                             session: nil, visitor: context.visitor, as: SignedInWire.self)
            return signIn(signedIn, then: next, visit: visit)
        } catch let error as LumoraError where error.status == .unauthorized || error.status == .badRequest {
            return try dashboard.page("dashboard/login", LoginPage(csrf: visit.csrfToken(dashboard.csrf), next: next, email: FieldView(),
                                                                   notice: error.message), visit: visit, status: .unauthorized)
        }
    }

    @Sendable func passwordForm(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let session = try await dashboard.person(visit) else { return dashboard.redirectToLogin(visit) }
        return try dashboard.page("dashboard/password", PasswordPage(chrome: dashboard.chrome(session, visit: visit), current: FieldView(),
                                                                     new: FieldView(), changed: request.uri.queryParameters.get("done") == "changed"),
                                  visit: visit)
    }

    /// Every other session of the person ends; this browser gets a new one.
    @Sendable func changePassword(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let session = try await dashboard.person(visit) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        do {
            let signedIn = try await dashboard.accounts.post(
                .path("password"), PasswordChangeRequest(currentPassword: form["current_password"] ?? "", newPassword: form["new_password"] ?? ""),
                session: visit.sessionToken, visitor: context.visitor, as: SignedInWire.self)
            return signIn(signedIn, then: "/password?done=changed", visit: visit)
        } catch let error as LumoraError where error.status == .unprocessable {
            let wrongCurrent = error.code == "wrong_password"
            return try dashboard.page("dashboard/password", PasswordPage(
                chrome: dashboard.chrome(session, visit: visit), current: FieldView(error: wrongCurrent ? error.message : nil),
                new: FieldView(error: wrongCurrent ? nil : error.message), changed: false), visit: visit, status: .unprocessableContent)
        }
    }

    @Sendable func resetRequestForm(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        return try dashboard.page("dashboard/reset-request", ResetRequestPage(csrf: visit.csrfToken(dashboard.csrf), email: FieldView(), sent: false, notice: nil),
                                  visit: visit)
    }

    /// The same answer whether or not the address has an account.
    @Sendable func requestReset(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        let form = try await dashboard.form(visit)
        let email = form["email"] ?? ""
        do {
            try await dashboard.accounts.send(.POST, .path("password-resets"), PasswordResetRequest(email: email), session: nil, visitor: context.visitor)
        } catch let error as LumoraError where error.status == .tooManyRequests {
            return try dashboard.page("dashboard/reset-request", ResetRequestPage(csrf: visit.csrfToken(dashboard.csrf), email: FieldView(email),
                                                                                 sent: false, notice: error.message), visit: visit, status: .tooManyRequests)
        }
        return try dashboard.page("dashboard/reset-request", ResetRequestPage(csrf: visit.csrfToken(dashboard.csrf), email: FieldView(email), sent: true, notice: nil),
                                  visit: visit)
    }

    @Sendable func resetForm(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        return try dashboard.page("dashboard/reset", ResetPage(csrf: visit.csrfToken(dashboard.csrf), token: try context.parameters.require("token"),
                                                              password: FieldView(), notice: nil), visit: visit)
    }

    @Sendable func reset(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        let form = try await dashboard.form(visit)
        let token = try context.parameters.require("token")
        do {
            let signedIn = try await dashboard.accounts.post(.path("password-resets", "complete"),
                                                             PasswordResetCompletion(token: token, password: form["password"] ?? ""),
                                                             session: nil, visitor: context.visitor, as: SignedInWire.self)
            return signIn(signedIn, then: "/", visit: visit)
        } catch let error as LumoraError where error.status == .unprocessable {
            let expired = error.code == "invalid_reset"
            return try dashboard.page("dashboard/reset", ResetPage(csrf: visit.csrfToken(dashboard.csrf), token: token,
                                                                  password: FieldView(error: expired ? nil : error.message), notice: expired ? error.message : nil),
                                      visit: visit, status: .unprocessableContent)
        }
    }

    @Sendable func invitation(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        let token = try context.parameters.require("token")
        let preview = try await dashboard.accounts.get(.path("invitations", token), session: nil, visitor: context.visitor, as: InvitationPreviewWire.self)
        return try dashboard.page("dashboard/invitation", invitationPage(preview, token: token, visit: visit, error: nil), visit: visit)
    }

    /// With the password of the existing account, or the new account's password.
    @Sendable func acceptInvitation(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        let form = try await dashboard.form(visit)
        let token = try context.parameters.require("token")
        do {
            let accepted = try await dashboard.accounts.post(.path("invitations", token, "accept"), AcceptInvitationRequest(password: form["password"] ?? ""),
                                                             session: nil, visitor: context.visitor, as: AcceptedInvitationWire.self)
            return signIn(accepted.signedIn, then: "/stores/\(accepted.store)", visit: visit)
        } catch let error as LumoraError where error.status == .unauthorized || error.status == .unprocessable {
            let preview = try await dashboard.accounts.get(.path("invitations", token), session: nil, visitor: context.visitor, as: InvitationPreviewWire.self)
            return try dashboard.page("dashboard/invitation", invitationPage(preview, token: token, visit: visit, error: error.message),
                                      visit: visit, status: .unprocessableContent)
        }
    }

    private func invitationPage(_ preview: InvitationPreviewWire, token: String, visit: Dashboard.Visit, error: String?) -> InvitationPage {
        InvitationPage(csrf: visit.csrfToken(dashboard.csrf), token: token, storeName: preview.store.name, email: preview.email,
                       role: preview.role.rawValue, accountExists: preview.accountExists, password: FieldView(error: error))
    }

    /// The session cookie for as long as the session lasts, then on to `next`.
    private func signIn(_ signedIn: SignedInWire, then next: String, visit: Dashboard.Visit) -> Response {
        var response = Dashboard.redirect(next)
        let seconds = Int(signedIn.expiresAt.timeIntervalSinceNow.rounded(.down))
        response.headers.append(DashboardCookie.set(signedIn.session, maxAge: seconds, secure: visit.context.isSecure))
        return response
    }
}
