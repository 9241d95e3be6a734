import Foundation
import HTTPTypes
import Hummingbird
import LumoraCore
import LumoraHTTP
import LumoraWire

/// Checkout in three pages, without JavaScript: the address (`/checkout`), shipping and the
/// totals (`/checkout/shipping`, where the order is placed), then payment — the store's own
/// test page (`/checkout/pay`), Stripe's hosted page, or the manual instructions on the
/// confirmation (`/order/confirmation`).
extension StorefrontRoutes {
    func addCheckout(to site: RouterGroup<EdgeRequestContext>) {
        site.get("checkout", use: addressForm)
        site.post("checkout", use: saveAddress)
        site.get("checkout/shipping", use: shippingForm)
        site.post("checkout/shipping", use: placeOrder)
        site.get("checkout/pay", use: paymentForm)
        site.post("checkout/pay", use: pay)
        site.post("checkout/pay/confirm", use: confirmPayment)
        site.get("order/confirmation", use: confirmation)
    }

    // MARK: Address

    @Sendable func addressForm(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        guard let cart = try await currentCart(caller, session: session), !cart.items.isEmpty else { return Self.redirect("/cart") }
        return try await checkoutPage(caller, context: context, session: session, cart: cart, form: CheckoutForm(cart), notice: nil)
    }

    @Sendable func saveAddress(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        let fields = try await FormFields(request, limit: maximumBodySize)
        try csrf.verify(fields["csrf"], host: context.host, session: session)
        guard let cartID = session.cartID, let cart = try await currentCart(caller, session: session), !cart.items.isEmpty else {
            return Self.redirect("/cart")
        }
        let form = CheckoutForm(
            email: fields["email"] ?? "", firstName: fields["first_name"] ?? "", lastName: fields["last_name"] ?? "",
            address1: fields["address_1"] ?? "", city: fields["city"] ?? "", postalCode: fields["postal_code"] ?? "",
            province: fields["province"] ?? "", countryCode: fields["country_code"] ?? "")
        do {
            let updated = try await cells.json(Single<CartWire>.self, .POST, RequestTarget.path("store", "carts", cartID), as: caller,
                                               body: UpdateCartRequest(email: form.email, shippingAddress: form.address)).value
            if updated.shippingRequired {
                // Ask now, before the shopper is shown a total: an address outside every zone
                // is told so on the address page.
                _ = try await shippingOptions(caller, cartID: cartID)
            }
            return Self.redirect("/checkout/shipping")
        } catch let error as LumoraError where error.httpStatusCode < 500 {
            let fresh = (try? await currentCart(caller, session: session)) ?? cart
            return try await checkoutPage(caller, context: context, session: session, cart: fresh, form: form,
                                          notice: Self.notice(for: error), status: HTTPResponse.Status(code: error.httpStatusCode))
        }
    }

    // MARK: Shipping and placing the order

    @Sendable func shippingForm(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        guard let cartID = session.cartID, var cart = try await currentCart(caller, session: session), !cart.items.isEmpty else {
            return Self.redirect("/cart")
        }
        guard cart.shippingAddress != nil, cart.email != nil else { return Self.redirect("/checkout") }
        var options: [ShippingOptionWire] = []
        do {
            if cart.shippingRequired {
                options = try await shippingOptions(caller, cartID: cartID)
                // The first option is chosen until the shopper picks another, so the page shows a total.
                if cart.shippingOption == nil, let first = options.first {
                    cart = try await chooseShipping(first.id, caller, cartID: cartID)
                }
            }
        } catch let error as LumoraError where error.httpStatusCode < 500 {
            return try await checkoutPage(caller, context: context, session: session, cart: cart, form: CheckoutForm(cart),
                                          notice: Self.notice(for: error), status: HTTPResponse.Status(code: error.httpStatusCode))
        }
        return try await shippingPage(caller, context: context, session: session, cart: cart, options: options, notice: nil)
    }

