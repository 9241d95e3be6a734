import Foundation
import LumoraCore
import LumoraHTTP
import LumoraWire
import Testing

/// `JSONWriter` writes the catalog pages the cell serves most; whatever it writes must be the
/// JSON `JSONWire.encoder` writes for the same value — same members, same strings, same dates.
@Suite struct JSONWriterTests {
    /// Hundreds of generated pages (a fixed seed, so a failure repeats): awkward strings
    /// (quotes, backslashes, every control character, slashes, non-ASCII), absent and present
    /// optionals, extreme numbers, dates with fractions, before 1970 and far ahead.
    @Test func catalogPagesAreWrittenAsTheEncoderWritesThem() throws {
        var random = SeededGenerator(seed: 0x5EED_1234)
        for round in 0..<300 {
            let page = Page(key: round % 2 == 0 ? "products" : "ïtems \"q\"", items: (0..<Int.random(in: 0...4, using: &random)).map { _ in
                Self.product(using: &random)
            }, count: Int.random(in: 0...100_000, using: &random), limit: 20, offset: Int.random(in: 0...50, using: &random))
            let written = Data(page.jsonBytes)
            let encoded = try JSONWire.encoder.encode(page)
            let ours = try JSONSerialization.jsonObject(with: written) as? NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: encoded) as? NSDictionary
            #expect(ours != nil && ours == theirs, "round \(round):\n\(String(decoding: written, as: UTF8.self))\n\(String(decoding: encoded, as: UTF8.self))")
            #expect(try JSONWire.decoder.decode(Page<ProductWire>.self, from: written).items.map(\.id) == page.items.map(\.id))
        }
    }

    @Test func aSingleProductAndCollectionsToo() throws {
        var random = SeededGenerator(seed: 42)
        let single = Single(key: "product", value: Self.product(using: &random))
        #expect(try Self.same(Data(single.jsonBytes), try JSONWire.encoder.encode(single)))
        let collections = Page(key: "collections", items: [CollectionWire(id: "col_1", handle: "a/b", title: "Tab\there")], count: 1, limit: 1, offset: 0)
        #expect(try Self.same(Data(collections.jsonBytes), try JSONWire.encoder.encode(collections)))
    }

    @Test func datesAreWholeSecondsInUTC() {
        for (seconds, text) in [(0.0, "1970-01-01T00:00:00Z"), (951_782_400.999, "2000-02-29T00:00:00Z"), (-1.5, "1969-12-31T23:59:58Z"),
                                (253_402_300_799, "9999-12-31T23:59:59Z"), (1_796_000_000, "2026-11-30T00:53:20Z")] {
            var json = JSONWriter()
            json.value(Date(timeIntervalSince1970: seconds))
            #expect(String(decoding: json.bytes, as: UTF8.self) == "\"\(text)\"")
        }
    }

    static func same(_ a: Data, _ b: Data) throws -> Bool {
        (try JSONSerialization.jsonObject(with: a) as? NSDictionary) == (try JSONSerialization.jsonObject(with: b) as? NSDictionary)
    }

    static func product(using random: inout SeededGenerator) -> ProductWire {
        func text() -> String { awkward(using: &random) }
        func date() -> Date { Date(timeIntervalSince1970: Double.random(in: -2_000_000_000...4_000_000_000, using: &random)) }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &random) ? value() : nil }
        let variants = (0..<Int.random(in: 0...3, using: &random)).map { index in
            VariantWire(id: "var_\(index)", title: text(), sku: maybe(text()),
                        price: Money(amount: [Int64.min, -1, 0, 1999, Int64.max].randomElement(using: &random)!, currency: .eur),
                        available: Int64.random(in: -5...1_000_000, using: &random), inStock: Bool.random(using: &random),
                        stocked: maybe(Int64.random(in: 0...100, using: &random)), reserved: maybe(7), weightGrams: maybe(Int64.random(in: 0...100_000, using: &random)))
        }
        let media = (0..<Int.random(in: 0...2, using: &random)).map { index in
            ProductMediaWire(alt: text(), media: MediaWire(
                id: "med_\(index)", url: "/media/ab/cd.jpg", width: 1600, height: 1200, format: "jpeg", bytes: 123_456,
                sizes: [MediaSizeWire(width: 320, height: 240, url: maybe("/media/x-320.jpg"), webpUrl: "/media/x-320.webp")], createdAt: date()))
        }
        return ProductWire(id: "prod_\(Int.random(in: 1...1000, using: &random))", handle: text(), title: text(), description: text(), status: "published",
                           collection: maybe(CollectionWire(id: "col_1", handle: text(), title: text())), images: (0..<Int.random(in: 0...2, using: &random)).map { _ in text() },
                           media: media, thumbnail: maybe(text()), variants: variants, createdAt: date(), updatedAt: date())
    }

    /// A string of awkward pieces: JSON's specials, every control character, `/`, non-ASCII.
    static func awkward(using random: inout SeededGenerator) -> String {
        let pieces = ["plain", "\"", "\\", "/", "</script>", "é", "日本", "👩🏽‍💻", "\u{7F}", "\u{2028}", " "] + (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }
        return (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }
}

/// SplitMix64: the same sequence for the same seed on every machine.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
