import Foundation
import LumoraCore
import LumoraDrivers
import LumoraFakes
import Testing

@Suite struct VercelDomainProviderTests {
    static let fastRetry = RetryPolicy(maximumAttempts: 5, baseDelay: .milliseconds(5), maximumDelay: .milliseconds(50), deadline: .seconds(120))

    static func with<T: Sendable>(team: String? = nil, _ body: (FakeVercel, VercelDomainProvider) async throws -> T) async throws -> T {
        let fake = try await FakeVercel.start(token: "vercel-test-token", projectID: "prj_lumora", projectName: "lumora-edge", teamID: team)
        let provider = VercelDomainProvider(configuration: VercelConfiguration(
            baseURL: fake.baseURL, token: "vercel-test-token", project: "prj_lumora", team: team, retry: fastRetry))
        do {
            let result = try await body(fake, provider)
            await fake.shutdown()
            return result
        } catch {
            await fake.shutdown()
            throw error
        }
    }

    @Test func aCustomDomainIsPendingWithItsRecordsUntilVerifiedAndPointed() async throws {
        try await Self.with { fake, provider in
            let store = try slug("acme")
            let added = try await provider.addCustomDomain("shop.acme.com", for: store, token: "lumora-token")
            #expect(added.status == .pending)
            let txt = try #require(added.records.first { $0.type == "TXT" })
            #expect(txt.name == "_vercel.acme.com")
            #expect(txt.value.hasPrefix("vc-domain-verify="))
            #expect(added.records.contains(DNSRecord(type: "CNAME", name: "shop.acme.com", value: "cname.vercel-dns.com")))

            // No TXT record yet: still pending, with the TXT record.
            let early = try await provider.verify("shop.acme.com", for: store, token: "lumora-token")
            #expect(early.status == .pending)
            #expect(early.records.contains { $0.type == "TXT" })

            // Verified by TXT, but DNS does not point at Vercel: not live.
            fake.setDNS("shop.acme.com", txt: true, pointsToVercel: false)
            let misconfigured = try await provider.verify("shop.acme.com", for: store, token: "lumora-token")
            #expect(misconfigured.status == .pending)
            #expect(misconfigured.records == [DNSRecord(type: "CNAME", name: "shop.acme.com", value: "cname.vercel-dns.com")])
            #expect(fake.domain("shop.acme.com")?.verified == true)

            fake.setDNS("shop.acme.com", txt: true, pointsToVercel: true)
            let live = try await provider.verify("shop.acme.com", for: store, token: "lumora-token")
            #expect(live.status == .verified)
            #expect(fake.requestLog.contains { $0.hasPrefix("GET /v6/domains/shop.acme.com/config") })
        }
    }

    @Test func anApexDomainGetsAnARecord() async throws {
        try await Self.with { _, provider in
            let state = try await provider.addCustomDomain("acme.com", for: try slug("acme"), token: "t")
            #expect(state.records.contains(DNSRecord(type: "A", name: "acme.com", value: "76.76.21.21")))
        }
    }

    @Test func addingTwiceIsASuccess() async throws {
        try await Self.with { fake, provider in
            let store = try slug("acme")
            let first = try await provider.addCustomDomain("shop.acme.com", for: store, token: "t")
            let second = try await provider.addCustomDomain("shop.acme.com", for: store, token: "t")
            #expect(first.status == .pending && second.status == .pending)
            #expect(first.records == second.records)
            #expect(fake.domainNames == ["shop.acme.com"])
        }
    }

    @Test func aDomainHeldElsewhereIsAConflictTheMerchantCanActOn() async throws {
        try await Self.with { fake, provider in
            let store = try slug("acme")
            fake.takenByAnotherProject("taken.com")
            let taken = await #expect(throws: LumoraError.self) { try await provider.addCustomDomain("taken.com", for: store, token: "t") }
            #expect(taken?.status == .conflict)
            #expect(taken?.code == "domain_taken")
            #expect(taken?.message.contains("taken.com") == true)

            fake.ownedByAnotherTeam("team.com")
            let forbidden = await #expect(throws: LumoraError.self) { try await provider.addCustomDomain("team.com", for: store, token: "t") }
            #expect(forbidden?.status == .conflict)
            #expect(forbidden?.code == "domain_forbidden")
            #expect(forbidden?.message.contains("another team") == true)
        }
    }

    @Test func aPlatformSubdomainIsLiveAtOnce() async throws {
        try await Self.with { fake, provider in
            fake.verifiedAtOnce(rootDomain: "lumora.shop")
            let state = try await provider.addPlatformDomain("acme.lumora.shop", for: try slug("acme"))
            #expect(state.status == .verified)
            #expect(state.records.isEmpty)
        }
    }

    @Test func aRateLimitIsWaitedOut() async throws {
        try await Self.with { fake, provider in
            fake.injectRateLimit(requests: 2, resetInSeconds: 1)
            let clock = ContinuousClock()
            let start = clock.now
            let state = try await provider.addCustomDomain("shop.acme.com", for: try slug("acme"), token: "t")
            #expect(state.status == .pending)
            #expect(clock.now - start >= .milliseconds(200), "the reset was waited for")
            #expect(fake.requestLog.filter { $0.hasPrefix("POST /v10/projects/prj_lumora/domains") }.count == 3)
        }
    }

    @Test func theTeamIsSentOnEveryCall() async throws {
        try await Self.with(team: "team_lumora") { fake, provider in
            let store = try slug("acme")
            _ = try await provider.addCustomDomain("shop.acme.com", for: store, token: "t")
            _ = try await provider.verify("shop.acme.com", for: store, token: "t")
            try await provider.remove("shop.acme.com")
            #expect(!fake.requestLog.isEmpty)
            #expect(fake.requestLog.allSatisfy { $0.contains("teamId=team_lumora") }, "\(fake.requestLog)")
            #expect(fake.domainNames.isEmpty)
        }
    }

    @Test func removingAnAbsentDomainIsFine() async throws {
        try await Self.with { fake, provider in
            try await provider.remove("never-added.com")
            #expect(fake.requestLog.last?.hasPrefix("DELETE") == true)
        }
    }

    @Test func doctorReportsABadTokenAndAnUnknownProject() async throws {
        try await Self.with { fake, provider in
            let healthy = await provider.diagnose()
            #expect(healthy.allSatisfy { $0.ok }, "\(healthy)")

            let badToken = VercelDomainProvider(configuration: VercelConfiguration(baseURL: fake.baseURL, token: "wrong", project: "prj_lumora"))
            let tokenChecks = await badToken.diagnose()
            let token = try #require(tokenChecks.first { $0.name == "vercel token" })
            #expect(!token.ok)
            #expect(token.detail.contains("Not authorized"))

            let unknown = VercelDomainProvider(configuration: VercelConfiguration(baseURL: fake.baseURL, token: "vercel-test-token", project: "prj_nope"))
            let projectChecks = await unknown.diagnose()
            let project = try #require(projectChecks.first { $0.name == "vercel project" })
            #expect(!project.ok)
            #expect(project.detail.contains("prj_nope"), "\(project.detail)")
        }
    }
}