    /// "Update total" re-prices with the chosen option; "Place order" completes the cart and
    /// sends the shopper on to pay.
    @Sendable func placeOrder(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        let fields = try await FormFields(request, limit: maximumBodySize)
        try csrf.verify(fields["csrf"], host: context.host, session: session)
        guard let cartID = session.cartID, var cart = try await currentCart(caller, session: session), !cart.items.isEmpty else {
            return Self.redirect("/cart")
        }
        var options: [ShippingOptionWire] = []
        do {
            if cart.shippingRequired {
                options = try await shippingOptions(caller, cartID: cartID)
                if let chosen = fields["shipping_option"], !chosen.isEmpty, chosen != cart.shippingOption?.id {
                    cart = try await chooseShipping(try StorefrontInput.shippingOptionID(chosen), caller, cartID: cartID)
                }
            }
            guard fields["action"] == "place" else {
                return try await shippingPage(caller, context: context, session: session, cart: cart, options: options, notice: nil)
            }
            // Submitting twice (a double click, a retry) completes the cart once.
            let order = try await cells.json(Single<OrderWire>.self, .POST, RequestTarget.path("store", "carts", cartID, "complete"), as: caller,
                                             body: CompleteCartRequest(returnUrl: context.visitorOrigin(request) + "/order/confirmation"), headers: [("Idempotency-Key", "edge-\(cartID)-\(Self.fingerprint(cart))")]).value
            return Self.redirect(Self.paymentLocation(order))
        } catch let error as LumoraError where error.httpStatusCode < 500 || error.code == "payment_unavailable" {
            let fresh = (try? await currentCart(caller, session: session)) ?? cart
            return try await shippingPage(caller, context: context, session: session, cart: fresh, options: options,
                                          notice: Self.notice(for: error), status: HTTPResponse.Status(code: error.httpStatusCode))
        }
    }

    /// Where a placed order's shopper goes next: the provider's page, or the store's own.
    static func paymentLocation(_ order: OrderWire) -> String {
        guard order.status == "pending_payment", let payment = order.payment else { return "/order/confirmation" }
        switch payment.provider {
        case PaymentProviderKind.test.rawValue: return "/checkout/pay"
        case PaymentProviderKind.stripe.rawValue: return Presentable.url(payment.url) ?? "/order/confirmation"
        default: return "/order/confirmation"
        }
    }

    // MARK: Test payments

    @Sendable func paymentForm(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        guard let order = try await placedOrder(caller, session: session) else { return Self.redirect("/cart") }
        guard order.status == "pending_payment", order.payment?.provider == PaymentProviderKind.test.rawValue else {
            return Self.redirect("/order/confirmation")
        }
        return try await paymentPage(caller, context: context, session: session, order: order, attempt: nil, notice: nil)
    }

    @Sendable func pay(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        let fields = try await FormFields(request, limit: maximumBodySize)
        try csrf.verify(fields["csrf"], host: context.host, session: session)
        guard let cartID = session.cartID, let order = try await placedOrder(caller, session: session) else { return Self.redirect("/cart") }
        do {
            let card = try StorefrontInput.cardNumber(fields["card_number"])
            let attempt = try await cells.json(Single<PaymentAttemptWire>.self, .POST, RequestTarget.path("store", "carts", cartID, "test-payments"),
                                               as: caller, body: TestPaymentRequest(cardNumber: card)).value
            return try await answer(attempt, caller, context: context, session: session)
        } catch let error as LumoraError where error.httpStatusCode < 500 {
            return try await paymentPage(caller, context: context, session: session, order: order, attempt: nil,
                                         notice: Self.notice(for: error), status: HTTPResponse.Status(code: error.httpStatusCode))
        }
    }

