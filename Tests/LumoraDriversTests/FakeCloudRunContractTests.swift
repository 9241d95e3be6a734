import Foundation
import LumoraFakes
import Testing

/// The Cloud Run fake against `shared/contracts/cloud-run-admin-v2.md`, over real HTTP.
@Suite struct FakeCloudRunContractTests {
    static let token = "test-token"

    struct API {
        let fake: FakeCloudRun
        var parent: String { "/v2/projects/lumora-test/locations/europe-west1" }

        func call(_ method: String, _ path: String, json: String? = nil, bearer: String? = FakeCloudRunContractTests.token) async throws -> FakeWireReply {
            try await FakeWire.send(method, fake.baseURL + path, bearer: bearer, json: json)
        }

        func create(_ id: String, _ body: String) async throws -> FakeWireReply {
            try await call("POST", "\(parent)/services?serviceId=\(id)", json: body)
        }

        func patch(_ id: String, _ body: String, query: String = "") async throws -> FakeWireReply {
            try await call("PATCH", "\(parent)/services/\(id)\(query)", json: body)
        }

        func get(_ id: String) async throws -> FakeWireReply {
            try await call("GET", "\(parent)/services/\(id)")
        }

        /// `POST /v2/{operation}:wait` on the operation a create/patch/delete answered.
        func wait(_ operation: FakeWireReply) async throws -> FakeWireReply {
            let name = try #require(operation.json["name"].string, "\(operation)")
            return try await call("POST", "/v2/\(name):wait", json: #"{"timeout":"30s"}"#)
        }

        func poll(_ operation: FakeWireReply) async throws -> FakeWireReply {
            let name = try #require(operation.json["name"].string, "\(operation)")
            return try await call("GET", "/v2/\(name)")
        }

        func container(_ uri: String, _ path: String) async throws -> FakeWireReply {
            try await FakeWire.send("GET", uri + path)
        }
    }

    static func withFake(_ body: (API) async throws -> Void) async throws {
        let fake = try await FakeCloudRun.start()
        do {
            try await body(API(fake: fake))
        } catch {
            await fake.shutdown()
            throw error
        }
        await fake.shutdown()
    }

