import AsyncHTTPClient
import Foundation
import LumoraTestSupport
import LumoraCore
import Testing

@Suite struct StorefrontTests {
    /// Two stores on two hosts: each shows its own name, logo, theme and products.
    @Test func twoStoresOnTwoHostsShowTheirOwnPages() async throws {
        try await PlatformHarness.run { platform in
            try await platform.admin("acme", .PUT, "/settings",
                                     json: ##"{"name":"Acme Goods","logo_url":"https://cdn.example/acme.png","primary_color":"#aa0000","description":"Tools for coyotes."}"##)
            try await platform.admin("globex", .PUT, "/settings", json: ##"{"name":"Globex Supply","primary_color":"#00663a"}"##)
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil", images: ["https://cdn.example/anvil.jpg"])
            try await platform.createProduct("globex", handle: "hammock", title: "Hammock")

            let acme = try await platform.get(platform.host("acme"), "/")
            #expect(acme.status == 200)
            #expect(acme.body.contains("Acme Goods"))
            #expect(acme.body.contains("https://cdn.example/acme.png"))
            #expect(acme.body.contains("Anvil"))
            #expect(!acme.body.contains("Hammock"))
            #expect(acme.body.contains("<title>Acme Goods</title>"))
            #expect(acme.body.contains(#"<meta name="description" content="Tools for coyotes.">"#))
            #expect(acme.body.contains(#"<link rel="canonical" href="http://acme.lumora.test/">"#))
            #expect(acme.body.contains(#"<meta property="og:image" content="https://cdn.example/anvil.jpg">"#))

            let globex = try await platform.get(platform.host("globex"), "/products")
            #expect(globex.body.contains("Globex Supply"))
            #expect(globex.body.contains("Hammock"))
            #expect(!globex.body.contains("Anvil"))
            #expect(globex.body.contains(Self.placeholder))  // no image → the placeholder
            #expect(try await platform.get(platform.host("globex"), "/products/anvil").status == 404)

            let acmeTheme = try await platform.get(platform.host("acme"), "/theme.css")
            #expect(acmeTheme.body.contains("--primary: #aa0000"))
            #expect(try await platform.get(platform.host("globex"), "/theme.css").body.contains("--primary: #00663a"))

            let page = try await platform.get(platform.host("acme"), "/products/anvil")
            #expect(page.status == 200)
            #expect(page.body.contains("<h1>Anvil</h1>"))
            #expect(page.body.contains("$15.00"))
            #expect(page.body.contains(#"<meta property="og:type" content="product">"#))
        }
    }

    @Test func everyStoreHasRobotsSitemapAndFavicon() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil")
            let robots = try await platform.get(platform.host("acme"), "/robots.txt")
            #expect(robots.body.contains("Sitemap: http://acme.lumora.test/sitemap.xml"))
            #expect(robots.body.contains("Disallow: /checkout"))
            let sitemap = try await platform.get(platform.host("acme"), "/sitemap.xml")
            #expect(sitemap.headers.first(name: "content-type")?.hasPrefix("application/xml") == true)
            #expect(sitemap.body.contains("<loc>http://acme.lumora.test/products/anvil</loc>"))
            #expect(!(try await platform.get(platform.host("globex"), "/sitemap.xml").body.contains("anvil")))
            let icon = try await platform.get(platform.host("acme"), "/favicon.ico")
            #expect(icon.status == 200 && icon.headers.first(name: "content-type") == "image/svg+xml")
            #expect(icon.body.contains(">A</text>"))
        }
    }

    /// The whole purchase with plain HTML forms: product page → add to cart → cart → checkout
    /// → confirmation; and the cart cookie is useless on another store's host.
    @Test func aPurchaseWithoutJavaScriptAndCartsStayOnTheirHost() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil", price: 4999, stocked: 3, variants: ["Small", "Large"])
            let host = platform.host("acme")

