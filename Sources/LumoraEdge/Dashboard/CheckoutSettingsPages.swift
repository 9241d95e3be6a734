import Foundation
import HTTPTypes
import Hummingbird
import LumoraCore
import LumoraHTTP
import LumoraWire

/// The Checkout area (owner, admin): how shoppers pay, where the store ships and what tax it
/// charges — one page over the cell's `/admin/settings/checkout`, `/admin/shipping-zones` and
/// `/admin/tax-rates`. Each form is one request to the cell; a refusal comes back on the page
/// with that form filled as typed and the cell's message by its field, the other forms as saved.
extension StorePages {
    func addCheckout(to group: RouterGroup<EdgeRequestContext>) {
        group.get("stores/:slug/checkout", use: checkout)
        group.post("stores/:slug/checkout", use: savePayments)
        group.post("stores/:slug/checkout/zones", use: addZone)
        group.post("stores/:slug/checkout/zones/:id/delete", use: deleteZone)
        group.post("stores/:slug/checkout/tax-rates", use: addTaxRate)
        group.post("stores/:slug/checkout/tax-rates/:id/delete", use: deleteTaxRate)
    }

    /// What `?done=` after a redirect says on the page.
    private static let confirmations = [
        "payments": "Saved. Shoppers see the change at their next checkout.",
        "zone-added": "Shipping zone added.", "zone-deleted": "Shipping zone deleted.",
        "tax-added": "Tax rate saved.", "tax-deleted": "Tax rate deleted.",
    ]

