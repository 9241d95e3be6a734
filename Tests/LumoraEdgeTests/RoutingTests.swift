import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Hummingbird
import HTTPTypes
import LumoraCell
import LumoraCore
import LumoraDatabase
@testable import LumoraEdge
import PostgresNIO
import LumoraTestSupport
import LumoraHTTP
import Testing

@Suite struct RoutingTests {
    @Test func hostsResolveToStoresPlatformOrNothing() async throws {
        try await PlatformHarness.run { platform in
            let landing = try await platform.get(PlatformHarness.rootDomain, "/")
            #expect(landing.status == 200 && landing.body.contains("Open an online store"))
            let www = try await platform.get("www.lumora.test", "/pricing?x=1")
            #expect(www.status == 301 && www.headers.first(name: "location") == "http://lumora.test/pricing?x=1")

            let unknown = try await platform.get("initech.lumora.test", "/")
            #expect(unknown.status == 404 && unknown.body.contains("No store here"))
            // Under /api/ every error is the JSON body, on any host.
            for host in ["initech.lumora.test", PlatformHarness.rootDomain, "example.org"] {
                let api = try await platform.get(host, "/api/store/products")
                #expect(api.status == 404 && api.body.contains(#""code":"store_not_found""#), "\(host): \(api.body)")
                #expect(api.headers.first(name: "content-type")?.hasPrefix("application/json") == true)
            }
            #expect(try await platform.get("nested.acme.lumora.test", "/").status == 404)
            #expect(try await platform.get("example.org", "/").status == 404)

            // Host matching ignores case, port and a trailing dot.
            #expect(try await platform.get("ACME.Lumora.Test:8080", "/").status == 200)
            #expect(try await platform.get("acme.lumora.test.", "/").status == 200)

            // The internal path is not reachable from outside, on any host.
            #expect(try await platform.get(platform.host("acme"), "/_sites/acme/products").status == 404)
            #expect(try await platform.get(platform.host("acme"), "/_sites/globex").status == 404)
            #expect(try await platform.get(PlatformHarness.rootDomain, "/_platform").status == 404)

            // Nested paths and query strings survive the rewrite.
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil")
            #expect(try await platform.get(platform.host("acme"), "/products/anvil/").status == 200)
            let paged = try await platform.get(platform.host("acme"), "/products?page=1&collection=")
            #expect(paged.status == 200)
            #expect(try await platform.get(platform.host("acme"), "/products?page=99").body.contains("This page is past the last one"))
        }
    }

    /// The routing table follows every kind of change within a second, through LISTEN/NOTIFY.
    @Test func followsStoreAndDomainChanges() async throws {
        try await PlatformHarness.run { platform in
            let directory = { (client: PostgresClient) in StoreDirectory(client: client, migrations: try .store(), logger: platform.database.logger) }
            // Created.
            #expect(try await platform.get("initech.lumora.test", "/").status == 404)
            try await platform.database.withClient { client in
                _ = try await directory(client).create(try NewStore(slug: StoreSlug(validating: "initech"), name: "Initech"))
            }
            try await waitUntil() { try await platform.get("initech.lumora.test", "/").status == 200 }

            // Custom domain: not served until verified; www redirects to the primary domain.
            try await platform.sql("INSERT INTO lumora.domains (hostname, store_slug, kind, is_primary, status) VALUES ('shop.initech.example', 'initech', 'custom', true, 'pending')")
            #expect(try await platform.get("shop.initech.example", "/").status == 404)
            try await platform.sql("UPDATE lumora.domains SET status = 'verified' WHERE hostname = 'shop.initech.example'")
            try await waitUntil() { try await platform.get("shop.initech.example", "/").status == 200 }
            let www = try await platform.get("www.shop.initech.example", "/products?page=2")
            #expect(www.status == 301 && www.headers.first(name: "location") == "http://shop.initech.example/products?page=2")
            // The platform subdomain's pages point search engines at the primary domain.
            #expect(try await platform.get("initech.lumora.test", "/").body.contains(#"<link rel="canonical" href="http://shop.initech.example/">"#))

            // Suspended: 410 on every host.
            try await platform.database.withClient { client in _ = try await directory(client).suspend(StoreSlug(validating: "initech")) }
            try await waitUntil() { try await platform.get("shop.initech.example", "/").status == 410 }
            #expect(try await platform.get("initech.lumora.test", "/").body.contains("closed"))

            // Deleted: 404.
            try await platform.database.withClient { client in try await directory(client).delete(StoreSlug(validating: "initech")) }
            try await waitUntil() { try await platform.get("initech.lumora.test", "/").status == 404 }
            #expect(try await platform.get("shop.initech.example", "/").status == 404)
        }
    }

