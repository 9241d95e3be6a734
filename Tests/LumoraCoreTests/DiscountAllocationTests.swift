import Testing
@testable import LumoraCore

@Suite struct DiscountAllocationTests {
    typealias D = DiscountAllocation.Discount

    @Test func aPercentageOfTheOrderIsSpreadOverTheLinesAndAddsUp() {
        // 10 % of 12000 + 3333 = 1533.3 → 1533, spread 12000 : 3333.
        let allocation = DiscountAllocation.apply([D(title: "10% off", target: .order, value: .basisPoints(1000))], to: [12000, 3333])
        #expect(allocation.applied == [1533])
        #expect(allocation.lineDiscounts.reduce(0, +) == 1533)
        #expect(allocation.lineDiscounts == [1200, 333])
    }

    @Test func remaindersGoToTheLargestFractions() {
        // 10 over three equal lines: 3.33 each; the one unit left goes to the first of equals.
        #expect(DiscountAllocation.spread(10, over: [10, 10, 10]) == [4, 3, 3])
        // 5 over 1 : 2 : 7 → 0.5, 1.0, 3.5 → 0, 1, 3 then the half-units: first 0.5 (index 0), then index 2.
        #expect(DiscountAllocation.spread(5, over: [1, 2, 7]) == [1, 1, 3])
        #expect(DiscountAllocation.spread(0, over: [1, 2]) == [0, 0])
        #expect(DiscountAllocation.spread(3, over: [0, 0]) == [0, 0])
    }

    @Test func noDiscountTakesMoreThanIsLeft() {
        let allocation = DiscountAllocation.apply([
            D(title: "Line", target: .line(0), value: .amount(700)),
            D(title: "Too much", target: .line(0), value: .amount(700)),
            D(title: "Order", target: .order, value: .amount(1_000_000)),
            D(title: "Nothing left", target: .order, value: .basisPoints(5000)),
        ], to: [1000, 500])
        #expect(allocation.applied == [700, 300, 500, 0])
        #expect(allocation.lineDiscounts == [1000, 500])
        #expect(allocation.total == 1500)
    }

    @Test func aPercentageIsOfWhatIsLeftAndRoundedHalfUp() {
        // 1999 − 999 = 1000; 12.5 % of 1000 = 125; then 0.5 % of 875 = 4.375 → 4.
        let allocation = DiscountAllocation.apply([
            D(title: "a", target: .line(0), value: .amount(999)),
            D(title: "b", target: .line(0), value: .basisPoints(1250)),
            D(title: "c", target: .line(0), value: .basisPoints(50)),
        ], to: [1999])
        #expect(allocation.applied == [999, 125, 4])
        // 0.5 % of 1 is 0.005 → 0; of 100 is 0.5 → 1 (half up).
        #expect(DiscountAllocation.apply([D(title: "x", target: .order, value: .basisPoints(50))], to: [100]).applied == [1])
    }

    @Test func discountsForMissingLinesOrOutOfRangeValuesTakeNothingOrAreBounded() {
        let allocation = DiscountAllocation.apply([
            D(title: "gone", target: .line(5), value: .amount(100)),
            D(title: "negative", target: .order, value: .amount(-100)),
            D(title: "over 100 %", target: .line(1), value: .basisPoints(25_000)),
        ], to: [400, 600])
        #expect(allocation.applied == [0, 0, 600])
        #expect(allocation.lineDiscounts == [0, 600])
    }

    /// Whatever the discounts, the lines' parts add up to the discount total, and no line goes
    /// below zero (a deterministic sweep standing in for random cases).
    @Test func partsAlwaysAddUp() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int64) -> Int64 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int64((seed >> 33) % UInt64(bound))
        }
        for _ in 0..<2000 {
            let lines = (0..<(1 + Int(next(6)))).map { _ in next(50_000) }
            let discounts = (0..<Int(next(5))).map { _ -> D in
                let target: DiscountAllocation.Target = next(2) == 0 ? .order : .line(Int(next(Int64(lines.count) + 1)))
                let value: DiscountAllocation.Value = next(2) == 0 ? .amount(next(60_000)) : .basisPoints(next(10_001))
                return D(title: "d", target: target, value: value)
            }
            let allocation = DiscountAllocation.apply(discounts, to: lines)
            #expect(allocation.lineDiscounts.reduce(0, +) == allocation.total)
            #expect(zip(lines, allocation.lineDiscounts).allSatisfy { $1 >= 0 && $1 <= $0 })
        }
    }
}
