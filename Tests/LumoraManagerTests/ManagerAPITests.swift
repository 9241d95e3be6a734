import Foundation
import HTTPTypes
import LumoraCore
import LumoraDatabase
import LumoraTestSupport
import Testing

@Suite struct ManagerAPITests {
    @Test func signupProvisionsAStandardStore() async throws {
        try await ManagerHarness.run { manager in
            let created = try await manager.request(.post, "/v1/stores", json: #"{"slug":"acme","name":"Acme","owner_email":"wile@acme.test"}"#)
            #expect(created.status == .accepted)
            let body = try created.object()
            let store = try #require(body["store"] as? [String: Any])
            #expect(store["status"] as? String == "provisioning")
            #expect((body["admin_token"] as? String)?.hasPrefix("lsk_") == true)
            let job = try #require(body["job"] as? [String: Any])
            #expect(job["kind"] as? String == "provision_store")
            try await manager.waitForJob(try #require(job["id"] as? Int))

            let shown = try await manager.request(.get, "/v1/stores/acme").object()["store"] as? [String: Any]
            #expect(shown?["status"] as? String == "active")
            #expect(shown?["plan"] as? String == "standard")
            #expect(shown?["url"] as? String == "http://acme.lumora.test/")
            let domains = try await manager.request(.get, "/v1/stores/acme/domains").object()["domains"] as? [[String: Any]]
            #expect(domains?.first?["hostname"] as? String == "acme.lumora.test")
            #expect(domains?.first?["primary"] as? Bool == true)
            let jobs = try await manager.request(.get, "/v1/jobs?state=succeeded").object()["jobs"] as? [[String: Any]]
            // Other jobs (a media sweep) may have succeeded since: the store's is the one to read.
            let provision = jobs?.first { $0["kind"] as? String == "provision_store" }
            #expect(provision?["steps_done"] as? [String] == ["domain", "activate"], "\(jobs ?? [])")
        }
    }

    /// Each bad request is a clear 4xx, and nothing is half-made.
    @Test func badRequestsAreRefusedAndChangeNothing() async throws {
        try await ManagerHarness.run { manager in
            try await manager.createStore("taken")
            let before = (stores: try await manager.count("SELECT count(*)::int FROM lumora.stores"),
                          jobs: try await manager.count("SELECT count(*)::int FROM lumora.jobs"),
                          schemas: try await manager.count("SELECT count(*)::int FROM lumora.store_schemas WHERE store_slug IS NOT NULL"))
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"slug":"taken","name":"Again","owner_email":"a@b.co"}"#, .conflict, "store_exists"),
                (#"{"slug":"admin","name":"Admin","owner_email":"a@b.co"}"#, .badRequest, "reserved_slug"),
                (#"{"slug":"Bad Slug","name":"X","owner_email":"a@b.co"}"#, .badRequest, "invalid_slug"),
                (#"{"slug":"a\"; drop schema public; --","name":"X","owner_email":"a@b.co"}"#, .badRequest, "invalid_slug"),
                (#"{"slug":"fresh","name":"Fresh","owner_email":"not-an-email"}"#, .badRequest, "invalid_email"),
                (#"{"slug":"fresh","name":"Fresh","plan":"platinum","owner_email":"a@b.co"}"#, .badRequest, "invalid_plan"),
                (#"{"slug":"fresh","name":"","owner_email":"a@b.co"}"#, .badRequest, "invalid_name"),
                (#"{"slug":"fresh","name":"Fresh""#, .badRequest, "invalid_json"),
                (#"{"slug":"fresh"}"#, .badRequest, "invalid_field"),
            ]
            for (json, status, code) in cases {
                let response = try await manager.request(.post, "/v1/stores", json: json)
                #expect(response.status == status, "\(json) → \(String(buffer: response.body))")
                #expect(response.errorCode == code, "\(json) → \(String(buffer: response.body))")
            }
            let unauthorized = try await manager.request(.post, "/v1/stores", json: #"{"slug":"fresh","name":"F","owner_email":"a@b.co"}"#, token: "wrong")
            #expect(unauthorized.status == .unauthorized && unauthorized.errorCode == "invalid_token")
            #expect(try await manager.request(.get, "/v1/stores", token: nil).status == .unauthorized)
            #expect(try await manager.count("SELECT count(*)::int FROM lumora.stores") == before.stores)
            #expect(try await manager.count("SELECT count(*)::int FROM lumora.jobs") == before.jobs)
            #expect(try await manager.count("SELECT count(*)::int FROM lumora.store_schemas WHERE store_slug IS NOT NULL") == before.schemas)
            #expect(try await manager.request(.get, "/v1/stores/nobody").status == .notFound)
            #expect(try await manager.request(.get, "/v1/jobs/999999").status == .notFound)
            #expect(try await manager.request(.get, "/v1/jobs?state=bogus").status == .badRequest)
        }
    }

    @Test func customDomainsAreVerifiedUniqueAndRemovable() async throws {
        try await ManagerHarness.run { manager in
            try await manager.createStore("acme")
            try await manager.createStore("globex")
            let added = try await manager.request(.post, "/v1/stores/acme/domains", json: #"{"hostname":"Shop.Acme.Example"}"#)
            #expect(added.status == .created)
            let domain = try #require(try added.object()["domain"] as? [String: Any])
            #expect(domain["hostname"] as? String == "shop.acme.example")
            #expect(domain["status"] as? String == "pending")
            let records = try #require(domain["records"] as? [[String: Any]])
            #expect(records.contains { $0["type"] as? String == "TXT" && ($0["name"] as? String)?.hasPrefix("_lumora-challenge.") == true })

            let taken = try await manager.request(.post, "/v1/stores/globex/domains", json: #"{"hostname":"shop.acme.example"}"#)
            #expect(taken.status == .conflict && taken.errorCode == "domain_taken")
            for bad in ["localhost", "-bad.example", "bad..example", "acme.lumora.test", "1.2.3.4", "x.example/path", String(repeating: "a", count: 64) + ".example"] {
                let response = try await manager.request(.post, "/v1/stores/globex/domains", json: #"{"hostname":"\#(bad)"}"#)
                #expect(response.status == .badRequest && response.errorCode == "invalid_hostname", "\(bad)")
            }

            let verified = try await manager.request(.post, "/v1/stores/acme/domains/shop.acme.example/verify").object()["domain"] as? [String: Any]
            #expect(verified?["status"] as? String == "verified")
            #expect(verified?["primary"] as? Bool == true)
            let list = try await manager.request(.get, "/v1/stores/acme/domains").object()["domains"] as? [[String: Any]] ?? []
            #expect(list.filter { $0["primary"] as? Bool == true }.map { $0["hostname"] as? String } == ["shop.acme.example"])

            #expect(try await manager.request(.delete, "/v1/stores/acme/domains/acme.lumora.test").errorCode == "platform_domain")
            #expect(try await manager.request(.delete, "/v1/stores/acme/domains/shop.acme.example").status == .ok)
            let after = try await manager.request(.get, "/v1/stores/acme/domains").object()["domains"] as? [[String: Any]] ?? []
            #expect(after.map { $0["hostname"] as? String } == ["acme.lumora.test"])
            #expect(after.first?["primary"] as? Bool == true)
        }
    }

    @Test func deletingAStoreKeepsItsDataUntilTheGracePeriodOrAPurge() async throws {
        try await ManagerHarness.run { manager in
            try await manager.createStore("keep")
            try await manager.createStore("purge")
            let kept = try await manager.request(.delete, "/v1/stores/keep")
            #expect(kept.status == .accepted)
            #expect(try await manager.request(.get, "/v1/stores/keep").object()["store"].flatMap { ($0 as? [String: Any])?["status"] as? String } == "deleting")
            let waiting = try #require(try kept.object()["job"] as? [String: Any])
            #expect(waiting["state"] as? String == "queued")

            let purged = try await manager.request(.delete, "/v1/stores/purge?purge=true")
            try await manager.waitForJob(try #require((try purged.object()["job"] as? [String: Any])?["id"] as? Int))
            #expect(try await manager.request(.get, "/v1/stores/purge").status == .notFound)
            #expect(try await manager.count("SELECT count(*)::int FROM pg_namespace WHERE nspname = 'store_purge'") == 0)
            #expect(try await manager.count("SELECT count(*)::int FROM pg_namespace WHERE nspname = 'store_keep'") == 1)
        }
    }

    /// The limiter's clock is the test's: however slow the signups, no token comes back.
    @Test func publicSignupIsLimitedAndNeverCached() async throws {
        let clock = ManualClock()
        try await ManagerHarness.run(configure: { $0.clock = clock }) { manager in
            for index in 0..<3 {
                let response = try await manager.request(.post, "/signup", json: #"{"slug":"shop-\#(index)","name":"Shop","owner_email":"a@b.co"}"#, token: nil)
                #expect(response.status == .accepted)
                #expect(response.headers[.cacheControl] == "no-store")
            }
            let limited = try await manager.request(.post, "/signup", json: #"{"slug":"shop-9","name":"Shop","owner_email":"a@b.co"}"#, token: nil)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            // A minute later there is room for one more.
            clock.advance(by: .seconds(20))
            #expect(try await manager.request(.post, "/signup", json: #"{"slug":"shop-8","name":"Shop","owner_email":"a@b.co"}"#, token: nil).status == .accepted)
            #expect(try await manager.request(.post, "/signup", json: #"{"slug":"shop-7","name":"Shop","owner_email":"a@b.co"}"#, token: nil).status == .tooManyRequests)
            // An x-forwarded-for from a peer that is not a trusted proxy changes nothing.
            let spoofed = try await manager.request(.post, "/signup", json: #"{"slug":"shop-6","name":"Shop","owner_email":"a@b.co"}"#, token: nil,
                                                    headers: [("x-forwarded-for", "198.51.100.\(Int.random(in: 1...250))")])
            #expect(spoofed.status == .tooManyRequests)
            // Signup is standard only, whatever is sent.
            #expect(try await manager.request(.get, "/v1/stores/shop-0").object()["store"].flatMap { ($0 as? [String: Any])?["plan"] as? String } == "standard")
        }
    }
}