    /// A store moved to a dedicated cell is served from there as soon as the route changes.
    @Test func followsAStoreToItsDedicatedCell() async throws {
        try await PlatformHarness.run { platform in
            let before = try await platform.send(.GET, platform.host("acme"), "/api/store/settings")
            #expect(before.status == 200)
            #expect(before.headers.first(name: "x-lumora-cell-version") == LumoraVersion.current)

            let listening = ListeningPort()
            let dedicated = LumoraCell.buildApplication(
                configuration: CellConfiguration(mode: .dedicated(try StoreSlug(validating: "acme")), port: 0, database: platform.database.cellURL,
                                                 signingSecret: PlatformHarness.secret, version: "dedicated-build"),
                logger: platform.database.logger, onListening: { listening.report($0) })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await dedicated.run() }
                let port = try await listening.value
                try await waitUntilReady("http://127.0.0.1:\(port)/ready", http: platform.http)
                try await platform.sql("INSERT INTO lumora.cells (id, kind, endpoint, version, status) VALUES ('store-acme', 'dedicated', \("http://127.0.0.1:\(port)"), 'dedicated-build', 'ready')")
                try await platform.sql("UPDATE lumora.stores SET cell_id = 'store-acme' WHERE slug = 'acme'")
                try await waitUntil() {
                    try await platform.send(.GET, platform.host("acme"), "/api/store/settings").headers.first(name: "x-lumora-cell-version") == "dedicated-build"
                }
                // Other stores stay on the shared cell.
                #expect(try await platform.send(.GET, platform.host("globex"), "/api/store/settings").headers.first(name: "x-lumora-cell-version") == LumoraVersion.current)
                group.cancelAll()
            }
        }
    }

    @Test func forwardedHeadersCountOnlyFromTrustedProxies() async throws {
        try await PlatformHarness.run(configure: { $0.trustedProxies = [IPRange("127.0.0.1")!] }) { platform in
            let viaProxy = try await platform.get("edge.internal", "/", headers: [("x-forwarded-host", "acme.lumora.test"), ("x-forwarded-proto", "https")])
            #expect(viaProxy.status == 200)
            #expect(viaProxy.body.contains(#"href="https://acme.lumora.test/""#))
            #expect(viaProxy.headers["set-cookie"].joined().contains("Secure"))
        }
        try await PlatformHarness.run { platform in
            // Not a trusted proxy: the Host header rules.
            let direct = try await platform.get("edge.internal", "/", headers: [("x-forwarded-host", "acme.lumora.test")])
            #expect(direct.status == 404)
        }
    }

    @Test func securityHeaders() async throws {
        try await PlatformHarness.run { platform in
            for reply in [try await platform.get(platform.host("acme"), "/"), try await platform.get("nope.lumora.test", "/")] {
                #expect(reply.headers.first(name: "content-security-policy")?.contains("default-src 'none'") == true)
                #expect(reply.headers.first(name: "x-content-type-options") == "nosniff")
                #expect(reply.headers.first(name: "x-lumora-version") == LumoraVersion.current)
            }
        }
    }

    @Test func theAPIsAreForwardedWithTheStoreAttached() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil")
            let products = try await platform.send(.GET, platform.host("acme"), "/api/store/products?limit=5")
            #expect(products.status == 200 && products.body.contains(#""handle":"anvil""#))
            #expect(!(try await platform.send(.GET, platform.host("globex"), "/api/store/products").body.contains("anvil")))
            let unauthorized = try await platform.send(.GET, platform.host("acme"), "/api/admin/orders")
            #expect(unauthorized.status == 401 && unauthorized.body.contains(#""code":"missing_token""#))
            // Globex's token on Acme's host is refused.
            let crossed = try await platform.send(.GET, platform.host("acme"), "/api/admin/orders",
                                                  headers: [("authorization", "Bearer \(platform.tokens["globex"] ?? "")")])
            #expect(crossed.status == 401)
            let missing = try await platform.send(.GET, platform.host("acme"), "/api/store/nothing")
            #expect(missing.status == 404 && missing.body.contains(#""error""#))
            // Empty segments are dropped (as the router's catch-all does); the query stays.
            let untidy = try await platform.send(.GET, platform.host("acme"), "/api/store//products/?limit=5")
            #expect(untidy.status == 200 && untidy.body.contains(#""handle":"anvil""#))
            #expect(try await platform.send(.GET, platform.host("acme"), "/api/store/").status == 404)
        }
    }

    /// The API proxy's shortcut past the router reads the path as the router's catch-all does.
    @Test func apiPathsTakeTheDirectRoute() {
        func route(_ method: HTTPRequest.Method, _ path: String) -> String? {
            let request = Request(head: HTTPRequest(method: method, scheme: "http", authority: "acme.lumora.test", path: path),
                                  body: RequestBody(buffer: ByteBuffer()))
            return APIProxyRoutes.directRoute(request).map { "\($0.area) \($0.rest)" }
        }
        #expect(route(.get, "/api/store/products") == "store products")
        #expect(route(.get, "/api/store/products/anvil?x=1") == "store products/anvil")
        #expect(route(.post, "/api/admin/products") == "admin products")
        #expect(route(.delete, "/api/admin//products//x/") == "admin products/x")
        #expect(route(.get, "/api/store/") == nil)
        #expect(route(.get, "/api/store//") == nil)
        #expect(route(.get, "/api/store") == nil)
        #expect(route(.get, "/api/other/x") == nil)
        #expect(route(.patch, "/api/store/products") == nil)
        #expect(route(.get, "/products") == nil)
    }

    /// A cell nobody answers at (port 1: nothing listens there): a 502 with the JSON error body
    /// under /api/, a page that says the store is busy elsewhere.
    @Test func anUnreachableCellIsABadGateway() async throws {
        let dead = "http://127.0.0.1:1"
        try await PlatformHarness.run(configure: { $0.sharedCellURL = dead }) { platform in
            let api = try await platform.send(.GET, platform.host("acme"), "/api/store/products?limit=5")
            #expect(api.status == 502)
            #expect(api.body.contains(#""code":"cell_unreachable""#) && api.body.contains(#""message""#))
            #expect(api.headers.first(name: "content-type")?.hasPrefix("application/json") == true)
            let page = try await platform.get(platform.host("acme"), "/products/anvil")
            #expect(page.status == 502 && page.body.contains("The store is busy"))
            #expect(page.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
        }
    }
}

