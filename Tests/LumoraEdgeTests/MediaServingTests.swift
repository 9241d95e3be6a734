import AsyncHTTPClient
import Foundation
import LumoraMedia
import LumoraTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// Store media through the edge as a merchant uploads them and a browser fetches them: the
/// upload relayed to the cell on the store's host, the files served on that host only, with
/// the caching, validation and range answers browsers and CDNs rely on.
@Suite struct MediaServingTests {
    /// With the memory cache (repeats are answered by the fast path) and without (every answer
    /// is read from the media store by the Hummingbird route): the same answers.
    @Test(arguments: [64 << 20, 0])
    func anUploadIsServedOnItsStoresHostsOnly(cacheBytes: Int) async throws {
        try await PlatformHarness.run(configure: { $0.mediaCacheBytes = cacheBytes }) { platform in
            // A photo larger than the general body limit (256 KB): uploads have their own.
            let photo = try await TestImages.make(.jpeg, width: 2400, height: 1600, seed: 7, grainy: true)
            #expect(photo.readableBytes > 256 * 1024, "the test photo must be larger than the general limit; it is \(photo.readableBytes) bytes")
            let uploaded = try await upload(photo, contentType: "image/jpeg", to: "acme", on: platform)
            #expect(uploaded.status == 201, "\(uploaded.text)")
            let media = try JSONSerialization.jsonObject(with: Data(uploaded.text.utf8)) as? [String: Any]
            let sizes = ((media?["media"] as? [String: Any])?["sizes"] as? [[String: Any]]) ?? []
            #expect(sizes.map { $0["width"] as? Int ?? 0 } == [160, 320, 640, 1280, 2048])
            let path = try #require(sizes[2]["url"] as? String)
            let webpPath = try #require(sizes[2]["webp_url"] as? String)

            let served = try await fetch(path, host: platform.host("acme"), on: platform)
            #expect(served.status == 200)
            #expect(served.headers["content-type"].first == "image/jpeg")
            #expect(served.headers["cache-control"].first == "public, max-age=31536000, immutable")
            let etag = try #require(served.headers["etag"].first)
            let file = try #require(MediaFile(name: path.dropFirst("/media/".count)))
            let stored = try #require(try await platform.media.get(MediaKey(store: .init(validating: "acme"), file: file)))
            #expect(served.body == stored)
            #expect(try await fetch(webpPath, host: platform.host("acme"), on: platform).headers["content-type"].first == "image/webp")

            // HEAD: the same headers, no body — on the connection the earlier answers (some from
            // the fast path) came on.
            let head = try await fetch(path, host: platform.host("acme"), method: .HEAD, on: platform)
            #expect(head.status == 200 && head.body.readableBytes == 0)
            #expect(head.headers["content-length"].first == String(stored.readableBytes) && head.headers["etag"].first == etag)

            // The next answer keeps its body: NIO's codec, paired, matched responses to the
            // requests the fast path had answered and dropped this body as if it were the HEAD's.
            #expect(try await fetch(path, host: platform.host("acme"), on: platform).body == stored)

            // Revalidation and ranges.
            let again = try await fetch(path, host: platform.host("acme"), headers: [("if-none-match", etag)], on: platform)
            #expect(again.status == 304 && again.body.readableBytes == 0 && again.headers["etag"].first == etag)
            let first = try await fetch(path, host: platform.host("acme"), headers: [("range", "bytes=0-99")], on: platform)
            #expect(first.status == 206 && first.body == stored.getSlice(at: 0, length: 100))
            #expect(first.headers["content-range"].first == "bytes 0-99/\(stored.readableBytes)")
            let last = try await fetch(path, host: platform.host("acme"), headers: [("range", "bytes=-10")], on: platform)
            #expect(last.status == 206 && last.body == stored.getSlice(at: stored.readableBytes - 10, length: 10))
            let beyond = try await fetch(path, host: platform.host("acme"), headers: [("range", "bytes=99999999-")], on: platform)
            #expect(beyond.status == 416 && beyond.headers["content-range"].first == "bytes */\(stored.readableBytes)")
            let stale = try await fetch(path, host: platform.host("acme"), headers: [("range", "bytes=0-9"), ("if-range", "\"other\"")], on: platform)
            #expect(stale.status == 200 && stale.body == stored)

            // Another store's host does not have it, even by its exact name; nor does a host
            // that is no store, and names that are not media names find nothing.
            #expect(try await fetch(path, host: platform.host("globex"), on: platform).status == 404)
            #expect(try await fetch(path, host: "nobody.\(PlatformHarness.rootDomain)", on: platform).status == 404)
            for name in ["/media/../../etc/passwd", "/media/\(file.hash)-640.gif", "/media/\(file.hash)-0640.jpg", "/media/\(file.hash.uppercased())-640.jpg",
                         "/media/\(file.hash)-999.jpg", "/media/"] {
                #expect(try await fetch(name, host: platform.host("acme"), on: platform).status == 404, "\(name)")
            }
            #expect(try await fetch(path, host: platform.host("acme"), method: .POST, on: platform).status == 405)
        }
    }

