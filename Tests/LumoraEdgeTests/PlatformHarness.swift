import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import LumoraCell
import LumoraCore
import LumoraDatabase
import LumoraEdge
import LumoraMedia
import LumoraPayments
import LumoraTestSupport
import NIOCore
import NIOHTTP1
import PostgresNIO
import Testing

/// A shared cell and an edge, both on real sockets over a fresh database, with stores; driven
/// by an HTTP client that sets the `Host` header like a browser on the store's domain.
struct PlatformHarness: Sendable {
    static let secret = "edge-test-secret"
    static let rootDomain = "lumora.test"

    let database: TestDatabase
    let edgePort: Int
    let cellURL: String
    let tokens: [String: String]
    let http: HTTPClient
    /// This run's media folder, which the cell writes and the edge reads.
    let media: LocalDiskMediaStore

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: String

        /// `name=value` of every cookie set, for sending back.
        var setCookies: [String: String] {
            var cookies: [String: String] = [:]
            for header in headers["set-cookie"] {
                let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                if pair.count == 2 { cookies[String(pair[0])] = String(pair[1]) }
            }
            return cookies
        }

        /// The value of the first `name="csrf" value="…"` in the page.
        var csrf: String? { field("csrf") }

        func field(_ name: String) -> String? {
            guard let range = body.range(of: "name=\"\(name)\" value=\"") else { return nil }
            return String(body[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    static func run(
        stores: [String] = ["acme", "globex"],
        cellLimits: CellConfiguration.PlanLimits = .unlimited,
        cellClock: any MonotonicClock = SystemClock(),
        cellStripe: StripeConfiguration? = nil,
        configure: @Sendable (inout EdgeConfiguration) -> Void = { _ in },
        _ body: @Sendable (PlatformHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.withFresh { database in
            let tokens = try await database.withClient { client in
                let directory = StoreDirectory(client: client, migrations: try .store(), logger: database.logger)
                var tokens: [String: String] = [:]
                for slug in stores {
                    tokens[slug] = try await directory.create(try NewStore(slug: StoreSlug(validating: slug), name: slug.capitalized + " Store")).adminToken
                }
                return tokens
            }
            let media = LocalDiskMediaStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("lumora-platform-media-\(UUID().uuidString.prefix(8))"))
            defer { try? FileManager.default.removeItem(at: media.root) }
            // Both on port 0: each server says which port it got.
            let cellPort = ListeningPort(), edgePort = ListeningPort()
            var cellConfiguration = CellConfiguration(mode: .shared, port: 0, database: database.cellURL, signingSecret: secret,
                                                      limits: cellLimits, databaseConnections: 6, clock: cellClock)
            // Nothing is fetched from the network: these logo URLs "load".
            cellConfiguration.imageChecker = ListedImageURLChecker(loading: ["https://cdn.example/acme.png"])
            cellConfiguration.mediaStore = media
            cellConfiguration.stripe = cellStripe
            cellConfiguration.stripeRetryBackoff = .milliseconds(20)
            let cell = LumoraCell.buildApplication(configuration: cellConfiguration, logger: database.logger, onListening: { cellPort.report($0) })
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await cell.run() }
                do {
                    let cellURL = "http://127.0.0.1:\(try await cellPort.value)"
                    var edgeConfiguration = EdgeConfiguration(port: 0, rootDomain: rootDomain, database: database.edgeURL,
                                                              signingSecret: secret, sharedCellURL: cellURL, mediaStore: media)
                    configure(&edgeConfiguration)
                    let edge = try await LumoraEdge.buildApplication(configuration: edgeConfiguration, logger: database.logger,
                                                                     onListening: { edgePort.report($0) })
                    group.addTask { try await edge.run() }
                    let harness = PlatformHarness(database: database, edgePort: try await edgePort.value, cellURL: cellURL, tokens: tokens, http: http,
                                                  media: media)
                    try await waitUntil {
                        let edgeUp = (try? await harness.get(rootDomain, "/")) != nil
                        let cellReady = (try? await http.execute(HTTPClientRequest(url: cellURL + "/ready"), timeout: .seconds(1)).status) == .ok
                        return edgeUp && cellReady
                    }
                    try await body(harness)
                } catch {
                    group.cancelAll()
                    try? await http.shutdown()
                    throw error
                }
                group.cancelAll()
            }
            try await http.shutdown()
        }
    }

    func host(_ store: String) -> String { "\(store).\(Self.rootDomain)" }

    func get(_ host: String, _ path: String, cookies: [String: String] = [:], headers: [(String, String)] = []) async throws -> Reply {
        try await send(.GET, host, path, cookies: cookies, headers: headers)
    }

    func post(_ host: String, _ path: String, form: [String: String], cookies: [String: String] = [:]) async throws -> Reply {
        let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await send(.POST, host, path, cookies: cookies, headers: [("content-type", "application/x-www-form-urlencoded")], body: body)
    }

    func send(_ method: HTTPMethod, _ host: String, _ path: String, cookies: [String: String] = [:],
              headers: [(String, String)] = [], body: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(edgePort)\(path)")
        request.method = method
        request.headers.replaceOrAdd(name: "Host", value: host)
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: patientRequestDeadline)
        let collected = try await response.body.collect(upTo: 4 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: collected))
    }

    /// The store's admin API, through the edge's `/api/admin` on the store's own host.
    @discardableResult
    func admin(_ store: String, _ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> Reply {
        var headers = [("authorization", "Bearer \(tokens[store] ?? "")")]
        if json != nil { headers.append(("content-type", "application/json")) }
        return try await send(method, host(store), "/api/admin" + path, headers: headers, body: json)
    }

    func createProduct(_ store: String, handle: String, title: String, price: Int = 1500, stocked: Int = 10,
                       images: [String] = [], variants: [String] = ["Default"]) async throws {
        let variantJSON = variants.enumerated().map { index, name in
            #"{"title":"\#(name)","sku":"\#(store)-\#(handle)-\#(index)","price":{"amount":\#(price),"currency":"USD"},"stocked":\#(stocked)}"#
        }.joined(separator: ",")
        let imageJSON = images.map { "\"\($0)\"" }.joined(separator: ",")
        let reply = try await admin(store, .POST, "/products",
                                    json: #"{"title":"\#(title)","handle":"\#(handle)","status":"published","images":[\#(imageJSON)],"variants":[\#(variantJSON)]}"#)
        try #require(reply.status == 201, "\(reply.body)")
    }

    func sql(_ query: PostgresQuery) async throws {
        try await database.withClient { client in _ = try await client.query(query).hasRows() }
    }
}
