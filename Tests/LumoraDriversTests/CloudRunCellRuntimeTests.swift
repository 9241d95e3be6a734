import Foundation
import LumoraCore
import LumoraDrivers
import LumoraFakes
import LumoraTestSupport
import Testing

@Suite struct CloudRunCellRuntimeTests {
    @Test func aNewCellIsCreatedReadyAndRecorded() async throws {
        try await CloudRunHarness.with { h in
            let runtime = try h.runtime()
            let cell = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            #expect(cell.endpoint == h.fake.uri(of: "lumora-store-acme"))
            #expect(cell.version == "0.2.0")

            let service = try #require(h.fake.service("lumora-store-acme"))
            #expect(service.isReady)
            #expect(service.labels["managed-by"] == "lumora")
            #expect(service.labels["lumora-store"] == "acme")
            #expect(service.labels["lumora-version"] == "0-2-0")
            #expect(service.image == CloudRunHarness.repository + ":0.2.0")
            #expect(service.args.starts(with: ["cell"]))
            #expect(service.args.contains("--store") && service.args.contains("acme"))
            #expect(service.args.contains("8080"))
            #expect(service.env("LUMORA_VERSION") == "0.2.0")
            #expect(service.env("LUMORA_CELL_ID") == "store-acme")
            #expect(service.env("LUMORA_EDGE_SECRET") == "edge-secret")
            #expect(service.env("DATABASE_URL")?.contains("10.0.0.5") == true)
            #expect(service.startupProbePath == "/ready")
            #expect(service.minInstanceCount == 1 && service.maxInstanceCount == 10)
            #expect(service.latestReadyRevision == "lumora-store-acme-0-2-0")

            let row = try #require(try await h.row("store-acme"))
            #expect(row == .init(runtime: "cloudrun", status: "ready", endpoint: cell.endpoint, version: "0.2.0",
                                 image: CloudRunHarness.repository + ":0.2.0", lastError: nil))

