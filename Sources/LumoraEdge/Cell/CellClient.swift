import AsyncHTTPClient
import Foundation
import HTTPTypes
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import NIOCore
import NIOHTTP1

/// Calls a store's cell: the shared cell, or the store's dedicated cell when the routing table
/// places it on one. Every request carries the edge's signature for the store.
struct CellClient: Sendable {
    let http: HTTPClient
    /// The keep-alive forwarder for `http://` cells (nil: everything through `http`).
    let forwarder: CellForwarder?
    let signer: StoreRequestSigner
    let table: StoreRoutingTable
    let sharedCellURL: String?

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// The base URL of the cell serving `store`.
    func endpoint(for store: StoreRoute) throws(LumoraError) -> String {
        if let cellID = store.cellID, let cell = table.cell(cellID), let endpoint = cell.endpoint, !endpoint.isEmpty {
            return endpoint
        }
        if let shared = table.sharedCellEndpoint ?? sharedCellURL {
            return shared
        }
        throw LumoraError(.unavailable, code: "no_cell", message: "no cell serves this store yet")
    }

    typealias Reply = CellForwarder.Reply

    /// Sends `method path` (path with query, as the cell sees it) for `store`.
    /// `fresh` asks the cell not to answer from its cache: the edge caches what it renders, and
    /// must not render from a cell cache that has not heard of a change the edge has.
    /// `eventLoop` (the visitor's connection's, when known) picks the connection pool; plain
    /// `http://` cells go through the edge's own forwarder, others through AsyncHTTPClient.
    func send(_ method: HTTPMethod, _ path: String, store: StoreRoute, body: ByteBuffer? = nil,
              headers extra: [(String, String)] = [], fresh: Bool = false, timeout: TimeAmount = .seconds(10),
              eventLoop: (any EventLoop)? = nil) async throws -> Reply {
        let (endpoint, request) = try prepare(method, path, store: store, body: body, headers: extra, fresh: fresh)
        do {
            if let forwarder, CellForwarder.supports(endpoint) {
                return try await forwarder.execute(request, endpoint: endpoint, eventLoop: eventLoop, timeout: timeout)
            }
            var outbound = HTTPClientRequest(url: endpoint + path)
            outbound.method = method
            outbound.headers = request.headers
            if let body { outbound.body = .bytes(body) }
            let response = try await http.execute(outbound, timeout: timeout)
            let collected = try await response.body.collect(upTo: 8 * 1024 * 1024)
            return Reply(status: response.status, headers: response.headers, body: collected)
        } catch {
            throw Self.unreachable
        }
    }

    /// Where `method path` for `store` goes, and the request itself: signed for the store, with
    /// `extra` headers (the visitor's, for the API proxy) and a JSON content type for a body.
    /// `signatures` (the caller's event loop's) saves computing a signature made this second.
    func prepare(_ method: HTTPMethod, _ path: String, store: StoreRoute, body: ByteBuffer?, headers extra: [(String, String)],
                 fresh: Bool = false, signatures: SignatureCache? = nil) throws(LumoraError) -> (endpoint: String, request: CellForwarder.Request) {
        let endpoint = try endpoint(for: store)
        var headers = HTTPHeaders()
        headers.reserveCapacity(extra.count + 5)
        if fresh { headers.add(name: "cache-control", value: "no-cache") }
        let slug = store.slug.rawValue
        let timestamp = Int64(Date().timeIntervalSince1970)
        let sign = { signer.signature(store: slug, method: method.rawValue, path: path, timestamp: timestamp) }
        let signature = signatures?.signature(store: slug, method: method.rawValue, path: path, timestamp: timestamp, sign: sign) ?? sign()
        headers.add(name: StoreRequestSigner.storeHeader, value: slug)
        headers.add(name: StoreRequestSigner.timestampHeader, value: String(timestamp))
        headers.add(name: StoreRequestSigner.signatureHeader, value: signature)
        for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
        if body != nil && !headers.contains(name: "content-type") { headers.add(name: "content-type", value: "application/json") }
        return (endpoint, CellForwarder.Request(method: method, path: path, headers: headers, body: body))
    }

    static let unreachable = LumoraError(.badGateway, code: "cell_unreachable", message: "the store's service did not answer")

    /// A JSON call that must succeed: a cell error becomes a `LumoraError` with its code.
    func json<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, store: StoreRoute,
                            body: (some Encodable)? = Optional<Int>.none, headers: [(String, String)] = []) async throws -> T {
        let encoded = try body.map { ByteBuffer(bytes: try JSONWire.encoder.encode($0)) }
        let reply = try await send(method, path, store: store, body: encoded, headers: headers, fresh: true)
        guard (200..<300).contains(Int(reply.status.code)) else {
            throw Self.error(from: reply)
        }
        do {
            return try Self.decoder.decode(T.self, from: Data(buffer: reply.body))
        } catch {
            throw LumoraError(.badGateway, code: "bad_cell_response", message: "the store's service sent something unexpected")
        }
    }

    static func error(from reply: Reply) -> LumoraError {
        let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: reply.body))
        let status = LumoraError.Status(rawValue: Int(reply.status.code)) ?? .badGateway
        return LumoraError(status, code: body?.error.code ?? "cell_error", message: body?.error.message ?? "the store's service failed")
    }
}

extension StoreRoutingTable {
    /// The endpoint of a ready shared cell, if the control schema lists one.
    var sharedCellEndpoint: String? {
        firstCell { $0.kind == "shared" && $0.status == "ready" && ($0.endpoint?.isEmpty == false) }?.endpoint
    }
}
