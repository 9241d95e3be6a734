import Testing
@testable import LumoraCore

@Suite struct CheckoutTotalsTests {
    @Test func percentTextRoundTrips() throws {
        for (text, ppm) in [("20", 200_000), ("8.875", 88_750), ("7,5", 75_000), ("0", 0), ("100", 1_000_000), ("0.0001", 1)] {
            let rate = try TaxRate(percentText: text)
            #expect(rate.partsPerMillion == Int64(ppm), "\(text)")
            #expect(try TaxRate(percentText: rate.percentText) == rate)
        }
        #expect(try TaxRate(percentText: "7,5").percentText == "7.5")
        for bad in ["", "abc", "101", "1.00001", "-5", "5.", "1e2", "٣"] {
            #expect(throws: LumoraError.self, "\(bad)") { try TaxRate(percentText: bad) }
        }
    }

    @Test func exclusiveTaxIsRoundedPerLineHalfUp() throws {
        let rate = try TaxRate(percentText: "8.875")
        // 1999 × 8.875 % = 177.41 → 177; 250 × 8.875 % = 22.1875 → 22; shipping 500 → 44.375 → 44.
        let totals = try CheckoutTotals.compute(lineTotals: [1999, 250], shipping: 500, rate: rate, taxIncluded: false, currency: .usd)
        #expect(totals.lineTaxes == [177, 22])
        #expect(totals.shippingTax == 44)
        #expect(totals.tax == 243)
        #expect(totals.subtotal == 2249)
        #expect(totals.total == 2249 + 500 + 243)
        // Exactly half a cent rounds up: 10 × 5 % = 0.5 → 1.
        #expect(try TaxRate(percentText: "5").tax(on: 10, included: false) == 1)
    }

    @Test func inclusiveTaxIsThePartOfThePriceThatIsTax() throws {
        let rate = try TaxRate(percentText: "20")
        // 1200 incl. 20 % = 1000 net + 200 tax; 999 → 832.5 → 833 net, 166 tax.
        let totals = try CheckoutTotals.compute(lineTotals: [1200, 999], shipping: 600, rate: rate, taxIncluded: true, currency: .eur)
        #expect(totals.lineTaxes == [200, 166])
        #expect(totals.shippingTax == 100)
        #expect(totals.total == 1200 + 999 + 600)
        #expect(totals.tax == 466)
    }

    /// Whatever the lines, the lines add up: the total is subtotal + shipping (+ tax), the tax
    /// is the sum of the per-line taxes, and no tax exceeds its line.
    @Test func linesAlwaysAddUp() throws {
        var generator = SplitMix(seed: 0x5eed)
        for _ in 0..<2000 {
            let count = Int(generator.next() % 6)
            let lines = (0..<count).map { _ in Int64(generator.next() % 1_000_000) }
            let shipping = Int64(generator.next() % 5000)
            let rate = try TaxRate(partsPerMillion: Int64(generator.next() % 300_000))
            let included = generator.next() % 2 == 0
            let totals = try CheckoutTotals.compute(lineTotals: lines, shipping: shipping, rate: rate, taxIncluded: included, currency: .usd)
            #expect(totals.subtotal == lines.reduce(0, +))
            #expect(totals.tax == totals.lineTaxes.reduce(0, +) + totals.shippingTax)
            #expect(totals.total == totals.subtotal + totals.shipping + (included ? 0 : totals.tax))
            for (line, tax) in zip(lines, totals.lineTaxes) { #expect(tax >= 0 && tax <= line) }
        }
    }

    @Test func overflowIsAnErrorNotATrap() {
        #expect(throws: LumoraError.self) {
            try CheckoutTotals.compute(lineTotals: [Int64.max / 2, Int64.max / 2, 10], shipping: 0, rate: .zero, taxIncluded: false, currency: .usd)
        }
        #expect(throws: LumoraError.self) { try TaxRate(percentText: "20").tax(on: Int64.max / 10, included: false) }
    }

    @Test func shippingRules() {
        #expect(ShippingRule.flat(amount: 500).price(subtotal: 0, weightGrams: 0) == 500)
        #expect(ShippingRule.freeOver(amount: 500, threshold: 5000).price(subtotal: 4999, weightGrams: 0) == 500)
        #expect(ShippingRule.freeOver(amount: 500, threshold: 5000).price(subtotal: 5000, weightGrams: 0) == 0)
        let band = ShippingRule.weight(amount: 900, minimumGrams: 1000, maximumGrams: 5000)
        #expect(band.price(subtotal: 0, weightGrams: 999) == nil)
        #expect(band.price(subtotal: 0, weightGrams: 1000) == 900)
        #expect(band.price(subtotal: 0, weightGrams: 5000) == nil)
    }
}

/// A small deterministic generator, so a failing case can be reproduced.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
