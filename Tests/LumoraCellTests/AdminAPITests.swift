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
