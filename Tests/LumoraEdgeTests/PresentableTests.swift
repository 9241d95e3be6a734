@testable import LumoraEdge
import LumoraHTTP
import Testing

@Suite struct PresentableTests {
    @Test(arguments: ["javascript:alert(1)", "//evil.example/x.png", "http://plain.example/x.png", "https://x.example/a\"onerror=\"x", "data:text/html,hi", " https://x.example/a b"])
    func unsafeURLsNeverReachAttributes(_ url: String) {
        #expect(Presentable.url(url) == nil)
    }

    @Test func safeURLsPass() {
        #expect(Presentable.url("https://cdn.example/logo.png") == "https://cdn.example/logo.png")
        #expect(Presentable.url("/images/logo.png") == "/images/logo.png")
    }

    @Test func onlyHexColoursReachCSS() {
        #expect(Presentable.color("#AABBCC", fallback: "#000000") == "#aabbcc")
        #expect(Presentable.color("red;}body{display:none", fallback: "#000000") == "#000000")
        #expect(Presentable.color("#12345", fallback: "#000000") == "#000000")
    }

    @Test func hostsAreNormalised() {
        #expect(VisitorHost.normalise(host: "Acme.Lumora.Localhost:8080") == "acme.lumora.localhost")
        #expect(VisitorHost.normalise(host: "shop.example.") == "shop.example")
        #expect(VisitorHost.normalise(host: "[::1]:8080") == "[::1]")
    }

    @Test func proxyRanges() {
        let range = IPRange("10.0.0.0/8")!
        #expect(range.contains("10.1.2.3"))
        #expect(!range.contains("11.0.0.1"))
        #expect(IPRange("::1")!.contains("::1"))
        #expect(IPRange("not-an-ip") == nil)
    }
}

/// Who a request is from, behind proxies or not.
@Suite struct VisitorAddressTests {
    @Test func forwardedForCountsOnlyFromTrustedProxies() {
        let proxies = [IPRange("10.0.0.0/8")!]
        // No trusted proxy: the peer, whatever it claims.
        #expect(VisitorAddress.resolve(peer: "203.0.113.9", forwardedFor: "1.2.3.4", trustedProxies: []) == "203.0.113.9")
        #expect(VisitorAddress.resolve(peer: "127.0.0.1", forwardedFor: "1.2.3.4", trustedProxies: proxies) == "127.0.0.1")
        // Behind trusted proxies: the nearest address that is not one.
        #expect(VisitorAddress.resolve(peer: "10.0.0.5", forwardedFor: "1.2.3.4", trustedProxies: proxies) == "1.2.3.4")
        #expect(VisitorAddress.resolve(peer: "10.0.0.5", forwardedFor: "6.6.6.6, 1.2.3.4, 10.0.0.7", trustedProxies: proxies) == "1.2.3.4")
        // Junk in the chain stops the walk; a proxy with no header is the visitor itself.
        #expect(VisitorAddress.resolve(peer: "10.0.0.5", forwardedFor: "1.2.3.4, <script>", trustedProxies: proxies) == "10.0.0.5")
        #expect(VisitorAddress.resolve(peer: "10.0.0.5", forwardedFor: nil, trustedProxies: proxies) == "10.0.0.5")
        #expect(VisitorAddress.resolve(peer: "10.0.0.5", forwardedFor: "2001:db8::1", trustedProxies: proxies) == "2001:db8::1")
    }
}
