import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import LumoraCore
import LumoraHTTP
import LumoraWire
import NIOCore
import NIOHTTP1

/// The root domain: Lumora's own landing page with the signup form, and the storefront's
/// static assets (served on every host).
struct PlatformRoutes: Sendable {
    let pages: PageRenderer
    let csrf: CSRFTokens
    let configuration: EdgeConfiguration
    /// The manager's account API; nil when the edge was given no manager (sign-up closed).
    let accounts: AccountsClient?
    let assets: StaticAssets
    let logger: Logger

    func add(to router: Router<EdgeRequestContext>) {
        let platform = router.group("_platform").add(middleware: ErrorPageMiddleware(pages: pages, logger: logger))
        platform.get(use: landing)
        platform.post("signup", use: signup)
        router.get("lumora-assets/:file") { request, context in
            try assets.response(for: try context.parameters.require("file"))
        }
    }

    @Sendable func landing(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let session = Session(request: request)
        var response = try landingPage(context: context, session: session, dashboard: dashboardOrigin(request, context))
        session.stamp(&response, secure: context.isSecure)
        return response
    }

    /// The landing page's form: checked here (CSRF), passed to the manager's account API with
    /// the visitor's address (its rate limit counts visitors, not the edge). The store and its
    /// owner's account are made together; the merchant goes on to the dashboard's host with a
    /// one-time code that signs them in there (this host cannot set that host's cookie). A
    /// refusal shows the form again with the manager's reason and the visitor's input kept.
    @Sendable func signup(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let session = Session(request: request)
        let form = try await FormFields(request, limit: configuration.maximumBodySize)
        let entered = (slug: form["slug"] ?? "", name: form["name"] ?? "", email: form["owner_email"] ?? "")
        func again(_ notice: String, _ status: HTTPResponse.Status) throws -> Response {
            var response = try landingPage(context: context, session: session, dashboard: dashboardOrigin(request, context),
                                           notice: notice, entered: entered, status: status)
            session.stamp(&response, secure: context.isSecure)
            return response
        }
        guard let accounts else {
            return try again("Sign-up is closed right now. Please try again later.", .serviceUnavailable)
        }
        do {
            try csrf.verify(form["csrf"], host: context.host, session: session)
        } catch {
            return try again(error.message, .forbidden)
        }
        let created: AccountSignupWire
        do {
            created = try await accounts.post(.path("signup"), AccountSignupRequest(slug: entered.slug, name: entered.name, email: entered.email,
                                                                                    password: form["password"] ?? ""),
                                              session: nil, visitor: context.visitor, patience: .seconds(30), as: AccountSignupWire.self)
        } catch let error as LumoraError {
            let passedOn = (400..<500).contains(error.httpStatusCode) ? HTTPResponse.Status(code: error.httpStatusCode) : .badGateway
            return try again(error.message, passedOn)
        }
        let welcome = RequestTarget.path("welcome").query("code", created.signInCode).query("next", "/stores/\(created.store.slug)")
        return Response(status: .seeOther, headers: [.location: dashboardOrigin(request, context) + welcome.text, .cacheControl: "no-store"])
    }

    /// `app.<root>` with the scheme and port the visitor used for the root domain.
    private func dashboardOrigin(_ request: Request, _ context: EdgeRequestContext) -> String {
        "\(context.scheme)://app.\(configuration.rootDomain)\(context.visitorPort(request))"
    }

    /// The landing page; its signup form's answer goes on to the `dashboard` origin, which its
    /// policy allows.
    private func landingPage(context: EdgeRequestContext, session: Session, dashboard: String, notice: String? = nil,
                             entered: (slug: String, name: String, email: String) = ("", "", ""),
                             status: HTTPResponse.Status = .ok) throws -> Response {
        var response = try pages.html("landing", LandingPage(
            rootDomain: configuration.rootDomain, dashboardURL: dashboard + "/login", signupOpen: accounts != nil, notice: notice,
            csrf: csrf.token(host: context.host, session: session), slug: entered.slug, name: entered.name, email: entered.email),
            status: status)
        response.headers[.contentSecurityPolicy] = EdgeHeaders.contentSecurityPolicy(formAction: "'self' \(dashboard)")
        return response
    }

}

/// The stylesheet and placeholder image, read once from the bundle.
struct StaticAssets: Sendable {
    private let files: [String: (contentType: String, body: ByteBuffer)]

    static func load() throws -> StaticAssets {
        guard let folder = Bundle.module.url(forResource: "Static", withExtension: nil) else {
            throw LumoraError.internalError("the storefront's static files are missing from the LumoraEdge bundle")
        }
        var files: [String: (String, ByteBuffer)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".svg") ? "image/svg+xml" : "application/octet-stream"
            files[name] = (type, ByteBuffer(bytes: data))
        }
        return StaticAssets(files: files)
    }

    func response(for name: String) throws -> Response {
        guard let file = files[name] else { throw LumoraError.notFound("not_found", "no such file") }
        return Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "public, max-age=3600"],
                        body: .init(byteBuffer: file.body))
    }
}
