import AsyncHTTPClient
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import NIOCore
import NIOHTTP1
import PostgresNIO
import Synchronization

/// `lumora bench isolation`: mixed shopper, merchant, page, cart and checkout traffic for many
/// stores through one real edge and one real shared cell, with the review's attack payloads
/// interleaved on the same pooled connections — and every answer checked for data of a store
/// other than the one whose host was asked. Every store's data carries its slug (product
/// descriptions, its name, its customers' e-mail domain), so a foreign answer is found by
/// reading it.
public struct IsolationBenchmark: Sendable {
    public let server: BenchmarkServer
    public let binary: URL
    public let stores: Int
    public let requests: Int
    public let concurrency: Int
    public let logger: Logger

    public init(server: BenchmarkServer, binary: URL, stores: Int = 200, requests: Int = 100_000, concurrency: Int = 32, logger: Logger) {
        self.server = server
        self.binary = binary
        self.stores = stores
        self.requests = requests
        self.concurrency = concurrency
        self.logger = logger
    }

    static let secret = "bench-isolation-secret"
    static let rootDomain = "iso.localhost"

    /// What one request was, for the table.
    enum Kind: String, CaseIterable, Sendable {
        case catalog = "catalog API", page = "storefront page", admin = "admin API", cart = "cart API", checkout = "checkout"
        case splitAttempt = "attack: cart-form splitting", relayAttempt = "attack: relay target", controlCharacters = "attack: control characters"
        case foreignToken = "attack: another store's token", foreignCart = "attack: another store's cart", forgedHeaders = "attack: forged x-store-id"
    }

    struct Store: Sendable {
        let slug: StoreSlug
        let token: String
        var host: String { "\(slug.rawValue).\(IsolationBenchmark.rootDomain)" }
    }

    final class Tally: Sendable {
        /// `runs` of a kind; `requests` the HTTP requests they made (a checkout is three).
        struct Counts { var runs = 0, requests = 0, foreign = 0, serverErrors = 0, unexpected = 0 }
        let counts = Mutex<[Kind: Counts]>([:])
        let latencies = Mutex(LatencySample())
        let examples = Mutex<[String]>([])

        func record(_ kind: Kind, requests: Int, foreign: Bool, serverError: Bool, unexpected: String?, duration: Duration) {
            counts.withLock { counts in
                counts[kind, default: Counts()].runs += 1
                counts[kind, default: Counts()].requests += requests
                if foreign { counts[kind, default: Counts()].foreign += 1 }
                if serverError { counts[kind, default: Counts()].serverErrors += 1 }
                if unexpected != nil { counts[kind, default: Counts()].unexpected += 1 }
            }
            latencies.withLock { $0.record(duration) }
            if let unexpected { examples.withLock { if $0.count < 10 { $0.append("\(kind.rawValue): \(unexpected)") } } }
        }
    }