            let page = try await platform.get(host, "/products/anvil")
            var cookies = page.setCookies
            let session = try #require(cookies["lumora_session"])
            #expect(session.count == 32)
            let setCookie = page.headers["set-cookie"].joined()
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && !setCookie.contains("Secure"))
            let csrf = try #require(page.csrf)
            let variant = try #require(page.field("variant_id"))

            let added = try await platform.post(host, "/cart/add", form: ["csrf": csrf, "variant_id": variant, "quantity": "2"], cookies: cookies)
            #expect(added.status == 303)
            #expect(added.headers.first(name: "location") == "/cart")
            cookies.merge(added.setCookies) { $1 }
            let cartID = try #require(cookies["lumora_cart"])
            #expect(cartID.hasPrefix("cart_"))

            let cart = try await platform.get(host, "/cart", cookies: cookies)
            #expect(cart.body.contains("Anvil"))
            #expect(cart.body.contains("$99.98"))
            #expect(cart.headers.first(name: "cache-control") == "no-store")

            // Without the token, or with another host's, the form is refused.
            let forged = try await platform.post(host, "/cart/add", form: ["variant_id": variant, "quantity": "1"], cookies: cookies)
            #expect(forged.status == 403)

            // The cart's cookie means nothing on another store's host.
            let elsewhere = try await platform.get(platform.host("globex"), "/cart", cookies: cookies)
            #expect(elsewhere.status == 200)
            #expect(elsewhere.body.contains("Your cart is empty"))

            let checkout = try await platform.get(host, "/checkout", cookies: cookies)
            #expect(checkout.body.contains("Continue to shipping"))
            let addressed = try await platform.post(host, "/checkout", form: [
                "csrf": try #require(checkout.csrf), "email": "wile@example.com", "first_name": "Wile", "last_name": "Coyote",
                "address_1": "1 Desert Road", "city": "Mesa", "postal_code": "85201", "country_code": "us",
            ], cookies: cookies)
            #expect(addressed.status == 303, "\(addressed.body)")
            #expect(addressed.headers.first(name: "location") == "/checkout/shipping")
            let review = try await platform.get(host, "/checkout/shipping", cookies: cookies)
            #expect(review.body.contains("Place order") && review.body.contains("1 Desert Road"))
            let placed = try await platform.post(host, "/checkout/shipping", form: ["csrf": try #require(review.csrf), "action": "place"], cookies: cookies)
            #expect(placed.status == 303, "\(placed.body)")
            // The store takes manual payments: the order waits for the merchant to mark it paid.
            #expect(placed.headers.first(name: "location") == "/order/confirmation")

            let confirmation = try await platform.get(host, "/order/confirmation", cookies: cookies)
            #expect(confirmation.body.contains("Thank you for your order"))
            #expect(confirmation.body.contains("waits for your payment"))
            #expect(confirmation.body.contains("wile@example.com"))
            #expect(confirmation.body.contains("$99.98"))

            // The spent cart starts over on the next add.
            let again = try await platform.post(host, "/cart/add", form: ["csrf": csrf, "variant_id": variant, "quantity": "1"], cookies: cookies)
            #expect(again.status == 303)
            #expect(again.setCookies["lumora_cart"] != nil && again.setCookies["lumora_cart"] != cartID)
        }
    }

    /// The store's discount plugin at work on the cart and checkout pages.
    @Test func theCartPageShowsTheStoresDiscounts() async throws {
        try await PlatformHarness.run(cellClock: ManualClock()) { platform in
            try await platform.database.withClient { client in
                try await ExamplePlugins.install(client, store: "acme", name: "ten-percent", point: "cart.discounts",
                                                 module: try ExamplePlugins.wasm(ExamplePlugins.tenPercentOver100), sharedCells: true)
            }
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil", price: 4999, stocked: 3)
            let host = platform.host("acme")
            let page = try await platform.get(host, "/products/anvil")
            var cookies = page.setCookies
            let added = try await platform.post(host, "/cart/add", form: ["csrf": try #require(page.csrf), "variant_id": try #require(page.field("variant_id")),
                                                                     "quantity": "3"], cookies: cookies)
            cookies.merge(added.setCookies) { $1 }
            let cart = try await platform.get(host, "/cart", cookies: cookies)
            #expect(cart.body.contains("10% off orders over 100"))
            #expect(cart.body.contains("−$14.99"))
            #expect(cart.body.contains("$134.98"))
            let checkout = try await platform.get(host, "/checkout", cookies: cookies)
            #expect(checkout.body.contains(#"<dt class="discount">10% off orders over 100</dt><dd class="discount">−$14.99</dd>"#))
        }
    }

    @Test func outOfStockAtCheckoutIsExplainedOnThePage() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil", stocked: 1)
            let host = platform.host("acme")
            let page = try await platform.get(host, "/products/anvil")
            var cookies = page.setCookies
            let added = try await platform.post(host, "/cart/add", form: ["csrf": try #require(page.csrf), "variant_id": try #require(page.field("variant_id")), "quantity": "5"], cookies: cookies)
            cookies.merge(added.setCookies) { $1 }
            let checkout = try await platform.get(host, "/checkout", cookies: cookies)
            let addressed = try await platform.post(host, "/checkout", form: [
                "csrf": try #require(checkout.csrf), "email": "a@example.com", "first_name": "A", "last_name": "B",
                "address_1": "x", "city": "y", "postal_code": "1", "country_code": "US",
            ], cookies: cookies)
            #expect(addressed.status == 303)
            let review = try await platform.get(host, "/checkout/shipping", cookies: cookies)
            let refused = try await platform.post(host, "/checkout/shipping", form: ["csrf": try #require(review.csrf), "action": "place"], cookies: cookies)
            #expect(refused.status == 409)
            #expect(refused.body.contains("no longer available"))
            #expect(refused.body.contains("a@example.com"))  // the form keeps what was typed
        }
    }

    @Test func catalogPagesAreCachedAndFollowChanges() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil")
            let host = platform.host("acme")
            _ = try await platform.get(host, "/products/anvil")
            try await waitUntil { try await platform.get(host, "/products/anvil").headers.first(name: "x-lumora-page-cache") == "hit" }
            let products = try await platform.admin("acme", .GET, "/products")
            let id = try #require(products.body.range(of: #""id":"prod_"#).map { String(products.body[$0.lowerBound...].dropFirst(6).prefix { $0 != "\"" }) })
            try await platform.admin("acme", .POST, "/products/\(id)", json: #"{"title":"Heavy Anvil"}"#)
            try await waitUntil { try await platform.get(host, "/products/anvil").body.contains("Heavy Anvil") }
        }
    }

    static let placeholder = "/lumora-assets/placeholder.svg"
}

