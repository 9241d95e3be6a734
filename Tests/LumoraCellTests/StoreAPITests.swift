import HTTPTypes
import LumoraTestSupport
import Testing

@Suite struct StoreAPITests {
    @Test func listsPublishedProductsWithVariantsPricesAndAvailability() async throws {
        try await CellHarness.run { cell in
            try await cell.request(.post, "/admin/collections", store: "acme", admin: "acme", json: #"{"title":"Shirts","handle":"shirts"}"#)
            try await cell.createProduct("acme", handle: "tee", title: "Plain Tee", variants: [("S", 1999, 3), ("M", 2099, 0)], collection: "shirts")
            try await cell.createProduct("acme", handle: "mug", variants: [("One size", 1200, 5)])
            try await cell.createProduct("acme", handle: "secret", status: "draft")
            try await cell.createProduct("globex", handle: "widget")

            let list = try await cell.request(.get, "/store/products", store: "acme").json
            #expect(list["count"].int == 2)
            #expect(list["limit"].int == 20)
            #expect(list["products"].array.map { $0["handle"].string } == ["mug", "tee"])
            let tee = list["products"][1]
            #expect(tee["title"].string == "Plain Tee")
            #expect(tee["collection"]["handle"].string == "shirts")
            #expect(tee["variants"][0]["price"]["amount"].int == 1999)
            #expect(tee["variants"][0]["price"]["currency"].string == "USD")
            #expect(tee["variants"][0]["available"].int == 3)
            #expect(tee["variants"][1]["in_stock"].int == 0)  // false
            #expect(!tee["variants"][0]["stocked"].exists)  // admin-only field

            let page = try await cell.request(.get, "/store/products?limit=1&offset=1", store: "acme").json
            #expect(page["products"].array.map { $0["handle"].string } == ["tee"])
            #expect(page["count"].int == 2)
            let search = try await cell.request(.get, "/store/products?q=PLAIN", store: "acme").json
            #expect(search["products"].array.map { $0["handle"].string } == ["tee"])
            let filtered = try await cell.request(.get, "/store/products?collection=shirts", store: "acme").json
            #expect(filtered["count"].int == 1)
            let wildcard = try await cell.request(.get, "/store/products?q=%25", store: "acme").json
            #expect(wildcard["count"].int == 0)

            let single = try await cell.request(.get, "/store/products/tee", store: "acme")
            #expect(single.status == .ok)
            #expect(try single.json["product"]["id"].string?.hasPrefix("prod_") == true)
            #expect(try await cell.request(.get, "/store/products/secret", store: "acme").errorCode == "product_not_found")
            #expect(try await cell.request(.get, "/store/products/widget", store: "acme").status == .notFound)

            let collections = try await cell.request(.get, "/store/collections", store: "acme").json
            #expect(collections["collections"].array.map { $0["handle"].string } == ["shirts"])
        }
    }

    @Test func settingsShowNameThemeAndCurrency() async throws {
        try await CellHarness.run { cell in
            let settings = try await cell.request(.get, "/store/settings", store: "acme").json["settings"]
            #expect(settings["name"].string == "Acme Store")
            #expect(settings["currency"].string == "USD")
            #expect(settings["primary_color"].string == "#1f2937")

            let updated = try await cell.request(.put, "/admin/settings", store: "acme", admin: "acme",
                                                 json: ##"{"name":"Acme Goods","logo_url":"https://cdn.example/acme.png","primary_color":"#AA0000"}"##)
            #expect(updated.status == .ok, "\(updated.text)")
            // The change reaches the storefront (the cached response is dropped on notification).
            try await waitUntil {
                try await cell.request(.get, "/store/settings", store: "acme").json["settings"]["name"].string == "Acme Goods"
            }
            let fresh = try await cell.request(.get, "/store/settings", store: "acme").json["settings"]
            #expect(fresh["logo_url"].string == "https://cdn.example/acme.png")
            #expect(fresh["primary_color"].string == "#aa0000")
            // The other store is untouched.
            #expect(try await cell.request(.get, "/store/settings", store: "globex").json["settings"]["name"].string == "Globex Store")
        }
    }

    @Test func storefrontReadsAreCachedAndDroppedWhenTheCatalogChanges() async throws {
        try await CellHarness.run { cell in
            let product = try await cell.createProduct("acme", handle: "tee", variants: [("S", 1000, 5)])
            let first = try await cell.request(.get, "/store/products", store: "acme")
            #expect(first.headers[HTTPField.Name("x-lumora-cache")!] == "miss")
            // Once the change notifications of the store's creation and of the product have
            // arrived (on a loaded machine they come late, and each drops the page), repeats are
            // hits: two in a row show the page is served from the cache.
            var second = first
            try await waitUntil {
                let one = try await cell.request(.get, "/store/products", store: "acme")
                second = try await cell.request(.get, "/store/products", store: "acme")
                return one.headers[HTTPField.Name("x-lumora-cache")!] == "hit" && second.headers[HTTPField.Name("x-lumora-cache")!] == "hit"
            }
            #expect(try second.json["products"][0]["id"].string == first.json["products"][0]["id"].string)
            #expect(try second.json["count"].int == 1)

            let variant = try #require(product["variants"][0]["id"].string)
            try await cell.request(.post, "/admin/inventory/\(variant)", store: "acme", admin: "acme", json: #"{"adjust":-3}"#)
            try await waitUntil {
                try await cell.request(.get, "/store/products", store: "acme").json["products"][0]["variants"][0]["available"].int == 2
            }
        }
    }
}

