import AsyncHTTPClient
import Foundation
import LumoraCell
import LumoraCore
import LumoraHTTP
import LumoraTestSupport
import NIOCore
import NIOHTTP1
import Testing
@testable import LumoraEdge

/// The attacks of the isolation review, tried as an attacker would — through the edge, on a
/// store's host, with raw sockets where a client library would refuse to send the bytes.
@Suite struct IsolationAttackTests {
    /// globex has an order from a customer; acme's visitor tries to split the edge's request to
    /// the shared cell through the cart form's `line_id` and read it.
    @Test func aCartFormCannotSplitTheRequestToTheCell() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("globex", handle: "gizmo", title: "Gizmo")
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil")
            try await Self.buy(platform, store: "globex", handle: "gizmo", email: "secret-customer@globex.test")

            let acme = platform.host("acme")
            let page = try await platform.get(acme, "/products/anvil")
            var cookies = page.setCookies
            let csrf = try #require(page.csrf)
            let added = try await platform.post(acme, "/cart/add", form: ["csrf": csrf, "variant_id": try #require(page.field("variant_id")), "quantity": "1"],
                                                cookies: cookies)
            cookies.merge(added.setCookies) { $1 }
            let smuggled = "GET /admin/orders HTTP/1.1\r\nhost: x\r\nx-store-id: globex\r\n\r\n"
            for lineID in [
                "item_1 HTTP/1.1\r\nhost: x\r\n\r\n" + smuggled,  // the review's payload: control characters
                "item_1 HTTP/1.1",                              // no control characters: the id's grammar
                "item_1/../../../admin/orders",
                "item_1?x=1",
                "item_1%2F..%2Fadmin",
            ] {
                for path in ["/cart/update", "/cart/remove"] {
                    let reply = try await platform.post(acme, path, form: ["csrf": csrf, "line_id": lineID, "quantity": "1"], cookies: cookies)
                    #expect((400...422).contains(reply.status), "\(path) \(lineID.debugDescription): \(reply.status)")
                    #expect(!reply.body.contains("secret-customer"))
                }
            }
            // The pooled connections carry on, each answer for its own store.
            for _ in 0..<20 {
                let acmeOrders = try await platform.admin("acme", .GET, "/orders")
                #expect(acmeOrders.status == 200 && !acmeOrders.body.contains("secret-customer"))
                let products = try await platform.get(acme, "/products")
                #expect(products.body.contains("Anvil") && !products.body.contains("Gizmo"))
                let globexOrders = try await platform.admin("globex", .GET, "/orders")
                #expect(globexOrders.body.contains("secret-customer"))
            }
        }
    }

    /// Through the API relay the visitor's own target goes to the cell: bytes a target may not
    /// hold are refused at the edge; encoded ones reach the cell as one request.
    @Test func theAPIRelayRefusesTargetsThatWouldBreakTheRequestLine() async throws {
        try await PlatformHarness.run { platform in
            let host = platform.host("acme")
            for target in [#"/api/store/products?q=<script>"#, #"/api/store/products/"x""#, "/api/store/products?q={}"] {
                let socket = try await RawSocket.connect(port: platform.edgePort)
                defer { socket.close() }
                try await socket.send("GET \(target) HTTP/1.1\r\nHost: \(host)\r\n\r\n")
                let reply = try await socket.read(until: "\r\n\r\n")
                #expect(reply.hasPrefix("HTTP/1.1 400"), "\(target): \(reply)")
            }
            // Percent-encoded CR LF is data, not a line break: one request, one answer.
            let encoded = try await RawHTTP.pipeline(port: platform.edgePort, [
                .init(host, "/api/store/products/x%20HTTP%2F1.1%0D%0Ahost:%20x%0D%0A%0D%0AGET%20%2Fadmin%2Forders"),
                .init(host, "/api/store/settings"),
            ])
            #expect(encoded.replies.map(\.status) == [400, 200])
        }
    }

    /// NUL and other control characters anywhere a visitor can put them: a 400 that says so,
    /// never a 500 (which the release health gate would count against a release).
    /// Only the dashboard names a person to a cell: a visitor's own `x-lumora-actor` (or the
    /// edge's other signed headers) never reaches one through the API relay.
    @Test func aVisitorCannotActAsADashboardPerson() async throws {
        try await PlatformHarness.run { platform in
            for path in ["/api/admin/settings", "/api/admin/orders"] {
                let reply = try await platform.get(platform.host("acme"), path, headers: [
                    ("x-lumora-actor", "1:owner"), ("x-lumora-visitor", "10.0.0.1"), ("x-store-id", "globex"),
                ])
                #expect(reply.status == 401, "\(path): \(reply.body)")
                #expect(reply.body.contains("missing_token"), "\(path): \(reply.body)")
            }
        }
    }

    @Test func controlCharactersAreRefusedNotServerErrors() async throws {
        try await PlatformHarness.run { platform in
            let host = platform.host("acme")
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil")
            for path in ["/api/store/products?q=%00", "/api/store/products?collection=%01", "/api/store/products/anvil%00"] {
                let reply = try await platform.get(host, path)
                #expect(reply.status == 400, "\(path): \(reply.status) \(reply.body)")
                #expect(reply.body.contains(#""code":"invalid_field""#))
            }
            let json = try await platform.admin("acme", .POST, "/products",
                                                json: #"{"title":"Bad\u0000","handle":"bad","variants":[{"title":"D","price":{"amount":1,"currency":"USD"}}]}"#)
            #expect(json.status == 400 && json.body.contains("invalid_field"))
            let settings = try await platform.admin("acme", .PUT, "/settings", json: #"{"name":"Acme\u0007"}"#)
            #expect(settings.status == 400)

            // The storefront's forms: a page that says what to fix.
            let page = try await platform.get(host, "/products/anvil")
            let form = try await platform.send(.POST, host, "/cart/add", cookies: page.setCookies,
                                               headers: [("content-type", "application/x-www-form-urlencoded")],
                                               body: "csrf=\(try #require(page.csrf))&variant_id=variant_1%00&quantity=1")
            #expect(form.status == 400 && form.body.contains("control character"))
            #expect(form.headers.first(name: "content-type")?.hasPrefix("text/html") == true, "\(form.headers)")
        }
    }

    /// One client flooding a store's API does not get its shoppers refused: the flood spends
    /// the flooder's share (per address from the trusted proxy chain), nobody else's.
    @Test func oneFloodingClientDoesNotStarveAStoresShoppers() async throws {
        // A visitor's share: 25 requests (a page view costs the edge two or three cell requests).
        let limits = CellConfiguration.StoreLimits(requestsPerSecond: 2, burst: 100, concurrency: 16, visitorShare: 0.25)
        try await PlatformHarness.run(cellLimits: .init(all: limits), cellClock: ManualClock(),
                                      configure: { $0.trustedProxies = [IPRange("127.0.0.1")!] }) { platform in
            let host = platform.host("acme")
            var flooderRefused = 0
            for index in 0..<60 {
                let reply = try await platform.get(host, "/api/store/products?limit=\(index % 5 + 1)", headers: [("x-forwarded-for", "203.0.113.9")])
                if reply.status == 429 { flooderRefused += 1 }
            }
            #expect(flooderRefused == 35)
            var shopperStatuses: [Int] = []
            for path in ["/", "/products", "/products?page=1", "/cart", "/", "/products"] {
                shopperStatuses.append(try await platform.get(host, path, headers: [("x-forwarded-for", "198.51.100.7")]).status)
            }
            for path in ["/api/store/settings", "/api/store/collections", "/api/store/products?limit=3"] {
                shopperStatuses.append(try await platform.get(host, path, headers: [("x-forwarded-for", "198.51.100.7")]).status)
            }
            #expect(shopperStatuses.allSatisfy { $0 == 200 }, "shopper got \(shopperStatuses)")
        }
    }

    /// A product image URL holding what looks like the CSRF placeholder does not receive the
    /// visitor's token: tokens go only where the template put the form field.
    @Test func merchantTextNeverReceivesAVisitorsToken() async throws {
        try await PlatformHarness.run { platform in
            let bait = "https://evil.example/i.png?t=__LUMORA_CSRF__"
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil", images: [bait])
            for _ in 0..<2 {  // rendered, then from the page cache
                let page = try await platform.get(platform.host("acme"), "/products/anvil")
                let token = try #require(page.csrf)
                #expect(page.body.contains("t=__LUMORA_CSRF__"))
                #expect(!page.body.contains("t=\(token)"))
            }
        }
    }

    /// Completes a purchase on `store` through its storefront.
    static func buy(_ platform: PlatformHarness, store: String, handle: String, email: String) async throws {
        let host = platform.host(store)
        let page = try await platform.get(host, "/products/\(handle)")
        var cookies = page.setCookies
        let added = try await platform.post(host, "/cart/add", form: ["csrf": try #require(page.csrf), "variant_id": try #require(page.field("variant_id")),
                                                                      "quantity": "1"], cookies: cookies)
        cookies.merge(added.setCookies) { $1 }
        let checkout = try await platform.get(host, "/checkout", cookies: cookies)
        let placed = try await platform.post(host, "/checkout", form: [
            "csrf": try #require(checkout.csrf), "email": email, "first_name": "Secret", "last_name": "Customer",
            "address_1": "1 Hidden Way", "city": "Mesa", "postal_code": "85201", "country_code": "us",
        ], cookies: cookies)
        try #require(placed.status == 303, "\(placed.body)")
        let review = try await platform.get(host, "/checkout/shipping", cookies: cookies)
        let ordered = try await platform.post(host, "/checkout/shipping", form: ["csrf": try #require(review.csrf), "action": "place"], cookies: cookies)
        try #require(ordered.status == 303, "\(ordered.body)")
    }
}

/// The edge's connections: a half-sent request or an idle connection is closed, and one address
/// cannot hold more than its share.
@Suite struct EdgeConnectionLimitTests {
    /// The idle timeout stays long here, so only the header timeout can close the connection.
    @Test func halfSentRequestsAreClosed() async throws {
        try await PlatformHarness.run(configure: { $0.headerTimeout = .milliseconds(300); $0.idleTimeout = .seconds(600) }) { platform in
            let slow = try await RawSocket.connect(port: platform.edgePort)
            try await slow.send("GET / HTTP/1.1\r\nHost: \(platform.host("acme"))\r\nX-Slow: ")
            try await slow.waitForClose()
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        try await PlatformHarness.run(configure: { $0.idleTimeout = .milliseconds(300) }) { platform in

            // A connection that was answered and then sends nothing is closed. On a loaded
            // machine the idle timer may close a new connection before its request is written
            // (that is the rule working): then try again on a new one.
            var answered: RawSocket?
            try await waitUntil {
                let idle = try await RawSocket.connect(port: platform.edgePort)
                try? await idle.send("GET /api/store/settings HTTP/1.1\r\nHost: \(platform.host("acme"))\r\n\r\n")
                guard (try? await idle.read(until: "\r\n\r\n"))?.hasPrefix("HTTP/1.1 200") == true else {
                    idle.close()
                    return false
                }
                answered = idle
                return true
            }
            try await #require(answered).waitForClose()
        }
    }

    /// From 127.0.0.2, an address of its own (the harness's client uses 127.0.0.1).
    @Test func oneAddressHoldsAtMostItsConnections() async throws {
        try await PlatformHarness.run(configure: { $0.maximumConnectionsPerAddress = 4 }) { platform in
            var held: [RawSocket] = []
            for _ in 0..<4 {
                let socket = try await RawSocket.connect(port: platform.edgePort, from: "127.0.0.2")
                try await socket.send("GET /api/store/settings HTTP/1.1\r\nHost: \(platform.host("acme"))\r\n\r\n")
                #expect(try await socket.read(until: "\r\n\r\n").hasPrefix("HTTP/1.1 200"))
                held.append(socket)
            }
            let fifth = try await RawSocket.connect(port: platform.edgePort, from: "127.0.0.2")
            try await fifth.waitForClose()
            // Another address is not affected.
            let other = try await RawSocket.connect(port: platform.edgePort, from: "127.0.0.3")
            try await other.send("GET /api/store/settings HTTP/1.1\r\nHost: \(platform.host("acme"))\r\n\r\n")
            #expect(try await other.read(until: "\r\n\r\n").hasPrefix("HTTP/1.1 200"))
            other.close()
            // One closes: there is room again.
            held.removeFirst().close()
            try await waitUntil {
                let socket = try await RawSocket.connect(port: platform.edgePort, from: "127.0.0.2")
                defer { socket.close() }
                try? await socket.send("GET /api/store/settings HTTP/1.1\r\nHost: \(platform.host("acme"))\r\n\r\n")
                return (try? await socket.read(until: "\r\n\r\n", timeout: .seconds(5)))?.hasPrefix("HTTP/1.1 200") == true
            }
            for socket in held { socket.close() }
        }
    }
}
