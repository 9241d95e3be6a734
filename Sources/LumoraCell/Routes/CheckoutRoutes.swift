import Foundation
import HTTPTypes
import Hummingbird
import LumoraCore
import LumoraHTTP
import LumoraWire

/// Checkout beyond the cart: the shopper's address, shipping and test payments (store API);
/// payment settings, shipping zones, tax rates, payments and refunds (admin API).
struct CheckoutRoutes: Sendable {
    let carts: CartRepository
    let orders: OrderRepository
    let checkout: CheckoutRepository
    let maximumBodySize: Int

    func addStore(to group: RouterGroup<CellRequestContext>) {
        group.post("carts/:id", use: updateCart)
        group.get("carts/:id/shipping-options", use: shippingOptions)
        group.post("carts/:id/shipping-method", use: selectShipping)
        group.post("carts/:id/test-payments", use: testPayment)
        group.post("carts/:id/test-payments/:attempt/confirm", use: confirmTestPayment)
        group.post("carts/:id/stripe-return", use: stripeReturn)
        group.post("stripe-events", use: stripeEvent)
    }

    func addAdmin(to group: RouterGroup<CellRequestContext>) {
        group.post("orders/:id/mark-paid", use: markPaid)
        group.post("orders/:id/refunds", use: refund)
        // A group of its own: `add(middleware:)` changes the group it is called on.
        let settings = group.group().add(middleware: RoleMiddleware(action: .settings))
        settings.get("settings/checkout", use: checkoutSettings)
        settings.put("settings/checkout", use: updateCheckoutSettings)
        settings.get("shipping-zones", use: zones)
        settings.post("shipping-zones", use: createZone)
        settings.put("shipping-zones/:id", use: replaceZone)
        settings.delete("shipping-zones/:id", use: deleteZone)
        settings.get("tax-rates", use: taxRates)
        settings.post("tax-rates", use: putTaxRate)
        settings.delete("tax-rates/:id", use: deleteTaxRate)
    }

    // MARK: Store API

    @Sendable func updateCart(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(UpdateCartRequest.self, from: request, limit: maximumBodySize)
        return try JSONWire.response(Single(key: "cart", value: try await carts.updateContact(store.slug, cartID: try context.parameters.decoded("id"), body)))
    }

    @Sendable func shippingOptions(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let options = try await carts.shippingOptions(store.slug, cartID: try context.parameters.decoded("id"))
        return try JSONWire.response(Single(key: "shipping_options", value: options))
    }

    @Sendable func selectShipping(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(SelectShippingRequest.self, from: request, limit: maximumBodySize)
        return try JSONWire.response(Single(key: "cart", value: try await carts.selectShipping(store.slug, cartID: try context.parameters.decoded("id"), body)))
    }

    @Sendable func testPayment(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(TestPaymentRequest.self, from: request, limit: maximumBodySize)
        let attempt = try await orders.testPayment(store.slug, cartID: try context.parameters.decoded("id"), body)
        return try JSONWire.response(Single(key: "payment", value: attempt), status: .created)
    }

    @Sendable func confirmTestPayment(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(ConfirmTestPaymentRequest.self, from: request, limit: maximumBodySize)
        let attempt = try await orders.confirmTestPayment(store.slug, cartID: try context.parameters.decoded("id"),
                                                          attemptID: try context.parameters.decoded("attempt"), body)
        return try JSONWire.response(Single(key: "payment", value: attempt))
    }

    /// The shopper is back from Stripe's page: the order as Stripe now says it is.
    @Sendable func stripeReturn(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "order", value: try await orders.refreshStripePayment(store.slug, cartID: try context.parameters.decoded("id"))))
    }

    /// A webhook the edge passed on as Stripe sent it: the raw body and its `Stripe-Signature`.
    @Sendable func stripeEvent(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.body(of: request, limit: maximumBodySize)
        let signature = request.headers[HTTPField.Name("Stripe-Signature")!]
        let applied = try await orders.applyStripeEvent(store.slug, payload: Array(body.readableBytesView), signature: signature, now: Date())
        return try JSONWire.response(StripeEventReceiptWire(received: true, applied: applied))
    }

    // MARK: Admin API

    @Sendable func markPaid(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "order", value: try await orders.markPaid(store.slug, id: try orderID(context))))
    }

    @Sendable func refund(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(CreateRefundRequest.self, from: request, limit: maximumBodySize)
        return try JSONWire.response(Single(key: "order", value: try await orders.refund(store.slug, id: try orderID(context), body)), status: .created)
    }

    @Sendable func checkoutSettings(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "checkout", value: try await checkout.settings(store.slug)))
    }

    @Sendable func updateCheckoutSettings(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(UpdateCheckoutSettingsRequest.self, from: request, limit: maximumBodySize)
        return try JSONWire.response(Single(key: "checkout", value: try await checkout.updateSettings(store.slug, body)))
    }

    @Sendable func zones(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "shipping_zones", value: try await checkout.zones(store.slug, currency: store.currency)))
    }

    @Sendable func createZone(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(ShippingZoneRequest.self, from: request, limit: maximumBodySize)
        return try JSONWire.response(Single(key: "shipping_zone", value: try await checkout.createZone(store.slug, body, currency: store.currency)),
                                     status: .created)
    }

    @Sendable func replaceZone(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(ShippingZoneRequest.self, from: request, limit: maximumBodySize)
        let id = try ResourceID.shippingZone.parse(try context.parameters.decoded("id"))
        return try JSONWire.response(Single(key: "shipping_zone", value: try await checkout.replaceZone(store.slug, id: id, body, currency: store.currency)))
    }

    @Sendable func deleteZone(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let id = try ResourceID.shippingZone.parse(try context.parameters.decoded("id"))
        try await checkout.deleteZone(store.slug, id: id)
        return try JSONWire.response(Deleted(id: ResourceID.shippingZone.format(id), object: "shipping_zone"))
    }

    @Sendable func taxRates(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "tax_rates", value: try await checkout.taxRates(store.slug)))
    }

    @Sendable func putTaxRate(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(TaxRateWire.self, from: request, limit: maximumBodySize)
        return try JSONWire.response(Single(key: "tax_rate", value: try await checkout.putTaxRate(store.slug, body)), status: .created)
    }

    @Sendable func deleteTaxRate(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let id = try ResourceID.taxRate.parse(try context.parameters.decoded("id"))
        try await checkout.deleteTaxRate(store.slug, id: id)
        return try JSONWire.response(Deleted(id: ResourceID.taxRate.format(id), object: "tax_rate"))
    }

    private func orderID(_ context: CellRequestContext) throws -> Int64 {
        try ResourceID.order.parse(try context.parameters.decoded("id"))
    }
}
