import AsyncHTTPClient
import CLumoraSystem
import Foundation
import HTTPTypes
import LumoraCore
import LumoraDatabase
import LumoraRouting
import Logging
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
    let logger: Logger

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

    /// Sends `method target` for `store` on behalf of `visitor` (the client address the cell's
    /// per-visitor limits count).
    /// `fresh` asks the cell not to answer from its cache: the edge caches what it renders, and
    /// must not render from a cell cache that has not heard of a change the edge has.
    /// `eventLoop` (the visitor's connection's, when known) picks the connection pool; plain
    /// `http://` cells go through the edge's own forwarder, others through AsyncHTTPClient.
    /// A cell that refuses the store as placed elsewhere (the route moved a moment ago and this
    /// edge has not heard yet) acted on nothing: the route is read again and the request sent once
    /// more, to where it now points. So is a read (GET, HEAD) whose cell did not answer — the
    /// store's old cell stopped after its drain, before this edge heard of the move.
    func send(_ method: HTTPMethod, _ target: RequestTarget, store: StoreRoute, visitor: String?, actor: StoreActor? = nil,
              body: ByteBuffer? = nil, headers extra: [(String, String)] = [], fresh: Bool = false, timeout: TimeAmount = .seconds(10),
              eventLoop: (any EventLoop)? = nil) async throws -> Reply {
        let (outcome, endpoint) = try await sendOnce(method, target, store: store, visitor: visitor, actor: actor, body: body, headers: extra,
                                                     fresh: fresh, timeout: timeout, eventLoop: eventLoop)
        guard Self.shouldRereadRoute(after: outcome, method: method, store: store),
              let moved = await rereadRoute(store, sentTo: endpoint, after: outcome) else { return try outcome.get() }
        return try await sendOnce(method, target, store: moved, visitor: visitor, actor: actor, body: body, headers: extra, fresh: fresh,
                                  timeout: timeout, eventLoop: eventLoop).outcome.get()
    }

    /// A misdirected answer; or no answer from a store's own cell (one that may just have been
    /// stopped) to a request that may safely be sent twice. (A shared cell that does not answer
    /// is not a moved route: no database read per failed request in an outage.)
    static func shouldRereadRoute(after outcome: Result<Reply, any Error>, method: HTTPMethod, store: StoreRoute) -> Bool {
        switch outcome {
        case .success(let reply): return isMisdirected(reply)
        case .failure: return store.cellID != nil && (method == .GET || method == .HEAD)
        }
    }

    /// A 403 `wrong_cell` (a shared cell: the store is served elsewhere) or `wrong_store` (a
    /// dedicated cell of another store — the store's own was stopped and its address now
    /// belongs to another cell): the route moved and this edge has not heard yet.
    static func isMisdirected(_ reply: Reply) -> Bool {
        guard reply.status == .forbidden && reply.body.readableBytes < 512 else { return false }
        return reply.body.withUnsafeReadableBytes { bytes in
            lumora_memmem(bytes.baseAddress, bytes.count, wrongCellMarker, wrongCellMarker.utf8.count) != nil
                || lumora_memmem(bytes.baseAddress, bytes.count, wrongStoreMarker, wrongStoreMarker.utf8.count) != nil
        }
    }

    private static let wrongCellMarker = #""wrong_cell""#
    private static let wrongStoreMarker = #""wrong_store""#

    /// The store's route (and the cells it may name) read from the database again; nil when the
    /// store is gone, or when a cell that did not answer is still where it leads (`endpoint`,
    /// where the request went — not one worked out again now: the table may have learnt of the
    /// move between the request and its failure). A refusal is sent once more even to the same
    /// cell: it acted on nothing, and a cell whose own table was behind has read the route again
    /// by then.
    func rereadRoute(_ store: StoreRoute, sentTo endpoint: String, after outcome: Result<Reply, any Error>) async -> StoreRoute? {
        do {
            try await table.refresh(store.slug)
        } catch {
            logger.warning("could not read a store's route again", metadata: ["store": "\(store.slug)", "error": "\(error)"])
        }
        let refused = if case .success = outcome { true } else { false }
        guard let fresh = table.store(store.slug), let after = try? self.endpoint(for: fresh), refused || after != endpoint else {
            logger.notice("a cell refused or did not answer a store, and its route still leads there",
                          metadata: ["store": "\(store.slug)", "endpoint": "\(endpoint)", "cell": "\(table.store(store.slug)?.cellID ?? "shared")"])
            return nil
        }
        return fresh
    }

    private func sendOnce(_ method: HTTPMethod, _ target: RequestTarget, store: StoreRoute, visitor: String?, actor: StoreActor?, body: ByteBuffer?,
                          headers extra: [(String, String)], fresh: Bool, timeout: TimeAmount,
                          eventLoop: (any EventLoop)?) async throws -> (outcome: Result<Reply, any Error>, endpoint: String) {
        let (endpoint, request) = try prepare(method, target, store: store, visitor: visitor, actor: actor, body: body, headers: extra, fresh: fresh)
        do {
            if let forwarder, CellForwarder.supports(endpoint) {
                return (.success(try await forwarder.execute(request, endpoint: endpoint, eventLoop: eventLoop, timeout: timeout)), endpoint)
            }
            var outbound = HTTPClientRequest(url: endpoint + target.text)
            outbound.method = method
            outbound.headers = request.headers
            if let body { outbound.body = .bytes(body) }
            let response = try await http.execute(outbound, timeout: timeout)
            let collected = try await response.body.collect(upTo: 8 * 1024 * 1024)
            return (.success(Reply(status: response.status, headers: response.headers, body: collected)), endpoint)
        } catch {
            return (.failure(Self.unreachable), endpoint)
        }
    }

    /// Where `method target` for `store` goes, and the request itself: signed for the store and
    /// `visitor` over the target, the body and the `Authorization` and `Idempotency-Key` among
    /// `extra` (the visitor's headers, for the API proxy), with a JSON content type for a body.
    /// `signatures` (the caller's event loop's) saves computing a read's signature made this
    /// second; writes carry a fresh nonce each.
    func prepare(_ method: HTTPMethod, _ target: RequestTarget, store: StoreRoute, visitor: String?, actor: StoreActor? = nil, body: ByteBuffer?,
                 headers extra: [(String, String)], fresh: Bool = false,
                 signatures: SignatureCache? = nil) throws(LumoraError) -> (endpoint: String, request: CellForwarder.Request) {
        let endpoint = try endpoint(for: store)
        var headers = HTTPHeaders()
        headers.reserveCapacity(extra.count + 7)
        if fresh { headers.add(name: "cache-control", value: "no-cache") }
        var authorization: String?
        var idempotencyKey: String?
        for (name, value) in extra {
            if Self.sameName(name, "authorization") { authorization = value } else if Self.sameName(name, "idempotency-key") { idempotencyKey = value }
        }
        let isWrite = StoreRequestSigner.isWrite(method.rawValue)
        let parts = StoreRequestSigner.Parts(
            store: store.slug.rawValue, method: method.rawValue, target: target.text, timestamp: Int64(Date().timeIntervalSince1970),
            nonce: isWrite ? StoreRequestSigner.makeNonce() : nil, visitor: visitor, bodyDigest: StoreRequestSigner.digest(body),
            authorization: authorization, idempotencyKey: idempotencyKey, actor: actor?.headerValue)
        let signature = isWrite ? signer.signature(parts) : signatures?.signature(parts, sign: { signer.signature(parts) }) ?? signer.signature(parts)
        headers.add(name: StoreRequestSigner.storeHeader, value: parts.store)
        headers.add(name: StoreRequestSigner.timestampHeader, value: String(parts.timestamp))
        headers.add(name: StoreRequestSigner.signatureHeader, value: signature)
        if let nonce = parts.nonce { headers.add(name: StoreRequestSigner.nonceHeader, value: nonce) }
        if let visitor { headers.add(name: StoreRequestSigner.visitorHeader, value: visitor) }
        if let actor = parts.actor { headers.add(name: StoreRequestSigner.actorHeader, value: actor) }
        for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
        if body != nil && !headers.contains(name: "content-type") { headers.add(name: "content-type", value: "application/json") }
        return (endpoint, CellForwarder.Request(method: method, target: target, headers: headers, body: body))
    }

    /// ASCII case-insensitive header name comparison, with `lowercase` already lowercase.
    static func sameName(_ name: String, _ lowercase: StaticString) -> Bool {
        guard name.utf8.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(name.utf8, expected).allSatisfy { ($0 | 0x20) == $1 || $0 == $1 }
        }
    }

    static let unreachable = LumoraError(.badGateway, code: "cell_unreachable", message: "the store's service did not answer")

    /// A JSON call that must succeed: a cell error becomes a `LumoraError` with its code.
    func json<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ target: RequestTarget, as caller: CellCaller,
                            body: (some Encodable)? = Optional<Int>.none, headers: [(String, String)] = []) async throws -> T {
        let encoded = try body.map { ByteBuffer(bytes: try JSONWire.encoder.encode($0)) }
        let reply = try await send(method, target, store: caller.store, visitor: caller.visitor, actor: caller.actor, body: encoded, headers: headers,
                                   fresh: true)
        guard (200..<300).contains(Int(reply.status.code)) else {
            throw Self.error(from: reply)
        }
        do {
            return try JSONWire.decoder.decode(T.self, from: Data(buffer: reply.body))
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

/// On whose behalf the edge calls a cell: the store, the visitor its limits count, and — for
/// the dashboard — the signed-in person and their role (`x-lumora-actor`, under the signature).
struct CellCaller: Sendable {
    let store: StoreRoute
    let visitor: String?
    var actor: StoreActor? = nil
}
