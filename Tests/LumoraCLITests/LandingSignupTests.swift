import AsyncHTTPClient
import Foundation
import LumoraTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// The landing page's form, as a visitor's browser uses it: the edge checks the form and
/// passes it to the manager's public signup; the visitor gets the new store's address and
/// admin token, or the form back with the reason and what they typed.
@Suite struct LandingSignupTests {
    @Test(.timeLimit(.minutes(3))) func theLandingPageOpensAStore() async throws {
        try await PlatformProcesses.with { platform in
            let base = "http://127.0.0.1:\(platform.edgePort)"
            func send(_ method: HTTPMethod, _ path: String, cookie: String?, form: String? = nil) async throws -> (HTTPResponseStatus, String, String?) {
                var request = HTTPClientRequest(url: base + path)
                request.method = method
                request.headers.add(name: "Host", value: PlatformProcesses.rootDomain)
                if let cookie { request.headers.add(name: "Cookie", value: cookie) }
                if let form {
                    request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                    request.body = .bytes(ByteBuffer(string: form))
                }
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
                let cookie = response.headers["Set-Cookie"].first { $0.hasPrefix("lumora_session=") }?.split(separator: ";").first.map(String.init)
                return (response.status, String(buffer: try await response.body.collect(upTo: 1 << 20)), cookie)
            }

            let (status, landing, cookie) = try await send(.GET, "/", cookie: nil)
            #expect(status == .ok)
            let session = try #require(cookie)
            let token = try #require(landing.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)

            // Without the form's token: refused, nothing created.
            let (forged, _, _) = try await send(.POST, "/signup", cookie: session, form: "slug=forged-shop&name=Forged&owner_email=o%40x.test")
            #expect(forged == .forbidden)

            // The manager's refusal comes back on the form, with what was typed.
            let (invalid, page, _) = try await send(.POST, "/signup", cookie: session, form: "csrf=\(token)&slug=admin&name=Mine&owner_email=me%40x.test")
            #expect(invalid == .badRequest)
            #expect(page.contains("reserved"))
            #expect(page.contains(#"value="Mine""#))

            let (created, done, _) = try await send(.POST, "/signup", cookie: session, form: "csrf=\(token)&slug=fresh-shop&name=Fresh+Shop&owner_email=me%40x.test")
            #expect(created == .ok, "\(done.prefix(500))")
            #expect(done.contains("http://fresh-shop.\(PlatformProcesses.rootDomain)"))
            #expect(done.contains("<code class=\"token\">lsk_"), "no admin token shown")
            try await waitUntil(timeout: .seconds(60)) {
                try await platform.scalar("SELECT count(*)::int FROM lumora.stores WHERE slug = 'fresh-shop' AND status = 'active'") == 1
            }
            #expect(try await platform.storefront("fresh-shop", "/") == .ok)
            #expect(try await platform.scalar("SELECT count(*)::int FROM lumora.stores WHERE slug IN ('forged-shop', 'admin')") == 0)
        }
    }
}