func waitUntilReady(_ url: String, http: HTTPClient) async throws {
    try await waitUntil() {
        (try? await http.execute(HTTPClientRequest(url: url), timeout: .seconds(1)).status) == .ok
    }
}

/// Which refusals mean "the route moved" (read it again and send once more) and which do not.
@Suite struct MisdirectedReplyTests {
    static func reply(_ status: HTTPResponseStatus, _ body: String) -> CellClient.Reply {
        CellClient.Reply(status: status, headers: [:], body: ByteBuffer(string: body))
    }

    @Test func wrongCellAndWrongStoreAreMisdirections() {
        #expect(CellClient.isMisdirected(Self.reply(.forbidden, #"{"error":{"code":"wrong_cell","message":"served by its own cell"}}"#)))
        #expect(CellClient.isMisdirected(Self.reply(.forbidden, #"{"error":{"code":"wrong_store","message":"this cell serves only the store 'x'"}}"#)))
    }

    @Test func otherRefusalsAreNot() {
        #expect(!CellClient.isMisdirected(Self.reply(.forbidden, #"{"error":{"code":"store_suspended","message":"suspended"}}"#)))
        #expect(!CellClient.isMisdirected(Self.reply(.notFound, #"{"error":{"code":"wrong_cell","message":""}}"#)))
    }
}