    @Sendable func confirmPayment(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        let fields = try await FormFields(request, limit: maximumBodySize)
        try csrf.verify(fields["csrf"], host: context.host, session: session)
        guard let cartID = session.cartID, let order = try await placedOrder(caller, session: session) else { return Self.redirect("/cart") }
        do {
            let attemptID = try StorefrontInput.paymentID(fields["attempt"])
            let attempt = try await cells.json(Single<PaymentAttemptWire>.self, .POST,
                                               RequestTarget.path("store", "carts", cartID, "test-payments", attemptID, "confirm"),
                                               as: caller, body: ConfirmTestPaymentRequest(approve: fields["decision"] == "approve")).value
            return try await answer(attempt, caller, context: context, session: session)
        } catch let error as LumoraError where error.httpStatusCode < 500 {
            return try await paymentPage(caller, context: context, session: session, order: order, attempt: nil,
                                         notice: Self.notice(for: error), status: HTTPResponse.Status(code: error.httpStatusCode))
        }
    }

    private func answer(_ attempt: PaymentAttemptWire, _ caller: CellCaller, context: EdgeRequestContext, session: Session) async throws -> Response {
        switch attempt.status {
        case "succeeded": return Self.redirect("/order/confirmation")
        case "requires_action": return try await paymentPage(caller, context: context, session: session, order: attempt.order, attempt: attempt, notice: nil)
        default:
            return try await paymentPage(caller, context: context, session: session, order: attempt.order, attempt: nil,
                                         notice: (attempt.message ?? "The payment did not go through.") + " Please try another card.",
                                         status: HTTPResponse.Status(code: 402))
        }
    }

    // MARK: Confirmation

    @Sendable func confirmation(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        guard var order = try await placedOrder(caller, session: session), let cartID = session.cartID else { return Self.redirect("/cart") }
        // Back from Stripe's page (it adds session_id): ask now rather than wait for the webhook.
        if request.uri.queryParameters["session_id"] != nil, order.status == "pending_payment",
           order.payment?.provider == PaymentProviderKind.stripe.rawValue,
           let fresh = try? await cells.json(Single<OrderWire>.self, .POST, RequestTarget.path("store", "carts", cartID, "stripe-return"), as: caller).value {
            order = fresh
        }
        let settings = try await settings(caller)
        let view = StoreView.from(settings, route: caller.store, cartCount: 0)
        let payment = order.payment
        var response = try pages.html("confirmation", ConfirmationPage(
            meta: meta(context, path: nil, title: "Order #\(order.displayId) — \(view.name)", description: "Your order at \(view.name).", image: nil, settings: settings),
            store: view, number: order.displayId, email: order.email, items: OrderLineView.lines(order.items), totals: TotalsView(order),
            name: "\(order.shippingAddress.firstName) \(order.shippingAddress.lastName)",
            address: order.shippingAddress.address1, city: order.shippingAddress.city, postalCode: order.shippingAddress.postalCode,
            country: order.shippingAddress.countryCode, shippingMethod: order.shippingMethod,
            paid: order.status == "paid" || order.status == "fulfilled", awaitingManualPayment: payment?.status == "awaiting_payment",
            instructions: payment?.instructions?.nonEmptyText, needsPayment: payment?.status == "requires_payment",
            payURL: Self.paymentLocation(order), expired: payment?.status == "expired", status: order.status.replacingOccurrences(of: "_", with: " ")))
        response.headers[.cacheControl] = "no-store"
        response.headers.append(HTTPField(name: .setCookie, value: Session.cookie(Session.cartItemsCookie, "0", secure: context.isSecure)))
        return response
    }

    // MARK: Helpers

    private func shippingOptions(_ caller: CellCaller, cartID: String) async throws -> [ShippingOptionWire] {
        try await cells.json(Single<[ShippingOptionWire]>.self, .GET, RequestTarget.path("store", "carts", cartID, "shipping-options"), as: caller).value
    }

