import Foundation
import HTTPTypes
import LumoraCore
import LumoraMedia
import LumoraTestSupport
import NIOCore
import Testing

/// `POST /admin/media` the way a merchant's script or the dashboard uses it: real images made
/// and read by libvips, files in a real folder.
@Suite struct MediaUploadTests {
    @Test func eachFormatIsUploadedOnceInEveryWidth() async throws {
        try await CellHarness.run { cell in
            // A JPEG as the raw body.
            let jpeg = try await TestImages.make(.jpeg, width: 1600, height: 1000, seed: 1)
            let uploaded = try await cell.request(.post, "/admin/media", store: "acme", admin: "acme", body: jpeg,
                                                  headers: [("content-type", "image/jpeg")])
            #expect(uploaded.status == .created, "\(uploaded.text)")
            let media = try uploaded.json["media"]
            #expect(media["format"].string == "jpeg" && media["width"].int == 1600 && media["height"].int == 1000)
            #expect(media["sizes"].array.map { $0["width"].int ?? 0 } == [160, 320, 640, 1280, 1600])
            try await expectFilesMatch(media, in: cell, store: "acme", formats: [.jpeg, .webp])

            // The same bytes again: the same media, nothing new.
            let again = try await cell.request(.post, "/admin/media", store: "acme", admin: "acme", body: jpeg, headers: [("content-type", "image/jpeg")])
            let againID = try again.json["media"]["id"].string
            #expect(again.status == .ok && againID == media["id"].string)

            // A PNG in a multipart form, as a browser sends it.
            let png = try await TestImages.make(.png, width: 800, height: 600, seed: 2)
            let form = Multipart.form(file: png, filename: "shirt.png", contentType: "image/png")
            let fromForm = try await cell.request(.post, "/admin/media", store: "acme", admin: "acme", body: form.body,
                                                  headers: [("content-type", form.contentType)])
            #expect(fromForm.status == .created, "\(fromForm.text)")
            let pngMedia = try fromForm.json["media"]
            #expect(pngMedia["sizes"].array.map { $0["width"].int ?? 0 } == [160, 320, 640, 800])
            try await expectFilesMatch(pngMedia, in: cell, store: "acme", formats: [.png, .webp])

            // WebP stays WebP only; a small image is never enlarged.
            let webp = try await TestImages.make(.webp, width: 300, height: 200, seed: 3)
            let small = try await cell.request(.post, "/admin/media", store: "acme", admin: "acme", body: webp, headers: [("content-type", "image/webp")])
            let webpMedia = try small.json["media"]
            #expect(small.status == .created && webpMedia["sizes"].array.map { $0["width"].int ?? 0 } == [160, 300])
            #expect(webpMedia["sizes"].array.allSatisfy { !$0["url"].exists || $0["url"].isNull })
            try await expectFilesMatch(webpMedia, in: cell, store: "acme", formats: [.webp])

            let library = try await cell.request(.get, "/admin/media", store: "acme", admin: "acme").json
            #expect(library["count"].int == 3)
            let used = [media, pngMedia, webpMedia].compactMap { $0["bytes"].int }.reduce(0, +)
            #expect(library["usage"]["used_bytes"].int == used && library["usage"]["quota_bytes"].int == 1 << 30)
            // Another store sees none of it.
            #expect(try await cell.request(.get, "/admin/media", store: "globex", admin: "globex").json["count"].int == 0)
        }
    }