    @Test func theStorefrontShowsUploadedPicturesWithSrcset() async throws {
        try await PlatformHarness.run { platform in
            let photo = try await TestImages.make(.png, width: 900, height: 900, seed: 4)
            let uploaded = try await upload(photo, contentType: "image/png", to: "acme", on: platform)
            let id = try #require((try JSONSerialization.jsonObject(with: Data(uploaded.text.utf8)) as? [String: Any])
                .flatMap { ($0["media"] as? [String: Any])?["id"] as? String })
            let created = try await platform.admin("acme", .POST, "/products", json: """
                {"title":"Lamp","handle":"lamp","status":"published","media":[{"id":"\(id)","alt":"A brass lamp, lit"}],
                 "variants":[{"title":"Default","price":{"amount":4500,"currency":"USD"},"stocked":2}]}
                """)
            #expect(created.status == 201, "\(created.body)")
            let page = try await platform.get(platform.host("acme"), "/products/lamp")
            #expect(page.status == 200)
            #expect(page.body.contains(#"<source type="image/webp" srcset="/media/"#), "\(page.body)")
            #expect(page.body.contains(#"alt="A brass lamp, lit""#) && page.body.contains(#"loading="lazy""#))
            #expect(page.body.contains("-900.png 900w") && page.body.contains("-320.webp 320w"))
            // HEAD of a page (Hummingbird's HEAD route), then the page itself, on one connection.
            let headOfPage = try await fetch("/products/lamp", host: platform.host("acme"), method: .HEAD, on: platform)
            #expect(headOfPage.status == 200 && headOfPage.body.readableBytes == 0)
            #expect(try await fetch("/products/lamp", host: platform.host("acme"), on: platform).text.contains("A brass lamp, lit"))
            let list = try await platform.get(platform.host("acme"), "/products")
            #expect(list.body.contains("<picture>") && list.body.contains(#"sizes="(max-width: 600px) 100vw"#))
        }
    }

    @Test func aTooLargeUploadIsRefusedByTheEdge() async throws {
        try await PlatformHarness.run { platform in
            let response = try await upload(ByteBuffer(repeating: 0xFF, count: 12 * 1_048_576), contentType: "image/jpeg", to: "acme", on: platform)
            #expect(response.status == 413 && response.text.contains("image_too_large"), "\(response.text.prefix(200))")
        }
    }

    struct Fetched {
        let status: Int
        let headers: HTTPHeaders
        let body: ByteBuffer
        var text: String { String(buffer: body) }
    }

    func upload(_ bytes: ByteBuffer, contentType: String, to store: String, on platform: PlatformHarness) async throws -> Fetched {
        try await fetch("/api/admin/media", host: platform.host(store), method: .POST,
                        headers: [("authorization", "Bearer \(platform.tokens[store] ?? "")"), ("content-type", contentType)], body: bytes, on: platform)
    }

    func fetch(_ path: String, host: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: ByteBuffer? = nil,
               on platform: PlatformHarness) async throws -> Fetched {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(platform.edgePort)\(path)")
        request.method = method
        request.headers.replaceOrAdd(name: "Host", value: host)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response = try await platform.http.execute(request, timeout: patientRequestDeadline)
        return Fetched(status: Int(response.status.code), headers: response.headers, body: try await response.body.collect(upTo: 16 << 20))
    }
}
