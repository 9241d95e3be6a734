import LumoraCore
@testable import LumoraDatabase
@testable import LumoraRouting
@testable import LumoraEdge
import NIOCore
import NIOHTTP1
import Testing

/// When the edge reads a store's route again and sends once more: a misdirected answer, or a
/// read that a store's own cell did not answer (it may have been stopped after a move this edge
/// has not heard of yet) — never a write, and never for a shared cell's outage.
@Suite struct RouteRereadTests {
    static func route(cell: String?) throws -> StoreRoute {
        StoreRoute(slug: try StoreSlug(validating: "acme"), name: "Acme", plan: cell == nil ? .standard : .enterprise, status: .active,
                   cellID: cell, currency: .usd, apiTokenHashes: [], domains: [])
    }

    static let noAnswer: Result<CellClient.Reply, any Error> = .failure(CellClient.unreachable)

    @Test func aReadThatItsOwnCellDidNotAnswerIsSentAgain() throws {
        #expect(CellClient.shouldRereadRoute(after: Self.noAnswer, method: .GET, store: try Self.route(cell: "store-acme")))
        #expect(CellClient.shouldRereadRoute(after: Self.noAnswer, method: .HEAD, store: try Self.route(cell: "store-acme")))
    }

    @Test func writesAndSharedCellOutagesAreNot() throws {
        #expect(!CellClient.shouldRereadRoute(after: Self.noAnswer, method: .POST, store: try Self.route(cell: "store-acme")))
        #expect(!CellClient.shouldRereadRoute(after: Self.noAnswer, method: .GET, store: try Self.route(cell: nil)))
    }

    @Test func anAnswerIsSentAgainOnlyWhenMisdirected() throws {
        let ok = CellClient.Reply(status: .ok, headers: [:], body: ByteBuffer(string: "{}"))
        let moved = CellClient.Reply(status: .forbidden, headers: [:], body: ByteBuffer(string: #"{"error":{"code":"wrong_cell","message":""}}"#))
        #expect(!CellClient.shouldRereadRoute(after: .success(ok), method: .GET, store: try Self.route(cell: nil)))
        #expect(CellClient.shouldRereadRoute(after: .success(moved), method: .POST, store: try Self.route(cell: nil)))
    }
}

/// Over real sockets: a cell that refuses a store as placed elsewhere while the route, read
/// again, still leads to it (its own table was behind) is asked once more — it acted on nothing.
@Suite struct MisdirectedResendTests {
    @Test func aRefusalFromTheCellTheRouteStillNamesIsSentOnceMore() async throws {
        try await FakeCell.with { cell, _, _ in
            let endpoint = cell.endpoint
            try await PlatformHarness.run(configure: { $0.sharedCellURL = endpoint }) { platform in
                cell.misdirections = 1
                let before = cell.requests
                let reply = try await platform.get(platform.host("acme"), "/api/store/settings")
                #expect(reply.status == 200, "\(reply.body)")
                #expect(reply.body.contains("Fake"))
                #expect(cell.requests - before == 2)
                // A cell that keeps refusing: the second refusal is the answer (no loop).
                cell.misdirections = 5
                let refused = try await platform.get(platform.host("acme"), "/api/store/settings")
                #expect(refused.status == 403)
            }
        }
    }
}
