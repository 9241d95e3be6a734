import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraHTTP
import NIOCore
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle

/// Builds the edge: the routing table (hosts → stores → cells) and page cache kept fresh by one
/// LISTEN connection, an HTTP client to the cells, the storefront, the API proxy and the
/// landing page, behind the host-resolving, path-rewriting responder. Tests build the same
/// application. `onListening` is told the port the server is bound to (port 0: any free one).
public func buildApplication(configuration: EdgeConfiguration, logger: Logger,
                             onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws -> some ApplicationProtocol {
    var databaseURL = configuration.database
    databaseURL.applicationName = "lumora-edge"
    let client = PostgresClient(configuration: databaseURL.clientConfiguration(maximumConnections: 2), backgroundLogger: logger)
    let table = StoreRoutingTable(client: client, includesAdminTokens: false, logger: logger)
    let cache = StoreResponseCache(lifetime: configuration.pageCacheLifetime)
    let feed = ChangeFeed(url: configuration.database, subscribers: [table, cache], logger: logger)
    var httpConfiguration = HTTPClient.Configuration(
        redirectConfiguration: .disallow,
        timeout: .init(connect: .seconds(2), read: .seconds(30)),
        connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 128),
        decompression: .disabled)
    // Every storefront request makes a cell request: no per-request tracing spans.
    httpConfiguration.tracing.tracer = nil
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    let pages = try await PageRenderer.load(version: configuration.version)
    let csrf = CSRFTokens(secret: configuration.signingSecret)
    let forwarder = CellForwarder()
    let cells = CellClient(http: http, forwarder: forwarder, signer: StoreRequestSigner(secret: configuration.signingSecret), table: table,
                           sharedCellURL: configuration.sharedCellURL, logger: logger)

    let mediaCache = MediaCache(budget: configuration.mediaCacheBytes)
    let mediaFiles = MediaFiles(store: configuration.mediaStore, cache: mediaCache)
    // HEAD of every page (link checkers, crawlers): the GET route, answered without its body.
    let router = Router(context: EdgeRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.get("_platform/health") { _, _ in "ok" }
    // The dashboard and the landing page's signup talk to the manager's account API.
    let accounts = configuration.managerURL.flatMap { url in
        configuration.accountsToken.map { AccountsClient(managerURL: url, token: $0, http: http) }
    }
    PlatformRoutes(pages: pages, csrf: csrf, configuration: configuration, accounts: accounts, assets: try StaticAssets.load(), logger: logger)
        .add(to: router)
    StorefrontRoutes(cells: cells, pages: pages, cache: cache, csrf: csrf, maximumBodySize: configuration.maximumBodySize, logger: logger).add(to: router)
    if let accounts {
        let dashboard = Dashboard(pages: pages, csrf: csrf, accounts: accounts, cells: cells, table: table, maximumBodySize: configuration.maximumBodySize,
                                  uploadLimits: configuration.bodyLimits, media: mediaFiles)
        let app = router.group("_app").add(middleware: PrivatePagesMiddleware()).add(middleware: ErrorPageMiddleware(pages: pages, logger: logger))
        AccountPages(dashboard: dashboard).add(to: app)
        TeamPages(dashboard: dashboard).add(to: app)
        StorePages(dashboard: dashboard).add(to: app)
    } else {
        router.get("_app/**") { _, _ -> Response in
            throw LumoraError(.unavailable, code: "dashboard_closed", message: "The dashboard opens when the edge is given the manager's address.")
        }
    }
    let api = APIProxyRoutes(cells: cells, bodyLimits: configuration.bodyLimits)
    api.add(to: router)
    PaymentWebhookRoutes(cells: cells, table: table, maximumBodySize: configuration.maximumBodySize, logger: logger).add(to: router)

    let responder = EdgeResponder(
        site: SiteResponder(inner: router.buildResponder(), configuration: configuration, table: table, pages: pages, api: api,
                            media: mediaFiles),
        pages: pages, version: configuration.version, logger: logger)
    let fastPath = FastPath(configuration: configuration, table: table, cells: cells, forwarder: forwarder, pageCache: cache, csrf: csrf,
                            media: mediaCache)
    let connections = ConnectionCounter(maximumPerAddress: configuration.maximumConnectionsPerAddress)
    var app = Application(
        responder: responder,
        server: HTTPServerBuilder { responder in EdgeHTTPChannel(responder: responder, fastPath: fastPath, connections: connections) },
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: EdgeHeaders.serverName),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    app.addServices(client, feed, HTTPClientService(client: http, forwarder: forwarder))
    app.beforeServerStarts {
        _ = try? await withTimeout(.seconds(10)) { await feed.waitUntilListening() }
    }
    return app
}

/// The outermost responder: maps every error once (an HTML page for people, the JSON error body
/// under `/api/`), and puts the security and version headers on every response.
struct EdgeResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == EdgeRequestContext {
    let site: Inner
    let pages: PageRenderer
    let version: String
    let logger: Logger

    static var contentSecurityPolicy: String { EdgeHeaders.contentSecurityPolicy }

    func respond(to request: Request, context: EdgeRequestContext) async throws -> Response {
        var response: Response
        do {
            response = try await site.respond(to: request, context: context)
        } catch {
            response = try ErrorPages.response(for: error, asJSON: request.uri.path.hasPrefix("/api/"), request: request, context: context,
                                               pages: pages, logger: logger)
        }
        EdgeHeaders.stamp(&response.headers, version: version)
        // A HEAD is answered with the headers alone, whoever answered it (error pages too).
        return request.method == .head ? response.createHeadResponse() : response
    }
}

/// Errors as people and programs see them: the JSON error body under `/api/`, a page that says
/// what went wrong everywhere else. Used where errors leave the router (`ErrorPageMiddleware`,
/// which sees them before Hummingbird would turn them into JSON) and around it all.
enum ErrorPages {
    static func response(for error: any Error, asJSON: Bool, request: Request, context: EdgeRequestContext,
                         pages: PageRenderer, logger: Logger) throws -> Response {
        let lumora: LumoraError
        switch error {
        case let error as LumoraError: lumora = error
        case let error as HTTPError:
            lumora = LumoraError(LumoraError.Status(rawValue: Int(error.status.code)) ?? .internalError,
                                 code: error.status == .notFound ? "not_found" : "http_error", message: error.body ?? error.status.reasonPhrase)
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            lumora = LumoraError.internalError("something went wrong")
        }
        if asJSON {
            return try lumora.response(from: request, context: context)
        }
        let status = HTTPResponse.Status(code: lumora.httpStatusCode)
        let title: String
        switch lumora.httpStatusCode {
        case 404: title = "Page not found"
        case 403: title = "Not allowed"
        case 400, 422: title = "Please check what you sent"
        case 413: title = "That is too much"
        case 429: title = "Too many requests"
        case 502, 503, 504: title = "The store is busy"
        case 500: title = "Something went wrong"
        default: title = "That did not work"
        }
        var response = try pages.errorPage(status, title: title, message: lumora.message, context: context)
        for field in lumora.responseHeaders where field.name == .retryAfter { response.headers.append(field) }
        return response
    }
}

/// Storefront and landing-page routes answer errors with a page, not the JSON body the router
/// would make of them (the API proxy's routes are not behind it).
struct ErrorPageMiddleware: RouterMiddleware {
    typealias Context = EdgeRequestContext
    let pages: PageRenderer
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try ErrorPages.response(for: error, asJSON: false, request: request, context: context, pages: pages, logger: logger)
        }
    }
}

