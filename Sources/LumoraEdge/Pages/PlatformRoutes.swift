import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import LumoraCore
import LumoraHTTP
import NIOCore
import NIOHTTP1

/// The root domain: Lumora's own landing page with the signup form, and the storefront's
/// static assets (served on every host).
struct PlatformRoutes: Sendable {
    let pages: PageRenderer
    let csrf: CSRFTokens
    let configuration: EdgeConfiguration
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
        var response = try landingPage(context: context, session: session)
        session.stamp(&response, secure: context.isSecure)
        return response
    }

    /// The landing page's form: checked here (CSRF), passed to the manager's public signup
    /// with the visitor's address (its rate limit counts visitors, not the edge), answered
    /// with the new store's address and its admin token — or the form again, with the
    /// manager's reason and the visitor's input kept.
    @Sendable func signup(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let session = Session(request: request)
        let form = try await FormFields(request, limit: configuration.maximumBodySize)
        let entered = (slug: form["slug"] ?? "", name: form["name"] ?? "", email: form["owner_email"] ?? "")
        func again(_ notice: String, _ status: HTTPResponse.Status) throws -> Response {
            var response = try landingPage(context: context, session: session, notice: notice, entered: entered, status: status)
            session.stamp(&response, secure: context.isSecure)
            return response
        }
        guard let managerURL = configuration.managerURL else {
            return try again("Sign-up is closed right now. Please try again later.", .serviceUnavailable)
        }
        do {
            try csrf.verify(form["csrf"], host: context.host, session: session)
        } catch {
            return try again(error.message, .forbidden)
        }

        var outbound = HTTPClientRequest(url: managerURL + "/signup")
        outbound.method = .POST
        outbound.headers.add(name: "Content-Type", value: "application/json")
        if let address = context.visitor { outbound.headers.add(name: "x-forwarded-for", value: address) }
        outbound.body = .bytes(ByteBuffer(bytes: try JSONWire.encoder.encode(SignupForm(slug: entered.slug, name: entered.name, ownerEmail: entered.email))))
        let status: HTTPResponseStatus
        let body: ByteBuffer
        do {
            let answer = try await HTTPClient.shared.execute(outbound, timeout: .seconds(15))
            status = answer.status
            body = try await answer.body.collect(upTo: 1 << 20)
        } catch {
            return try again("We could not reach the store service. Please try again in a minute.", .badGateway)
        }
        guard status == .accepted, let created = try? JSONWire.decoder.decode(SignupAnswer.self, from: body) else {
            let message = (try? JSONWire.decoder.decode(ErrorBody.self, from: body))?.error.message
                ?? "The store could not be created. Please try again."
            let passedOn = (400..<500).contains(Int(status.code)) ? HTTPResponse.Status(code: Int(status.code)) : .badGateway
            return try again(message, passedOn)
        }
        var response = try pages.html("signup-done", SignupDonePage(name: created.store.name, url: created.store.url, adminToken: created.adminToken))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private func landingPage(context: EdgeRequestContext, session: Session, notice: String? = nil,
                             entered: (slug: String, name: String, email: String) = ("", "", ""),
                             status: HTTPResponse.Status = .ok) throws -> Response {
        try pages.html("landing", LandingPage(
            rootDomain: configuration.rootDomain, signupOpen: configuration.managerURL != nil, notice: notice,
            csrf: csrf.token(host: context.host, session: session), slug: entered.slug, name: entered.name, email: entered.email),
            status: status)
    }

    struct SignupForm: Encodable {
        let slug: String
        let name: String
        let ownerEmail: String
        enum CodingKeys: String, CodingKey { case slug, name, ownerEmail = "owner_email" }
    }

    struct SignupAnswer: Decodable {
        struct Store: Decodable {
            let name: String
            let url: String
        }
        let store: Store
        let adminToken: String
        enum CodingKeys: String, CodingKey { case store, adminToken = "admin_token" }
    }
}

struct SignupDonePage {
    let name: String
    let url: String
    let adminToken: String
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
