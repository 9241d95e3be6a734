import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraHTTP

/// Decides which store a request is for, and whether it may be served.
///
/// The store comes from `x-store-id`, trusted only with a valid edge signature over the
/// request — its method, target, body, `Authorization`, `Idempotency-Key`, visitor and time
/// (401 otherwise) — and, for a write, a nonce not seen before (401 `replayed_request`). A
/// dedicated cell refuses any store but its own, and a shared cell any store placed on another
/// cell (403). The store must exist (404) and be active (suspended: 403, but for the admin API's reads). Then the store's and
/// its visitor's limits apply (429 with `Retry-After`).
struct StoreResolutionMiddleware: RouterMiddleware {
    typealias Context = CellRequestContext

    let signer: StoreRequestSigner
    let nonces: NonceRegistry
    let table: StoreRoutingTable
    let mode: CellConfiguration.Mode
    /// This cell's id in `lumora.cells`: a shared cell serves the stores placed on no cell or on it.
    let cellID: String
    let limiter: StoreLimiter
    let limits: CellConfiguration.PlanLimits
    let bodyLimits: BodyLimits
    /// The admin API: a suspended store's data may be read (not written).
    var readsWhileSuspended = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The signature covers the body: read it once here (handlers get the collected buffer).
        var request = request
        var body: ByteBuffer?
        if request.method != .get && request.method != .head {
            do {
                body = try await request.collectBody(upTo: bodyLimits.limit(forPath: request.uri.path))
            } catch is NIOTooManyBytesError {
                throw bodyLimits.tooLarge(path: request.uri.path)
            }
        }
        let verified = try signer.verify(request.headers, method: request.method.rawValue, target: request.uri.description, body: body)
        if let nonce = verified.nonce, StoreRequestSigner.isWrite(request.method.rawValue) {
            try nonces.use(nonce)
        }
        guard let slug = try? StoreSlug(validating: verified.store) else {
            throw LumoraError.notFound("store_not_found", "no store '\(verified.store.prefix(40))'")
        }
        if case .dedicated(let own) = mode, slug != own {
            throw LumoraError(.forbidden, code: "wrong_store", message: "this cell serves only the store '\(own)'")
        }
        guard table.isLoaded else {
            throw LumoraError(.unavailable, code: "not_ready", message: "the cell is starting")
        }
        guard var store = table.store(slug) else {
            throw LumoraError.notFound("store_not_found", "no store '\(slug)'")
        }
        // The route may have moved here, or the store opened, a moment before our notification
        // arrived: ask the database before refusing (and believe what it says now).
        let misplaced = mode == .shared && store.cellID.map { $0 != cellID } == true
        if misplaced || store.status == .provisioning {
            do {
                if let fresh = try await table.reload(slug) { store = fresh }
            } catch {
                context.logger.warning("could not read a store's route again", metadata: ["store": "\(slug)", "error": "\(error)"])
            }
        }
        if mode == .shared, let placed = store.cellID, placed != cellID {
            throw LumoraError(.forbidden, code: "wrong_cell", message: "the store '\(slug)' is served by its own cell, not this shared one")
        }
        switch store.status {
        case .active: break
        case .suspended:
            // Its merchant may still look at it (the dashboard's read-only pages), not change it.
            guard readsWhileSuspended && !StoreRequestSigner.isWrite(request.method.rawValue) else {
                throw LumoraError(.forbidden, code: "store_suspended", message: "the store '\(slug)' is suspended")
            }
        case .provisioning, .failed, .deleting: throw LumoraError.notFound("store_not_found", "no store '\(slug)'")
        }

        var context = context
        context.store = store
        context.actorHeader = verified.actor
        context.actor = verified.actor.flatMap(StoreActor.init(headerValue:))
        let visit = StoreLimiter.Visit(store: slug, visitor: verified.visitor ?? "-", limits: limits[store.plan])
        try limiter.admit(visit)
        return try await StoreLimiter.$currentVisit.withValue(visit) {
            try await next(request, context)
        }
    }
}

extension StoreResolutionMiddleware {
    func readingWhileSuspended() -> StoreResolutionMiddleware {
        var copy = self
        copy.readsWhileSuspended = true
        return copy
    }
}

/// The admin API: `Authorization: Bearer <one of the store's API tokens>` (an integration: the
/// whole admin API), or a dashboard person the edge's signature names (`x-lumora-actor`), whose
/// role decides what they may do (`RoleMiddleware`). Any other token — another store's
/// included — is a 401.
struct AdminAuthenticationMiddleware: RouterMiddleware {
    typealias Context = CellRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let store = try context.requireStore()
        if context.actorHeader != nil {
            guard context.actor != nil else {
                throw LumoraError(.unauthorized, code: "invalid_actor", message: "the dashboard's person is not named as <account id>:<role>")
            }
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw LumoraError(.unauthorized, code: "missing_token", message: "the admin API needs Authorization: Bearer <store API token>")
        }
        guard AdminToken.matches(String(header.dropFirst(7)), anyOf: store.apiTokenHashes) else {
            throw LumoraError(.unauthorized, code: "invalid_token", message: "the API token is not valid for this store")
        }
        return try await next(request, context)
    }
}

/// Routes a dashboard role may not reach (settings: owners and admins). API tokens reach all.
struct RoleMiddleware: RouterMiddleware {
    typealias Context = CellRequestContext
    let action: StoreAction

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let actor = context.actor, !actor.role.may(action) {
            throw LumoraError(.forbidden, code: "forbidden_role", message: "a \(actor.role.rawValue) may not do this")
        }
        return try await next(request, context)
    }
}

/// Counts and times every request, labelled with its store when the routing table knows it.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = CellRequestContext
    static let storeField = HTTPField.Name(StoreRequestSigner.storeHeader)!

    let metrics: CellMetrics
    let table: StoreRoutingTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        // Labelled only with stores the routing table knows: an unsigned header must not mint
        // a new time series per value.
        let store = request.headers[Self.storeField].flatMap { try? StoreSlug(validating: $0) }.flatMap { table.contains($0) ? $0.rawValue : nil } ?? "-"
        do {
            let response = try await next(request, context)
            metrics.recordRequest(store: store, status: Int(response.status.code), duration: ContinuousClock.now - start)
            return response
        } catch let error as any HTTPResponseError {
            metrics.recordRequest(store: store, status: Int(error.status.code), duration: ContinuousClock.now - start)
            throw error
        } catch {
            metrics.recordRequest(store: store, status: 500, duration: ContinuousClock.now - start)
            throw error
        }
    }
}