    private func chooseShipping(_ optionID: String, _ caller: CellCaller, cartID: String) async throws -> CartWire {
        try await cells.json(Single<CartWire>.self, .POST, RequestTarget.path("store", "carts", cartID, "shipping-method"),
                             as: caller, body: SelectShippingRequest(optionId: optionID)).value
    }

    private func placedOrder(_ caller: CellCaller, session: Session) async throws -> OrderWire? {
        guard let cartID = session.cartID else { return nil }
        return try? await cells.json(Single<OrderWire>.self, .GET, RequestTarget.path("store", "carts", cartID, "order"), as: caller).value
    }

    func checkoutPage(_ caller: CellCaller, context: EdgeRequestContext, session: Session, cart: CartWire, form: CheckoutForm,
                      notice: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let settings = try await settings(caller)
        let view = StoreView.from(settings, route: caller.store, cartCount: cart.itemCount)
        var response = try pages.html("checkout", CheckoutPage(
            meta: meta(context, path: nil, title: "Checkout — \(view.name)", description: "Checkout at \(view.name).", image: nil, settings: settings),
            store: view, items: OrderLineView.lines(cart.items), totals: TotalsView(cart), form: form, notice: notice,
            csrf: csrf.token(host: context.host, session: session)), status: status)
        response.headers[.cacheControl] = "no-store"
        session.stamp(&response, secure: context.isSecure)
        return response
    }

    private func shippingPage(_ caller: CellCaller, context: EdgeRequestContext, session: Session, cart: CartWire, options: [ShippingOptionWire],
                              notice: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let settings = try await settings(caller)
        let view = StoreView.from(settings, route: caller.store, cartCount: cart.itemCount)
        let address = cart.shippingAddress
        var response = try pages.html("shipping", ShippingPage(
            meta: meta(context, path: nil, title: "Shipping — \(view.name)", description: "Checkout at \(view.name).", image: nil, settings: settings),
            store: view, items: OrderLineView.lines(cart.items), totals: TotalsView(cart),
            options: options.map { ShippingOptionView(id: $0.id, name: $0.name, amount: $0.amount.amount == 0 ? "Free" : $0.amount.formatted,
                                                      chosen: $0.id == cart.shippingOption?.id) },
            shippingRequired: cart.shippingRequired, email: cart.email ?? "",
            address: address.map { "\($0.firstName) \($0.lastName), \($0.address1), \($0.city) \($0.postalCode), \($0.countryCode)" } ?? "",
            notice: notice, csrf: csrf.token(host: context.host, session: session)), status: status)
        response.headers[.cacheControl] = "no-store"
        session.stamp(&response, secure: context.isSecure)
        return response
    }

    private func paymentPage(_ caller: CellCaller, context: EdgeRequestContext, session: Session, order: OrderWire, attempt: PaymentAttemptWire?,
                             notice: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let settings = try await settings(caller)
        let view = StoreView.from(settings, route: caller.store, cartCount: 0)
        var response = try pages.html("pay", PaymentPage(
            meta: meta(context, path: nil, title: "Payment — \(view.name)", description: "Pay for your order at \(view.name).", image: nil, settings: settings),
            store: view, number: order.displayId, totals: TotalsView(order), notice: notice, confirming: attempt.map(\.id),
            confirmMessage: attempt?.message, csrf: csrf.token(host: context.host, session: session)), status: status)
        response.headers[.cacheControl] = "no-store"
        session.stamp(&response, secure: context.isSecure)
        return response
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// One key per cart and what it would be charged: a changed cart is a new request.
    static func fingerprint(_ cart: CartWire) -> String {
        var hasher = FNV1a()
        hasher.combine(cart.id)
        hasher.combine(String(cart.total.amount))
        hasher.combine(cart.shippingOption?.id ?? "")
        hasher.combine(cart.email ?? "")
        for field in cart.shippingAddress?.canonicalFields ?? [] { hasher.combine(field) }
        return String(hasher.value, radix: 16)
    }
}

extension String {
    var nonEmptyText: String? { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : self }
}
