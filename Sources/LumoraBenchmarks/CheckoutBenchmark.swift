import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraProcess
import NIOCore
import NIOHTTP1
import PostgresNIO
import Synchronization

/// `lumora bench checkout`: whole checkouts — cart, line, address, shipping options, shipping
/// method, complete, test-card payment: seven API calls — through a real edge and a real
/// shared cell, many clients at once, against stores with a shipping zone and a tax rate; then
/// pgbench on the same database running one checkout's transactions (the same statements,
/// one transaction per API call, each entering the store's role and schema the way the cell
/// does), so the table says what the HTTP, JSON and Swift layers cost over the database alone.
public struct CheckoutBenchmark: Sendable {
    public let server: BenchmarkServer
    public let binary: URL
    public let stores: Int
    public let seconds: Int
    public let concurrency: Int
    /// A cart.discounts module to install in every store first (`lumora bench plugins`).
    public let plugin: [UInt8]?
    public let logger: Logger

    public init(server: BenchmarkServer, binary: URL, stores: Int = 10, seconds: Int = 20, concurrency: Int = 16, plugin: [UInt8]? = nil,
                logger: Logger) {
        self.server = server
        self.binary = binary
        self.stores = stores
        self.seconds = seconds
        self.concurrency = concurrency
        self.plugin = plugin
        self.logger = logger
    }

    static let secret = "bench-checkout-secret"
    static let calls = 7

    public func run() async throws -> String {
        let pgbench = try LoadTools.require("pgbench")
        return try await ScratchDatabase.with(on: server, logger: logger) { scratch in
            let slugs = try (0..<max(stores, 1)).map { try StoreSlug(validating: String(format: "chk-%04d", $0)) }
            let (machine, tokens) = try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: 4), logger: logger) { client in
                try await BenchmarkStores.seed(client, slugs: slugs, logger: logger)
                let directory = StoreDirectory(client: client, migrations: try .store(), logger: logger)
                let scope = TenantScope(client: client, logger: logger)
                var tokens: [String] = []
                for slug in slugs {
                    tokens.append(try await directory.issueAPIToken(slug))
                    // Stock for every checkout of the run: the benchmark measures selling, not selling out.
                    try await scope.withStore(slug) { connection in try await connection.run("UPDATE inventory SET stocked = 100000000", logger: logger) }
                    if let plugin {
                        try await client.query("""
                            INSERT INTO lumora.plugins (store_slug, name, point, api_version, sha256, module, runs_on_shared_cells)
                            VALUES (\(slug.rawValue), 'bench-discount', 'cart.discounts', 1, \(Self.sha256(plugin)), \(ByteBuffer(bytes: plugin)), true)
                            """, logger: logger).drain()
                    }
                }
                return (try await MachineDescription.read(client: client), tokens)
            }
            let catalog = zip(slugs, tokens).map { IsolationBenchmark.Store(slug: $0, token: $1) }