    /// A Service body as the drivers send it: whole template, explicit traffic.
    static func service(image: String = "europe-docker.pkg.dev/lumora/cell:1.0.0", revision: String? = nil, version: String = "1.0.0",
                        traffic: String? = nil, etag: String? = nil, labels: String = #"{"managed-by":"lumora"}"#) -> String {
        let revisionField = revision.map { #""revision":"\#($0)","# } ?? ""
        let trafficField = traffic.map { #","traffic":\#($0)"# } ?? ""
        let etagField = etag.map { #","etag":"\#($0.replacingOccurrences(of: "\"", with: "\\\""))""# } ?? ""
        return #"""
        {"labels":\#(labels),"template":{\#(revisionField)"scaling":{"minInstanceCount":0,"maxInstanceCount":3},"containers":[{"image":"\#(image)","args":["cell"],"env":[{"name":"LUMORA_VERSION","value":"\#(version)"},{"name":"LUMORA_DB","valueSource":{"secretKeyRef":{"secret":"db-url","version":"latest"}}}],"ports":[{"containerPort":8080}],"startupProbe":{"httpGet":{"path":"/ready"},"periodSeconds":1,"failureThreshold":30}}]}\#(trafficField)\#(etagField)}
        """#
    }

    @Test func createAnswersAnOperationAndTheServiceSettlesAfterPolls() async throws {
        try await Self.withFake { api in
            let created = try await api.create("lumora-store-acme", Self.service())
            #expect(created.status == 200, "\(created)")
            #expect(created.json["name"].string?.hasPrefix("projects/lumora-test/locations/europe-west1/operations/") == true)
            #expect(created.json["done"].bool == false)
            #expect(created.json["metadata"]["@type"].string == "type.googleapis.com/google.cloud.run.v2.Service")
            #expect(api.fake.requestLog.first == "POST /v2/projects/lumora-test/locations/europe-west1/services?serviceId=lumora-store-acme")

            // It exists at once, reconciling; int64 fields are strings.
            let early = try await api.get("lumora-store-acme").json
            #expect(early["generation"].string == "1")
            #expect(early["reconciling"].bool == true)
            #expect(early["terminalCondition"]["state"].string == "CONDITION_RECONCILING")

            let first = try await api.poll(created)
            #expect(first.json["done"].bool == false)
            let second = try await api.poll(created)
            #expect(second.json["done"].bool == true, "\(second)")
            #expect(second.json["response"]["@type"].string == "type.googleapis.com/google.cloud.run.v2.Service")
            #expect(!second.json["error"].exists)

            let settled = try await api.get("lumora-store-acme").json
            #expect(settled["reconciling"].bool != true)
            #expect(settled["terminalCondition"]["state"].string == "CONDITION_SUCCEEDED")
            #expect(settled["observedGeneration"].isString && settled["observedGeneration"].string == settled["generation"].string)
            let latest = try #require(settled["latestCreatedRevision"].string)
            #expect(latest.hasPrefix("projects/lumora-test/locations/europe-west1/services/lumora-store-acme/revisions/lumora-store-acme-"))
            #expect(settled["latestReadyRevision"].string == latest)
            #expect(settled["uri"].string == api.fake.baseURL + "/run/lumora-store-acme")

            let snapshot = try #require(api.fake.service("lumora-store-acme"))
            #expect(snapshot.isReady)
            #expect(snapshot.labels == ["managed-by": "lumora"])
            #expect(snapshot.args == ["cell"])
            #expect(snapshot.env("LUMORA_VERSION") == "1.0.0")
            #expect(snapshot.env.contains(FakeEnvVar(name: "LUMORA_DB", value: .secret(name: "db-url", version: "latest"))))
            #expect(snapshot.minInstanceCount == 0 && snapshot.maxInstanceCount == 3)
            #expect(snapshot.startupProbePath == "/ready")
            // Generated names: <service>-<5 digits>-<3 letters>.
            #expect(snapshot.revisions.first?.name.wholeMatch(of: /lumora-store-acme-\d{5}-[a-z]{3}/) != nil)
        }
    }

    @Test func duplicateAndInvalidIDsAreRefused() async throws {
        try await Self.withFake { api in
            _ = try await api.create("lumora-shared", Self.service())
            let again = try await api.create("lumora-shared", Self.service())
            #expect(again.status == 409)
            #expect(again.json["error"]["status"].string == "ALREADY_EXISTS")
            #expect(again.json["error"]["code"].int == 409)
            for bad in ["Lumora", "1lumora", "lumora-", "lumora_shop", String(repeating: "a", count: 50)] {
                let reply = try await api.create(bad, Self.service())
                #expect(reply.status == 400, "\(bad)")
                #expect(reply.json["error"]["status"].string == "INVALID_ARGUMENT")
            }
            #expect(try await api.create(String(repeating: "a", count: 49), Self.service()).status == 200)
        }
    }

    @Test func waitFinishesAnOperationAtOnce() async throws {
        try await Self.withFake { api in
            api.fake.setOperationPolls(1000)
            let created = try await api.create("lumora-store-acme", Self.service())
            #expect(try await api.poll(created).json["done"].bool == false)
            let waited = try await api.wait(created)
            #expect(waited.status == 200)
            #expect(waited.json["done"].bool == true)
            #expect(api.fake.service("lumora-store-acme")?.isReady == true)
        }
    }

    @Test func authenticationAndResourcePathsAreChecked() async throws {
        try await Self.withFake { api in
            let anonymous = try await api.call("GET", "\(api.parent)/services", bearer: nil)
            #expect(anonymous.status == 401)
            #expect(anonymous.json["error"]["status"].string == "UNAUTHENTICATED")
            #expect(try await api.call("GET", "\(api.parent)/services", bearer: "stolen").status == 401)
            let otherProject = try await api.call("GET", "/v2/projects/other/locations/europe-west1/services")
            #expect(otherProject.status == 403)
            #expect(otherProject.json["error"]["status"].string == "PERMISSION_DENIED")
            #expect(try await api.call("GET", "/v2/projects/lumora-test/locations/us-central1/services").status == 404)
            let missing = try await api.get("nothing-here")
            #expect(missing.status == 404)
            #expect(missing.json["error"]["status"].string == "NOT_FOUND")
            api.fake.acceptToken("another-token")
            #expect(try await api.call("GET", "\(api.parent)/services", bearer: "another-token").status == 200)
        }
    }

    @Test func aFailingRevisionFailsTheOperationAndKeepsTrafficWhereItWas() async throws {
        try await Self.withFake { api in
            _ = try await api.wait(try await api.create("lumora-store-acme", Self.service(revision: "lumora-store-acme-v1")))
            api.fake.failRevisions(imageContaining: "broken", message: "The user-provided container failed to start and listen on PORT=8080.")
            let patched = try await api.patch("lumora-store-acme", Self.service(
                image: "europe-docker.pkg.dev/lumora/cell:broken", revision: "lumora-store-acme-v2", version: "2.0.0"))
            #expect(patched.status == 200, "\(patched)")
            let done = try await api.wait(patched)
            #expect(done.json["done"].bool == true)
            #expect([9, 13].contains(done.json["error"]["code"].int ?? 0), "\(done)")
            #expect(done.json["error"]["message"].string?.contains("failed to start") == true)
            #expect(!done.json["response"].exists)

            let service = try await api.get("lumora-store-acme").json
            #expect(service["terminalCondition"]["type"].string == "Ready")
            #expect(service["terminalCondition"]["state"].string == "CONDITION_FAILED")
            #expect(service["terminalCondition"]["message"].string?.contains("failed to start") == true)
            #expect(service["latestReadyRevision"].string?.hasSuffix("/revisions/lumora-store-acme-v1") == true)
            #expect(service["latestCreatedRevision"].string?.hasSuffix("/revisions/lumora-store-acme-v2") == true)
            let snapshot = try #require(api.fake.service("lumora-store-acme"))
            #expect(!snapshot.isReady)
            #expect(snapshot.revision("lumora-store-acme-v2")?.ready == false)
            #expect(snapshot.revision("lumora-store-acme-v2")?.failureMessage != nil)
            // Traffic (LATEST) still reaches v1.
            let ready = try await api.container(api.fake.uri(of: "lumora-store-acme"), "/ready")
            #expect(ready.status == 200)
            #expect(ready.json["version"].string == "1.0.0")
        }
    }

    @Test func trafficMustAddUpAndNameExistingRevisions() async throws {
        try await Self.withFake { api in
            _ = try await api.wait(try await api.create("lumora-store-acme", Self.service(revision: "lumora-store-acme-v1")))
            let ninety = #"[{"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION","revision":"lumora-store-acme-v1","percent":90}]"#
            let bad = try await api.patch("lumora-store-acme", Self.service(revision: "lumora-store-acme-v1", traffic: ninety))
            #expect(bad.status == 400)
            #expect(bad.json["error"]["status"].string == "INVALID_ARGUMENT")

            let ghost = #"[{"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION","revision":"lumora-store-acme-v9","percent":100}]"#
            let patched = try await api.patch("lumora-store-acme", Self.service(revision: "lumora-store-acme-v1", traffic: ghost))
            #expect(patched.status == 200)
            let done = try await api.wait(patched)
            #expect([3, 5].contains(done.json["error"]["code"].int ?? 0), "\(done)")
            #expect(api.fake.service("lumora-store-acme")?.terminalState == "CONDITION_FAILED")
        }
    }

    @Test func canaryByTagThenShiftThenRollback() async throws {
        try await Self.withFake { api in
            api.fake.unhealthyRevisions(imageContaining: "sick")
            _ = try await api.wait(try await api.create("lumora-store-acme", Self.service(revision: "lumora-store-acme-v1")))
            let pinned = #"""
            [{"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION","revision":"lumora-store-acme-v1","percent":100,"tag":"stable"},
             {"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION","revision":"lumora-store-acme-v2","percent":0,"tag":"canary"}]
            """#
            let canary = Self.service(image: "europe-docker.pkg.dev/lumora/cell:2.0.0", revision: "lumora-store-acme-v2", version: "2.0.0", traffic: pinned)
            let done = try await api.wait(try await api.patch("lumora-store-acme", canary))
            #expect(!done.json["error"].exists, "\(done)")
            let service = try await api.get("lumora-store-acme").json
            #expect(service["generation"].string == "2")
            let statuses = service["trafficStatuses"].array
            #expect(statuses.count == 2)
            let canaryURI = try #require(statuses.first { $0["tag"].string == "canary" }?["uri"].string)
            #expect(canaryURI == api.fake.uri(of: "lumora-store-acme", tag: "canary"))
            #expect(try await api.container(canaryURI, "/ready").json["version"].string == "2.0.0")
            #expect(try await api.container(api.fake.uri(of: "lumora-store-acme"), "/ready").json["version"].string == "1.0.0")

            // Shift: traffic only, same template: no new revision.
            let shifted = #"""
            [{"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION","revision":"lumora-store-acme-v1","percent":10,"tag":"stable"},
             {"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION","revision":"lumora-store-acme-v2","percent":90,"tag":"canary"}]
            """#
            _ = try await api.wait(try await api.patch("lumora-store-acme", Self.service(
                image: "europe-docker.pkg.dev/lumora/cell:2.0.0", revision: "lumora-store-acme-v2", version: "2.0.0", traffic: shifted)))
            #expect(api.fake.service("lumora-store-acme")?.revisions.count == 2)
            #expect(try await api.container(api.fake.uri(of: "lumora-store-acme"), "/ready").json["version"].string == "2.0.0")

            // Same revision name, other configuration: 409.
            let reused = try await api.patch("lumora-store-acme", Self.service(image: "other:1", revision: "lumora-store-acme-v2", traffic: shifted))
            #expect(reused.status == 409, "\(reused)")

            // An unhealthy canary deploys but fails its checks; its errors show in /metrics.
            let sick = #"""
            [{"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION","revision":"lumora-store-acme-v2","percent":100,"tag":"stable"},
             {"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION","revision":"lumora-store-acme-v3","percent":0,"tag":"canary"}]
            """#
            let deployed = try await api.wait(try await api.patch("lumora-store-acme", Self.service(
                image: "europe-docker.pkg.dev/lumora/cell:3.0.0-sick", revision: "lumora-store-acme-v3", version: "3.0.0", traffic: sick)))
            #expect(!deployed.json["error"].exists)
            let canaryNow = api.fake.uri(of: "lumora-store-acme", tag: "canary")
            #expect(try await api.container(canaryNow, "/ready").status == 503)
            #expect(try await api.container(canaryNow, "/store/products").status == 500)
            #expect(try await api.container(canaryNow, "/metrics").status == 500)
            let healthy = api.fake.uri(of: "lumora-store-acme", tag: "stable")
            #expect(try await FakeWire.send("GET", healthy + "/store/products", headers: [("x-store-id", "acme")]).header("x-lumora-version") == "2.0.0")
            let metrics = try await api.container(healthy, "/metrics").text
            #expect(metrics.contains(#"lumora_cell_requests_total{store="acme",status="2xx"} 1"#), "\(metrics)")
            #expect(api.fake.service("lumora-store-acme")?.revision("lumora-store-acme-v3")?.requests["-", default: [:]]["5xx"] == 3)
            #expect(try await api.container(api.fake.uri(of: "lumora-store-acme"), "/store/products").status == 200)

            // Rollback.
            let rollback = #"[{"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION","revision":"lumora-store-acme-v1","percent":100}]"#
            let rolled = try await api.wait(try await api.patch("lumora-store-acme", Self.service(
                image: "europe-docker.pkg.dev/lumora/cell:3.0.0-sick", revision: "lumora-store-acme-v3", version: "3.0.0", traffic: rollback)))
            #expect(!rolled.json["error"].exists)
            #expect(try await api.container(api.fake.uri(of: "lumora-store-acme"), "/ready").json["version"].string == "1.0.0")
            let snapshot = try #require(api.fake.service("lumora-store-acme"))
            #expect(snapshot.trafficStatuses == [FakeTrafficTarget(type: FakeTrafficTarget.revisionType, revision: "lumora-store-acme-v1", percent: 100, tag: nil)])
        }
    }

    @Test func injectedFailuresAnswerInOrderWithRetryAfter() async throws {
        try await Self.withFake { api in
            api.fake.injectFailures([429, 503], retryAfterSeconds: 7)
            let limited = try await api.call("GET", "\(api.parent)/services")
            #expect(limited.status == 429)
            #expect(limited.json["error"]["status"].string == "RESOURCE_EXHAUSTED")
            #expect(limited.header("Retry-After") == "7")
            let unavailable = try await api.call("GET", "\(api.parent)/services")
            #expect(unavailable.status == 503)
            #expect(unavailable.json["error"]["status"].string == "UNAVAILABLE")
            #expect(try await api.call("GET", "\(api.parent)/services").status == 200)

            // Containers are not the Admin API: they do not consume injected failures.
            api.fake.injectFailures([500])
            #expect(try await api.container(api.fake.uri(of: "nothing"), "/ready").status == 404)
            let failed = try await api.call("GET", "\(api.parent)/services")
            #expect(failed.status == 500)
            #expect(failed.json["error"]["status"].string == "INTERNAL")
        }
    }

    @Test func etagsAllowMissingDeleteAndList() async throws {
        try await Self.withFake { api in
            _ = try await api.wait(try await api.create("lumora-store-acme", Self.service()))
            let before = try await api.get("lumora-store-acme").json
            let etag = try #require(before["etag"].string)
            let stale = try await api.patch("lumora-store-acme", Self.service(etag: "\"stale\""))
            #expect(stale.status == 409)
            #expect(stale.json["error"]["status"].string == "ABORTED")
            let fresh = try await api.patch("lumora-store-acme", Self.service(version: "1.0.1", etag: etag))
            #expect(fresh.status == 200)
            #expect(try await api.get("lumora-store-acme").json["etag"].string != etag)

            #expect(try await api.patch("lumora-store-globex", Self.service()).status == 404)
            let upserted = try await api.patch("lumora-store-globex", Self.service(), query: "?allowMissing=true")
            #expect(upserted.status == 200)
            api.fake.addForeignService(id: "billing-api")

            let page = try await api.call("GET", "\(api.parent)/services?pageSize=2").json
            #expect(page["services"].array.count == 2)
            let token = try #require(page["nextPageToken"].string)
            let rest = try await api.call("GET", "\(api.parent)/services?pageSize=2&pageToken=\(token)").json
            #expect(rest["services"].array.count == 1)
            #expect(!rest["nextPageToken"].exists)

            let deleting = try await api.call("DELETE", "\(api.parent)/services/lumora-store-acme")
            #expect(deleting.status == 200)
            #expect(deleting.json["done"].bool == false)
            _ = try await api.wait(deleting)
            #expect(try await api.get("lumora-store-acme").status == 404)
            #expect(api.fake.serviceIDs == ["billing-api", "lumora-store-globex"])
            #expect(api.fake.service("billing-api")?.labels["managed-by"] == nil)
        }
    }

    @Test func unknownFieldsAreRefusedAndSnakeCaseIsAccepted() async throws {
        try await Self.withFake { api in
            let misspelt = Self.service().replacingOccurrences(of: "\"minInstanceCount\"", with: "\"minInstances\"")
            let refused = try await api.create("lumora-store-acme", misspelt)
            #expect(refused.status == 400)
            #expect(refused.json["error"]["message"].string?.contains("Unknown name \"minInstances\"") == true, "\(refused)")
            #expect(api.fake.serviceIDs.isEmpty)

            let snake = Self.service().replacingOccurrences(of: "\"minInstanceCount\":0", with: "\"min_instance_count\":1")
            _ = try await api.wait(try await api.create("lumora-store-acme", snake))
            #expect(api.fake.service("lumora-store-acme")?.minInstanceCount == 1)

            let wrongType = Self.service().replacingOccurrences(of: "\"args\":[\"cell\"]", with: "\"args\":\"cell\"")
            #expect(try await api.patch("lumora-store-acme", wrongType).status == 400)
        }
    }

    @Test func pointingTheTemplateBackAtAGoodRevisionRecoversFromAFailedDeploy() async throws {
        try await Self.withFake { api in
            let v1 = Self.service(revision: "lumora-store-acme-v1")
            _ = try await api.wait(try await api.create("lumora-store-acme", v1))
            api.fake.failRevisions(imageContaining: "broken", message: "Container failed to start.")
            let failed = try await api.wait(try await api.patch("lumora-store-acme", Self.service(image: "cell:broken", revision: "lumora-store-acme-v2")))
            #expect(failed.json["error"].exists)
            let recovered = try await api.wait(try await api.patch("lumora-store-acme", v1))
            #expect(!recovered.json["error"].exists, "\(recovered)")
            let snapshot = try #require(api.fake.service("lumora-store-acme"))
            #expect(snapshot.isReady)
            #expect(snapshot.latestCreatedRevision == "lumora-store-acme-v1")
            #expect(snapshot.revisions.map(\.name) == ["lumora-store-acme-v1", "lumora-store-acme-v2"])
            // A LATEST status names the revision it reached.
            #expect(snapshot.trafficStatuses.first?.revision == "lumora-store-acme-v1")
            #expect(snapshot.trafficStatuses.first?.isLatest == true)
        }
    }

    @Test func aFirstRevisionThatFailsLeavesNothingServing() async throws {
        try await Self.withFake { api in
            api.fake.failRevisions(imageContaining: "crashloop", message: "Container called exit(1).")
            let done = try await api.wait(try await api.create("lumora-store-acme", Self.service(image: "cell:crashloop")))
            #expect(done.json["error"]["code"].int == 9)
            let service = try await api.get("lumora-store-acme").json
            #expect(!service["latestReadyRevision"].exists)
            #expect(service["terminalCondition"]["state"].string == "CONDITION_FAILED")
            #expect(try await api.container(api.fake.uri(of: "lumora-store-acme"), "/ready").status == 503)
        }
    }

    @Test func operationsAndPagesThatDoNotExist() async throws {
        try await Self.withFake { api in
            let unknown = try await api.call("GET", "\(api.parent)/operations/no-such-operation")
            #expect(unknown.status == 404)
            #expect(unknown.json["error"]["status"].string == "NOT_FOUND")
            #expect(try await api.call("POST", "\(api.parent)/operations/no-such-operation:wait", json: "{}").status == 404)
            #expect(try await api.call("GET", "\(api.parent)/services?pageToken=garbage").status == 400)
            #expect(try await api.create("lumora-store-acme", "not json").status == 400)
            #expect(try await api.create("lumora-store-acme", #"{"template":{"containers":[]}}"#).status == 400)
            #expect(try await api.call("POST", "\(api.parent)/services").status == 400)
            #expect(api.fake.serviceIDs.isEmpty)

            _ = try await api.wait(try await api.create("lumora-store-acme", Self.service()))
            let staleDelete = try await api.call("DELETE", "\(api.parent)/services/lumora-store-acme?etag=%22old%22")
            #expect(staleDelete.status == 409)
            let validated = try await api.patch("lumora-store-acme", Self.service(version: "9.9.9"), query: "?validateOnly=true")
            #expect(validated.status == 200)
            #expect(api.fake.service("lumora-store-acme")?.env("LUMORA_VERSION") == "1.0.0")
            #expect(api.fake.service("lumora-store-acme")?.revisions.count == 1)
        }
    }
}
