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