            // Idempotent: a second ensure only reads.
            let before = h.fake.requestLog.count
            #expect(try await runtime.ensure(try dedicated("acme", "0.2.0")) == cell)
            let writes = h.fake.requestLog.dropFirst(before).filter { !$0.hasPrefix("GET") }
            #expect(writes.isEmpty, "\(writes)")
        }
    }

    @Test func theSharedCellHasItsOwnServiceAndSecretReference() async throws {
        try await CloudRunHarness.with { h in
            let configuration = try CloudRunHarness.configuration(h.fake, edgeSecret: .secretManager("projects/lumora-test/secrets/edge"))
            let cell = try await h.runtime(configuration).ensure(.shared(version: CellVersion(name: "0.2.0", image: "example/lumora:custom")))
            let service = try #require(h.fake.service("lumora-shared"))
            #expect(cell.endpoint == h.fake.uri(of: "lumora-shared"))
            #expect(service.labels["lumora-cell"] == "shared")
            #expect(service.image == "example/lumora:custom")
            #expect(service.args.contains("--shared"))
            #expect(service.maxInstanceCount == 20)
            let secret = try #require(service.env.first { $0.name == "LUMORA_EDGE_SECRET" })
            #expect(secret.value == .secret(name: "projects/lumora-test/secrets/edge", version: "latest"))
        }
    }

    /// Cells offer the providers the manager was configured with; Stripe's secrets reach them
    /// through Secret Manager when a `_REF` names one, never as plain text then.
    @Test func cellsAreToldThePaymentProvidersAndStripesSecrets() async throws {
        try await CloudRunHarness.with { h in
            var environment = CloudRunConfigurationTests.base
            environment["LUMORA_CLOUDRUN_URL"] = h.fake.baseURL
            environment["LUMORA_GCP_TOKEN"] = "test-token"
            environment["LUMORA_GCP_PROJECT"] = CloudRunHarness.project
            environment["LUMORA_GCP_REGION"] = CloudRunHarness.region
            environment["LUMORA_CELL_IMAGE"] = CloudRunHarness.repository
            environment["LUMORA_PAYMENTS"] = "stripe"
            environment["LUMORA_STRIPE_SECRET_KEY_REF"] = "stripe-key"
            environment["LUMORA_STRIPE_SECRET_KEY"] = "sk_live_must_not_be_copied"
            environment["LUMORA_STRIPE_WEBHOOK_SECRET"] = "whsec_plain"
            var configuration = try CloudRunConfiguration.fromEnvironment(environment)
            configuration.retry = CloudRunHarness.fastRetry
            configuration.pollInterval = .milliseconds(2)
            _ = try await h.runtime(configuration).ensure(.shared(version: CellVersion(name: "0.2.0")))
            let env = try #require(h.fake.service("lumora-shared")).env
            #expect(env.first { $0.name == "LUMORA_PAYMENTS" }?.value == .plain("stripe"))
            #expect(env.first { $0.name == "LUMORA_STRIPE_SECRET_KEY" }?.value == .secret(name: "stripe-key", version: "latest"))
            #expect(env.first { $0.name == "LUMORA_STRIPE_WEBHOOK_SECRET" }?.value == .plain("whsec_plain"))
            #expect(!env.contains { $0.value == .plain("sk_live_must_not_be_copied") })
        }
    }

    @Test func aConflictOnCreateAdoptsOurServiceButNotAForeignOne() async throws {
        try await CloudRunHarness.with { h in
            let runtime = try h.runtime()
            let first = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            // The GET misses (a lost answer, a stale read): create answers 409, the service is ours.
            h.fake.injectFailures([404])
            #expect(try await runtime.ensure(try dedicated("acme", "0.2.0")) == first)
            #expect(h.fake.requestLog.contains { $0.hasPrefix("POST") && $0.contains("serviceId=lumora-store-acme") })

            h.fake.addForeignService(id: "lumora-store-other")
            let error = await #expect(throws: LumoraError.self) { try await runtime.ensure(try dedicated("other", "0.2.0")) }
            #expect(error?.code == "cloud_run_service_conflict")
            #expect(error?.status == .conflict)
            #expect(error?.message.contains("lumora-store-other") == true)
            h.fake.injectFailures([404])
            let viaCreate = await #expect(throws: LumoraError.self) { try await runtime.ensure(try dedicated("other", "0.2.0")) }
            #expect(viaCreate?.code == "cloud_run_service_conflict")
            #expect(h.fake.service("lumora-store-other")?.image == "gcr.io/other/app:1")
            #expect(try await h.row("store-other")?.status == "failed")
        }
    }

    @Test func aNewVersionIsCanariedThenTakesTheTraffic() async throws {
        try await CloudRunHarness.with { h in
            let runtime = try h.runtime()
            _ = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            let cell = try await runtime.ensure(try dedicated("acme", "0.3.0"))
            #expect(cell.version == "0.3.0")

            let service = try #require(h.fake.service("lumora-store-acme"))
            #expect(service.traffic == [
                FakeTrafficTarget(type: FakeTrafficTarget.revisionType, revision: "lumora-store-acme-0-3-0", percent: 100, tag: nil),
                FakeTrafficTarget(type: FakeTrafficTarget.revisionType, revision: "lumora-store-acme-0-2-0", percent: 0, tag: "previous"),
            ])
            // The canary's own URL answered /ready before the traffic moved.
            let log = h.fake.requestLog
            let probe = try #require(log.firstIndex { $0 == "GET /run/lumora-store-acme/tag/canary/ready" })
            let lastPatch = try #require(log.lastIndex { $0.hasPrefix("PATCH") })
            #expect(probe < lastPatch)
            #expect(log.filter { $0.hasPrefix("PATCH") }.count == 2)
            #expect(service.image == CloudRunHarness.repository + ":0.3.0")
            #expect(try await h.row("store-acme")?.version == "0.3.0")
        }
    }

    @Test func aFailingRevisionThrowsGooglesMessageAndKeepsTheOldRevision() async throws {
        try await CloudRunHarness.with { h in
            let runtime = try h.runtime()
            let old = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            h.fake.failRevisions(imageContaining: "broken", message: "The user-provided container failed to start and listen on the port")
            let error = await #expect(throws: LumoraError.self) {
                try await runtime.ensure(try dedicated("acme", "0.3.0", image: "example/lumora:broken"))
            }
            #expect(error?.message.contains("The user-provided container failed to start") == true)
            let service = try #require(h.fake.service("lumora-store-acme"))
            #expect(servingRevision(service) == "lumora-store-acme-0-2-0")
            let row = try #require(try await h.row("store-acme"))
            #expect(row.status == "ready" && row.version == "0.2.0" && row.endpoint == old.endpoint)
            #expect(row.lastError?.contains("failed to start") == true)
            // The old version is still what ensure finds.
            #expect(try await runtime.ensure(try dedicated("acme", "0.2.0")) == old)
        }
    }

    @Test func anUnhealthyCanaryNeverTakesTraffic() async throws {
        try await CloudRunHarness.with { h in
            // The canary never gets ready: the deadline is what ends the wait.
            let runtime = try h.runtime(try CloudRunHarness.configuration(h.fake, canaryReadyTimeout: .milliseconds(300)))
            _ = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            h.fake.unhealthyRevisions(imageContaining: "sick")
            let error = await #expect(throws: LumoraError.self) {
                try await runtime.ensure(try dedicated("acme", "0.3.0", image: "example/lumora:sick"))
            }
            #expect(error?.code == "cell_not_ready")
            #expect(error?.message.contains("503") == true)
            #expect(servingRevision(h.fake.service("lumora-store-acme")) == "lumora-store-acme-0-2-0")
            #expect(try await h.row("store-acme")?.version == "0.2.0")
        }
    }

    @Test func rollbackPinsTheOldRevision() async throws {
        try await CloudRunHarness.with { h in
            let runtime = try h.runtime()
            _ = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            _ = try await runtime.ensure(try dedicated("acme", "0.3.0"))
            let revisionsBefore = h.fake.service("lumora-store-acme")?.revisions.count
            let cell = try await runtime.rollback(try dedicated("acme", "0.2.0"))
            #expect(cell.version == "0.2.0")
            let service = try #require(h.fake.service("lumora-store-acme"))
            #expect(service.traffic == [
                FakeTrafficTarget(type: FakeTrafficTarget.revisionType, revision: "lumora-store-acme-0-2-0", percent: 100, tag: nil),
            ])
            #expect(service.revisions.count == revisionsBefore, "a rollback makes no new revision")
            #expect(try await h.row("store-acme")?.version == "0.2.0")

            // A version whose revision never existed is deployed instead.
            let fresh = try await runtime.rollback(try dedicated("acme", "0.1.0"))
            #expect(fresh.version == "0.1.0")
            #expect(servingRevision(h.fake.service("lumora-store-acme")) == "lumora-store-acme-0-1-0")
        }
    }

    @Test func stopDeletesTheServiceAndTheRecord() async throws {
        try await CloudRunHarness.with { h in
            let runtime = try h.runtime()
            _ = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            try await runtime.stop(id: "store-acme")
            #expect(h.fake.service("lumora-store-acme") == nil)
            #expect(try await h.row("store-acme") == nil)
            try await runtime.stop(id: "store-acme")
            #expect(h.fake.requestLog.last?.hasPrefix("DELETE") == true)
        }
    }

    @Test func recoverMarksCellsWhoseServiceIsGone() async throws {
        try await CloudRunHarness.with { h in
            let runtime = try h.runtime()
            _ = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            _ = try await runtime.ensure(try dedicated("beta", "0.2.0"))
            // Someone deleted beta's service behind the manager's back.
            let operation = try #require(try await runtime.cloudRun.deleteService("lumora-store-beta"))
            _ = try await runtime.cloudRun.wait(for: operation, timeout: .seconds(5), pollInterval: .milliseconds(2), what: "delete")
            try await runtime.recover()
            #expect(try await h.row("store-acme")?.status == "ready")
            let beta = try #require(try await h.row("store-beta"))
            #expect(beta.status == "failed")
            #expect(beta.lastError?.contains("lumora-store-beta") == true)
        }
    }

    @Test func aBurstOf429And503IsRiddenOutWithRetryAfter() async throws {
        try await CloudRunHarness.with { h in
            let runtime = try h.runtime()
            h.fake.injectFailures([429, 503], retryAfterSeconds: 1)
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await runtime.ensure(try dedicated("acme", "0.2.0"))
            #expect(clock.now - start >= .milliseconds(1900), "Retry-After: 1 was honoured twice")
            #expect(h.fake.service("lumora-store-acme")?.isReady == true)
        }
    }

    @Test func retriesAreBounded() async throws {
        try await CloudRunHarness.with { h in
            var policy = CloudRunHarness.fastRetry
            policy.maximumAttempts = 3
            let runtime = try h.runtime(try CloudRunHarness.configuration(h.fake, retry: policy))
            h.fake.injectFailures(Array(repeating: 503, count: 10))
            let error = await #expect(throws: LumoraError.self) { try await runtime.ensure(try dedicated("acme", "0.2.0")) }
            #expect(error?.code == "cloud_run_unavailable")
            #expect(error?.message.contains("Injected failure 503") == true)
            #expect(h.fake.requestLog.filter { $0.hasPrefix("GET /v2/") }.count == 3)
        }
    }

    @Test func otherClientErrorsSurfaceWithGooglesMessage() async throws {
        try await CloudRunHarness.with { h in
            let runtime = try h.runtime(try CloudRunHarness.configuration(h.fake, project: "someone-elses"))
            let error = await #expect(throws: LumoraError.self) { try await runtime.ensure(try dedicated("acme", "0.2.0")) }
            #expect(error?.code == "cloud_run_permission_denied")
            #expect(error?.message.contains("Permission denied on resource project someone-elses") == true)
            #expect(h.fake.requestLog.count == 1, "a 403 is not retried")
        }
    }

    @Test func aMissingImageIsNamed() async throws {
        try await CloudRunHarness.with { h in
            let runtime = try h.runtime(try CloudRunHarness.configuration(h.fake, imageRepository: nil))
            let error = await #expect(throws: LumoraError.self) { try await runtime.ensure(try dedicated("acme", "0.2.0")) }
            #expect(error?.message.contains("LUMORA_CELL_IMAGE") == true)
        }
    }
}
