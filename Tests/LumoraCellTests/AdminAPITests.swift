import LumoraCore
@testable import LumoraCell
import HTTPTypes
import LumoraTestSupport
import Testing

@Suite struct AdminAPITests {
    @Test func productLifecycle() async throws {
        try await CellHarness.run { cell in
            let draft = try await cell.createProduct("acme", handle: "tee", variants: [("S", 1000, 1)], status: "draft")
            let id = try #require(draft["id"].string)
            #expect(try await cell.request(.get, "/store/products", store: "acme").json["count"].int == 0)

            #expect(try await cell.request(.post, "/admin/products/\(id)/publish", store: "acme", admin: "acme").json["product"]["status"].string == "published")
            try await waitUntil { try await cell.request(.get, "/store/products", store: "acme").json["count"].int == 1 }

            let updated = try await cell.request(.post, "/admin/products/\(id)", store: "acme", admin: "acme",
                                                 json: #"{"title":"Better Tee","images":["https://cdn.example/tee.jpg","/images/tee-2.jpg"]}"#).json["product"]
            #expect(updated["title"].string == "Better Tee")
            #expect(updated["handle"].string == "tee")
            #expect(updated["thumbnail"].string == "https://cdn.example/tee.jpg")

            let withVariant = try await cell.request(.post, "/admin/products/\(id)/variants", store: "acme", admin: "acme",
                                                     json: #"{"title":"M","sku":"TEE-M","price":{"amount":1200,"currency":"USD"},"stocked":4}"#)
            #expect(withVariant.status == .created)
            let medium = try #require(try withVariant.json["product"]["variants"][1]["id"].string)
            let repriced = try await cell.request(.post, "/admin/products/\(id)/variants/\(medium)", store: "acme", admin: "acme",
                                                  json: #"{"price":{"amount":1300,"currency":"USD"}}"#).json["product"]
            #expect(repriced["variants"][1]["price"]["amount"].int == 1300)
            #expect(try await cell.request(.delete, "/admin/products/\(id)/variants/\(medium)", store: "acme", admin: "acme").json["product"]["variants"].array.count == 1)

            #expect(try await cell.request(.post, "/admin/products/\(id)/unpublish", store: "acme", admin: "acme").json["product"]["status"].string == "draft")
            let all = try await cell.request(.get, "/admin/products", store: "acme", admin: "acme").json
            #expect(all["count"].int == 1)
            let deleted = try await cell.request(.delete, "/admin/products/\(id)", store: "acme", admin: "acme").json
            #expect(deleted["deleted"].int == 1)
            #expect(try await cell.request(.get, "/admin/products/\(id)", store: "acme", admin: "acme").status == .notFound)
        }
    }

    @Test func duplicatesAreConflicts() async throws {
        try await CellHarness.run { cell in
            try await cell.createProduct("acme", handle: "tee")
            let again = try await cell.request(.post, "/admin/products", store: "acme", admin: "acme",
                                               json: #"{"title":"Tee","handle":"tee","variants":[{"title":"S","price":{"amount":1,"currency":"USD"}}]}"#)
            #expect(again.status == .conflict && again.errorCode == "handle_exists")
            let sku = try await cell.request(.post, "/admin/products", store: "acme", admin: "acme",
                                             json: #"{"title":"Mug","handle":"mug","variants":[{"title":"S","sku":"TEE-0","price":{"amount":1,"currency":"USD"}}]}"#)
            #expect(sku.status == .conflict && sku.errorCode == "sku_exists")
            // Nothing of the refused product was written.
            #expect(try await cell.request(.get, "/admin/products", store: "acme", admin: "acme").json["count"].int == 1)
            // Another store may use the same handle and SKU.
            try await cell.createProduct("globex", handle: "tee")
        }
    }

    @Test func inventoryNeverGoesNegative() async throws {
        try await CellHarness.run { cell in
            let product = try await cell.createProduct("acme", handle: "tee", variants: [("S", 1000, 2)])
            let variant = try #require(product["variants"][0]["id"].string)
            let up = try await cell.request(.post, "/admin/inventory/\(variant)", store: "acme", admin: "acme", json: #"{"adjust":5}"#).json["inventory"]
            #expect(up["stocked"].int == 7)
            let tooFar = try await cell.request(.post, "/admin/inventory/\(variant)", store: "acme", admin: "acme", json: #"{"adjust":-8}"#)
            #expect(tooFar.status == .conflict && tooFar.errorCode == "insufficient_stock")
            #expect(try await cell.request(.post, "/admin/inventory/variant_999", store: "acme", admin: "acme", json: #"{"adjust":1}"#).status == .notFound)
        }
    }

    @Test func collectionsAndOrdersListing() async throws {
        try await CellHarness.run { cell in
            let created = try await cell.request(.post, "/admin/collections", store: "acme", admin: "acme", json: #"{"title":"Mugs","handle":"mugs"}"#)
            #expect(created.status == .created)
            let id = try #require(try created.json["collection"]["id"].string)
            #expect(try await cell.request(.get, "/admin/collections", store: "acme", admin: "acme").json["count"].int == 1)
            #expect(try await cell.request(.delete, "/admin/collections/\(id)", store: "acme", admin: "acme").status == .ok)
            #expect(try await cell.request(.get, "/admin/orders", store: "acme", admin: "acme").json["orders"].array.isEmpty)
        }
    }
}

/// A theme a shopper can read and a logo that loads, or a 422 that says why.
@Suite struct StoreThemeTests {
    @Test func coloursThatWhiteTextCannotBeReadOnAreRefused() async throws {
        try await CellHarness.run { cell in
            for (field, color) in [("accent_color", "#ea580c"), ("primary_color", "#00aa00"), ("accent_color", "#ffffff")] {
                let reply = try await cell.request(.put, "/admin/settings", store: "acme", admin: "acme", json: ##"{"\##(field)":"\##(color)"}"##)
                #expect(reply.status == .unprocessableContent && reply.errorCode == "insufficient_contrast", "\(field) \(color): \(reply.text)")
                #expect(reply.text.contains("4.5:1"))
            }
            let fine = try await cell.request(.put, "/admin/settings", store: "acme", admin: "acme", json: ##"{"accent_color":"#c2410c","primary_color":"#1f2937"}"##)
            #expect(fine.status == .ok)
            // Nothing of a refused update was saved.
            let half = try await cell.request(.put, "/admin/settings", store: "acme", admin: "acme", json: ##"{"name":"Half","accent_color":"#eeeeee"}"##)
            #expect(half.status == .unprocessableContent)
            #expect(try await cell.request(.get, "/store/settings", store: "acme").json["settings"]["name"].string == "Acme Store")
        }
    }

    @Test func aLogoThatDoesNotLoadIsRefused() async throws {
        try await CellHarness.run { cell in
            let missing = try await cell.request(.put, "/admin/settings", store: "acme", admin: "acme", json: #"{"logo_url":"https://cdn.example/missing.png"}"#)
            #expect(missing.status == .unprocessableContent && missing.errorCode == "image_unreachable")
            #expect(try await cell.request(.put, "/admin/settings", store: "acme", admin: "acme", json: #"{"logo_url":"https://cdn.example/logo.png"}"#).status == .ok)
            // A path on the store's own site is the edge's to serve.
            #expect(try await cell.request(.put, "/admin/settings", store: "acme", admin: "acme", json: #"{"logo_url":"/logo.svg"}"#).status == .ok)
        }
    }

    /// The real checker never fetches from the platform's own network.
    @Test func theLogoCheckerRefusesPrivateAddresses() async throws {
        let checker = HTTPImageURLChecker()
        for url in ["https://127.0.0.1/logo.png", "https://10.1.2.3/logo.png", "https://[::1]/logo.png", "https://169.254.169.254/latest"] {
            await #expect(throws: LumoraError.self) { try await checker.check(url, field: "logo_url") }
            do {
                try await checker.check(url, field: "logo_url")
            } catch {
                #expect(error.code == "image_unreachable" && error.message.contains("not a public address"), "\(url): \(error)")
            }
        }
        await #expect(throws: LumoraError.self) { try await checker.check("https://nothing-here.invalid/logo.png", field: "logo_url") }
        #expect(PublicAddress.isPublic("93.184.216.34") && !PublicAddress.isPublic("192.168.1.1") && !PublicAddress.isPublic("fd00::1"))
    }
}
