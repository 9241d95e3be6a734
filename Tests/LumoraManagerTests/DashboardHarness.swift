import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import LumoraCell
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import LumoraEdge
import LumoraHTTP
import LumoraManager
import LumoraMedia
import LumoraTestSupport
import NIOCore
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import Testing

/// The whole platform a merchant meets, on real sockets over a fresh database: the manager
/// (accounts, signup), a shared cell and the edge, which serves the dashboard at
/// `app.lumora.test`, the landing page and the storefronts. A client that remembers cookies per
/// host, like a browser, drives it.
struct DashboardHarness: Sendable {
    static let secret = "dashboard-test-secret"
    static let rootDomain = "lumora.test"
    static let app = "app.lumora.test"

    let database: TestDatabase
    let edgePort: Int
    let managerURL: String
    let mailer: RecordingMailer
    let clock: ManualClock
    let http: HTTPClient
    /// This run's media folder, for the cell, the edge and the manager.
    let media: LocalDiskMediaStore

    /// `payments`: what the cell offers its stores (manual only, as a platform without a
    /// payments driver; the browser test offers test cards too).
    static func run(mailFolder: URL? = nil, mailForward: (any Mailer)? = nil, payments: CellConfiguration.Payments = CellConfiguration.Payments(),
                    _ body: @Sendable (DashboardHarness) async throws -> Void) async throws {
        try await TestDatabase.withFresh { database in
            let mailer = RecordingMailer(folder: mailFolder, forward: mailForward), clock = ManualClock()
            let media = LocalDiskMediaStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("lumora-dashboard-media-\(UUID().uuidString.prefix(8))"))
            defer { try? FileManager.default.removeItem(at: media.root) }
            let cellPort = ListeningPort(), managerPort = ListeningPort(), edgePort = ListeningPort()
            var cellConfiguration = CellConfiguration(mode: .shared, port: 0, database: database.cellURL, signingSecret: secret,
                                                      limits: .unlimited, databaseConnections: 6)
            cellConfiguration.imageChecker = ListedImageURLChecker(loading: [])
            cellConfiguration.mediaStore = media
            cellConfiguration.payments = payments
            let cell = LumoraCell.buildApplication(configuration: cellConfiguration, logger: database.logger, onListening: { cellPort.report($0) })
            let manager = try buildManager(
                configuration: ManagerConfiguration(
                    port: 0, database: database.url, operatorToken: ManagerHarness.operatorToken, rootDomain: rootDomain,
                    cellVersion: CellVersion(name: LumoraVersion.current, binary: try LumoraBinary.url().path), runsSharedCell: false,
                    workers: 2, warmPoolSize: 2, signupsPerMinute: 1000, trustedProxies: [IPRange("127.0.0.1")!],
                    cellMetricsToken: MetricsToken.derived(fromSigningSecret: secret), clock: clock,
                    accountsToken: AccountsToken.derived(fromSigningSecret: secret), passwordLogRounds: 4, mailer: mailer, mediaStore: media),
                runtime: { client in
                    LocalCellRuntime(configuration: .init(database: database.cellURL, signingSecret: secret), client: client, logger: database.logger)
                },
                domains: LocalDomainProvider(edgeHost: "edge.\(rootDomain)"), logger: database.logger,
                onListening: { managerPort.report($0) })
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            // The cell and the manager in a service group of their own, the edge in another (it
            // is built once the cell's port is known), both stopped gracefully: cancelling a
            // server races with connections it has accepted but not yet handed over (a browser
            // opens some ahead of need), and NIO traps on those.
            let backends = ServiceGroup(configuration: .init(services: [cell, manager.application], gracefulShutdownSignals: [], logger: database.logger))
            let backendsTask = Task { try await backends.run() }
            var front: ServiceGroup?
            var frontTask: Task<Void, any Error>?
            do {
                let cellURL = "http://127.0.0.1:\(try await cellPort.value)"
                let managerURL = "http://127.0.0.1:\(try await managerPort.value)"
                var edgeConfiguration = EdgeConfiguration(port: 0, rootDomain: rootDomain, database: database.edgeURL, signingSecret: secret,
                                                          sharedCellURL: cellURL, managerURL: managerURL)
                edgeConfiguration.accountsToken = AccountsToken.derived(fromSigningSecret: secret)
                edgeConfiguration.mediaStore = media
                let edge = try await LumoraEdge.buildApplication(configuration: edgeConfiguration, logger: database.logger,
                                                                 onListening: { edgePort.report($0) })
                let edgeGroup = ServiceGroup(configuration: .init(services: [edge], gracefulShutdownSignals: [], logger: database.logger))
                front = edgeGroup
                frontTask = Task { try await edgeGroup.run() }
                let harness = DashboardHarness(database: database, edgePort: try await edgePort.value, managerURL: managerURL,
                                               mailer: mailer, clock: clock, http: http, media: media)
                // One at a time, so a hang says which part never came up.
                try await waitUntil { (try? await http.execute(HTTPClientRequest(url: managerURL + "/health"), timeout: .seconds(1)).status) == .ok }
                try await waitUntil { (try? await http.execute(HTTPClientRequest(url: cellURL + "/ready"), timeout: .seconds(1)).status) == .ok }
                try await waitUntil { (try? await harness.browser().get(rootDomain, "/").status) == 200 }
                // A signup takes a schema from the warm pool, as on a running platform; with the
                // pool still empty it would build one itself, which a loaded CI machine took
                // longer than the edge waits.
                try await waitUntil(timeout: .seconds(180)) { try await harness.count("SELECT count(*)::int FROM lumora.store_schemas WHERE store_slug IS NULL") >= 2 }
                try await body(harness)
            } catch {
                await stop(front, frontTask, backends, backendsTask)
                try? await http.shutdown()
                throw error
            }
            await stop(front, frontTask, backends, backendsTask)
            try await http.shutdown()
        }
    }

    /// The edge first (it calls the others), then the cell and the manager.
    private static func stop(_ front: ServiceGroup?, _ frontTask: Task<Void, any Error>?, _ backends: ServiceGroup,
                             _ backendsTask: Task<Void, any Error>) async {
        if let front { await front.triggerGracefulShutdown() }
        _ = try? await frontTask?.value
        await backends.triggerGracefulShutdown()
        _ = try? await backendsTask.value
    }

    func browser() -> Browser { Browser(harness: self) }

    /// A store made the way a merchant makes one (the landing page's form), signed in on the
    /// dashboard; returns the browser, on the store's overview.
    func signUp(_ slug: String, email: String, password: String = "correct horse") async throws -> Browser {
        let browser = browser()
        let landing = try await browser.get(Self.rootDomain, "/")
        let done = try await browser.post(Self.rootDomain, "/signup", form: [
            "csrf": try #require(landing.csrf), "slug": slug, "name": slug.capitalized + " Store", "owner_email": email, "password": password,
        ])
        try #require(done.status == 303, "\(done.status) \(done.body)")
        let location = try #require(done.location)
        try #require(location.hasPrefix("http://\(Self.app)/welcome?code="), "\(location)")
        let welcome = try await browser.follow(location)
        try #require(welcome.status == 303)
        #expect(welcome.location == "/stores/\(slug)")
        try await waitUntil { try await self.count("SELECT count(*)::int FROM lumora.stores WHERE slug = \(slug) AND status = 'active'") == 1 }
        return browser
    }

    func count(_ query: PostgresQuery) async throws -> Int {
        try await database.withClient { client in try await client.scalar(query, as: Int.self) ?? -1 }
    }

    func sql(_ query: PostgresQuery) async throws {
        try await database.withClient { client in try await client.query(query).drain() }
    }
}

