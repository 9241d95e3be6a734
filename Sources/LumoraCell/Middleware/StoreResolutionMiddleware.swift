import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import LumoraCore
import LumoraDatabase
import LumoraHTTP

/// Decides which store a request is for, and whether it may be served.
///
/// The store comes from `x-store-id`, trusted only with a valid edge signature (401
/// otherwise). A dedicated cell refuses any store but its own (403). The store must exist
/// (404) and be active (suspended: 403). In shared mode the store's rate and concurrency
/// limits apply (429 with `Retry-After`).
struct StoreResolutionMiddleware: RouterMiddleware {
    typealias Context = CellRequestContext

    let signer: StoreRequestSigner
    let table: StoreRoutingTable
    let mode: CellConfiguration.Mode
    let limiter: StoreLimiter?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let headers = request.headers
        let named = try signer.verify(
            store: headers[HTTPField.Name(StoreRequestSigner.storeHeader)!],
            timestamp: headers[HTTPField.Name(StoreRequestSigner.timestampHeader)!],
            signature: headers[HTTPField.Name(StoreRequestSigner.signatureHeader)!],
            method: request.method.rawValue,
            path: request.uri.description)
        guard let slug = try? StoreSlug(validating: named) else {
            throw LumoraError.notFound("store_not_found", "no store '\(named.prefix(40))'")
        }
        if case .dedicated(let own) = mode, slug != own {
            throw LumoraError(.forbidden, code: "wrong_store", message: "this cell serves only the store '\(own)'")
        }
        guard table.isLoaded else {
            throw LumoraError(.unavailable, code: "not_ready", message: "the cell is starting")
        }
        guard let store = table.store(slug) else {
            throw LumoraError.notFound("store_not_found", "no store '\(slug)'")
        }
        switch store.status {
        case .active: break
        case .suspended: throw LumoraError(.forbidden, code: "store_suspended", message: "the store '\(slug)' is suspended")
        case .provisioning, .failed, .deleting: throw LumoraError.notFound("store_not_found", "no store '\(slug)'")
        }

        var context = context
        context.store = store
        guard let limiter else { return try await next(request, context) }
        try limiter.acquire(slug)
        defer { limiter.release(slug) }
        return try await next(request, context)
    }
}

/// The admin API: `Authorization: Bearer <the store's admin token>`; any other token —
/// another store's included — is a 401.
struct AdminAuthenticationMiddleware: RouterMiddleware {
    typealias Context = CellRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let store = try context.requireStore()
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw LumoraError(.unauthorized, code: "missing_token", message: "the admin API needs Authorization: Bearer <store admin token>")
        }
        guard AdminToken.matches(String(header.dropFirst(7)), hash: store.adminTokenHash) else {
            throw LumoraError(.unauthorized, code: "invalid_token", message: "the admin token is not valid for this store")
        }
        return try await next(request, context)
    }
}

/// Counts and times every request, labelled with its store once resolved.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = CellRequestContext

    let metrics: CellMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let store = request.headers[HTTPField.Name(StoreRequestSigner.storeHeader)!].flatMap { try? StoreSlug(validating: $0) }?.rawValue ?? "-"
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
