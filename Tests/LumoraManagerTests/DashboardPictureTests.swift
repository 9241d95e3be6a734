import Foundation
import LumoraMedia
import LumoraTestSupport
import NIOCore
import Testing

/// A merchant's pictures through the dashboard's own forms: a product photo uploaded, shown in
/// the dashboard and the storefront, made the main one, removed; a logo; what cannot be used is
/// refused on the page, saying why.
@Suite struct DashboardPictureTests {
    static let app = DashboardHarness.app

    @Test func aMerchantAddsPicturesAndALogo() async throws {
        try await DashboardHarness.run { platform in
            let merchant = try await platform.signUp("acme", email: "wile@acme.test")
            let created = try await merchant.submit("/stores/acme/products", on: "/stores/acme/products/new", form: [
                "title": "Anvil", "handle": "", "description": "Heavy.", "images": "", "collection": "", "published": "yes",
                "variant_1_title": "Standard", "variant_1_sku": "", "variant_1_price": "120.00", "variant_1_stocked": "3",
            ])
            let productPath = try #require(created.location?.split(separator: "?").first.map(String.init))

            for (seed, alt) in [(1, "The anvil from the front"), (2, "The anvil from above")] {
                let photo = try await TestImages.make(.jpeg, width: 1400, height: 1000, seed: seed)
                let uploaded = try await merchant.upload("\(productPath)/pictures", on: productPath, fields: ["alt": alt], file: photo,
                                                         filename: "anvil-\(seed).jpg", contentType: "image/jpeg")
                #expect(uploaded.status == 303, "\(uploaded.status) \(uploaded.body.prefix(400))")
            }
            let page = try await merchant.get(Self.app, productPath)
            #expect(page.body.contains("The anvil from the front") && page.body.contains("The anvil from above"))
            // The dashboard shows the store's files from its own origin, to members only.
            let thumbnail = try #require(page.body.range(of: #"src="/stores/acme/media/"#).map { range in
                String(page.body[page.body.index(range.lowerBound, offsetBy: 5)...].prefix { $0 != "\"" })
            })
            let image = try await merchant.get(Self.app, thumbnail)
            #expect(image.status == 200 && image.headers.first(name: "content-type") == "image/jpeg")
            #expect(try await platform.browser().get(Self.app, thumbnail).status == 303)  // a stranger is sent to sign in

            // The storefront shows both, the first as the main picture.
            let shopper = platform.browser()
            try await shopper.waitForPage("acme.lumora.test", "/products/anvil") { $0.body.contains("The anvil from above") }
            let storefront = try await shopper.get("acme.lumora.test", "/products/anvil").body
            let front = try #require(storefront.range(of: "The anvil from the front")), above = try #require(storefront.range(of: "The anvil from above"))
            #expect(front.lowerBound < above.lowerBound)
            #expect(storefront.contains(#"<source type="image/webp" srcset="/media/"#))

            // The second becomes the main picture, then the first is removed.
            let makeMain = try #require(page.body.range(of: #"/pictures/med_[0-9]+/first"#, options: .regularExpression).map { String(page.body[$0]) })
            #expect(try await merchant.submit(productPath + makeMain, on: productPath, form: [:]).status == 303)
            let reordered = try await merchant.get(Self.app, productPath).body
            #expect(try #require(reordered.range(of: "The anvil from above")).lowerBound < (try #require(reordered.range(of: "The anvil from the front"))).lowerBound)
            let remove = try #require(reordered.range(of: #"/pictures/med_[0-9]+/remove"#, options: .regularExpression).map { String(reordered[$0]) })
            #expect(try await merchant.submit(productPath + remove, on: productPath, form: [:]).status == 303)
            let after = try await merchant.get(Self.app, productPath).body
            #expect(!after.contains("The anvil from above") && after.contains("The anvil from the front"))

            // What is not an image is refused on the page, with the reason; nothing is added.
            let html = ByteBuffer(string: "<html><body>not a photo</body></html>")
            let refused = try await merchant.upload("\(productPath)/pictures", on: productPath, fields: ["alt": "x"], file: html,
                                                    filename: "photo.jpg", contentType: "image/jpeg")
            #expect(refused.status == 422 && refused.body.contains("not a JPEG, PNG or WebP image"), "\(refused.body.prefix(300))")

            // A logo, shown on the settings page with the space images use, and in the store.
            let logo = try await TestImages.make(.png, width: 600, height: 200, seed: 9)
            let savedLogo = try await merchant.upload("/stores/acme/settings/logo", on: "/stores/acme/settings", file: logo,
                                                      filename: "logo.png", contentType: "image/png")
            #expect(savedLogo.status == 303, "\(savedLogo.body.prefix(300))")
            let settings = try await merchant.get(Self.app, "/stores/acme/settings").body
            #expect(settings.contains(#"class="logo-preview" src="/stores/acme/media/"#) && settings.contains("of 1 GB"))
            #expect(!settings.contains(#"name="logo_url""#))
            // Saving the other settings keeps the uploaded logo.
            #expect(try await merchant.submit("/stores/acme/settings", form: ["name": "Acme Store", "description": "Tools.", "primary_color": "#7c2d12",
                                                                             "accent_color": "#c2410c", "currency": "USD"]).status == 303)
            try await shopper.waitForPage("acme.lumora.test", "/") { $0.body.contains(#"class="logo" src="/media/"#) }
            #expect(try await merchant.submit("/stores/acme/settings/logo/remove", on: "/stores/acme/settings", form: [:]).status == 303)
            #expect(try await merchant.get(Self.app, "/stores/acme/settings").body.contains(#"name="logo_url""#))
        }
    }
}
