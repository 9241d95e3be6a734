import Foundation
import HummingbirdTesting
import LumoraCell
import NIOCore
import HTTPTypes
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraTestSupport
import PostgresNIO
import Testing

@Suite struct CellSecurityTests {
    @Test func unsignedForgedAndStaleRequestsAreRefused() async throws {
        try await CellHarness.run { cell in
            let unsigned = try await cell.request(.get, "/store/products", store: "acme", headers: [("x-store-id", "acme")], signed: false)
            #expect(unsigned.status == .unauthorized && unsigned.errorCode == "unsigned_request")
            #expect(try await cell.request(.get, "/store/products", store: nil).errorCode == "missing_store")

            // A signature for one store does not open another.
            var headers = cell.signer.headers(store: "acme", method: "GET", path: "/store/products")
            headers[0].value = "globex"
            let swapped = try await cell.request(.get, "/store/products", store: nil, headers: headers.map { ($0.name, $0.value) })
            #expect(swapped.status == .unauthorized && swapped.errorCode == "invalid_signature")

            // …nor another path.
            let otherPath = cell.signer.headers(store: "acme", method: "GET", path: "/store/collections")
            #expect(try await cell.request(.get, "/store/products", store: nil, headers: otherPath.map { ($0.name, $0.value) }).errorCode == "invalid_signature")

            // A signature made with another secret.
            let forged = StoreRequestSigner(secret: "guess").headers(store: "acme", method: "GET", path: "/store/products")
            #expect(try await cell.request(.get, "/store/products", store: nil, headers: forged.map { ($0.name, $0.value) }).errorCode == "invalid_signature")

            // Two minutes old.
            let stale = cell.signer.headers(store: "acme", method: "GET", path: "/store/products", now: Date().addingTimeInterval(-120))
            #expect(try await cell.request(.get, "/store/products", store: nil, headers: stale.map { ($0.name, $0.value) }).errorCode == "stale_signature")
        }
    }

    @Test func unknownAndSuspendedStores() async throws {
        try await CellHarness.run { cell in
            let unknown = try await cell.request(.get, "/store/products", store: "initech")
            #expect(unknown.status == .notFound && unknown.errorCode == "store_not_found")
            try await cell.database.withClient { client in
                _ = try await StoreDirectory(client: client, migrations: try .store(), logger: cell.database.logger).suspend(StoreSlug(validating: "globex"))
            }
            // The routing table follows the change through LISTEN/NOTIFY.
            try await waitUntil {
                try await cell.request(.get, "/store/products", store: "globex").errorCode == "store_suspended"
            }
            #expect(try await cell.request(.get, "/store/products", store: "globex").status == .forbidden)
            #expect(try await cell.request(.get, "/store/products", store: "acme").status == .ok)
        }
    }

    @Test func adminTokensBelongToTheirStore() async throws {
        try await CellHarness.run { cell in
            #expect(try await cell.request(.get, "/admin/orders", store: "acme", admin: "acme").status == .ok)
            let missing = try await cell.request(.get, "/admin/orders", store: "acme")
            #expect(missing.status == .unauthorized && missing.errorCode == "missing_token")
            let other = try await cell.request(.get, "/admin/orders", store: "acme", admin: "globex")
            #expect(other.status == .unauthorized && other.errorCode == "invalid_token")
            let wrong = try await cell.request(.get, "/admin/orders", store: "acme", admin: "lsk_not-a-token")
            #expect(wrong.status == .unauthorized)
        }
    }

    /// A dedicated cell serves its own store with the search path fixed at connect time, and
    /// refuses a signed request for any other store.
    @Test func dedicatedCellServesOnlyItsStore() async throws {
        try await CellHarness.run(mode: { .dedicated($0["acme"]!) }) { cell in
            try await cell.createProduct("acme", handle: "tee")
            #expect(try await cell.request(.get, "/store/products", store: "acme").json["count"].int == 1)
            let other = try await cell.request(.get, "/store/products", store: "globex")
            #expect(other.status == .forbidden && other.errorCode == "wrong_store")
            let health = try await cell.request(.get, "/health", store: nil).json
            #expect(health["mode"].string == "dedicated:acme")
        }
    }

