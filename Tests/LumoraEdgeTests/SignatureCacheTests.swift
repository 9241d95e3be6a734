import LumoraHTTP
import Testing
@testable import LumoraEdge

@Suite struct SignatureCacheTests {
    @Test func signsEachReadOncePerSecond() {
        let cache = SignatureCache(capacity: 2)
        var signed = 0
        func sign(_ store: String, _ path: String, at second: Int64, visitor: String? = nil, authorization: String? = nil) -> String {
            let parts = StoreRequestSigner.Parts(store: store, method: "GET", target: path, timestamp: second, visitor: visitor, authorization: authorization)
            return cache.signature(parts) {
                signed += 1
                return "\(store) \(path) \(second) \(visitor ?? "-") \(authorization ?? "-")"
            }
        }
        #expect(sign("acme", "/store/products", at: 100) == "acme /store/products 100 - -")
        #expect(sign("acme", "/store/products", at: 100) == "acme /store/products 100 - -")
        #expect(signed == 1)
        // Another store: its own signature.
        #expect(sign("globex", "/store/products", at: 100) == "globex /store/products 100 - -")
        #expect(signed == 2)
        // Full: signed, but not kept.
        #expect(sign("acme", "/store/settings", at: 100) == "acme /store/settings 100 - -")
        #expect(sign("acme", "/store/settings", at: 100) == "acme /store/settings 100 - -")
        #expect(signed == 4)
        // The next second: everything is signed afresh.
        #expect(sign("acme", "/store/products", at: 101) == "acme /store/products 101 - -")
        #expect(signed == 5)
    }

    @Test func aVisitorOrATokenIsPartOfWhatIsCached() {
        let cache = SignatureCache()
        var signed = 0
        func sign(visitor: String?, authorization: String?) -> String {
            let parts = StoreRequestSigner.Parts(store: "acme", method: "GET", target: "/admin/orders", timestamp: 7,
                                                 visitor: visitor, authorization: authorization)
            return cache.signature(parts) {
                signed += 1
                return "\(visitor ?? "-") \(authorization ?? "-")"
            }
        }
        #expect(sign(visitor: "10.0.0.1", authorization: "Bearer a") == "10.0.0.1 Bearer a")
        #expect(sign(visitor: "10.0.0.2", authorization: "Bearer a") == "10.0.0.2 Bearer a")
        #expect(sign(visitor: "10.0.0.1", authorization: "Bearer b") == "10.0.0.1 Bearer b")
        #expect(sign(visitor: "10.0.0.1", authorization: "Bearer a") == "10.0.0.1 Bearer a")
        #expect(signed == 3)
    }

    @Test func writesAreNeverCached() {
        let cache = SignatureCache()
        var signed = 0
        for nonce in ["n1", "n1"] {
            let parts = StoreRequestSigner.Parts(store: "acme", method: "POST", target: "/store/carts", timestamp: 7, nonce: nonce)
            _ = cache.signature(parts) {
                signed += 1
                return "s"
            }
        }
        #expect(signed == 2)
    }
}
