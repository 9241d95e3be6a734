import AsyncHTTPClient
import Foundation
import LumoraTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// The landing page's form, as a visitor's browser uses it, against `lumora manager` and
/// `lumora edge` processes: the edge checks the form and passes it to the manager's account
/// API; the visitor goes on to the dashboard signed in as the new store's owner, or gets the
/// form back with the reason and what they typed.
@Suite struct LandingSignupTests {
    @Test(.timeLimit(.minutes(10))) func theLandingPageOpensAStore() async throws {
        // Redirects are looked at, not followed (the signup's leads to the dashboard's host).
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        defer { _ = client.shutdown() }
        try await PlatformProcesses.with { platform in
            let base = "http://127.0.0.1:\(platform.edgePort)"
            func send(_ method: HTTPMethod, _ path: String, cookie: String?, form: String? = nil,
                      host: String = PlatformProcesses.rootDomain) async throws -> (HTTPResponseStatus, String, String?, HTTPHeaders) {
                var request = HTTPClientRequest(url: base + path)
                request.method = method
                request.headers.add(name: "Host", value: host)
                if let cookie { request.headers.add(name: "Cookie", value: cookie) }
                if let form {
                    request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                    request.body = .bytes(ByteBuffer(string: form))
                }
                let response = try await client.execute(request, timeout: patientRequestDeadline)
                let cookie = response.headers["Set-Cookie"].first { $0.hasPrefix("lumora_session=") }?.split(separator: ";").first.map(String.init)
                return (response.status, String(buffer: try await response.body.collect(upTo: 1 << 20)), cookie, response.headers)
            }

            let (status, landing, cookie, _) = try await send(.GET, "/", cookie: nil)
            #expect(status == .ok)
            let session = try #require(cookie)
            let token = try #require(landing.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)

            // Without the form's token: refused, nothing created.
            let (forged, _, _, _) = try await send(.POST, "/signup", cookie: session, form: "slug=forged-shop&name=Forged&owner_email=o%40x.test&password=long+enough")
            #expect(forged == .forbidden)

            // The manager's refusal comes back on the form, with what was typed.
            let (invalid, page, _, _) = try await send(.POST, "/signup", cookie: session,
                                                       form: "csrf=\(token)&slug=admin&name=Mine&owner_email=me%40x.test&password=long+enough")
            #expect(invalid == .badRequest)
            #expect(page.contains("reserved"))
            #expect(page.contains(#"value="Mine""#))
            let (weak, weakPage, _, _) = try await send(.POST, "/signup", cookie: session, form: "csrf=\(token)&slug=fresh-shop&name=Fresh&owner_email=me%40x.test&password=short")
            #expect(weak == .unprocessableEntity)
            #expect(weakPage.contains("at least 8 characters"))

            let (created, _, _, headers) = try await send(.POST, "/signup", cookie: session,
                                                          form: "csrf=\(token)&slug=fresh-shop&name=Fresh+Shop&owner_email=me%40x.test&password=long+enough")
            #expect(created == .seeOther)
            // On to the dashboard's host (with the port the visitor's Host named: none here), signed in there.
            let location = try #require(headers.first(name: "Location"))
            let prefix = "http://app.\(PlatformProcesses.rootDomain)"
            try #require(location.hasPrefix(prefix + "/welcome?code=lsl_"), "\(location)")
            let (welcomed, _, _, welcomeHeaders) = try await send(.GET, String(location.dropFirst(prefix.count)), cookie: nil,
                                                                  host: "app.\(PlatformProcesses.rootDomain)")
            #expect(welcomed == .seeOther)
            #expect(welcomeHeaders.first(name: "Location") == "/stores/fresh-shop")
            #expect(welcomeHeaders["Set-Cookie"].contains { $0.hasPrefix("lumora_account=lss_") && $0.contains("HttpOnly") })
            try await waitUntil(timeout: .seconds(180)) {
                try await platform.scalar("SELECT count(*)::int FROM lumora.stores WHERE slug = 'fresh-shop' AND status = 'active'") == 1
            }
            #expect(try await platform.storefront("fresh-shop", "/") == .ok)
            #expect(try await platform.scalar("SELECT count(*)::int FROM lumora.stores WHERE slug IN ('forged-shop', 'admin')") == 0)
        }
    }
}
