import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraHTTP
import PostgresNIO

/// `/health` (the process answers), `/ready` (the database answers and the routing table is
/// loaded), `/metrics` (Prometheus text, for `Authorization: Bearer <metrics token>` only: it
/// names the stores a cell serves and how busy each is).
struct OperationsRoutes: Sendable {
    let client: PostgresClient
    let table: StoreRoutingTable
    let metrics: CellMetrics
    let configuration: CellConfiguration

    struct Status: Encodable {
        let status: String
        let version: String
        let mode: String
        let stores: Int?
    }

    func add(to router: Router<CellRequestContext>) {
        router.get("health") { _, _ in
            try JSONWire.response(Status(status: "ok", version: configuration.version, mode: modeName, stores: nil))
        }
        router.get("ready") { _, context in
            do {
                try await withTimeout(.seconds(2)) {
                    _ = try await client.query(CellSQL.ping, logger: context.logger).collect(Int.self)
                }
            } catch {
                throw LumoraError(.unavailable, code: "database_unavailable", message: "the database does not answer")
            }
            guard table.isLoaded else {
                throw LumoraError(.unavailable, code: "not_ready", message: "the routing table is not loaded yet")
            }
            return try JSONWire.response(Status(status: "ready", version: configuration.version, mode: modeName, stores: table.stores.count))
        }
        let metricsToken = configuration.metricsToken
        router.get("metrics") { request, _ in
            guard MetricsToken.authorizes(request.headers[.authorization], token: metricsToken) else {
                throw LumoraError(.unauthorized, code: "missing_token", message: "the metrics need Authorization: Bearer <metrics token>")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
    }

    private var modeName: String {
        switch configuration.mode {
        case .shared: return "shared"
        case .dedicated(let slug): return "dedicated:\(slug)"
        }
    }
}
