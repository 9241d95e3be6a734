import Foundation
import HTTPTypes
import Hummingbird
import Logging
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraHTTP
import LumoraPayments
import LumoraWire
import NIOCore

/// `POST /webhooks/stripe` on the root domain: the one endpoint Stripe is given for every
/// store. The edge only routes — by the store Lumora put in the object's metadata — and passes
/// the body and its `Stripe-Signature` untouched to that store's cell, which verifies and
/// applies it (the cell holds the webhook secret; a forged or stale event is its 400).
///
/// Events no store can be found for (Stripe's own, a store that is gone, a refund made in
/// Stripe's dashboard that carries no metadata — its `charge.refunded` does) are answered 200
/// so Stripe does not retry them for days; they are logged.
struct PaymentWebhookRoutes: Sendable {
    let cells: CellClient
    let table: StoreRoutingTable
    let maximumBodySize: Int
    let logger: Logger

    func add(to router: Router<EdgeRequestContext>) {
        router.post("_platform/webhooks/stripe", use: stripe)
    }

    /// Errors in JSON (Stripe shows the body in its delivery log), not as a page.
    @Sendable func stripe(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        do {
            return try await route(request, context: context)
        } catch let error as LumoraError {
            return try error.response(from: request, context: context)
        }
    }

    private func route(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let body = try await JSONWire.body(of: request, limit: maximumBodySize)
        let routing: StripeEventRouting
        do {
            routing = try StripeEventRouting.decode(body.readableBytesView)
        } catch {
            throw LumoraError.badRequest("invalid_event", "the body is not a Stripe event")
        }
        guard let raw = routing.metadata[StripeEventRouting.storeKey], let slug = try? StoreSlug(validating: raw), let store = table.store(slug) else {
            logger.info("stripe event for no store", metadata: ["event": "\(routing.id.prefix(80))", "type": "\(routing.type.prefix(80))"])
            return try JSONWire.response(StripeEventReceiptWire(received: true, applied: false))
        }
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let signature = request.headers[HTTPField.Name("Stripe-Signature")!], HeaderBytes.isValidValue(signature) {
            headers.append(("Stripe-Signature", signature))
        }
        let reply = try await cells.send(.POST, RequestTarget.path("store", "stripe-events"), store: store, visitor: nil, body: body,
                                         headers: headers, fresh: true, timeout: .seconds(30))
        var response = Response(status: HTTPResponse.Status(code: Int(reply.status.code)), body: ResponseBody(byteBuffer: reply.body))
        response.headers[.contentType] = "application/json"
        return response
    }
}
