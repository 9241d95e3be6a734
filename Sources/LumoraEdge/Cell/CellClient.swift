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

    struct Reply: Sendable {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: ByteBuffer
    }

    /// Sends `method path` (path with query, as the cell sees it) for `store`.
    /// `fresh` asks the cell not to answer from its cache: the edge caches what it renders, and
    /// must not render from a cell cache that has not heard of a change the edge has.
    func send(_ method: HTTPMethod, _ path: String, store: StoreRoute, body: ByteBuffer? = nil,
              headers extra: [(String, String)] = [], fresh: Bool = false, timeout: TimeAmount = .seconds(10)) async throws -> Reply {
        var request = HTTPClientRequest(url: try endpoint(for: store) + path)
        request.method = method
        if fresh { request.headers.add(name: "cache-control", value: "no-cache") }
        for (name, value) in signer.headers(store: store.slug.rawValue, method: method.rawValue, path: path) {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        for (name, value) in extra { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            request.body = .bytes(body)
            if !request.headers.contains(name: "content-type") { request.headers.add(name: "content-type", value: "application/json") }
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let collected = try await response.body.collect(upTo: 8 * 1024 * 1024)
            return Reply(status: response.status, headers: response.headers, body: collected)
        } catch let error as LumoraError {
            throw error
        } catch {
            throw LumoraError(.badGateway, code: "cell_unreachable", message: "the store's service did not answer")
        }
    }

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
        cells.first { $0.kind == "shared" && $0.status == "ready" && ($0.endpoint?.isEmpty == false) }?.endpoint
    }
}