/// A browser: cookies kept per host, forms posted url-encoded, redirects not followed (tests
/// look at them).
final class Browser: @unchecked Sendable {
    let harness: DashboardHarness
    private let lock = NSLock()
    private var jar: [String: [String: String]] = [:]

    init(harness: DashboardHarness) { self.harness = harness }

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: String

        var location: String? { headers.first(name: "location") }
        var csrf: String? { field("csrf") }

        /// The value of the first `name="…" value="…"` in the page.
        func field(_ name: String) -> String? {
            guard let range = body.range(of: "name=\"\(name)\" value=\"") else { return nil }
            return String(body[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    func cookies(_ host: String) -> [String: String] { lock.withLock { jar[host] ?? [:] } }

    func setCookie(_ host: String, _ name: String, _ value: String?) {
        lock.withLock { jar[host, default: [:]][name] = value }
    }

    func get(_ host: String, _ path: String) async throws -> Reply {
        try await send(.GET, host, path)
    }

    func post(_ host: String, _ path: String, form: [String: String]) async throws -> Reply {
        let body = form.map { "\($0.key)=\(Self.encode($0.value))" }.joined(separator: "&")
        return try await send(.POST, host, path, headers: [("content-type", "application/x-www-form-urlencoded")], body: body)
    }

    /// A form on the page at `path`: its CSRF token read from the page first.
    func submit(_ path: String, on page: String? = nil, host: String = DashboardHarness.app, form: [String: String]) async throws -> Reply {
        let shown = try await get(host, page ?? path)
        guard let csrf = shown.csrf else { throw FormMissing(page: page ?? path, status: shown.status, body: shown.body) }
        var form = form
        form["csrf"] = csrf
        return try await post(host, path, form: form)
    }

    struct FormMissing: Error, CustomStringConvertible {
        let page: String
        let status: Int
        let body: String
        var description: String { "no form on \(page) (\(status)): \(body.prefix(600))" }
    }

    /// GETs `path` on `host` until `condition` holds for the page, which it returns: for what
    /// another process learns by notification. A page that never gets there is reported as it
    /// last was, so a failure says what the visitor kept seeing.
    @discardableResult
    func waitForPage(_ host: String, _ path: String, until condition: @escaping (Reply) -> Bool) async throws -> Reply {
        var last: Reply?
        do {
            try await waitUntil {
                last = try await get(host, path)
                return last.map(condition) ?? false
            }
        } catch let timeout as WaitTimeout {
            Issue.record("\(host)\(path) kept answering \(last?.status ?? 0): \(last?.body.prefix(3000) ?? "")")
            throw timeout
        }
        return last!
    }

    /// `http://host/path` or a path on the dashboard.
    func follow(_ location: String) async throws -> Reply {
        if location.hasPrefix("http://") {
            let rest = location.dropFirst(7)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            return try await get(String(rest[..<slash]), String(rest[slash...]))
        }
        return try await get(DashboardHarness.app, location)
    }

    /// A file-upload form on the page at `page`: its CSRF token read from the page first, the
    /// fields and the file sent as `multipart/form-data`, as a browser sends them.
    func upload(_ path: String, on page: String, fields: [String: String] = [:], file: ByteBuffer, filename: String,
                contentType: String) async throws -> Reply {
        let shown = try await get(DashboardHarness.app, page)
        guard let csrf = shown.csrf else { throw FormMissing(page: page, status: shown.status, body: shown.body) }
        let boundary = "----LumoraBrowser\(UInt32.random(in: 0...UInt32.max))"
        var body = ByteBuffer()
        for (name, value) in fields.merging(["csrf": csrf], uniquingKeysWith: { $1 }) {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n")
        var file = file
        body.writeBuffer(&file)
        body.writeString("\r\n--\(boundary)--\r\n")
        return try await send(.POST, DashboardHarness.app, path, headers: [("content-type", "multipart/form-data; boundary=\(boundary)")], bytes: body)
    }

    func send(_ method: HTTPMethod, _ host: String, _ path: String, headers: [(String, String)] = [], body: String? = nil) async throws -> Reply {
        try await send(method, host, path, headers: headers, bytes: body.map { ByteBuffer(string: $0) })
    }

    func send(_ method: HTTPMethod, _ host: String, _ path: String, headers: [(String, String)] = [], bytes: ByteBuffer?) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.edgePort)\(path)")
        request.method = method
        request.headers.replaceOrAdd(name: "Host", value: host)
        let cookies = cookies(host)
        if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let bytes { request.body = .bytes(bytes) }
        let response = try await harness.http.execute(request, timeout: patientRequestDeadline)
        let collected = try await response.body.collect(upTo: 4 << 20)
        for header in response.headers["set-cookie"] {
            let attributes = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let pair = attributes[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let expired = attributes.contains { $0.lowercased() == "max-age=0" }
            setCookie(host, String(pair[0]), expired ? nil : String(pair[1]))
        }
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: collected))
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