    public func run() async throws -> String {
        guard stores >= 2 else { throw BenchmarkError(message: "the isolation benchmark needs at least 2 stores") }
        // The detector must see a leak when there is one, or a 0 below would mean nothing.
        let (a, b) = (try StoreSlug(validating: "iso-0000"), try StoreSlug(validating: "iso-0001"))
        guard Traffic.mentionsAnotherStore(#"{"description":"x [store:iso-0001]"}"#, than: a), Traffic.mentionsAnotherStore("buyer@iso-0000.bench", than: b),
              !Traffic.mentionsAnotherStore("Shop of iso-0001 [store:iso-0001] buyer@iso-0001.bench", than: b) else {
            throw BenchmarkError(message: "the foreign-answer detector does not work")
        }
        return try await ScratchDatabase.with(on: server, logger: logger) { scratch in
            let slugs = try (0..<stores).map { try StoreSlug(validating: String(format: "iso-%04d", $0)) }
            let (machine, tokens) = try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: 4), logger: logger) { client in
                try await BenchmarkStores.seed(client, slugs: slugs, logger: logger)
                let directory = StoreDirectory(client: client, migrations: try .store(), logger: logger)
                let scope = TenantScope(client: client, logger: logger)
                var tokens: [String] = []
                for slug in slugs {
                    tokens.append(try await directory.issueAPIToken(slug))
                    try await scope.withStore(slug) { connection in
                        // The store's mark on everything a shopper or merchant can read.
                        try await connection.run("UPDATE products SET description = description || \(" [store:\(slug.rawValue)]")", logger: logger)
                        try await connection.run("UPDATE settings SET name = \("Shop of \(slug.rawValue)")", logger: logger)
                    }
                }
                return (try await MachineDescription.read(client: client), tokens)
            }
            let catalog = zip(slugs, tokens).map { Store(slug: $0, token: $1) }

            let cell = try await CellProcess.start(binary: binary, database: scratch.cellURL, secret: Self.secret,
                                                   extra: ["--store-rate", "1000000000", "--store-burst", "1000000000", "--store-concurrency", "100000"])
            defer { cell.stop() }
            let edge = try await EdgeProcess.start(binary: binary, database: scratch.edgeURL, secret: Self.secret, rootDomain: Self.rootDomain, cell: cell.baseURL)
            defer { edge.stop() }
            for store in catalog.prefix(3) {
                try await HostRequest.waitFor(edge.baseURL + "/api/store/settings", host: store.host, status: 200)
            }

            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
                redirectConfiguration: .disallow, connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)))
            let traffic = Traffic(edge: edge.baseURL, http: http, stores: catalog)
            let tally = Tally()
            let issued = IssuedRequests()
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var generator = SystemRandomNumberGenerator()
                        while issued.requests.load(ordering: .relaxed) < requests {
                            let step = issued.runs.wrappingAdd(1, ordering: .relaxed).oldValue
                            let sent = try await traffic.one(step: step, tally: tally, using: &generator)
                            issued.requests.wrappingAdd(sent, ordering: .relaxed)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            try await http.shutdown()
            return report(tally, elapsed: elapsed, machine: machine)
        }
    }

    private func report(_ tally: Tally, elapsed: Duration, machine: MachineDescription) -> String {
        let counts = tally.counts.withLock { $0 }
        let latencies = tally.latencies.withLock { $0 }
        let total = counts.values.reduce(0) { $0 + $1.requests }
        let runs = counts.values.reduce(0) { $0 + $1.runs }
        let foreign = counts.values.reduce(0) { $0 + $1.foreign }
        let rows = Kind.allCases.map { kind -> [String] in
            let c = counts[kind] ?? Tally.Counts()
            return [kind.rawValue, String(c.runs), String(c.requests), String(c.foreign), String(c.serverErrors), String(c.unexpected)]
        }
        let examples = tally.examples.withLock { $0 }
        return """
            lumora bench isolation --stores \(stores) --requests \(requests)
            \(machine.text)
            one lumora edge, one shared lumora cell; \(concurrency) concurrent clients over keep-alive connections, each request for a store picked at random

            \(markdownTable(["traffic", "runs", "HTTP requests", "runs answered with another store's data", "runs with a 5xx", "runs not answered as expected"], rows))

            \(runs) runs, \(total) HTTP requests in \(elapsed.formattedSeconds()): \(String(format: "%.0f", Double(total) / max(elapsed.seconds, 0.001))) requests/s; \
            per run p50 \(latencies.percentile(50).formattedMilliseconds()), p99 \(latencies.percentile(99).formattedMilliseconds()); \
            **answers that belong to another store: \(foreign)**
            \(examples.isEmpty ? "" : "\nunexpected answers (first \(examples.count)):\n" + examples.map { "- " + $0 }.joined(separator: "\n"))
            """
    }
}

/// Runs started and HTTP requests sent so far, by all clients.
final class IssuedRequests: Sendable {
    let runs = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
}

/// One client's requests and the checks on what comes back.
struct Traffic: Sendable {
    let edge: String
    let http: HTTPClient
    let stores: [IsolationBenchmark.Store]

    typealias Kind = IsolationBenchmark.Kind

    struct Answer {
        let status: Int
        let body: String
        let cookies: [String: String]
    }