    /// Time is the test's: the clock moves only when told, so a slow machine cannot refill a
    /// bucket between two requests.
    @Test func aNoisyStoreIsLimitedAndOthersAreNot() async throws {
        let clock = ManualClock()
        let limits = CellConfiguration.StoreLimits(requestsPerSecond: 0.5, burst: 5, concurrency: 100, visitorShare: 1)
        try await CellHarness.run(limits: .init(all: limits), clock: clock) { cell in
            for _ in 0..<5 {
                #expect(try await cell.request(.post, "/store/carts", store: "acme").status == .created)
            }
            let limited = try await cell.request(.post, "/store/carts", store: "acme")
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "rate_limited")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try await cell.request(.post, "/store/carts", store: "globex").status == .created)
            // Two seconds later the store has a token again.
            clock.advance(by: .seconds(2))
            #expect(try await cell.request(.post, "/store/carts", store: "acme").status == .created)
            #expect(try await cell.request(.post, "/store/carts", store: "acme").status == .tooManyRequests)
        }
    }

    /// One client hammering a store is limited to its share; the store's other shoppers are not.
    @Test func oneVisitorCannotSpendAStoresBudget() async throws {
        let limits = CellConfiguration.StoreLimits(requestsPerSecond: 1, burst: 40, concurrency: 16, visitorShare: 0.25)
        try await CellHarness.run(limits: .init(all: limits), clock: ManualClock()) { cell in
            var attackerServed = 0
            for _ in 0..<50 where try await cell.request(.get, "/store/settings", store: "acme", visitor: "203.0.113.9").status == .ok {
                attackerServed += 1
            }
            #expect(attackerServed == 10)  // a quarter of the burst
            let refused = try await cell.request(.get, "/store/settings", store: "acme", visitor: "203.0.113.9")
            #expect(refused.status == .tooManyRequests && refused.errorCode == "rate_limited")
            // A real shopper's whole visit: served.
            for path in ["/store/settings", "/store/products", "/store/collections", "/store/settings", "/store/products?limit=4"] {
                #expect(try await cell.request(.get, path, store: "acme", visitor: "198.51.100.7").status == .ok, "\(path)")
            }
            #expect(try await cell.request(.post, "/store/carts", store: "acme", visitor: "198.51.100.7").status == .created)
        }
    }

    /// Answers from the response cache cost the database nothing, so they do not spend the
    /// store's database budget: only requests that reach PostgreSQL do.
    @Test func cacheHitsDoNotSpendTheStoresDatabaseBudget() async throws {
        let limits = CellConfiguration.StoreLimits(requestsPerSecond: 0.001, burst: 4, concurrency: 16, visitorShare: 0.5)
        try await CellHarness.run(limits: .init(all: limits), clock: ManualClock()) { cell in
            // The first read fills the cache (one database request); then eight visitors read
            // from it twice each — sixteen answers, more than the store's four tokens.
            #expect(try await cell.request(.get, "/store/settings", store: "acme", visitor: "10.0.0.1").headers[HTTPField.Name("x-lumora-cache")!] == "miss")
            for visitor in 2...9 {
                for _ in 0..<2 {
                    let reply = try await cell.request(.get, "/store/settings", store: "acme", visitor: "10.0.0.\(visitor)")
                    #expect(reply.status == .ok && reply.headers[HTTPField.Name("x-lumora-cache")!] == "hit")
                }
            }
            // Three tokens were left for requests that reach the database.
            for visitor in 20..<23 {
                #expect(try await cell.request(.post, "/store/carts", store: "acme", visitor: "10.0.0.\(visitor)").status == .created)
            }
            let over = try await cell.request(.post, "/store/carts", store: "acme", visitor: "10.0.0.30")
            #expect(over.status == .tooManyRequests && over.errorCode == "rate_limited")
        }
    }
}

