import Foundation
import HTTPTypes
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import LumoraFakes
import LumoraManager
import LumoraTestSupport
import PostgresNIO
import Testing

/// The manager with its production drivers — Cloud Run cells and Vercel domains — against
/// loopback fakes that follow Google's and Vercel's documented contracts.
@Suite struct ProductionDriversTests {
    static let repository = "europe-docker.pkg.dev/lumora-test/lumora/lumora"

    /// A manager on Cloud Run and Vercel fakes; retries and polls made short for tests.
    static func run(sharedCell: Bool = false, _ body: @Sendable (ManagerHarness, FakeCloudRun, FakeVercel) async throws -> Void) async throws {
        let cloudRun = try await FakeCloudRun.start()
        let vercel = try await FakeVercel.start()
        vercel.verifiedAtOnce(rootDomain: "lumora.test")
        let retry = RetryPolicy(maximumAttempts: 8, baseDelay: .milliseconds(20), maximumDelay: .seconds(2), deadline: .seconds(30))
        let drivers = ManagerHarness.Drivers(
            runtime: { database, client in
                let configuration = CloudRunConfiguration(
                    project: cloudRun.project, region: cloudRun.region, baseURL: cloudRun.baseURL, credentials: .token("test-token"),
                    imageRepository: repository, cellDatabaseURL: database.cellURL, edgeSecret: .plain(ManagerHarness.secret), retry: retry,
                    operationTimeout: .seconds(20), pollInterval: .milliseconds(20), canaryReadyTimeout: .seconds(2),
                    canaryProbeInterval: .milliseconds(50), requestTimeout: .seconds(10))
                return CloudRunCellRuntime(configuration: configuration, client: client, logger: database.logger)
            },
            domains: VercelDomainProvider(configuration: VercelConfiguration(
                baseURL: vercel.baseURL, token: "vercel-test-token", project: vercel.projectID, retry: retry)))
        do {
            try await ManagerHarness.run(drivers: drivers, configure: { configuration in
                configuration.runsSharedCell = sharedCell
                configuration.cellVersion = CellVersion(name: "0.1.0")
            }) { manager in
                try await body(manager, cloudRun, vercel)
            }
        } catch {
            await cloudRun.shutdown()
            await vercel.shutdown()
            throw error
        }
        await cloudRun.shutdown()
        await vercel.shutdown()
    }

