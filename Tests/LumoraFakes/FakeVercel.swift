import Foundation
import Synchronization

/// The project-domain part of Vercel's REST API on loopback, following
/// `shared/contracts/vercel-domains.md`: one project, TXT verification, DNS config, the
/// documented error codes and rate limiting.
public final class FakeVercel: Sendable {
    private let server: LoopbackServer
    private let box: Box

    public let projectID: String
    public let projectName: String
    public let teamID: String?

    private final class Box: Sendable {
        let state: Mutex<VercelState>
        init(_ initial: VercelState) { state = Mutex(initial) }
    }

    private init(server: LoopbackServer, box: Box, projectID: String, projectName: String, teamID: String?) {
        self.server = server
        self.box = box
        self.projectID = projectID
        self.projectName = projectName
        self.teamID = teamID
    }

    public static func start(token: String = "vercel-test-token", projectID: String = "prj_lumora", projectName: String = "lumora-edge",
                             teamID: String? = nil) async throws -> FakeVercel {
        let box = Box(VercelState(token: token, projectID: projectID, projectName: projectName, teamID: teamID))
        let server = try await LoopbackServer.start(name: "fake-vercel") { request in
            box.state.withLock { $0.handle(request) }
        }
        return FakeVercel(server: server, box: box, projectID: projectID, projectName: projectName, teamID: teamID)
    }

    public var baseURL: String { server.baseURL }

    public func shutdown() async { await server.shutdown() }

    // MARK: knobs

    /// What public DNS says about `domain` (or, for TXT, its apex): with `txt` the
    /// verification record is findable (verify passes); with `pointsToVercel` the config
    /// is no longer misconfigured.
    public func setDNS(_ domain: String, txt: Bool = true, pointsToVercel: Bool = true) {
        box.state.withLock { $0.dns[domain.lowercased()] = VercelState.DNS(txt: txt, pointsToVercel: pointsToVercel) }
    }

    /// Adding `domain` answers 409 `domain_taken` (another project of the account uses it).
    public func takenByAnotherProject(_ domain: String) {
        box.state.withLock { _ = $0.taken.insert(domain.lowercased()) }
    }

    /// Adding `domain` answers 403 `forbidden` (another team owns it).
    public func ownedByAnotherTeam(_ domain: String) {
        box.state.withLock { _ = $0.foreignTeam.insert(domain.lowercased()) }
    }

    /// Domains at or under `rootDomain` are verified when added and not misconfigured (the
    /// platform's own wildcard, proven once).
    public func verifiedAtOnce(rootDomain: String) {
        box.state.withLock { _ = $0.verifiedRoots.insert(rootDomain.lowercased()) }
    }

    /// The next `requests` requests answer 429 `rate_limited`; the limit resets
    /// `resetInSeconds` from now (`Retry-After`, `X-RateLimit-Reset`, `error.limit`).
    public func injectRateLimit(requests: Int, resetInSeconds: Int) {
        box.state.withLock {
            $0.rateLimitedRequests = max(requests, 0)
            $0.rateLimitReset = Date().addingTimeInterval(TimeInterval(resetInSeconds))
        }
    }

    // MARK: inspection

    public var domainNames: [String] {
        box.state.withLock { $0.domains.keys.sorted() }
    }

    public func domain(_ name: String) -> FakeVercelDomain? {
        box.state.withLock { state in
            state.domains[name.lowercased()].map { domain in
                FakeVercelDomain(
                    name: domain.name, apexName: domain.apexName, projectId: domain.projectID, verified: domain.verified,
                    redirect: domain.redirect, redirectStatusCode: domain.redirectStatusCode,
                    verification: domain.verified ? [] : [
                        FakeVercelDomain.Verification(
                            type: "TXT", domain: "_vercel.\(domain.apexName)", value: domain.challenge, reason: "pending_domain_verification"),
                    ])
            }
        }
    }

    /// `METHOD /path?query` of every request, in order.
    public var requestLog: [String] {
        box.state.withLock { $0.requestLog }
    }
}

public struct FakeVercelDomain: Sendable, Equatable {
    public struct Verification: Sendable, Equatable {
        public var type: String
        public var domain: String
        public var value: String
        public var reason: String
    }

    public var name: String
    public var apexName: String
    public var projectId: String
    public var verified: Bool
    public var redirect: String?
    public var redirectStatusCode: Int?
    /// Empty once verified.
    public var verification: [Verification]
}
