import Foundation
import LumoraCell
import LumoraCore
import LumoraTestSupport
import Testing

/// The merchant dashboard at app.<root>, driven over real HTTP the way a browser would: forms
/// with their CSRF tokens, cookies per host, redirects looked at.
@Suite struct DashboardTests {
    static let app = DashboardHarness.app

    /// The landing page's signup makes the owner and lands them in the dashboard signed in; the
    /// product they add (two options) is on the storefront.
    @Test func aMerchantSignsUpAddsAProductAndSeesItInTheStore() async throws {
        try await DashboardHarness.run { platform in
            let merchant = try await platform.signUp("acme", email: "wile@acme.test")
            let overview = try await merchant.get(Self.app, "/stores/acme")
            #expect(overview.status == 200)
            #expect(overview.body.contains("Acme Store") && overview.body.contains("orders today"))
            #expect(overview.headers.first(name: "cache-control") == "no-store")
            #expect(overview.headers.first(name: "content-security-policy")?.contains("default-src 'none'") == true)

            let created = try await merchant.submit("/stores/acme/products", on: "/stores/acme/products/new", form: [
                "title": "Road Runner Sneakers", "handle": "", "description": "Fast.", "images": "", "collection": "", "published": "yes",
                "variant_1_title": "Size 9", "variant_1_sku": "RR-9", "variant_1_price": "89.00", "variant_1_stocked": "4",
                "variant_2_title": "Size 10", "variant_2_sku": "RR-10", "variant_2_price": "92,50", "variant_2_stocked": "0",
            ])
            #expect(created.status == 303, "\(created.body)")
            let productPage = try await merchant.follow(try #require(created.location))
            #expect(productPage.body.contains("Saved."))
            #expect(productPage.body.contains("Size 9") && productPage.body.contains("92.50"))

            let shopper = platform.browser()
            let storefront = try await shopper.waitForPage("acme.lumora.test", "/products/road-runner-sneakers") { $0.status == 200 }
            #expect(storefront.body.contains("Road Runner Sneakers"))
            #expect(storefront.body.contains("Size 9") && storefront.body.contains("Size 10"))
            #expect(storefront.body.contains("$89.00"))
        }
    }

    @Test func pagesNeedASignedInPersonAndSignInIsGenericAndThrottled() async throws {
        try await DashboardHarness.run { platform in
            _ = try await platform.signUp("acme", email: "wile@acme.test")
            let stranger = platform.browser()
            let redirected = try await stranger.get(Self.app, "/stores/acme/products?status=draft")
            #expect(redirected.status == 303)
            #expect(redirected.location == "/login?next=%2Fstores%2Facme%2Fproducts%3Fstatus%3Ddraft")

            let wrong = try await stranger.submit("/login", form: ["email": "wile@acme.test", "password": "wrong horse", "next": "/stores/acme/products"])
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("That e-mail address and password do not match an account."))
            #expect(wrong.body.contains("value=\"wile@acme.test\""))
            let unknown = try await stranger.submit("/login", form: ["email": "nobody@acme.test", "password": "wrong horse"])
            #expect(unknown.status == 401 && unknown.body.contains("That e-mail address and password do not match an account."))
            // A form without its token is refused.
            let forged = try await stranger.post(Self.app, "/login", form: ["email": "wile@acme.test", "password": "correct horse"])
            #expect(forged.status == 403)

            let good = try await stranger.submit("/login", form: ["email": "wile@acme.test", "password": "correct horse", "next": "/stores/acme/products"])
            #expect(good.status == 303)
            #expect(good.location == "/stores/acme/products")
            let setCookie = try #require(good.headers["set-cookie"].first { $0.hasPrefix("lumora_account=") })
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && !setCookie.contains("Domain="))
            #expect(try await stranger.get(Self.app, "/stores/acme/products").status == 200)

            // Somewhere else on the web: `next` cannot leave the dashboard.
            let elsewhere = try await platform.browser().submit("/login", form: ["email": "wile@acme.test", "password": "correct horse", "next": "//evil.test/x"])
            #expect(elsewhere.location == "/")

            // Signing out ends the session on the server too.
            let cookieBefore = stranger.cookies(Self.app)["lumora_account"]
            let out = try await stranger.submit("/logout", on: "/stores/acme/products", form: [:])
            #expect(out.status == 303 && out.location == "/login")
            let replayed = platform.browser()
            replayed.setCookie(Self.app, "lumora_account", cookieBefore)
            #expect(try await replayed.get(Self.app, "/stores/acme").status == 303)

            // Too many wrong passwords: even the right one waits.
            let guesser = platform.browser()
            for _ in 0..<5 { _ = try await guesser.submit("/login", form: ["email": "wile@acme.test", "password": "guess guess"]) }
            let locked = try await guesser.submit("/login", form: ["email": "wile@acme.test", "password": "correct horse"])
            #expect(locked.status == 429)
            #expect(locked.body.contains("Too many sign-in attempts"))
            platform.clock.advance(by: .seconds(15 * 60))
            #expect(try await guesser.submit("/login", form: ["email": "wile@acme.test", "password": "correct horse"]).status == 303)
        }
    }

    /// A person of one store who edits the URL to another's gets 404; staff get 403 on owner
    /// pages but fulfil orders; a removed person is out with their next request.
    @Test func storesAndRolesHoldTheirBoundaries() async throws {
        try await DashboardHarness.run { platform in
            let owner = try await platform.signUp("acme", email: "wile@acme.test")
            let other = try await platform.signUp("globex", email: "hank@globex.test")
            for path in ["/stores/globex", "/stores/globex/products", "/stores/globex/orders", "/stores/globex/settings", "/stores/nowhere/products"] {
                #expect(try await owner.get(Self.app, path).status == 404, "\(path)")
            }
            let intoOther = try await owner.submit("/stores/globex/settings", on: "/stores/acme/settings",
                                                   form: ["name": "Pwned", "description": "", "logo_url": "", "primary_color": "#111111", "accent_color": "#1d4ed8"])
            #expect(intoOther.status == 404)

            let invited = try await owner.submit("/stores/acme/staff", form: ["email": "road@runner.test", "role": "staff"])
            #expect(invited.status == 303)
            let token = try await platform.mailer.token(to: "road@runner.test")
            let staff = platform.browser()
            let invitation = try await staff.get(Self.app, "/invitations/\(token)")
            #expect(invitation.body.contains("Join Acme Store") && invitation.body.contains("staff"))
            let joined = try await staff.submit("/invitations/\(token)", form: ["password": "meep meep meep"])
            #expect(joined.status == 303 && joined.location == "/stores/acme")

            for path in ["/stores/acme/staff", "/stores/acme/tokens", "/stores/acme/settings", "/stores/acme/domains"] {
                let page = try await staff.get(Self.app, path)
                #expect(page.status == 403, "\(path)")
                #expect(page.body.contains("does not open this page"))
                #expect(page.headers.first(name: "cache-control") == "no-store")
            }
            #expect(try await staff.get(Self.app, "/stores/acme/products").status == 200)
            #expect(try await staff.get(Self.app, "/stores/globex/products").status == 404)
            // The staff member's menu does not offer what they cannot open.
            let menu = try await staff.get(Self.app, "/stores/acme/orders").body
            #expect(menu.contains("Orders") && !menu.contains(">Staff<") && !menu.contains(">Settings<"))
            _ = other

            let staffPage = try await owner.get(Self.app, "/stores/acme/staff")
            let removeURL = try #require(staffPage.body.range(of: #"/stores/acme/staff/[0-9]+/remove"#, options: .regularExpression).map { String(staffPage.body[$0]) })
            #expect(try await owner.submit(removeURL, on: "/stores/acme/staff", form: [:]).status == 303)
            #expect(try await staff.get(Self.app, "/stores/acme/products").status == 303)
        }
    }

    /// A refused form comes back filled, the error beside its field, and nothing is saved.
    @Test func aRefusedFormComesBackFilledAndSavesNothing() async throws {
        try await DashboardHarness.run { platform in
            let owner = try await platform.signUp("acme", email: "wile@acme.test")
            let refused = try await owner.submit("/stores/acme/products", on: "/stores/acme/products/new", form: [
                "title": "Coyote Kit", "handle": "Not A Handle!", "description": "Anvils included.", "images": "", "collection": "",
                "variant_1_title": "Default", "variant_1_price": "twelve", "variant_1_stocked": "3",
            ])
            #expect(refused.status == 422)
            #expect(refused.body.contains("value=\"Coyote Kit\"") && refused.body.contains("Anvils included."))
            #expect(refused.body.contains("Enter the price as a number"))
            let bad = try await owner.submit("/stores/acme/products", on: "/stores/acme/products/new", form: [
                "title": "Coyote Kit", "handle": "Not A Handle!", "variant_1_title": "Default", "variant_1_price": "12", "variant_1_stocked": "3",
            ])
            #expect(bad.status == 422)
            #expect(bad.body.contains("value=\"Not A Handle!\""))
            #expect(bad.body.contains("handle must be lowercase letters"))
            #expect(try await platform.count("SELECT count(*)::int FROM store_acme.products") == 0)

            let dim = try await owner.submit("/stores/acme/settings", form: [
                "name": "Acme Store", "description": "", "logo_url": "", "primary_color": "#ffff00", "accent_color": "#1d4ed8",
            ])
            #expect(dim.status == 422)
            #expect(dim.body.contains("value=\"#ffff00\"") && dim.body.contains("WCAG AA"))
            let saved = try await owner.submit("/stores/acme/settings", form: [
                "name": "Acme Rockets", "description": "Since 1949.", "logo_url": "", "primary_color": "#7c2d12", "accent_color": "#1d4ed8",
            ])
            #expect(saved.status == 303)
            #expect(try await owner.follow(try #require(saved.location)).body.contains("value=\"Acme Rockets\""))
        }
    }

    /// A shopper buys; the merchant sees the order and fulfils it; stock moves.
    @Test func anOrderIsSeenAndFulfilled() async throws {
        try await DashboardHarness.run { platform in
            let owner = try await platform.signUp("acme", email: "wile@acme.test")
            _ = try await owner.submit("/stores/acme/products", on: "/stores/acme/products/new", form: [
                "title": "Anvil", "published": "yes", "variant_1_title": "Heavy", "variant_1_price": "120", "variant_1_stocked": "3",
            ])
            let shopper = platform.browser()
            let product = try await shopper.waitForPage("acme.lumora.test", "/products/anvil") { $0.status == 200 }
            let variant = try #require(product.body.range(of: #"variant_[0-9]+"#, options: .regularExpression).map { String(product.body[$0]) })
            _ = try await shopper.post("acme.lumora.test", "/cart/add", form: ["csrf": try #require(product.csrf), "variant_id": variant, "quantity": "2"])
            let checkout = try await shopper.get("acme.lumora.test", "/checkout")
            let placed = try await shopper.post("acme.lumora.test", "/checkout", form: [
                "csrf": try #require(checkout.csrf), "email": "shopper@example.test", "first_name": "Bugs", "last_name": "Bunny",
                "address_1": "1 Carrot Lane", "city": "Toontown", "postal_code": "12345", "country_code": "US",
            ])
            #expect(placed.status == 303, "\(placed.body.prefix(300))")
            let review = try await shopper.get("acme.lumora.test", "/checkout/shipping")
            let ordered = try await shopper.post("acme.lumora.test", "/checkout/shipping", form: ["csrf": try #require(review.csrf), "action": "place"])
            #expect(ordered.status == 303, "\(ordered.body.prefix(300))")

            // The outbox: the shopper is told how to pay, the owner of the new order, by the manager.
            try await waitUntil {
                platform.mailer.mails.contains { $0.to == "shopper@example.test" && $0.subject.contains("how to pay") }
                    && platform.mailer.mails.contains { $0.to == "wile@acme.test" && $0.subject.hasPrefix("New order") }
            }
            let receipt = try #require(platform.mailer.mails.last { $0.to == "shopper@example.test" })
            #expect(receipt.body.contains("2 × Anvil (Heavy)") && receipt.body.contains("Total: $240.00") && receipt.body.contains("1 Carrot Lane"))
            // The HTML alternative, in the store's name.
            #expect(receipt.fromName == "Acme Store")
            #expect(receipt.html?.contains("Anvil") == true && receipt.html?.contains("$240.00") == true)

            let overview = try await owner.get(Self.app, "/stores/acme")
            #expect(overview.body.contains("$240.00"))
            #expect(overview.body.contains("Anvil") && overview.body.contains("Heavy"))  // 1 left: low stock
            let list = try await owner.get(Self.app, "/stores/acme/orders?status=pending_payment")
            #expect(list.body.contains("shopper@example.test"))
            let orderURL = try #require(list.body.range(of: #"/stores/acme/orders/order_[0-9]+"#, options: .regularExpression).map { String(list.body[$0]) })
            let order = try await owner.get(Self.app, orderURL)
            // A manual payment: nothing ships before the merchant marks it paid.
            #expect(order.body.contains("1 Carrot Lane") && order.body.contains("Mark as paid") && !order.body.contains("Mark as fulfilled"))
            #expect(try await owner.submit(orderURL + "/mark-paid", on: orderURL, form: [:]).status == 303)
            let paid = try await owner.get(Self.app, orderURL)
            #expect(paid.body.contains("status-paid") && paid.body.contains("Mark as fulfilled"))
            // A partial refund, typed as a person types it.
            #expect(try await owner.submit(orderURL + "/refund", on: orderURL, form: ["amount": "40", "reason": "dented"]).status == 303)
            let refunded = try await owner.get(Self.app, orderURL)
            #expect(refunded.body.contains("$40.00") && refunded.body.contains("status-paid"))
            let tooMuch = try await owner.submit(orderURL + "/refund", on: orderURL, form: ["amount": "500"])
            #expect(tooMuch.status == 422 && tooMuch.body.contains("what is left to refund"))
            let fulfilled = try await owner.submit(orderURL + "/fulfil", on: orderURL, form: [:])
            #expect(fulfilled.status == 303)
            let after = try await owner.get(Self.app, orderURL)
            #expect(after.body.contains("status-fulfilled") && !after.body.contains("Mark as fulfilled"))
            let again = try await owner.submit(orderURL + "/fulfil", on: "/stores/acme/orders", form: [:])
            #expect(again.status == 409)
        }
    }

    /// Named API tokens: made in the dashboard (shown once), used by an integration on the
    /// store's admin API, revoked at once.
    @Test func apiTokensWorkUntilRevoked() async throws {
        try await DashboardHarness.run { platform in
            let owner = try await platform.signUp("acme", email: "wile@acme.test")
            let made = try await owner.submit("/stores/acme/tokens", form: ["name": "Warehouse sync"])
            #expect(made.status == 200)
            let secret = try #require(made.body.range(of: #"lsk_[A-Za-z0-9_-]+"#, options: .regularExpression).map { String(made.body[$0]) })
            let listed = try await owner.get(Self.app, "/stores/acme/tokens")
            #expect(listed.body.contains("Warehouse sync") && !listed.body.contains(secret))

            let integration = platform.browser()
            let call = { try await integration.send(.GET, "acme.lumora.test", "/api/admin/orders", headers: [("authorization", "Bearer \(secret)")]) }
            #expect(try await call().status == 200)
            // The newest token's form is the last one on the page.
            let revokeURL = try #require(listed.body.matches(of: /\/stores\/acme\/tokens\/[0-9]+\/revoke/).last.map { String($0.output) })
            #expect(try await owner.submit(revokeURL, on: "/stores/acme/tokens", form: [:]).status == 303)
            try await waitUntil { try await call().status == 401 }
        }
    }

    @Test func aSuspendedStoreIsReadOnly() async throws {
        try await DashboardHarness.run { platform in
            let owner = try await platform.signUp("acme", email: "wile@acme.test")
            try await platform.sql("UPDATE lumora.stores SET status = 'suspended' WHERE slug = 'acme'")
            try await waitUntil { (try await owner.get(Self.app, "/stores/acme/products")).body.contains("This store is suspended by the platform's operator") }
            #expect(try await owner.get(Self.app, "/stores/acme/orders").status == 200)
            #expect(try await platform.browser().get("acme.lumora.test", "/").status == 410)
            let refused = try await owner.submit("/stores/acme/collections", form: ["title": "Rockets", "handle": "rockets"])
            #expect(refused.status == 403)
            #expect(refused.body.contains("read-only"))
        }
    }

    @Test func aForgottenPasswordIsResetByMail() async throws {
        try await DashboardHarness.run { platform in
            _ = try await platform.signUp("acme", email: "wile@acme.test")
            let person = platform.browser()
            let asked = try await person.submit("/reset", form: ["email": "wile@acme.test"])
            #expect(asked.body.contains("is on its way"))
            let link = try await platform.mailer.mail(to: "wile@acme.test").link
            #expect(link.hasPrefix("http://app.lumora.test/reset/"))
            let path = String(link.dropFirst("http://app.lumora.test".count))
            let done = try await person.submit(path, form: ["password": "new and long"])
            #expect(done.status == 303)
            #expect(try await person.get(Self.app, "/stores/acme").status == 200)
            let expired = try await platform.browser().submit(path, form: ["password": "another one"])
            #expect(expired.status == 422 && expired.body.contains("expired or was already used"))
        }
    }

    /// The Checkout area: the payment provider among those the platform offers, shipping zones
    /// and tax rates, each saved through the cell's admin API; a refused form comes back as
    /// typed with the cell's message by its field; staff cannot open it.
    @Test func theMerchantSetsPaymentsShippingAndTax() async throws {
        try await DashboardHarness.run(payments: .init(available: [.manual, .test])) { platform in
            let owner = try await platform.signUp("acme", email: "wile@acme.test")
            let page = "/stores/acme/checkout"
            let shown = try await owner.get(Self.app, page)
            #expect(shown.status == 200)
            #expect(shown.body.contains(">Checkout<") && shown.body.contains("Manual payment") && shown.body.contains("Test cards"))
            // A platform with test cards uses them for a store that chose nothing; Stripe is not offered here.
            #expect(shown.body.contains(#"value="test" checked"#) && !shown.body.contains("stripe_account_id"))

            let saved = try await owner.submit(page, form: [
                "payment_provider": "manual", "payment_instructions": "Bank transfer to IBAN DE00 1234.", "prices_include_tax": "yes",
                "order_notice_email": "orders@acme.test",
            ])
            #expect(saved.status == 303 && saved.location == page + "?done=payments")
            let after = try await owner.follow(try #require(saved.location)).body
            #expect(after.contains("Saved.") && after.contains(#"value="manual" checked"#) && after.contains("Bank transfer to IBAN DE00 1234."))
            #expect(after.contains(#"name="prices_include_tax" value="yes" checked"#) && after.contains(#"value="orders@acme.test""#))
            #expect(try await platform.count("""
                SELECT count(*)::int FROM store_acme.settings WHERE payment_provider = 'manual' AND prices_include_tax
                AND order_notice_email = 'orders@acme.test'
                """) == 1)

            // Refused: the form as typed, the message by the field, nothing saved.
            let badMail = try await owner.submit(page, form: [
                "payment_provider": "test", "payment_instructions": "Cash only.", "order_notice_email": "nobody at home",
            ])
            #expect(badMail.status == 422)
            #expect(badMail.body.contains(#"value="nobody at home""#) && badMail.body.contains("is not an e-mail address"))
            #expect(badMail.body.contains(#"value="test" checked"#) && badMail.body.contains("Cash only."))
            let unoffered = try await owner.submit(page, form: ["payment_provider": "stripe", "payment_instructions": ""])
            #expect(unoffered.status == 422 && unoffered.body.contains("is not configured"))
            #expect(try await platform.count("SELECT count(*)::int FROM store_acme.settings WHERE payment_provider = 'manual' AND payment_instructions = 'Bank transfer to IBAN DE00 1234.'") == 1)

            // A shipping zone with its first rate, and one refused (a country of another zone).
            let zone = try await owner.submit(page + "/zones", on: page, form: [
                "zone_name": "North America", "zone_countries": "us, ca", "rate_name": "Standard", "rate_kind": "flat", "rate_amount": "4.95",
            ])
            #expect(zone.status == 303, "\(zone.body.prefix(400))")
            let zones = try await owner.get(Self.app, page).body
            #expect(zones.contains("North America") && zones.contains("US, CA") && zones.contains("Standard: $4.95"))
            let shared = try await owner.submit(page + "/zones", on: page, form: [
                "zone_name": "Canada Express", "zone_countries": "CA", "rate_name": "Express", "rate_kind": "free_over", "rate_amount": "15",
                "rate_free_over": "100",
            ])
            #expect(shared.status == 422)
            #expect(shared.body.contains(#"value="Canada Express""#) && shared.body.contains("already ships to CA"))
            #expect(shared.body.contains(#"<option value="free_over" selected>"#))
            let notANumber = try await owner.submit(page + "/zones", on: page, form: [
                "zone_name": "Europe", "zone_countries": "DE", "rate_name": "Standard", "rate_kind": "flat", "rate_amount": "cheap",
            ])
            #expect(notANumber.status == 422 && notANumber.body.contains(#"value="cheap""#) && notANumber.body.contains("Enter the shipping price as a number"))
            #expect(try await platform.count("SELECT count(*)::int FROM store_acme.shipping_zones") == 1)

            // A tax rate, one refused, then both deletions.
            let tax = try await owner.submit(page + "/tax-rates", on: page, form: [
                "tax_country": "us", "tax_region": "", "tax_percent": "8.875 %", "tax_name": "Sales tax",
            ])
            #expect(tax.status == 303, "\(tax.body.prefix(400))")
            let rates = try await owner.get(Self.app, page).body
            #expect(rates.contains("Sales tax") && rates.contains("8.875 %"))
            let badRate = try await owner.submit(page + "/tax-rates", on: page, form: ["tax_country": "GB", "tax_percent": "lots", "tax_name": "VAT"])
            #expect(badRate.status == 422 && badRate.body.contains(#"value="lots""#) && badRate.body.contains("a tax rate is a percentage"))
            #expect(try await platform.count("SELECT count(*)::int FROM store_acme.tax_rates") == 1)

            let zoneDelete = try #require(rates.firstMatch(of: /\/stores\/acme\/checkout\/zones\/[^\/"]+\/delete/).map { String($0.output) })
            #expect(try await owner.submit(zoneDelete, on: page, form: [:]).status == 303)
            let taxDelete = try #require(rates.firstMatch(of: /\/stores\/acme\/checkout\/tax-rates\/[^\/"]+\/delete/).map { String($0.output) })
            #expect(try await owner.submit(taxDelete, on: page, form: [:]).status == 303)
            let empty = try await owner.get(Self.app, page).body
            #expect(empty.contains("No shipping zones") && empty.contains("No tax rates"))
            #expect(try await platform.count("SELECT ((SELECT count(*) FROM store_acme.shipping_zones) + (SELECT count(*) FROM store_acme.tax_rates))::int") == 0)

            // Staff: not in their menu, refused the page and its forms.
            _ = try await owner.submit("/stores/acme/staff", form: ["email": "road@runner.test", "role": "staff"])
            let staff = platform.browser()
            let token = try await platform.mailer.token(to: "road@runner.test")
            #expect(try await staff.submit("/invitations/\(token)", form: ["password": "meep meep meep"]).status == 303)
            let refused = try await staff.get(Self.app, page)
            #expect(refused.status == 403 && refused.body.contains("does not open this page"))
            #expect(!(try await staff.get(Self.app, "/stores/acme/orders")).body.contains(">Checkout<"))
            let posted = try await staff.submit(page + "/tax-rates", on: "/stores/acme/orders", form: ["tax_country": "US", "tax_percent": "50"])
            #expect(posted.status == 403)
            #expect(try await platform.count("SELECT count(*)::int FROM store_acme.tax_rates") == 0)
        }
    }

    /// Prices are minor units of one currency: it changes before the first product, not after.
    @Test func theCurrencyChangesOnlyBeforeTheFirstPrice() async throws {
        try await DashboardHarness.run { platform in
            let owner = try await platform.signUp("acme", email: "wile@acme.test")
            let settings = ["name": "Acme Store", "description": "", "logo_url": "", "primary_color": "#7c2d12", "accent_color": "#1d4ed8"]
            var euro = settings
            euro["currency"] = "EUR"
            #expect(try await owner.submit("/stores/acme/settings", form: euro).status == 303)
            #expect(try await platform.count("SELECT count(*)::int FROM lumora.stores WHERE slug = 'acme' AND currency = 'EUR'") == 1)
            // The edge hears of it, and prices are read as euros.
            try await owner.waitForPage(Self.app, "/stores/acme/settings") { $0.body.contains(#"<option value="EUR" selected>"#) }
            let added = try await owner.submit("/stores/acme/products", on: "/stores/acme/products/new", form: [
                "title": "Anvil", "published": "yes", "variant_1_title": "Heavy", "variant_1_price": "120,50", "variant_1_stocked": "3",
            ])
            #expect(added.status == 303, "\(added.body.prefix(400))")
            #expect(try await owner.follow(try #require(added.location)).body.contains("120.50"))

            var pounds = settings
            pounds["currency"] = "GBP"
            let locked = try await owner.submit("/stores/acme/settings", form: pounds)
            #expect(locked.status == 422)
            #expect(locked.body.contains("currency can change only while the store has no products and no orders"))
            #expect(try await platform.count("SELECT count(*)::int FROM lumora.stores WHERE slug = 'acme' AND currency = 'EUR'") == 1)
        }
    }
}