/// Every answer of the dashboard — its error pages and redirects included — is private: no
/// cache on the way may keep it.
struct PrivatePagesMiddleware: RouterMiddleware {
    typealias Context = EdgeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

/// The headers every response gets, made once (a generic type cannot hold static lets).
enum EdgeHeaders {
    static let contentSecurityPolicy = contentSecurityPolicy(formAction: "'self'")

    /// The policy with `form-action` set (a form whose answer redirects to another origin needs
    /// that origin here: browsers check redirects of a form's submission too).
    static func contentSecurityPolicy(formAction: String) -> String {
        "default-src 'none'; img-src 'self' https: data:; style-src 'self'; form-action \(formAction); base-uri 'none'; frame-ancestors 'none'"
    }
    static let versionName = HTTPField.Name("x-lumora-version")!
    static let noSniff = HTTPField(name: HTTPField.Name("X-Content-Type-Options")!, value: "nosniff")
    static let referrerPolicy = HTTPField(name: HTTPField.Name("Referrer-Policy")!, value: "strict-origin-when-cross-origin")
    static let securityPolicy = HTTPField(name: .contentSecurityPolicy, value: contentSecurityPolicy)
    static let frameOptions = HTTPField(name: HTTPField.Name("X-Frame-Options")!, value: "DENY")
    static let forwardedHost = HTTPField.Name("x-forwarded-host")!
    static let forwardedProto = HTTPField.Name("x-forwarded-proto")!
    static let serverName = "lumora-edge"

    /// Adds what every response of the edge carries: its version, nosniff and the referrer
    /// policy, and on HTML the CSP and frame options.
    static func stamp(_ fields: inout HTTPFields, version: String) {
        // Appended, not assigned: no route sets these, and assigning scans the fields first.
        // An HTML page that set its own policy (the landing page's form goes on to the
        // dashboard) keeps it; only HTML is looked at (JSON answers carry no policy).
        let isHTML = fields[.contentType]?.utf8.starts(with: "text/html".utf8) == true
        let ownPolicy = isHTML && fields[.contentSecurityPolicy] != nil
        stamp(version: version, isHTML: isHTML) { field in
            if !(ownPolicy && field.name == .contentSecurityPolicy) { fields.append(field) }
        }
    }

    /// `stamp` for NIO's headers (the fast path's answers).
    static func stamp(_ headers: inout HTTPHeaders, version: String) {
        stamp(version: version, isHTML: headers.first(name: "content-type")?.utf8.starts(with: "text/html".utf8) == true) {
            headers.add(name: $0.name.canonicalName, value: $0.value)
        }
    }

    private static func stamp(version: String, isHTML: Bool, add: (HTTPField) -> Void) {
        add(HTTPField(name: versionName, value: version))
        add(noSniff)
        add(referrerPolicy)
        if isHTML {
            add(securityPolicy)
            add(frameOptions)
        }
    }
}

/// Shuts the HTTP client and the cell forwarder's pools down with the application.
struct HTTPClientService: Service {
    let client: HTTPClient
    let forwarder: CellForwarder

    func run() async throws {
        try? await gracefulShutdown()
        await forwarder.shutdown()
        try await client.shutdown()
    }
}