    @Test func whatIsNotAnAcceptableImageIsRefusedAndNothingIsKept() async throws {
        try await CellHarness.run { cell in
            let html = ByteBuffer(string: "<!doctype html><html><body><script>alert(1)</script></body></html>")
            let renamed = Multipart.form(file: html, filename: "photo.png", contentType: "image/png")
            let noFile = Multipart.form(file: html, filename: "x.png", contentType: "image/png", field: "picture")
            let cases: [(String, ByteBuffer, String, HTTPResponse.Status, String)] = [
                ("an HTML file named photo.png", renamed.body, renamed.contentType, .unsupportedMediaType, "unsupported_image"),
                ("HTML sent as image/jpeg", html, "image/jpeg", .unsupportedMediaType, "unsupported_image"),
                ("a 50 MB file", ByteBuffer(repeating: 0xFF, count: 50 * 1_048_576), "image/jpeg", .contentTooLarge, "image_too_large"),
                ("a 20000×20000 PNG bomb", ByteBuffer(bytes: TestImages.pngBomb(width: 20000, height: 20000)), "image/png", .contentTooLarge, "image_too_many_pixels"),
                ("a truncated JPEG", try await TestImages.make(.jpeg, width: 900, height: 900).getSlice(at: 0, length: 600)!, "image/jpeg", .unprocessableContent, "unreadable_image"),
                ("nothing", ByteBuffer(), "image/jpeg", .badRequest, "missing_image"),
                ("a form without a file", noFile.body, noFile.contentType, .badRequest, "missing_image"),
            ]
            for (what, body, contentType, status, code) in cases {
                let response = try await cell.request(.post, "/admin/media", store: "acme", admin: "acme", body: body, headers: [("content-type", contentType)])
                #expect(response.status == status, "\(what) → \(response.status) \(response.text.prefix(300))")
                #expect(response.errorCode == code, "\(what) → \(response.text.prefix(300))")
                #expect(try response.json["error"]["message"].string?.isEmpty == false)
            }
            #expect(try await cell.request(.get, "/admin/media", store: "acme", admin: "acme").json["count"].int == 0)
            #expect(files(in: cell, store: "acme").isEmpty)
            // Without the admin token nothing is accepted at all.
            let anonymous = try await cell.request(.post, "/admin/media", store: "acme", body: try await TestImages.make(.png, width: 10, height: 10),
                                                   headers: [("content-type", "image/png")])
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func orientationIsAppliedAndGPSIsStripped() async throws {
        try await CellHarness.run { cell in
            // Stored 400×200, EXIF orientation 6 (turn 90° clockwise): upright it is 200×400.
            let photo = TestImages.withExif(try await TestImages.make(.jpeg, width: 400, height: 200), orientation: 6)
            #expect(TestImages.carriesMetadata(ByteBuffer(bytes: photo)), "the test photo must carry EXIF and GPS to begin with")
            let response = try await cell.request(.post, "/admin/media", store: "acme", admin: "acme", body: ByteBuffer(bytes: photo),
                                                  headers: [("content-type", "image/jpeg")])
            #expect(response.status == .created, "\(response.text)")
            let media = try response.json["media"]
            #expect(media["width"].int == 200 && media["height"].int == 400)
            let stored = files(in: cell, store: "acme")
            #expect(stored.count == 4)  // 200 and 160 wide, JPEG and WebP
            for file in stored {
                let bytes = try #require(FileManager.default.contents(atPath: file.path))
                #expect(!TestImages.carriesMetadata(ByteBuffer(bytes: Array(bytes))), "\(file.lastPathComponent) still carries EXIF or GPS")
            }
        }
    }

    @Test func productsShowMediaInOrderAndDeletingLetsThemGo() async throws {
        try await CellHarness.run { cell in
            var ids: [String] = []
            for seed in 1...2 {
                let image = try await TestImages.make(.jpeg, width: 700, height: 700, seed: seed)
                let uploaded = try await cell.request(.post, "/admin/media", store: "acme", admin: "acme", body: image, headers: [("content-type", "image/jpeg")])
                ids.append(try #require(try uploaded.json["media"]["id"].string))
            }
            let created = try await cell.request(.post, "/admin/products", store: "acme", admin: "acme", json: """
                {"title":"Mug","handle":"mug","status":"published","media":[{"id":"\(ids[1])","alt":"The mug from the side"},{"id":"\(ids[0])"}],
                 "variants":[{"title":"Default","price":{"amount":900,"currency":"USD"},"stocked":3}]}
                """)
            #expect(created.status == .created, "\(created.text)")
            let product = try created.json["product"]
            #expect(product["media"].array.map { $0["media"]["id"].string ?? "" } == [ids[1], ids[0]])
            #expect(product["media"][0]["alt"].string == "The mug from the side")
            #expect(product["thumbnail"].string == product["media"][0]["media"]["sizes"].array.first { ($0["width"].int ?? 0) >= 640 }?["url"].string)
            // The storefront shows the same pictures.
            let shown = try await cell.request(.get, "/store/products/mug", store: "acme").json["product"]
            #expect(shown["media"].array.count == 2)

            // Another store's product cannot borrow them.
            let borrowed = try await cell.request(.post, "/admin/products", store: "globex", admin: "globex", json: """
                {"title":"Mug","handle":"mug","media":[{"id":"\(ids[0])"}],"variants":[{"title":"Default","price":{"amount":900,"currency":"USD"}}]}
                """)
            #expect(borrowed.status == .unprocessableContent && borrowed.errorCode == "unknown_media")

            // Deleting a media takes it off the product; deleting the product lets the rest go.
            #expect(try await cell.request(.delete, "/admin/media/\(ids[1])", store: "acme", admin: "acme").status == .ok)
            let after = try await cell.request(.get, "/admin/products/\(product["id"].string ?? "")", store: "acme", admin: "acme").json["product"]
            #expect(after["media"].array.map { $0["media"]["id"].string ?? "" } == [ids[0]])
            #expect(try await cell.request(.delete, "/admin/products/\(product["id"].string ?? "")", store: "acme", admin: "acme").status == .ok)
            #expect(try await cell.request(.get, "/admin/media", store: "acme", admin: "acme").json["count"].int == 0)
            #expect(try await cell.request(.get, "/admin/media/\(ids[0])", store: "acme", admin: "acme").errorCode == "media_not_found")
        }
    }

    @Test func aLogoCanBeUploaded() async throws {
        try await CellHarness.run { cell in
            let logo = try await TestImages.make(.png, width: 500, height: 200)
            let id = try #require(try await cell.request(.post, "/admin/media", store: "acme", admin: "acme", body: logo,
                                                         headers: [("content-type", "image/png")]).json["media"]["id"].string)
            let updated = try await cell.request(.put, "/admin/settings", store: "acme", admin: "acme", json: #"{"logo_media":"\#(id)"}"#)
            #expect(updated.status == .ok, "\(updated.text)")
            let settings = try updated.json["settings"]
            #expect(settings["logo"]["id"].string == id)
            #expect(settings["logo_url"].string?.hasPrefix("/media/") == true && settings["logo_url"].string?.hasSuffix("-320.png") == true)
            let unknown = try await cell.request(.put, "/admin/settings", store: "acme", admin: "acme", json: #"{"logo_media":"med_999"}"#)
            #expect(unknown.status == .unprocessableContent && unknown.errorCode == "unknown_media")
            #expect(try await cell.request(.get, "/store/settings", store: "acme").json["settings"]["logo"]["id"].string == id)
        }
    }

    @Test func theQuotaIsKept() async throws {
        try await CellHarness.run(mediaQuotas: .init(standard: 20_000, enterprise: 1 << 30)) { cell in
            let image = try await TestImages.make(.jpeg, width: 1200, height: 900)
            let response = try await cell.request(.post, "/admin/media", store: "acme", admin: "acme", body: image, headers: [("content-type", "image/jpeg")])
            #expect(response.status == .contentTooLarge && response.errorCode == "media_quota_exceeded", "\(response.text)")
            #expect(files(in: cell, store: "acme").isEmpty)
            #expect(try await cell.request(.get, "/admin/media", store: "acme", admin: "acme").json["usage"]["quota_bytes"].int == 20_000)
        }
    }

    /// Each size the answer lists exists as a file of the store, in `formats`, and really is
    /// an image of that format and width.
    func expectFilesMatch(_ media: JSONValue, in cell: CellHarness, store: String, formats: [ImageFormat]) async throws {
        let slug = try StoreSlug(validating: store)
        var total = 0
        for size in media["sizes"].array {
            for format in formats {
                let path = try #require(format == .webp ? size["webp_url"].string : size["url"].string)
                let file = try #require(MediaFile(name: path.dropFirst("/media/".count)), "\(path)")
                let bytes = try #require(try await cell.media.get(MediaKey(store: slug, file: file)), "\(path) is not stored")
                let header = try ImageProcessor().inspect(Array(bytes.readableBytesView))
                #expect(header.format == format && header.width == size["width"].int && header.height == size["height"].int, "\(path)")
                total += bytes.readableBytes
            }
        }
        #expect(media["bytes"].int == total)
    }

    func files(in cell: CellHarness, store: String) -> [URL] {
        let folder = cell.media.root.appendingPathComponent("stores/\(store)")
        return ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []).filter { !$0.lastPathComponent.hasPrefix(".") }
    }
}

/// A `multipart/form-data` body with one file field, as a browser builds it.
enum Multipart {
    static func form(file: ByteBuffer, filename: String, contentType: String, field: String = "file") -> (body: ByteBuffer, contentType: String) {
        let boundary = "----LumoraTest\(UInt32.random(in: 0...UInt32.max))"
        var body = ByteBuffer()
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nA picture\r\n")
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n")
        var file = file
        body.writeBuffer(&file)
        body.writeString("\r\n--\(boundary)--\r\n")
        return (body, "multipart/form-data; boundary=\(boundary)")
    }
}
