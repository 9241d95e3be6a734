import Foundation
import LumoraFakes
import Testing

/// The Vercel fake against `shared/contracts/vercel-domains.md`, over real HTTP.
@Suite struct FakeVercelContractTests {
    static let token = "vercel-test-token"

    struct API {
        let fake: FakeVercel
        var team: String { fake.teamID.map { "?teamId=\($0)" } ?? "" }

        func call(_ method: String, _ path: String, json: String? = nil, bearer: String? = FakeVercelContractTests.token,
                  query: String? = nil) async throws -> FakeWireReply {
            try await FakeWire.send(method, fake.baseURL + path + (query ?? team), bearer: bearer, json: json)
        }

        func add(_ name: String, project: String = "prj_lumora") async throws -> FakeWireReply {
            try await call("POST", "/v10/projects/\(project)/domains", json: #"{"name":"\#(name)"}"#)
        }
    }

    static func withFake(teamID: String? = nil, _ body: (API) async throws -> Void) async throws {
        let fake = try await FakeVercel.start(teamID: teamID)
        do {
            try await body(API(fake: fake))
        } catch {
            await fake.shutdown()
            throw error
        }
        await fake.shutdown()
    }

    @Test func aCustomDomainVerifiesOnlyOnceItsTXTRecordExists() async throws {
        try await Self.withFake { api in
            let added = try await api.add("shop.acme.com")
            #expect(added.status == 200, "\(added)")
            let domain = added.json
            #expect(domain["name"].string == "shop.acme.com")
            #expect(domain["apexName"].string == "acme.com")
            #expect(domain["projectId"].string == "prj_lumora")
            #expect(domain["verified"].bool == false)
            #expect(domain.keys.isSuperset(of: ["redirect", "redirectStatusCode", "gitBranch", "createdAt", "updatedAt"]))
            let challenge = domain["verification"][0]
            #expect(challenge["type"].string == "TXT")
            #expect(challenge["domain"].string == "_vercel.acme.com")
            #expect(challenge["value"].string?.hasPrefix("vc-domain-verify=shop.acme.com,") == true)
            #expect(challenge["reason"].string == "pending_domain_verification")

            let early = try await api.call("POST", "/v9/projects/prj_lumora/domains/shop.acme.com/verify")
            #expect(early.status == 400)
            #expect(early.json["error"]["code"].string == "missing_txt_record")
            #expect(early.json["error"]["message"].string?.isEmpty == false)
            let misconfigured = try await api.call("GET", "/v6/domains/shop.acme.com/config").json
            #expect(misconfigured["misconfigured"].bool == true)
            #expect(misconfigured["acceptedChallenges"].array.isEmpty)

            api.fake.setDNS("shop.acme.com")
            let verified = try await api.call("POST", "/v9/projects/prj_lumora/domains/shop.acme.com/verify")
            #expect(verified.status == 200)
            #expect(verified.json["verified"].bool == true)
            #expect(!verified.json["verification"].exists)
            let config = try await api.call("GET", "/v6/domains/shop.acme.com/config").json
            #expect(config["misconfigured"].bool == false)
            #expect(config["configuredBy"].string == "CNAME")
            #expect(api.fake.domain("shop.acme.com")?.verified == true)
        }
    }

    @Test func addErrorsFollowTheContract() async throws {
        try await Self.withFake { api in
            _ = try await api.add("acme.com")
            let again = try await api.add("acme.com")
            #expect(again.status == 409)
            #expect(again.json["error"]["code"].string == "domain_already_in_use")
            #expect(again.json["error"]["projectId"].string == "prj_lumora")

            api.fake.takenByAnotherProject("taken.com")
            let taken = try await api.add("taken.com")
            #expect(taken.status == 409)
            #expect(taken.json["error"]["code"].string == "domain_taken")

            api.fake.ownedByAnotherTeam("theirs.com")
            let theirs = try await api.add("theirs.com")
            #expect(theirs.status == 403)
            #expect(theirs.json["error"]["code"].string == "forbidden")

            for bad in ["not a domain", "localhost", "-acme.com", "acme..com"] {
                let reply = try await api.add(bad)
                #expect(reply.status == 400, "\(bad)")
                #expect(reply.json["error"]["code"].string == "bad_request")
            }
            #expect(try await api.add("acme.com", project: "prj_unknown").json["error"]["code"].string == "not_found")
            #expect(api.fake.domainNames == ["acme.com"])
        }
    }

