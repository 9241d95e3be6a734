import Foundation
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
            try await waitUntilTrue {
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

    @Test func aNoisyStoreIsLimitedAndOthersAreNot() async throws {
        try await CellHarness.run(limits: .init(requestsPerSecond: 0.5, burst: 5, concurrency: 100)) { cell in
            for _ in 0..<5 {
                #expect(try await cell.request(.get, "/store/settings", store: "acme").status == .ok)
            }
            let limited = try await cell.request(.get, "/store/settings", store: "acme")
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "rate_limited")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try await cell.request(.get, "/store/settings", store: "globex").status == .ok)
        }
    }
}