    /// Runs one piece of the mix; returns the HTTP requests it sent.
    func one(step: Int, tally: IsolationBenchmark.Tally, using generator: inout SystemRandomNumberGenerator) async throws -> Int {
        let store = stores[Int.random(in: 0..<stores.count, using: &generator)]
        var other = stores[Int.random(in: 0..<stores.count, using: &generator)]
        if other.slug == store.slug { other = stores[(stores.firstIndex { $0.slug == store.slug }! + 1) % stores.count] }
        // A fixed mix: shoppers and merchants mostly, one request in four an attack.
        let kinds: [Kind] = [.catalog, .catalog, .page, .catalog, .admin, .cart, .page, .checkout, .splitAttempt, .relayAttempt,
                             .controlCharacters, .foreignToken, .foreignCart, .forgedHeaders, .catalog, .page]
        let kind = kinds[step % kinds.count]
        let started = ContinuousClock.now
        var answers: [Answer] = []
        var unexpected: String?
        func expect(_ condition: Bool, _ what: @autoclosure () -> String) {
            if !condition && unexpected == nil { unexpected = what() }
        }
        do {
            switch kind {
            case .catalog:
                let answer = try await send(.GET, store, "/api/store/products?limit=5&offset=\(step % 15)")
                answers.append(answer)
                expect(answer.status == 200 && answer.body.contains("[store:\(store.slug)]"), "\(answer.status)")
            case .page:
                let answer = try await send(.GET, store, ["/", "/products", "/products/product-\(step % 20 + 1)"][step % 3])
                answers.append(answer)
                expect(answer.status == 200 && answer.body.contains("Shop of \(store.slug)"), "\(answer.status)")
            case .admin:
                let answer = try await send(.GET, store, "/api/admin/orders?limit=5", token: store.token)
                answers.append(answer)
                expect(answer.status == 200, "\(answer.status) \(answer.body.prefix(120))")
            case .cart, .checkout:
                let created = try await send(.POST, store, "/api/store/carts")
                answers.append(created)
                guard let cart = Self.field("id", in: created.body) else { expect(false, "no cart: \(created.status)"); break }
                let variant = 1 + 3 * (step % 20)
                let line = try await send(.POST, store, "/api/store/carts/\(cart)/line-items", json: #"{"variant_id":"variant_\#(variant)","quantity":1}"#)
                answers.append(line)
                expect(line.status == 200, "line \(line.status) \(line.body.prefix(120))")
                if kind == .checkout {
                    let done = try await send(.POST, store, "/api/store/carts/\(cart)/complete", json: """
                        {"email":"buyer@\(store.slug).bench","shipping_address":{"first_name":"A","last_name":"B","address_1":"1 Road",\
                        "city":"Town","postal_code":"1000","country_code":"us"}}
                        """, idempotencyKey: "bench-\(cart)")
                    answers.append(done)
                    expect(done.status == 201 || done.status == 409, "complete \(done.status) \(done.body.prefix(120))")
                }
            case .splitAttempt:
                let page = try await send(.GET, store, "/products/product-1")
                answers.append(page)
                let csrf = Self.formField("csrf", in: page.body) ?? ""
                let lineID = "item_1 HTTP/1.1\r\nhost: x\r\nx-store-id: \(other.slug)\r\n\r\nGET /admin/orders HTTP/1.1\r\nx-store-id: \(other.slug)\r\n"
                let form = "csrf=\(csrf)&quantity=1&line_id=" + (lineID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                for path in ["/cart/update", "/cart/remove"] {
                    let answer = try await send(.POST, store, path, form: form, cookies: page.cookies)
                    answers.append(answer)
                    expect((400..<500).contains(answer.status), "\(path) \(answer.status)")
                }
            case .relayAttempt:
                let answer = try await send(.GET, store, "/api/store/products/x%20HTTP%2F1.1%0D%0Ax-store-id:%20\(other.slug)%0D%0A%0D%0AGET%20%2Fadmin%2Forders")
                answers.append(answer)
                expect(answer.status == 400 || answer.status == 404, "\(answer.status)")
            case .controlCharacters:
                let answer = try await send(.GET, store, ["/api/store/products?q=%00", "/api/store/products/a%00b", "/api/store/products?collection=%1b"][step % 3])
                answers.append(answer)
                expect(answer.status == 400, "\(answer.status)")
            case .foreignToken:
                let answer = try await send(.GET, store, "/api/admin/orders", token: other.token)
                answers.append(answer)
                expect(answer.status == 401, "\(answer.status)")
            case .foreignCart:
                let created = try await send(.POST, other, "/api/store/carts")
                guard let cart = Self.field("id", in: created.body) else { expect(false, "no cart: \(created.status)"); break }
                let answer = try await send(.GET, store, "/api/store/carts/\(cart)")
                answers.append(answer)
                expect(answer.status == 404, "\(answer.status)")
            case .forgedHeaders:
                let answer = try await send(.GET, store, "/api/admin/orders", headers: [
                    ("x-store-id", other.slug.rawValue), ("x-lumora-signature", String(repeating: "0", count: 64)),
                    ("x-lumora-timestamp", String(Int(Date().timeIntervalSince1970))), ("x-forwarded-host", other.host),
                ])
                answers.append(answer)
                expect(answer.status == 401, "\(answer.status)")
            }
        } catch {
            unexpected = "\(error)"
        }
        let foreign = answers.contains { Self.mentionsAnotherStore($0.body, than: store.slug) }
        tally.record(kind, requests: answers.count, foreign: foreign, serverError: answers.contains { $0.status >= 500 }, unexpected: unexpected,
                     duration: ContinuousClock.now - started)
        return max(answers.count, 1)
    }

    /// Marks of a store other than `slug`: its products' tag, its name, its customers' domain.
    static func mentionsAnotherStore(_ body: String, than slug: StoreSlug) -> Bool {
        for marker in ["[store:iso-", "Shop of iso-", "@iso-"] {
            var rest = body[...]
            while let range = rest.range(of: marker) {
                let named = rest[range.upperBound...].prefix(4)
                if named != slug.rawValue.dropFirst(4) { return true }
                rest = rest[range.upperBound...]
            }
        }
        return false
    }

    static func field(_ name: String, in json: String) -> String? {
        guard let range = json.range(of: "\"\(name)\":\"") else { return nil }
        return String(json[range.upperBound...].prefix { $0 != "\"" })
    }

    static func formField(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    func send(_ method: HTTPMethod, _ store: IsolationBenchmark.Store, _ path: String, json: String? = nil, form: String? = nil,
              token: String? = nil, idempotencyKey: String? = nil, cookies: [String: String] = [:],
              headers extra: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: edge + path)
        request.method = method
        request.headers.replaceOrAdd(name: "Host", value: store.host)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        } else if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        var cookies: [String: String] = [:]
        for header in response.headers["set-cookie"] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            if pair.count == 2 { cookies[String(pair[0])] = String(pair[1]) }
        }
        return Answer(status: Int(response.status.code), body: String(buffer: body), cookies: cookies)
    }
}