    @Test func getListRemoveAndProjectByName() async throws {
        try await Self.withFake { api in
            _ = try await api.call("POST", "/v9/projects/lumora-edge/domains", json: #"{"name":"Shop.Globex.co.uk"}"#)
            let got = try await api.call("GET", "/v9/projects/prj_lumora/domains/shop.globex.co.uk")
            #expect(got.status == 200)
            #expect(got.json["apexName"].string == "globex.co.uk")
            let list = try await api.call("GET", "/v9/projects/lumora-edge/domains").json
            #expect(list["domains"].array.map { $0["name"].string } == ["shop.globex.co.uk"])
            #expect(list["pagination"].exists)
            let removed = try await api.call("DELETE", "/v9/projects/prj_lumora/domains/shop.globex.co.uk")
            #expect(removed.status == 200)
            #expect(removed.json.keys.isEmpty)
            #expect(try await api.call("DELETE", "/v9/projects/prj_lumora/domains/shop.globex.co.uk").status == 404)
            let missing = try await api.call("GET", "/v9/projects/prj_lumora/domains/shop.globex.co.uk")
            #expect(missing.json["error"]["code"].string == "not_found")
        }
    }

    @Test func thePlatformsOwnRootIsVerifiedAndConfiguredAtOnce() async throws {
        try await Self.withFake { api in
            api.fake.verifiedAtOnce(rootDomain: "lumora.shop")
            let added = try await api.add("acme.lumora.shop")
            #expect(added.json["verified"].bool == true)
            #expect(!added.json["verification"].exists)
            #expect(try await api.call("GET", "/v6/domains/acme.lumora.shop/config").json["misconfigured"].bool == false)
        }
    }

    @Test func tokensAndTeamsAreChecked() async throws {
        try await Self.withFake(teamID: "team_lumora") { api in
            let anonymous = try await api.call("GET", "/v9/projects/prj_lumora/domains", bearer: nil)
            #expect(anonymous.status == 403)
            #expect(anonymous.json["error"]["code"].string == "forbidden")
            #expect(try await api.call("GET", "/v9/projects/prj_lumora/domains", bearer: "wrong").status == 403)
            let outsideTeam = try await api.call("GET", "/v9/projects/prj_lumora/domains", query: "")
            #expect(outsideTeam.status == 403)
            #expect(try await api.call("GET", "/v9/projects/prj_lumora/domains").status == 200)
        }
    }

    @Test func rateLimitedRequestsCarryTheLimitAndRetryHeaders() async throws {
        try await Self.withFake { api in
            api.fake.injectRateLimit(requests: 2, resetInSeconds: 30)
            let first = try await api.add("acme.com")
            #expect(first.status == 429)
            #expect(first.json["error"]["code"].string == "rate_limited")
            let limit = first.json["error"]["limit"]
            #expect(limit["remaining"].int == 0)
            let reset = try #require(limit["reset"].int)
            #expect(abs(reset - Int(Date().timeIntervalSince1970) - 30) <= 2)
            #expect(limit["resetMs"].int.map { $0 / 1000 } == reset || limit["resetMs"].int.map { $0 / 1000 + 1 } == reset)
            #expect(limit["total"].int != nil)
            #expect(first.header("Retry-After").flatMap(Int.init).map { (28...30).contains($0) } == true)
            #expect(first.header("X-RateLimit-Reset") == String(reset))
            #expect(try await api.add("acme.com").status == 429)
            #expect(try await api.add("acme.com").status == 200)
            #expect(api.fake.requestLog.count == 3)
        }
    }

    @Test func unknownBodyPropertiesAreRefused() async throws {
        try await Self.withFake { api in
            let reply = try await api.call("POST", "/v10/projects/prj_lumora/domains", json: #"{"name":"acme.com","domain":"acme.com"}"#)
            #expect(reply.status == 400)
            #expect(reply.json["error"]["code"].string == "bad_request")
            let redirect = try await api.call("POST", "/v10/projects/prj_lumora/domains",
                                              json: #"{"name":"www.acme.com","redirect":"acme.com","redirectStatusCode":308}"#)
            #expect(redirect.json["redirect"].string == "acme.com")
            #expect(redirect.json["redirectStatusCode"].int == 308)
            let badStatus = try await api.call("POST", "/v10/projects/prj_lumora/domains",
                                               json: #"{"name":"shop.acme.com","redirect":"acme.com","redirectStatusCode":303}"#)
            #expect(badStatus.status == 400)
        }
    }

    @Test func afterShutdownNothingListens() async throws {
        let fake = try await FakeVercel.start()
        let url = fake.baseURL + "/v9/projects/prj_lumora/domains"
        #expect(try await FakeWire.send("GET", url, bearer: Self.token).status == 200)
        let port = try #require(URL(string: fake.baseURL)?.port)
        #expect(FakeWire.acceptsConnections(port: port))
        await fake.shutdown()
        // A plain connect, not an HTTP request: AsyncHTTPClient retries a refused connection
        // until its deadline, which would make this test slow.
        #expect(!FakeWire.acceptsConnections(port: port))
        await fake.shutdown()
    }
}