    @Sendable func checkout(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .settings) else { return dashboard.redirectToLogin(visit) }
        let done = request.uri.queryParameters.get("done").flatMap { Self.confirmations[$0] }
        return try await checkoutPage(member, visit: visit, confirmation: done)
    }

    @Sendable func savePayments(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .settings) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let draft = PaymentsDraft(form)
        do {
            _ = try await admin(Single<CheckoutSettingsWire>.self, .PUT, Self.adminPath("settings", "checkout"), member, visit, body: draft.request)
            return Dashboard.redirect(path(member, "checkout").query("done", "payments").text)
        } catch let error as LumoraError where error.isFormRefusal {
            return try await checkoutPage(member, visit: visit, payments: draft, errors: [PaymentsDraft.field(for: error): error.message],
                                          status: .unprocessableContent)
        }
    }

    @Sendable func addZone(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .settings) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let draft = ZoneDraft(form)
        let errors: [String: String]
        switch draft.request(currency: member.route.currency) {
        case .failure(let refused):
            errors = refused.fields
        case .success(let body):
            do {
                _ = try await admin(Single<ShippingZoneWire>.self, .POST, Self.adminPath("shipping-zones"), member, visit, body: body)
                return Dashboard.redirect(path(member, "checkout").query("done", "zone-added").text)
            } catch let error as LumoraError where error.isFormRefusal {
                errors = [ZoneDraft.field(for: error): error.message]
            }
        }
        return try await checkoutPage(member, visit: visit, zone: draft, errors: errors, status: .unprocessableContent)
    }

    @Sendable func deleteZone(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await checkoutDeletion(request, context, resource: "shipping-zones", done: "zone-deleted")
    }

    @Sendable func addTaxRate(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .settings) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let draft = TaxRateDraft(form)
        do {
            _ = try await admin(Single<TaxRateWire>.self, .POST, Self.adminPath("tax-rates"), member, visit, body: draft.request)
            return Dashboard.redirect(path(member, "checkout").query("done", "tax-added").text)
        } catch let error as LumoraError where error.isFormRefusal {
            return try await checkoutPage(member, visit: visit, tax: draft, errors: [TaxRateDraft.field(for: error): error.message],
                                          status: .unprocessableContent)
        }
    }

    @Sendable func deleteTaxRate(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await checkoutDeletion(request, context, resource: "tax-rates", done: "tax-deleted")
    }

    /// A zone or rate that is already gone (deleted in another tab) is not an error worth a page.
    private func checkoutDeletion(_ request: Request, _ context: EdgeRequestContext, resource: String, done: String) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .settings) else { return dashboard.redirectToLogin(visit) }
        _ = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        do {
            _ = try await admin(Deleted.self, .DELETE, Self.adminPath(resource, try context.parameters.require("id")), member, visit)
        } catch let error as LumoraError where error.status == .notFound {}
        return Dashboard.redirect(path(member, "checkout").query("done", done).text)
    }

    /// The page, with each form as typed when it was the one refused, else as saved (or empty).
    func checkoutPage(_ member: Dashboard.Member, visit: Dashboard.Visit, payments: PaymentsDraft? = nil, zone: ZoneDraft? = nil,
                      tax: TaxRateDraft? = nil, errors: [String: String] = [:], confirmation: String? = nil,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let settings = try await admin(Single<CheckoutSettingsWire>.self, .GET, Self.adminPath("settings", "checkout"), member, visit).value
        let zones = try await admin(Single<[ShippingZoneWire]>.self, .GET, Self.adminPath("shipping-zones"), member, visit).value
        let rates = try await admin(Single<[TaxRateWire]>.self, .GET, Self.adminPath("tax-rates"), member, visit).value
        let values = payments ?? PaymentsDraft(settings)
        let zone = zone ?? ZoneDraft()
        let tax = tax ?? TaxRateDraft()
        let offersStripe = settings.availableProviders.contains(PaymentProviderKind.stripe.rawValue)
        let page = CheckoutSettingsPage(
            chrome: dashboard.chrome(member, visit: visit, area: "Checkout", confirmation: confirmation),
            paymentsAction: "\(base(member))/checkout",
            providers: settings.availableProviders.map {
                .init(value: $0, title: PaymentsDraft.title($0), sentence: PaymentsDraft.sentence($0), selected: $0 == values.provider,
                      isManual: $0 == PaymentProviderKind.manual.rawValue, isStripe: $0 == PaymentProviderKind.stripe.rawValue)
            },
            provider: FieldView(values.provider, error: errors["payment_provider"]),
            stripeAccount: FieldView(offersStripe ? values.stripeAccount ?? "" : "", error: errors["stripe_account_id"]),
            instructions: FieldView(values.instructions, error: errors["payment_instructions"]),
            pricesIncludeTax: values.pricesIncludeTax,
            noticeEmail: FieldView(values.noticeEmail, error: errors["order_notice_email"]),
            paymentsError: errors["payments_form"],
            zones: zones.map {
                .init(name: $0.name, countries: $0.countries.joined(separator: ", "), rates: $0.rates.map(ZoneDraft.describe),
                      deleteURL: path(member, "checkout", "zones", $0.id, "delete").text)
            },
            hasZones: !zones.isEmpty, zoneAction: "\(base(member))/checkout/zones",
            zoneName: FieldView(zone.name, error: errors["zone_name"]), zoneCountries: FieldView(zone.countries, error: errors["zone_countries"]),
            rateName: FieldView(zone.rateName, error: errors["rate_name"]),
            rateKinds: [("flat", "Flat rate"), ("free_over", "Free over a subtotal")].map { .init(value: $0.0, title: $0.1, selected: $0.0 == zone.kind) },
            rateKind: FieldView(zone.kind, error: errors["rate_kind"]),
            rateAmount: FieldView(zone.amount, error: errors["rate_amount"]), rateFreeOver: FieldView(zone.freeOver, error: errors["rate_free_over"]),
            zoneError: errors["zone_form"],
            taxRates: rates.map {
                .init(country: $0.country, region: $0.region ?? "", name: $0.name, percent: "\($0.percent) %",
                      deleteURL: path(member, "checkout", "tax-rates", $0.id ?? "", "delete").text)
            },
            hasTaxRates: !rates.isEmpty, taxAction: "\(base(member))/checkout/tax-rates",
            taxCountry: FieldView(tax.country, error: errors["tax_country"]), taxRegion: FieldView(tax.region, error: errors["tax_region"]),
            taxPercent: FieldView(tax.percent, error: errors["tax_percent"]), taxName: FieldView(tax.name, error: errors["tax_name"]),
            taxError: errors["tax_form"], currency: member.route.currency.code)
        return try dashboard.page("dashboard/checkout", page, visit: visit, status: status)
    }
}