/// The signature covers everything that decides what a request does, and a signed write
/// cannot be sent twice.
@Suite struct SignatureCoverageTests {
    @Test func aSignatureCoversBodyTokenAndIdempotencyKey() async throws {
        try await CellHarness.run { cell in
            let signer = cell.signer
            let cart = try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string ?? ""
            let path = "/store/carts/\(cart)/line-items"
            let body = ByteBuffer(string: #"{"variant_id":"variant_1","quantity":1}"#)
            func send(_ headers: [(name: String, value: String)], body: ByteBuffer?, extra: [(String, String)] = []) async throws -> TestResponse {
                var fields: HTTPFields = [.contentType: "application/json"]
                for (name, value) in headers + extra { fields[HTTPField.Name(name)!] = value }
                return try await cell.http.execute(uri: path, method: .post, headers: fields, body: body)
            }
            // Signed for one body, sent with another.
            let forOther = signer.headers(store: "acme", method: "POST", path: path, body: ByteBuffer(string: #"{"variant_id":"variant_1","quantity":9}"#))
            #expect(try await send(forOther, body: body).errorCode == "invalid_signature")

            // Signed without a token, sent with one (or the other way round).
            let admin = "/admin/orders"
            let unsignedToken = signer.headers(store: "acme", method: "GET", path: admin)
            var fields: HTTPFields = [.authorization: "Bearer \(cell.tokens["acme"]!)"]
            for (name, value) in unsignedToken { fields[HTTPField.Name(name)!] = value }
            #expect(try await cell.http.execute(uri: admin, method: .get, headers: fields).errorCode == "invalid_signature")

            // Signed with one Idempotency-Key, sent with another.
            let complete = "/store/carts/\(cart)/complete"
            let completion = ByteBuffer(string: #"{"email":"a@b.co","shipping_address":{}}"#)
            let keyed = signer.headers(store: "acme", method: "POST", path: complete, body: completion, idempotencyKey: "k1")
            var keyedFields: HTTPFields = [.contentType: "application/json", HTTPField.Name("Idempotency-Key")!: "k2"]
            for (name, value) in keyed { keyedFields[HTTPField.Name(name)!] = value }
            #expect(try await cell.http.execute(uri: complete, method: .post, headers: keyedFields, body: completion).errorCode == "invalid_signature")

            // Signed for another visitor.
            var visitorFields: HTTPFields = [:]
            for (name, value) in signer.headers(store: "acme", method: "GET", path: "/store/settings", visitor: "10.1.1.1") {
                visitorFields[HTTPField.Name(name)!] = value
            }
            visitorFields[HTTPField.Name(StoreRequestSigner.visitorHeader)!] = "10.9.9.9"
            #expect(try await cell.http.execute(uri: "/store/settings", method: .get, headers: visitorFields).errorCode == "invalid_signature")
        }
    }

    @Test func aSignedWriteIsAcceptedOnce() async throws {
        try await CellHarness.run { cell in
            let headers = cell.signer.headers(store: "acme", method: "POST", path: "/store/carts")
            var fields: HTTPFields = [:]
            for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
            #expect(try await cell.http.execute(uri: "/store/carts", method: .post, headers: fields).status == .created)
            let replay = try await cell.http.execute(uri: "/store/carts", method: .post, headers: fields)
            #expect(replay.status == .unauthorized && replay.errorCode == "replayed_request")
            // A write without a nonce is not signed at all.
            var bare: HTTPFields = [:]
            let parts = StoreRequestSigner.Parts(store: "acme", method: "POST", target: "/store/carts", timestamp: Int64(Date().timeIntervalSince1970))
            for (name, value) in StoreRequestSigner.headers(parts, signature: cell.signer.signature(parts)) { bare[HTTPField.Name(name)!] = value }
            #expect(try await cell.http.execute(uri: "/store/carts", method: .post, headers: bare).errorCode == "unsigned_request")
        }
    }

    @Test func aSignatureLivesThirtySeconds() async throws {
        try await CellHarness.run { cell in
            for (offset, accepted) in [(-25.0, true), (25.0, true), (-35.0, false), (35.0, false)] {
                var fields: HTTPFields = [:]
                for (name, value) in cell.signer.headers(store: "acme", method: "GET", path: "/store/settings", now: Date().addingTimeInterval(offset)) {
                    fields[HTTPField.Name(name)!] = value
                }
                let reply = try await cell.http.execute(uri: "/store/settings", method: .get, headers: fields)
                #expect((reply.status == .ok) == accepted, "\(offset) s: \(reply.text)")
                if !accepted { #expect(reply.errorCode == "stale_signature") }
            }
        }
    }
}

/// A shared cell serves only the stores placed on it.
@Suite struct PlacementTests {
    @Test func theSharedCellRefusesAStoreOnItsOwnCell() async throws {
        try await CellHarness.run { cell in
            try await cell.database.withClient { client in
                try await client.query("INSERT INTO lumora.cells (id, kind, endpoint, version, status) VALUES ('store-acme', 'dedicated', 'http://127.0.0.1:1', 'x', 'ready')").drain()
                try await client.query("UPDATE lumora.stores SET plan = 'enterprise', cell_id = 'store-acme' WHERE slug = 'acme'").drain()
            }
            try await waitUntil { try await cell.request(.get, "/store/settings", store: "acme").status == .forbidden }
            let refused = try await cell.request(.get, "/store/settings", store: "acme")
            #expect(refused.errorCode == "wrong_cell")
            #expect(try await cell.request(.get, "/store/settings", store: "globex").status == .ok)
            // Back on the shared cell: served at once, even before the notification arrives.
            try await cell.database.withClient { client in
                try await client.query("UPDATE lumora.stores SET plan = 'standard', cell_id = NULL WHERE slug = 'acme'").drain()
            }
            #expect(try await cell.request(.get, "/store/settings", store: "acme").status == .ok)
        }
    }

    /// The dashboard's person, named by the edge under its signature: their role decides; an
    /// actor the signature does not cover, or a malformed one, opens nothing.
    @Test func dashboardActorsAreSignedAndTheirRolesHold() async throws {
        try await CellHarness.run { cell in
            #expect(try await cell.request(.get, "/admin/settings", store: "acme", actor: "7:owner").status == .ok)
            #expect(try await cell.request(.get, "/admin/orders", store: "acme", actor: "8:staff").status == .ok)
            let staff = try await cell.request(.get, "/admin/settings", store: "acme", actor: "8:staff")
            #expect(staff.status == .forbidden && staff.errorCode == "forbidden_role")
            let write = try await cell.request(.put, "/admin/settings", store: "acme", json: #"{"name":"Mine"}"#, actor: "8:staff")
            #expect(write.status == .forbidden)
            #expect(try await cell.request(.get, "/admin/settings", store: "acme", actor: "8:king").errorCode == "invalid_actor")
            // Added after signing: the signature does not match.
            let added = try await cell.request(.get, "/admin/settings", store: "acme", headers: [("x-lumora-actor", "7:owner")])
            #expect(added.errorCode == "invalid_signature")
            // Signed for one store, an actor does not open another's admin API either.
            var headers = cell.signer.headers(store: "acme", method: "GET", path: "/admin/settings", actor: "7:owner")
            headers[0].value = "globex"
            #expect(try await cell.request(.get, "/admin/settings", store: nil, headers: headers.map { ($0.name, $0.value) }).errorCode == "invalid_signature")
        }
    }
}