/// What a shopper finds on the storefront: a search box, the cart's count in the header (on
/// cached pages too), pages that say why they are empty, sold-out badges, product pictures.
@Suite struct StorefrontShoppingTests {
    @Test func searchFindsProductsAndSaysWhenNothingMatches() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil")
            try await platform.createProduct("acme", handle: "rocket-skates", title: "Rocket Skates")
            let host = platform.host("acme")
            let found = try await platform.get(host, "/products?q=anvil")
            #expect(found.status == 200 && found.body.contains("Results for “anvil”"))
            #expect(found.body.contains("/products/anvil") && !found.body.contains("/products/rocket-skates"))
            #expect(found.body.contains(#"name="q" value="anvil""#))
            // As a browser sends the box's words: spaces as `+`.
            let words = try await platform.get(host, "/products?q=rocket+skates")
            #expect(words.body.contains("/products/rocket-skates") && words.body.contains("Results for “rocket skates”"))
            let none = try await platform.get(host, "/products?q=zebra")
            #expect(none.body.contains("No products match") && none.body.contains("zebra"))
            let past = try await platform.get(host, "/products?page=5")
            #expect(past.body.contains("No products match") && past.body.contains("past the last one"))
            // Every page has the box.
            #expect(try await platform.get(host, "/").body.contains(#"<form class="search" action="/products""#))
        }
    }

    @Test func theHeaderCountsTheCartOnCachedPagesToo() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil")
            let host = platform.host("acme")
            let page = try await platform.get(host, "/products/anvil")
            #expect(page.body.contains(#"<span class="cart-count">0</span>"#))
            var cookies = page.setCookies
            let added = try await platform.post(host, "/cart/add", form: ["csrf": try #require(page.csrf), "variant_id": try #require(page.field("variant_id")),
                                                                      "quantity": "3"], cookies: cookies)
            cookies.merge(added.setCookies) { $1 }
            let cart = try await platform.get(host, "/cart", cookies: cookies)
            #expect(cart.body.contains(#"<span class="cart-count">3</span>"#))
            cookies.merge(cart.setCookies) { $1 }
            // The same cached page, personalised for this visitor and for a new one. (On a loaded
            // machine the notification of the product's creation can arrive after the first
            // render and drop that page: the next request caches it again.)
            var mine = try await platform.get(host, "/products/anvil", cookies: cookies)
            try await waitUntil {
                if mine.headers.first(name: "x-lumora-page-cache") == "hit" { return true }
                mine = try await platform.get(host, "/products/anvil", cookies: cookies)
                return false
            }
            #expect(mine.headers.first(name: "x-lumora-page-cache") == "hit")
            #expect(mine.body.contains(#"<span class="cart-count">3</span>"#))
            #expect(try await platform.get(host, "/products/anvil").body.contains(#"<span class="cart-count">0</span>"#))
            // No placeholder ever reaches a visitor.
            #expect(!mine.body.contains("__lumora_"))
        }
    }

    @Test func soldOutProductsAndTheMissingProductPage() async throws {
        try await PlatformHarness.run { platform in
            try await platform.createProduct("acme", handle: "anvil", title: "Anvil", stocked: 0)
            let host = platform.host("acme")
            let list = try await platform.get(host, "/products")
            let card = try #require(list.body.range(of: #"<li class="card">"#).map { String(list.body[$0.lowerBound...].prefix(600)) })
            #expect(card.contains(#"<span class="badge sold-out">Sold out</span>"#))
            #expect(card.range(of: "card-image")!.lowerBound < card.range(of: "badge sold-out")!.lowerBound)
            // A product that is not there: the store's own page, with its theme and navigation.
            let missing = try await platform.get(host, "/products/nothing-here")
            #expect(missing.status == 404)
            #expect(missing.body.contains(#"href="/theme.css""#) && missing.body.contains(#"<form class="search""#))
            #expect(missing.body.contains("Acme Store") && missing.body.contains(#"href="/products""#))
        }
    }

    @Test func productPicturesAreDrawnFromTheirNames() async throws {
        try await PlatformHarness.run { platform in
            let host = platform.host("acme")
            let hammer = try await platform.get(host, "/art/claw-hammer.svg")
            #expect(hammer.status == 200 && hammer.headers.first(name: "content-type") == "image/svg+xml")
            #expect(hammer.body.hasPrefix("<svg") && hammer.body.contains("Claw Hammer"))
            let anvil = try await platform.get(host, "/art/anvil.svg")
            #expect(anvil.body != hammer.body)
            #expect(try await platform.get(host, "/art/claw-hammer.svg").body == hammer.body)
            for bad in ["/art/Claw.svg", "/art/claw-hammer.png", "/art/..svg"] {
                #expect(try await platform.get(host, bad).status == 404, "\(bad)")
            }
        }
    }

}
