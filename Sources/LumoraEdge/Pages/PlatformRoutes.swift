import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import NIOCore

/// The root domain: Lumora's own landing page with the signup form, and the storefront's
/// static assets (served on every host).
struct PlatformRoutes: Sendable {
    let pages: PageRenderer
    let csrf: CSRFTokens
    let configuration: EdgeConfiguration
    let assets: StaticAssets

    func add(to router: Router<EdgeRequestContext>) {
        router.get("_platform", use: landing)
        router.get("lumora-assets/:file") { request, context in
            try assets.response(for: try context.parameters.require("file"))
        }
    }

    @Sendable func landing(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let session = Session(request: request)
        var response = try pages.html("landing", LandingPage(
            rootDomain: configuration.rootDomain, signupOpen: configuration.managerURL != nil, notice: nil,
            csrf: csrf.token(host: context.host, session: session), slug: "", name: "", email: ""))
        session.stamp(&response, secure: context.isSecure)
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
