import AsyncHTTPClient
import Foundation
import LumoraCore
import LumoraDatabase
import LumoraEdge
import LumoraHTTP
import LumoraTestSupport
import NIOCore
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

@Suite struct StoreMoveTests {
    /// Two shared cells (real `lumora cell` processes): signup puts each store on the one with
    /// the most room; then one store moves to the other cell while shoppers browse and check out
    /// through the edge. Not one request fails, every order placed is there with its total, and
    /// the new cell serves the store afterwards.
    @Test func aStoreMovesToAnotherSharedCellWhileItSells() async throws {
        try await ManagerHarness.run(configure: { $0.runsSharedCell = true; $0.sharedCells = 2 }) { manager in
            try await waitUntil(timeout: .seconds(180)) {
                let cells = try await manager.request(.get, "/v1/cells").object()["cells"] as? [[String: Any]] ?? []
                return cells.filter { $0["kind"] as? String == "shared" && $0["status"] as? String == "ready" }.count == 2
            }
            let created = try await manager.createStore("acme")
            try await manager.createStore("bolt")
            let token = try #require(created["admin_token"] as? String)
            #expect(try await cellOf("acme", manager) == "shared")
            #expect(try await cellOf("bolt", manager) == "shared-2")  // the cell with more room
            let databases = try await manager.request(.get, "/v1/databases").object()["databases"] as? [[String: Any]] ?? []
            #expect(databases.count == 1)
            #expect(databases.first?["id"] as? String == "main")
            #expect(databases.first?["stores"] as? Int == 2)
            #expect(databases.first?["cells"] as? [String] == ["shared", "shared-2"])

            try await manager.withEdge { port in
                let shop = Shop(port: port, host: "acme.lumora.test")

                try await waitUntil { await shop.call(.GET, "/api/store/products").status == 200 }
                let product = await shop.call(.POST, "/api/admin/products", token: token, body: #"""
                    {"title":"Anvil","handle":"anvil","status":"published","variants":[{"title":"One","price":{"amount":2500,"currency":"USD"},"stocked":100000}]}
                    """#)
                try #require(product.status == 201, "\(product.body)")
                let variant = try #require(((product.json["product"] as? [String: Any])?["variants"] as? [[String: Any]])?.first?["id"] as? String)

                let outcomes = MoveOutcomes()
                let shoppers = Task {
                    await withTaskGroup(of: Void.self) { shoppers in
                        for path in ["/api/store/products", "/products/anvil"] {
                            shoppers.addTask {
                                while !outcomes.stopped {
                                    outcomes.record(await shop.call(.GET, path), "GET \(path)")
                                }
                            }
                        }
                        shoppers.addTask {
                            while !outcomes.stopped {
                                guard let total = await shop.checkout(variant: variant, outcomes: outcomes) else { continue }
                                outcomes.state.withLock { $0.orderTotals.append(total) }
                            }
                        }
                    }
                }
                try await outcomes.waitUntil { $0.ok > 30 && $0.orderTotals.count > 2 }
                let metricsToken = MetricsToken.derived(fromSigningSecret: ManagerHarness.secret)
                let target = try #require(try await endpoint("shared-2", manager))
                #expect(await CellMetricsReader.served("acme", at: target, token: metricsToken) == 0)

                let move = try await manager.request(.post, "/v1/stores/acme/move", json: #"{"cell":"shared-2"}"#)
                try #require(move.status == .accepted, "\(String(buffer: move.body))")
                try await manager.waitForJob(try #require((try move.object()["job"] as? [String: Any])?["id"] as? Int))
                #expect(try await cellOf("acme", manager) == "shared-2")

                // The new cell serves the store from now on; shoppers kept going throughout.
                try await waitUntil(timeout: .seconds(120)) { await CellMetricsReader.served("acme", at: target, token: metricsToken) > 30 }
                let ordersBefore = outcomes.state.withLock { $0.orderTotals.count }
                try await outcomes.waitUntil { $0.orderTotals.count > ordersBefore + 2 }
                // Stopped between requests, not cancelled: every order placed is counted.
                outcomes.state.withLock { $0.stopped = true }
                await shoppers.value

                let (failed, totals) = outcomes.state.withLock { ($0.failed, $0.orderTotals) }
                #expect(failed.isEmpty, "failed requests: \(failed.prefix(20))")
                let stored = try await manager.database.withClient { client in
                    try await client.query("SELECT count(*)::int, COALESCE(sum(total_amount), 0)::bigint FROM store_acme.orders", logger: manager.database.logger)
                        .collect((Int, Int64).self).first
                }
                #expect(stored?.0 == totals.count)
                #expect(stored?.1 == totals.reduce(0, +))
                let cells = try await manager.request(.get, "/v1/cells").object()
                #expect((cells["unplaced"] as? [String]) == [])
                let served = (cells["cells"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "shared-2" }?["stores"] as? [String]
                #expect(served == ["acme", "bolt"])
            }
        }
    }

    /// What a move refuses, each with a code that says why, and nothing changes.
    @Test func movesThatCannotBeAreRefused() async throws {
        try await ManagerHarness.run { manager in
            try await manager.database.withClient { client in
                for statement: PostgresQuery in [
                    "INSERT INTO lumora.cells (id, kind, status, endpoint) VALUES ('shared', 'shared', 'ready', 'http://127.0.0.1:9')",
                    "INSERT INTO lumora.cells (id, kind, status, endpoint) VALUES ('shared-2', 'shared', 'ready', 'http://127.0.0.1:9')",
                    "INSERT INTO lumora.cells (id, kind, status) VALUES ('store-other', 'dedicated', 'ready')",
                    "INSERT INTO lumora.databases (id, connection_ref, capacity_stores) VALUES ('second', 'env:LUMORA_SECOND_DATABASE_URL', 100)",
                    "INSERT INTO lumora.cells (id, kind, status, database_id) VALUES ('far', 'shared', 'ready', 'second')",
                ] {
                    try await client.query(statement, logger: manager.database.logger).drain()
                }
            }
            try await manager.createStore("acme")
            #expect(try await cellOf("acme", manager) == "shared")

            func move(_ body: String, _ slug: String = "acme") async throws -> (Int, String?) {
                let reply = try await manager.request(.post, "/v1/stores/\(slug)/move", json: body)
                return (Int(reply.status.code), reply.errorCode)
            }
            #expect(try await move(#"{"cell":"shared"}"#) == (200, nil))  // already there
            #expect(try await move("{}") == (400, "invalid_move"))
            #expect(try await move("{not json") == (400, "invalid_json"))
            #expect(try await move(#"{"cell":"nowhere"}"#) == (404, "cell_not_found"))
            #expect(try await move(#"{"cell":"store-other"}"#) == (409, "not_a_shared_cell"))
            #expect(try await move(#"{"cell":"far"}"#) == (409, "other_database"))
            #expect(try await move(#"{"database":"second"}"#) == (422, "database_moves_unavailable"))
            #expect(try await move(#"{"cell":"shared-2"}"#, "nobody") == (404, "store_not_found"))
            #expect(try await cellOf("acme", manager) == "shared")
            #expect(try await manager.count("SELECT count(*)::int FROM lumora.jobs WHERE kind = 'move_store'") == 0)

            // A store on a cell of another database is refused by the database itself.
            await #expect(throws: PSQLError.self) {
                try await manager.database.withClient { client in
                    try await client.query("UPDATE lumora.stores SET cell_id = 'far' WHERE slug = 'acme'", logger: manager.database.logger).drain()
                }
            }
            // One move at a time.
            #expect(try await move(#"{"cell":"shared-2"}"#).0 == 202)
            #expect(try await move(#"{"cell":"shared-2"}"#) == (409, "change_in_progress"))
        }
    }

    /// Signup places by room: a full, closed or draining database takes no new store, and
    /// with no room anywhere signup says so and writes nothing.
    @Test func signupStopsWhereThereIsNoRoom() async throws {
        try await ManagerHarness.run { manager in
            try await manager.database.withClient { client in
                try await client.query("UPDATE lumora.databases SET capacity_stores = 1 WHERE id = 'main'", logger: manager.database.logger).drain()
            }
            try await manager.createStore("acme")
            let refused = try await manager.request(.post, "/v1/stores", json: #"{"slug":"bolt","name":"Bolt","owner_email":"o@bolt.test"}"#)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.errorCode == "no_room")
            try await manager.database.withClient { client in
                try await client.query("UPDATE lumora.databases SET capacity_stores = 100 WHERE id = 'main'", logger: manager.database.logger).drain()
            }
            // The operator closes the database, then drains it: neither takes a new store.
            for state in ["full", "draining"] {
                let changed = try await manager.request(.put, "/v1/databases/main/state", json: #"{"state":"\#(state)"}"#)
                #expect(changed.status == .ok)
                let database = try changed.object()["database"] as? [String: Any]
                #expect(database?["state"] as? String == state)
                #expect(try await manager.request(.post, "/v1/stores", json: #"{"slug":"bolt","name":"Bolt","owner_email":"o@bolt.test"}"#).errorCode == "no_room")
            }
            #expect(try await manager.count("SELECT count(*)::int FROM lumora.stores") == 1)
            #expect(try await manager.count("SELECT count(*)::int FROM lumora.store_schemas WHERE store_slug = 'bolt'") == 0)
            #expect(try await manager.request(.put, "/v1/databases/main/state", json: #"{"state":"closed"}"#).errorCode == "invalid_state")
            #expect(try await manager.request(.put, "/v1/databases/nowhere/state", json: #"{"state":"open"}"#).errorCode == "database_not_found")
            #expect(try await manager.request(.put, "/v1/databases/main/state", json: #"{"state":"open"}"#).status == .ok)
            try await manager.createStore("bolt")
        }
    }

    /// Another database is recorded by reference once the manager has reached it; what it
    /// cannot reach, or a reference that is not one, is refused and nothing is recorded.
    @Test func anotherDatabaseIsRecordedByItsReference() async throws {
        try await TestDatabase.withFresh(controlSchema: false) { second in
            let environment = ["LUMORA_SECOND_DATABASE_URL": second.url.string, "LUMORA_NOWHERE_URL": "postgres://lumora@127.0.0.1:9/nowhere",
                               "LUMORA_NOT_A_URL": "mysql://x"]
            try await ManagerHarness.run(configure: { $0.environment = environment }) { manager in
                func add(_ body: String) async throws -> (Int, String?) {
                    let reply = try await manager.request(.post, "/v1/databases", json: body)
                    return (Int(reply.status.code), reply.errorCode)
                }
                #expect(try await add(#"{"id":"second"}"#) == (400, "invalid_database"))
                #expect(try await add(#"{"id":"Second!","connection_ref":"env:LUMORA_SECOND_DATABASE_URL"}"#) == (400, "invalid_database_id"))
                #expect(try await add(#"{"id":"second","connection_ref":"postgres://u:p@h/db"}"#) == (400, "invalid_connection_ref"))
                #expect(try await add(#"{"id":"second","connection_ref":"env:LUMORA_UNSET"}"#) == (422, "unknown_connection_ref"))
                #expect(try await add(#"{"id":"second","connection_ref":"env:LUMORA_NOT_A_URL"}"#) == (422, "invalid_database_url"))
                #expect(try await add(#"{"id":"second","connection_ref":"env:LUMORA_NOWHERE_URL"}"#) == (422, "database_unreachable"))
                #expect(try await add(#"{"id":"second","connection_ref":"secret:projects/p/secrets/db"}"#) == (422, "secret_refs_unavailable"))
                #expect(try await add(#"{"id":"second","connection_ref":"env:LUMORA_SECOND_DATABASE_URL","capacity_stores":0}"#) == (400, "invalid_capacity"))
                #expect(try await manager.count("SELECT count(*)::int FROM lumora.databases") == 1)

                let added = try await manager.request(.post, "/v1/databases",
                                                      json: #"{"id":"second","connection_ref":"env:LUMORA_SECOND_DATABASE_URL","capacity_stores":300}"#)
                #expect(added.status == .created)
                let listed = try await manager.request(.get, "/v1/databases").object()["databases"] as? [[String: Any]] ?? []
                #expect(listed.map { $0["id"] as? String } == ["main", "second"])
                #expect(listed.last?["connection_ref"] as? String == "env:LUMORA_SECOND_DATABASE_URL")
                #expect(listed.last?["capacity_stores"] as? Int == 300 && listed.last?["state"] as? String == "open")
                // Only the reference is kept: the URL and its password are nowhere in the control schema.
                #expect(try await manager.count("SELECT count(*)::int FROM lumora.databases WHERE connection_ref LIKE '%postgres%'") == 0)
                #expect(try await add(#"{"id":"second","connection_ref":"env:LUMORA_SECOND_DATABASE_URL"}"#) == (409, "database_exists"))
                // With no shared cell bound to it, signup goes on placing stores where cells are.
                try await manager.createStore("acme")
                #expect(try await manager.count("SELECT count(*)::int FROM lumora.stores WHERE slug = 'acme' AND database_id = 'main'") == 1)
            }
        }
    }

    private func cellOf(_ slug: String, _ manager: ManagerHarness) async throws -> String? {
        (try await manager.request(.get, "/v1/stores/\(slug)").object()["store"] as? [String: Any])?["cell_id"] as? String
    }

    private func endpoint(_ cell: String, _ manager: ManagerHarness) async throws -> String? {
        let cells = try await manager.request(.get, "/v1/cells").object()["cells"] as? [[String: Any]] ?? []
        return cells.first { $0["id"] as? String == cell }?["endpoint"] as? String
    }
}

final class MoveOutcomes: Sendable {
    struct State {
        var ok = 0
        var failed: [String] = []
        var orderTotals: [Int64] = []
        var stopped = false
    }

    var stopped: Bool { state.withLock { $0.stopped } }

    let state = Mutex(State())

    /// Waits (a hang guard, not a measure) and says what failed if the shoppers got stuck.
    func waitUntil(_ condition: @escaping @Sendable (State) -> Bool) async throws {
        do {
            try await LumoraTestSupport.waitUntil(timeout: .seconds(120)) { state.withLock { condition($0) } }
        } catch {
            let (ok, failed) = state.withLock { ($0.ok, $0.failed) }
            Issue.record("shoppers stuck after \(ok) answers; failures: \(failed.prefix(5))")
            throw error
        }
    }

    func record(_ reply: Shop.Reply, _ what: String, expecting expected: Int = 200) {
        state.withLock { state in
            if reply.status == expected { state.ok += 1 } else { state.failed.append("\(what) → \(reply.status) \(reply.body.prefix(200))") }
        }
    }
}

/// A shopper at the edge: JSON calls with the store's host.
struct Shop: Sendable {
    let port: Int
    let host: String

    struct Reply: Sendable {
        let status: Int
        let body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    }

    func call(_ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil) async -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.replaceOrAdd(name: "Host", value: host)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(30)),
              let collected = try? await response.body.collect(upTo: 4 << 20) else { return Reply(status: -1, body: "no answer") }
        return Reply(status: Int(response.status.code), body: String(buffer: collected))
    }

    /// A cart with one line, checked out; the order's total, or nil (recorded as a failure).
    func checkout(variant: String, outcomes: MoveOutcomes) async -> Int64? {
        let cart = await call(.POST, "/api/store/carts", body: "{}")
        outcomes.record(cart, "POST carts", expecting: 201)
        guard let cartID = (cart.json["cart"] as? [String: Any])?["id"] as? String else { return nil }
        let line = await call(.POST, "/api/store/carts/\(cartID)/line-items", body: #"{"variant_id":"\#(variant)","quantity":1}"#)
        outcomes.record(line, "POST line-items")
        guard line.status == 200 else { return nil }
        let address = #"{"first_name":"Ada","last_name":"Lovelace","address_1":"1 Main St","city":"Springfield","postal_code":"12345","country_code":"US"}"#
        let order = await call(.POST, "/api/store/carts/\(cartID)/complete", body: #"{"email":"ada@example.com","shipping_address":\#(address)}"#)
        outcomes.record(order, "POST complete", expecting: 201)
        guard order.status == 201, let total = ((order.json["order"] as? [String: Any])?["total"] as? [String: Any])?["amount"] as? Int else { return nil }
        return Int64(total)
    }
}

/// How many 2xx answers a cell's `/metrics` counts for a store.
enum CellMetricsReader {
    static func served(_ store: String, at endpoint: String, token: String) async -> Int {
        var request = HTTPClientRequest(url: endpoint + "/metrics")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)), response.status == .ok,
              let body = try? await response.body.collect(upTo: 16 << 20) else { return -1 }
        let prefix = #"lumora_cell_requests_total{store="\#(store)",status="2xx"}"#
        return String(buffer: body).split(separator: "\n").first { $0.hasPrefix(prefix) }
            .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) } ?? 0
    }
}