    /// An enterprise signup makes a Cloud Run service (image, args, env, probe, labels) and a
    /// Vercel domain, and the store goes active on that service; deleting the store removes both.
    @Test func anEnterpriseStoreRunsOnCloudRunWithAVercelDomain() async throws {
        try await Self.run { manager, cloudRun, vercel in
            try await manager.createStore("acme", plan: "enterprise")
            let store = try await manager.request(.get, "/v1/stores/acme").object()["store"] as? [String: Any]
            #expect(store?["status"] as? String == "active")
            #expect(store?["cell_id"] as? String == "store-acme")

            let service = try #require(cloudRun.service("lumora-store-acme"))
            #expect(service.isReady)
            #expect(service.image == "\(Self.repository):0.1.0")
            #expect(service.args.contains("--store") && service.args.contains("acme"))
            #expect(service.labels["lumora-store"] == "acme")
            #expect(service.labels["lumora-version"] != nil)
            #expect(service.startupProbePath == "/ready")
            #expect(service.env("DATABASE_URL") != nil)
            #expect(vercel.domainNames.contains("acme.lumora.test"))

            let cells = try await manager.request(.get, "/v1/cells").object()["cells"] as? [[String: Any]] ?? []
            let cell = try #require(cells.first { $0["id"] as? String == "store-acme" })
            #expect(cell["runtime"] as? String == "cloudrun")
            #expect(cell["endpoint"] as? String == cloudRun.uri(of: "lumora-store-acme"))

            // A standard store needs no service, only its domain.
            try await manager.createStore("corner")
            #expect(cloudRun.serviceIDs == ["lumora-store-acme"])
            #expect(vercel.domainNames.contains("corner.lumora.test"))

            let deleted = try await manager.request(.delete, "/v1/stores/acme?purge=true")
            #expect(deleted.status == .accepted)
            try await manager.waitForJob(try #require((try deleted.object()["job"] as? [String: Any])?["id"] as? Int))
            #expect(cloudRun.service("lumora-store-acme") == nil)
            #expect(!vercel.domainNames.contains("acme.lumora.test"))
            #expect(try await manager.count("SELECT count(*)::int FROM lumora.cells WHERE id = 'store-acme'") == 0)
        }
    }

    /// A revision that cannot start: the store is `failed` and says what Google said; the job
    /// is dead but retriable, and succeeds once the image is fixed.
    @Test func aFailedRevisionLeavesTheStoreFailedWithGooglesMessage() async throws {
        try await Self.run { manager, cloudRun, _ in
            let message = "Revision 'lumora-store-broken-0-1-0' is not ready and cannot serve traffic. The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable."
            cloudRun.failRevisions(imageContaining: "lumora:0.1.0", message: message)
            let created = try await manager.request(.post, "/v1/stores", json: #"{"slug":"broken","name":"Broken","plan":"enterprise","owner_email":"o@broken.test"}"#)
            let job = try #require((try created.object()["job"] as? [String: Any])?["id"] as? Int)
            try await manager.waitForJob(job, state: "dead")
            let store = try await manager.request(.get, "/v1/stores/broken").object()["store"] as? [String: Any]
            #expect(store?["status"] as? String == "failed")
            #expect((store?["failure"] as? String)?.contains("failed to start and listen on the port") == true, "\(store ?? [:])")

            cloudRun.stopFailingRevisions()
            #expect(try await manager.request(.post, "/v1/jobs/\(job)/retry").status == .accepted)
            try await manager.waitForJob(job)
            let fixed = try await manager.request(.get, "/v1/stores/broken").object()["store"] as? [String: Any]
            #expect(fixed?["status"] as? String == "active")
            #expect(cloudRun.service("lumora-store-broken")?.isReady == true)
        }
    }

    /// Cloud Run answers a burst of 429 and 503 (with Retry-After) and Vercel rate-limits:
    /// provisioning rides it out and the store goes active.
    @Test func aStormOfRateLimitsIsRiddenOut() async throws {
        try await Self.run { manager, cloudRun, vercel in
            cloudRun.injectFailures([429, 503, 429, 429, 500, 503], retryAfterSeconds: 1)
            vercel.injectRateLimit(requests: 3, resetInSeconds: 1)
            try await manager.createStore("stormy", plan: "enterprise")
            let store = try await manager.request(.get, "/v1/stores/stormy").object()["store"] as? [String: Any]
            #expect(store?["status"] as? String == "active")
            #expect(cloudRun.service("lumora-store-stormy")?.isReady == true)
            #expect(vercel.domainNames.contains("stormy.lumora.test"))
            #expect(cloudRun.pendingInjectedFailures == 0)
        }
    }

    /// A custom domain is pending with Vercel's records until DNS is set, then live and the
    /// store's primary; a domain another project holds is a conflict that writes nothing.
    @Test func aCustomDomainGoesLiveAfterVerification() async throws {
        try await Self.run { manager, _, vercel in
            try await manager.createStore("acme")
            let added = try await manager.request(.post, "/v1/stores/acme/domains", json: #"{"hostname":"shop.acme-example.com"}"#)
            #expect(added.status == .created, "\(String(buffer: added.body))")
            let domain = try added.object()["domain"] as? [String: Any]
            #expect(domain?["status"] as? String == "pending")
            let records = domain?["records"] as? [[String: Any]] ?? []
            #expect(records.contains { $0["type"] as? String == "TXT" && ($0["value"] as? String)?.hasPrefix("vc-domain-verify=") == true })
            #expect(records.contains { $0["type"] as? String == "CNAME" && $0["value"] as? String == "cname.vercel-dns.com" })

            let early = try await manager.request(.post, "/v1/stores/acme/domains/shop.acme-example.com/verify").object()["domain"] as? [String: Any]
            #expect(early?["status"] as? String == "pending")
            let listed = try await manager.request(.get, "/v1/stores/acme/domains").object()["domains"] as? [[String: Any]] ?? []
            #expect((listed.first { $0["hostname"] as? String == "shop.acme-example.com" }?["records"] as? [Any])?.isEmpty == false)

            vercel.setDNS("shop.acme-example.com")
            let live = try await manager.request(.post, "/v1/stores/acme/domains/shop.acme-example.com/verify").object()["domain"] as? [String: Any]
            #expect(live?["status"] as? String == "verified")
            #expect(live?["primary"] as? Bool == true)

            vercel.takenByAnotherProject("taken-example.com")
            let taken = try await manager.request(.post, "/v1/stores/acme/domains", json: #"{"hostname":"taken-example.com"}"#)
            #expect(taken.status == .conflict)
            #expect(taken.errorCode == "domain_taken")
            #expect(try await manager.count("SELECT count(*)::int FROM lumora.domains WHERE hostname = 'taken-example.com'") == 0)
        }
    }

    /// A release on Cloud Run: each service gets the new revision at 0% with a canary tag,
    /// checked, then all traffic; a bad image is stopped at the canary and its service pinned
    /// back to the previous revision, the other services untouched.
    @Test(.timeLimit(.minutes(10))) func releasesRollRevisionsAndRollBackTraffic() async throws {
        try await Self.run { manager, cloudRun, _ in
            for slug in ["rel-a", "rel-b", "rel-c"] { try await manager.createStore(slug, plan: "enterprise") }

            let good = try await manager.request(.post, "/v1/releases", json: #"{"version":"0.2.0","image":"\#(Self.repository):0.2.0","canary":1,"batch_size":2,"health_window_ms":100}"#)
            #expect(good.status == .accepted, "\(String(buffer: good.body))")
            let goodID = try #require((try good.object()["release"] as? [String: Any])?["id"] as? Int)
            let finished = try await Self.waitForRelease(manager, goodID)
            #expect(finished["state"] as? String == "succeeded", "\(finished)")
            for slug in ["rel-a", "rel-b", "rel-c"] {
                let service = try #require(cloudRun.service("lumora-store-\(slug)"))
                #expect(service.image == "\(Self.repository):0.2.0")
                let serving = service.traffic.filter { $0.percent == 100 }.compactMap(\.revision)
                #expect(serving == ["lumora-store-\(slug)-0-2-0"], "\(service.traffic)")
                #expect(service.revisions.map(\.name).contains("lumora-store-\(slug)-0-1-0"))
            }
            // The canary step: a PATCH that pinned traffic and tagged the new revision came first.
            #expect(cloudRun.requestLog.filter { $0.hasPrefix("PATCH") && $0.contains("lumora-store-rel-a") }.count >= 2)

            cloudRun.unhealthyRevisions(imageContaining: "0.3.0-bad")
            let bad = try await manager.request(.post, "/v1/releases", json: #"{"version":"0.3.0-bad","image":"\#(Self.repository):0.3.0-bad","canary":1,"batch_size":2,"health_window_ms":100}"#)
            let badID = try #require((try bad.object()["release"] as? [String: Any])?["id"] as? Int)
            let failed = try await Self.waitForRelease(manager, badID)
            #expect(failed["state"] as? String == "failed")
            #expect((failed["reason"] as? String)?.contains("canary") == true, "\(failed)")
            for slug in ["rel-a", "rel-b", "rel-c"] {
                let service = try #require(cloudRun.service("lumora-store-\(slug)"))
                let serving = service.traffic.filter { $0.percent == 100 }.compactMap(\.revision)
                #expect(serving == ["lumora-store-\(slug)-0-2-0"], "\(slug): \(service.traffic)")
            }
            #expect(cloudRun.service("lumora-store-rel-b")?.revisions.contains { $0.image.contains("0.3.0-bad") } == false)
            #expect(cloudRun.service("lumora-store-rel-c")?.revisions.contains { $0.image.contains("0.3.0-bad") } == false)
        }
    }

    static func waitForRelease(_ manager: ManagerHarness, _ id: Int) async throws -> [String: Any] {
        var release: [String: Any] = [:]
        try await waitUntil(timeout: .seconds(180)) {
            release = try await manager.request(.get, "/v1/releases/\(id)").object()["release"] as? [String: Any] ?? [:]
            return ["succeeded", "failed", "aborted"].contains(release["state"] as? String ?? "")
        }
        return release
    }
}
