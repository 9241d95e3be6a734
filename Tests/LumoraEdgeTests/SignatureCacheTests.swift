import Testing
@testable import LumoraEdge

@Suite struct SignatureCacheTests {
    @Test func signsOncePerPathPerSecond() {
        let cache = SignatureCache(capacity: 2)
        var signed = 0
        func sign(_ store: String, _ path: String, at second: Int64) -> String {
            cache.signature(store: store, method: "GET", path: path, timestamp: second) {
                signed += 1
                return "\(store) \(path) \(second)"
            }
        }
        #expect(sign("acme", "/store/products", at: 100) == "acme /store/products 100")
        #expect(sign("acme", "/store/products", at: 100) == "acme /store/products 100")
        #expect(signed == 1)
        // Another store, another path: their own signatures.
        #expect(sign("globex", "/store/products", at: 100) == "globex /store/products 100")
        #expect(signed == 2)
        // Full: signed, but not kept.
        #expect(sign("acme", "/store/settings", at: 100) == "acme /store/settings 100")
        #expect(sign("acme", "/store/settings", at: 100) == "acme /store/settings 100")
        #expect(signed == 4)
        // The next second: everything is signed afresh.
        #expect(sign("acme", "/store/products", at: 101) == "acme /store/products 101")
        #expect(signed == 5)
    }
}