            let cell = try await CellProcess.start(binary: binary, database: scratch.cellURL, secret: Self.secret, extra: [
                "--store-rate", "1000000000", "--store-burst", "1000000000", "--store-concurrency", "100000", "--payments", "test",
            ])
            defer { cell.stop() }
            let edge = try await EdgeProcess.start(binary: binary, database: scratch.edgeURL, secret: Self.secret,
                                                   rootDomain: IsolationBenchmark.rootDomain, cell: cell.baseURL)
            defer { edge.stop() }
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
                redirectConfiguration: .disallow, connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)))
            let traffic = Traffic(edge: edge.baseURL, http: http, stores: catalog)
            for store in catalog {
                try await HostRequest.waitFor(edge.baseURL + "/api/store/settings", host: store.host, status: 200)
                try await Self.setUp(store, traffic)
            }
            // A warm-up checkout per store (prepared statements, caches) before the clock starts.
            for store in catalog { _ = try await Self.checkout(store, traffic, step: 0) }

            let tally = CheckoutTally()
            let cpuBefore = (edge: LoadTools.cpuSeconds(pid: edge.pid), cell: LoadTools.cpuSeconds(pid: cell.pid), machine: Self.machineCPUSeconds())
            let started = ContinuousClock.now
            let deadline = started + .seconds(seconds)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<concurrency {
                    group.addTask {
                        var step = client
                        while ContinuousClock.now < deadline {
                            step += concurrency
                            let store = catalog[step % catalog.count]
                            let (outcome, duration) = await measure { () async -> String? in
                                do { return try await Self.checkout(store, traffic, step: step) } catch { return "\(error)" }
                            }
                            tally.record(outcome, duration)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            let cpu = (edge: LoadTools.cpuSeconds(pid: edge.pid) - cpuBefore.edge, cell: LoadTools.cpuSeconds(pid: cell.pid) - cpuBefore.cell,
                       machine: Self.machineCPUSeconds() - cpuBefore.machine)
            try await http.shutdown()
            let paid = try await PostgresClient.withRunning(scratch.url.clientConfiguration(maximumConnections: 2), logger: logger) { client in
                var paid = 0
                let scope = TenantScope(client: client, logger: logger)
                for slug in slugs {
                    paid += try await scope.withStore(slug) { connection in
                        try await connection.query("SELECT count(*)::int FROM orders WHERE status = 'paid'", logger: logger).collect(Int.self).first ?? 0
                    }
                }
                return paid
            }

            let database = try await PGBenchCheckout(pgbench: pgbench, url: scratch.url, schemas: slugs.map { SchemaName(store: $0).rawValue },
                                                     clients: concurrency, seconds: seconds).run()
            return report(completed: tally.completed.load(ordering: .relaxed), paid: paid, elapsed: elapsed, latencies: tally.latencies.withLock { $0 },
                          failed: tally.failed.load(ordering: .relaxed), failures: tally.failures.withLock { $0 }, cpu: cpu, database: database, machine: machine)
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        Hex.lowercase(SHA256.hash(data: bytes))
    }

    /// A store that ships to the US at a flat rate, charges 8.875 % on top and takes test cards.
    static func setUp(_ store: IsolationBenchmark.Store, _ traffic: Traffic) async throws {
        let calls: [(String, String)] = [
            ("/api/admin/settings/checkout", #"{"payment_provider":"test"}"#),
            ("/api/admin/shipping-zones", #"{"name":"US","countries":["US"],"rates":[{"name":"Standard","kind":"flat","amount":{"amount":500,"currency":"USD"}}]}"#),
            ("/api/admin/tax-rates", #"{"country":"US","name":"Sales tax","percent":"8.875"}"#),
        ]
        for (index, (path, body)) in calls.enumerated() {
            let answer = try await traffic.send(index == 0 ? .PUT : .POST, store, path, json: body, token: store.token)
            guard (200..<300).contains(answer.status) else {
                throw BenchmarkError(message: "setting up \(store.slug): \(path) answered \(answer.status) \(answer.body.prefix(200))")
            }
        }
    }

    /// One shopper's checkout; nil when the order ends paid, else what went wrong.
    static func checkout(_ store: IsolationBenchmark.Store, _ traffic: Traffic, step: Int) async throws -> String? {
        let created = try await traffic.send(.POST, store, "/api/store/carts")
        guard let cart = Traffic.field("id", in: created.body) else { return "cart: \(created.status)" }
        let variant = 1 + step % 60
        let calls: [(HTTPMethod, String, String?)] = [
            (.POST, "/line-items", #"{"variant_id":"variant_\#(variant)","quantity":1}"#),
            (.POST, "", #"{"email":"buyer\#(step)@\#(store.slug).bench","shipping_address":{"first_name":"A","last_name":"B","address_1":"1 Road","city":"Town","postal_code":"10001","country_code":"US"}}"#),
            (.GET, "/shipping-options", nil),
        ]
        var option: String?
        for (method, path, body) in calls {
            let answer = try await traffic.send(method, store, "/api/store/carts/\(cart)\(path)", json: body)
            guard answer.status == 200 else { return "\(method.rawValue) \(path): \(answer.status) \(answer.body.prefix(160))" }
            if path == "/shipping-options" { option = Traffic.field("id", in: answer.body) }
        }
        guard let option else { return "no shipping option" }
        let chosen = try await traffic.send(.POST, store, "/api/store/carts/\(cart)/shipping-method", json: #"{"option_id":"\#(option)"}"#)
        guard chosen.status == 200 else { return "shipping-method: \(chosen.status) \(chosen.body.prefix(160))" }
        let order = try await traffic.send(.POST, store, "/api/store/carts/\(cart)/complete", json: "{}", idempotencyKey: "bench-\(cart)")
        guard order.status == 201, order.body.contains(#""pending_payment""#) else { return "complete: \(order.status) \(order.body.prefix(160))" }
        let paid = try await traffic.send(.POST, store, "/api/store/carts/\(cart)/test-payments", json: #"{"card_number":"4242424242424242"}"#)
        guard paid.status == 201, paid.body.contains(#""status":"paid""#) else { return "payment: \(paid.status) \(paid.body.prefix(200))" }
        return nil
    }

    /// User and system time of every process on the machine, from /proc/stat.
    static func machineCPUSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 3 else { return 0 }
        // user, nice, system (idle and iowait are not work).
        return (fields[0] + fields[1] + fields[2]) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private func report(completed: Int, paid: Int, elapsed: Duration, latencies: LatencySample, failed: Int, failures: [String],
                        cpu: (edge: Double, cell: Double, machine: Double), database: PGBenchCheckout.Result, machine: MachineDescription) -> String {
        let rate = Double(completed) / max(elapsed.seconds, 0.001)
        let perCheckout = { (seconds: Double, count: Int) in String(format: "%.2f ms", seconds * 1000 / Double(max(count, 1))) }
        let rows: [[String]] = [
            ["Lumora: edge → cell → PostgreSQL (\(Self.calls) API calls)", String(format: "%.0f", rate), latencies.percentile(50).formattedMilliseconds(),
             latencies.percentile(99).formattedMilliseconds(), perCheckout(cpu.machine, completed),
             "edge \(perCheckout(cpu.edge, completed)), cell \(perCheckout(cpu.cell, completed))"],
            ["pgbench: the same transactions, straight to PostgreSQL", String(format: "%.0f", database.checkoutsPerSecond),
             database.latencies.percentile(50).formattedMilliseconds(), database.latencies.percentile(99).formattedMilliseconds(),
             perCheckout(database.machineCPUSeconds, database.checkouts), "—"],
        ]
        return """
            lumora bench checkout --stores \(stores) --seconds \(seconds) --concurrency \(concurrency)\(plugin == nil ? "" : " (with a cart.discounts plugin in every store)")
            \(machine.text)
            one lumora edge, one shared lumora cell (--payments test), \(concurrency) concurrent clients; each checkout: cart, line, address, \
            shipping options, shipping method, complete, test card — ending paid, with 8.875 % tax and a 5.00 flat shipping rate

            \(markdownTable(["path", "checkouts/s", "p50", "p99", "machine CPU per checkout", "of which"], rows))

            Lumora: \(completed) checkouts in \(elapsed.formattedSeconds()) (\(paid) orders paid in the database), \(failed) failed\
            \(failures.isEmpty ? "" : " (first: " + failures.joined(separator: " | ") + ")"); pgbench: \(database.checkouts) checkouts. \
            Lumora reaches \(String(format: "%.2f", rate / max(database.checkoutsPerSecond, 0.001)))× pgbench's rate.
            """
    }
}

/// What the shoppers' checkouts came to, from every client at once.
final class CheckoutTally: Sendable {
    let latencies = Mutex(LatencySample())
    let failures = Mutex<[String]>([])
    let completed = Atomic<Int>(0)
    let failed = Atomic<Int>(0)

    /// `failure` nil: the checkout ended paid.
    func record(_ failure: String?, _ duration: Duration) {
        if let failure {
            failures.withLock { if $0.count < 5 { $0.append(failure) } }
            failed.wrappingAdd(1, ordering: .relaxed)
        } else {
            latencies.withLock { $0.record(duration) }
            completed.wrappingAdd(1, ordering: .relaxed)
        }
    }
}

/// pgbench running one checkout's transactions per script run (so its "tps" is checkouts per
/// second), for a store picked at random each time.
struct PGBenchCheckout {
    let pgbench: String
    let url: DatabaseURL
    let schemas: [String]
    let clients: Int
    let seconds: Int

    struct Result {
        let checkouts: Int
        let checkoutsPerSecond: Double
        let latencies: LatencySample
        let machineCPUSeconds: Double
    }

    func run() async throws -> Result {
        let run = try await PGBench(pgbench: pgbench, url: url, clients: clients, seconds: seconds, mode: .extended).run(script: Self.script(schemas: schemas))
        return Result(checkouts: run.latencies.durations.count, checkoutsPerSecond: run.transactionsPerSecond, latencies: run.latencies,
                      machineCPUSeconds: run.machineCPUSeconds)
    }

    /// The statements the cell runs for one checkout, one transaction per API call. The store's
    /// schema comes from a list fixed here (pgbench cannot pick from one): `:s` indexes it.
    static func script(schemas: [String]) -> String {
        let choose = schemas.enumerated().map { "WHEN \($0.offset) THEN '\($0.element)'" }.joined(separator: " ")
        let enter = """
            SELECT set_config('role', lumora.store_role(CASE :s::int \(choose) END), true), \
            set_config('search_path', CASE :s::int \(choose) END, true), set_config('statement_timeout', '5000', true);
            """
        let lines = """
            SELECT l.id, l.variant_id, l.quantity, v.title, v.sku, v.price_amount, v.currency, p.id, p.title, p.handle, p.images, \
            COALESCE(i.stocked, 0) - COALESCE(i.reserved, 0), COALESCE(v.weight_grams, 0)::bigint \
            FROM cart_line_items l JOIN variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id \
            LEFT JOIN inventory i ON i.variant_id = v.id WHERE l.cart_id = :cart ORDER BY l.id;
            SELECT prices_include_tax, EXISTS (SELECT 1 FROM shipping_zones) FROM settings;
            """
        let cart = "SELECT id, currency, email, shipping_address::text, shipping_rate_id, completed_at, created_at, updated_at FROM carts WHERE id = :cart"
        let rates = """
            SELECT r.id, r.zone_id, r.name, r.kind, r.amount, r.free_over_amount, r.min_weight_grams, r.max_weight_grams FROM shipping_rates r \
            WHERE r.zone_id = (SELECT id FROM shipping_zones WHERE 'US' = ANY(countries) ORDER BY id LIMIT 1) ORDER BY r.position, r.id;
            SELECT rate_ppm FROM tax_rates WHERE country = 'US' AND (region IS NULL OR lower(region) = lower('NY')) ORDER BY region NULLS LAST LIMIT 1;
            """
        let address = #"{"first_name":"A","last_name":"B","address_1":"1 Road","city":"Town","postal_code":"10001","country_code":"US"}"#
        return """
            \\set s random(0, \(schemas.count - 1))
            \\set n random(1, 1000000000000)
            \\set v random(1, 60)
            SELECT 'pgb_' || :client_id::text || '_' || :n::text AS cart \\gset
            BEGIN;
            \(enter)
            INSERT INTO carts (id, currency) VALUES (:cart, 'USD');
            \(cart);
            COMMIT;
            BEGIN;
            \(enter)
            \(cart) FOR UPDATE;
            INSERT INTO cart_line_items (cart_id, variant_id, quantity) VALUES (:cart, :v::bigint, 1)
                ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_line_items.quantity + 1;
            UPDATE carts SET updated_at = now() WHERE id = :cart;
            \(lines)
            COMMIT;
            BEGIN;
            \(enter)
            \(cart) FOR UPDATE;
            UPDATE carts SET email = 'buyer@pgbench.bench', shipping_address = '\(address)'::jsonb, updated_at = now() WHERE id = :cart;
            \(lines)
            \(rates)
            COMMIT;
            BEGIN;
            \(enter)
            \(cart);
            \(lines)
            \(rates)
            COMMIT;
            BEGIN;
            \(enter)
            \(cart) FOR UPDATE;
            UPDATE carts SET shipping_rate_id = (SELECT id FROM shipping_rates ORDER BY id LIMIT 1), updated_at = now() WHERE id = :cart;
            \(lines)
            \(rates)
            COMMIT;
            BEGIN;
            \(enter)
            \(cart) FOR UPDATE;
            \(lines)
            \(rates)
            SELECT id, request_hash FROM orders WHERE idempotency_key = :cart;
            UPDATE inventory SET reserved = reserved + 1 WHERE variant_id = :v::bigint AND stocked - reserved >= 1 RETURNING variant_id;
            SELECT payment_provider, stripe_account_id, prices_include_tax, payment_instructions, order_notice_email FROM settings;
            INSERT INTO orders (cart_id, email, shipping_address, currency, subtotal_amount, shipping_amount, tax_amount, total_amount,
                                prices_include_tax, shipping_method, payment_provider, payment_due_at, idempotency_key, request_hash)
                VALUES (:cart, 'buyer@pgbench.bench', '\(address)'::jsonb, 'USD', 1100, 500, 142, 1742, false, 'Standard', 'test',
                        now() + interval '30 minutes', :cart, 'x') RETURNING id AS order_id \\gset
            INSERT INTO order_line_items (order_id, variant_id, product_title, variant_title, sku, quantity, unit_price_amount, total_amount, tax_amount)
                VALUES (:order_id::bigint, :v::bigint, 'Product', 'M', 'sku', 1, 1100, 1100, 98);
            UPDATE carts SET completed_at = now(), email = 'buyer@pgbench.bench', updated_at = now() WHERE id = :cart;
            SELECT o.id, o.status, o.total_amount FROM orders o WHERE o.id = :order_id::bigint;
            SELECT id, order_id, variant_id, product_title, variant_title, sku, quantity, unit_price_amount, total_amount, tax_amount
                FROM order_line_items WHERE order_id = :order_id::bigint;
            SELECT lumora_store.enqueue_own_job('expire_order', '{"order":1}'::jsonb, now() + interval '30 minutes');
            COMMIT;
            BEGIN;
            \(enter)
            SELECT id, request_hash FROM orders WHERE cart_id = :cart;
            SELECT o.id, o.status, o.total_amount FROM orders o WHERE o.id = :order_id::bigint FOR UPDATE;
            INSERT INTO payments (order_id, provider, reference, amount, currency, status, message)
                VALUES (:order_id::bigint, 'test', NULL, 1742, 'USD', 'succeeded', 'approved');
            UPDATE orders SET status = 'paid', paid_at = now(), updated_at = now() WHERE id = :order_id::bigint AND status = 'pending_payment' RETURNING id;
            SELECT o.id, o.status, o.total_amount FROM orders o WHERE o.id = :order_id::bigint;
            SELECT id, order_id, variant_id, product_title, variant_title, sku, quantity, unit_price_amount, total_amount, tax_amount
                FROM order_line_items WHERE order_id = :order_id::bigint;
            SELECT payment_provider, stripe_account_id, prices_include_tax, payment_instructions, order_notice_email FROM settings;
            SELECT lumora_store.enqueue_own_job('send_mail', '{"template":"order_confirmation"}'::jsonb, NULL);
            SELECT lumora_store.enqueue_own_job('send_mail', '{"template":"new_order"}'::jsonb, NULL);
            COMMIT;

            """
    }
}
