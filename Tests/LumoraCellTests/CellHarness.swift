import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import LumoraCell
import LumoraMedia
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraPayments
import LumoraTestSupport
import NIOCore
import PostgresNIO
import Testing

/// A cell on a fresh database with some stores, driven through Hummingbird's test client the
/// way the edge drives it: signed `x-store-id`, admin tokens, JSON bodies.
struct CellHarness: Sendable {
    static let secret = "test-edge-secret"
    /// The image URLs that "load" in the tests (nothing is fetched from the network).
    static let images = ListedImageURLChecker(loading: ["https://cdn.example/acme.png", "https://cdn.example/logo.png"])

    let database: TestDatabase
    let http: any TestClientProtocol
    let tokens: [String: String]
    /// This run's own media folder (nothing another test uploads or sweeps).
    let media: LocalDiskMediaStore
    let signer = StoreRequestSigner(secret: CellHarness.secret)

    static func run(
        stores: [String] = ["acme", "globex"],
        mode: (([String: StoreSlug]) -> CellConfiguration.Mode)? = nil,
        limits: CellConfiguration.PlanLimits = .unlimited,
        clock: any MonotonicClock = SystemClock(),
        imageChecker: any ImageURLChecker = CellHarness.images,
        mediaQuotas: CellConfiguration.MediaQuotas = .init(),
        payments: CellConfiguration.Payments = .init(available: [.manual, .test]),
        stripe: StripeConfiguration? = nil,
        pluginFuel: UInt64? = nil,
        _ body: @Sendable (CellHarness) async throws -> Void
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
            let slugs = Dictionary(uniqueKeysWithValues: try stores.map { ($0, try StoreSlug(validating: $0)) })
            var configuration = CellConfiguration(
                mode: mode?(slugs) ?? .shared, port: 0, database: database.cellURL, signingSecret: secret,
                limits: limits, databaseConnections: 8, clock: clock)
            configuration.imageChecker = imageChecker
            let media = LocalDiskMediaStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("lumora-cell-media-\(UUID().uuidString.prefix(8))"))
            defer { try? FileManager.default.removeItem(at: media.root) }
            configuration.mediaStore = media
            configuration.mediaQuotas = mediaQuotas
            configuration.payments = payments
            configuration.stripe = stripe
            configuration.pluginFuel = pluginFuel
            // The client's waits between retries of a failing Stripe call, kept short.
            configuration.stripeRetryBackoff = .milliseconds(20)
            let app = buildApplication(configuration: configuration, logger: database.logger)
            try await app.test(.router) { client in
                try await body(CellHarness(database: database, http: client, tokens: tokens, media: media))
            }
        }
    }

    /// A request as the edge sends it: signed for `store` (unless `signed` is false) over its
    /// target, body, `Authorization`, `Idempotency-Key`, `visitor` and the dashboard's `actor`.
    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ path: String, store: String?, admin: String? = nil,
        json: String? = nil, body raw: ByteBuffer? = nil, headers extra: [(String, String)] = [], signed: Bool = true,
        visitor: String? = nil, actor: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        let authorization = admin.map { "Bearer \(tokens[$0] ?? $0)" }
        let body = raw ?? json.map { ByteBuffer(string: $0) }
        if let store, signed {
            let idempotencyKey = extra.first { $0.0.lowercased() == "idempotency-key" }?.1
            for (name, value) in signer.headers(store: store, method: method.rawValue, path: path, body: body, authorization: authorization,
                                                idempotencyKey: idempotencyKey, visitor: visitor, actor: actor) {
                headers[HTTPField.Name(name)!] = value
            }
        }
        if let authorization { headers[.authorization] = authorization }
        if json != nil { headers[.contentType] = "application/json" }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        return try await http.execute(uri: path, method: method, headers: headers, body: body)
    }

    /// Creates a published product with the given variants through the admin API.
    @discardableResult
    func createProduct(_ store: String, handle: String, title: String? = nil, variants: [(title: String, price: Int, stocked: Int)] = [("Default", 1500, 10)],
                       status: String = "published", collection: String? = nil) async throws -> JSONValue {
        let variantJSON = variants.enumerated().map { index, variant in
            #"{"title":"\#(variant.title)","sku":"\#(handle.uppercased())-\#(index)","price":{"amount":\#(variant.price),"currency":"USD"},"stocked":\#(variant.stocked)}"#
        }.joined(separator: ",")
        let collectionJSON = collection.map { #","collection":"\#($0)""# } ?? ""
        let body = #"{"title":"\#(title ?? handle.capitalized)","handle":"\#(handle)","status":"\#(status)"\#(collectionJSON),"variants":[\#(variantJSON)]}"#
        let response = try await request(.post, "/admin/products", store: store, admin: store, json: body)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try JSONValue(response)["product"]
    }
}

/// Just enough JSON for assertions: `json["cart"]["items"][0]["quantity"].int`.
struct JSONValue: Sendable, CustomStringConvertible {
    private let raw: any Sendable

    init(_ response: TestResponse) throws {
        raw = try Self.sendable(JSONSerialization.jsonObject(with: Data(buffer: response.body), options: [.fragmentsAllowed]))
    }

    private init(raw: any Sendable) { self.raw = raw }

    private static func sendable(_ value: Any) -> any Sendable {
        switch value {
        case let dictionary as [String: Any]: return dictionary.mapValues { sendable($0) } as [String: any Sendable]
        case let array as [Any]: return array.map { sendable($0) } as [any Sendable]
        case let string as String: return string
        case let number as NSNumber: return number.doubleValue == Double(number.int64Value) ? (number.int64Value as any Sendable) : number.doubleValue
        default: return "null"
        }
    }

    subscript(key: String) -> JSONValue { JSONValue(raw: (raw as? [String: any Sendable])?[key] ?? "missing:\(key)") }
    subscript(index: Int) -> JSONValue {
        let array = raw as? [any Sendable] ?? []
        return JSONValue(raw: index < array.count ? array[index] : "missing:[\(index)]")
    }

    var string: String? { raw as? String }
    var int: Int? { (raw as? Int64).map(Int.init) }
    var array: [JSONValue] { (raw as? [any Sendable] ?? []).map { JSONValue(raw: $0) } }
    var isNull: Bool { (raw as? String) == "null" }
    var exists: Bool { !((raw as? String)?.hasPrefix("missing:") ?? false) }
    var description: String { "\(raw)" }
}

extension TestResponse {
    var json: JSONValue { get throws { try JSONValue(self) } }
    var errorCode: String? { try? JSONValue(self)["error"]["code"].string }
    var text: String { String(buffer: body) }
}
