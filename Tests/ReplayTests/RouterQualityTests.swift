import Foundation
import Testing
import RouteLedgerReplay
import RouteLedgerTestSupport

/// Four prompts worked by hand. Scores 0.9, 0.5, 0.5, 0.1; strong quality 1,1,1,0; weak 0,1,0,1
/// (gains +1, 0, +1, −1): all-weak 0.5, all-strong 0.75, gap 0.25.
/// Per call the curve runs (0, .5) → (.25, .75) → (.75, 1) [the two tied .5 prompts together] → (1, .75).
/// Strong costs 4,1,2,1 and weak costs 1 each: extra costs 3,0,1,0 of 4 in all.
@Suite struct HandComputedRouterQualityTests {
    let sample = RoutingSample(scores: [0.9, 0.5, 0.5, 0.1], strongQuality: [1, 1, 1, 0], weakQuality: [0, 1, 0, 1],
                               strongCost: [4, 1, 2, 1], weakCost: [1, 1, 1, 1], tokens: [10, 20, 30, 40])

    @Test func sweepHasOnePointPerDistinctThreshold() {
        let curve = ThresholdSweep.sweep(sample)
        #expect(curve.thresholds == [0.9, 0.5, 0.1])
        #expect(curve.strongCalls == [0, 1, 3, 4])
        #expect(curve.strongTokens == [0, 10, 60, 100])
        #expect(curve.gain == [0, 1, 2, 1])
        #expect(curve.extraCost == [0, 3, 4, 4])
        #expect(curve.point(threshold: 0.5) == 2)
        #expect(curve.point(threshold: 0.5, strictly: true) == 1)
        #expect(curve.point(threshold: 2) == 0)
    }

    @Test func perCallMetrics() throws {
        let result = RouterQuality.evaluate(sample)
        #expect(result.weakQuality == 0.5 && result.strongQuality == 0.75 && result.oracleQuality == 1.0)
        let m = result.perCall
        // area = .25·(.5+.75)/2 + .5·(.75+1)/2 + .25·(1+.75)/2 = .8125 → APGR (.8125 − .5)/.25
        #expect(abs(try #require(m.apgr) - 1.25) < 1e-12)
        // the decile thresholds fall on the curve's vertices here, so the trapezoids give the same area
        #expect(abs(try #require(m.apgrDeciles) - 1.25) < 1e-12)
        // PGR is 1.0 at x = .25, so 50 % is reached at .125 and 80 % at .2
        #expect(abs(try #require(m.cpt50) - 0.125) < 1e-12)
        #expect(abs(try #require(m.cpt80) - 0.2) < 1e-12)
        // hull (0,.5) (.25,.75) (.75,1) then flat at 1: .15625 + .4375 + .25
        #expect(abs(try #require(m.aiq) - 0.84375) < 1e-12)
        // oracle: gains 1,1 | 0 | −1 → area .375 + .25 + .21875 = .84375; random area .625
        #expect(abs(try #require(m.oracleAPGR) - 1.375) < 1e-12)
        let expectedARQGC: Double = 0.5 + 0.5 * 0.1875 / 0.21875
        #expect(abs(try #require(m.arqgc) - expectedARQGC) < 1e-12)
    }

    @Test func perDollarMetrics() throws {
        let m = RouterQuality.evaluate(sample).perDollar
        // x = 0, .75, 1, 1 → area .46875 + .21875 + 0 = .6875 → APGR .75
        #expect(abs(try #require(m.apgr) - 0.75) < 1e-12)
        // oracle by gain per extra dollar: the free tie first, then 1/1, then 1/3, then the free loss:
        // x = 0, 0, .25, 1, 1 → area .15625 + .65625 = .8125
        #expect(abs(try #require(m.oracleAPGR) - 1.25) < 1e-12)
        let expectedARQGC: Double = 0.5 + 0.5 * 0.0625 / 0.1875
        #expect(abs(try #require(m.arqgc) - expectedARQGC) < 1e-12)
        // cost per request 1, 1.75, 2, 2: the hull drops (1.75, .75) → one segment (1,.5)–(2,1): AIQ .75
        #expect(abs(try #require(m.aiq) - 0.75) < 1e-12)
        #expect(abs(try #require(m.cpt50) - 0.375) < 1e-12)
    }
}

@Suite struct RouterQualityPropertyTests {
    static func randomSample(_ n: Int, seed: UInt64, distinctScores: Int? = nil) -> RoutingSample {
        var state = seed
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        var scores: [Double] = [], strong: [Double] = [], weak: [Double] = [], sc: [Double] = [], wc: [Double] = [], tk: [Double] = []
        for _ in 0..<n {
            let s = next()
            scores.append(distinctScores.map { (s * Double($0)).rounded(.down) / Double($0) } ?? s)
            strong.append(next() < 0.5 + 0.4 * s ? 1 : 0)
            weak.append(next() < 0.6 - 0.3 * s ? 1 : 0)
            let tokens = (next() * 2000).rounded() + 1
            tk.append(tokens)
            sc.append(tokens * 3e-6 + 0.002)
            wc.append(tokens * 0.25e-6 + 0.0002)
        }
        return RoutingSample(scores: scores, strongQuality: strong, weakQuality: weak, strongCost: sc, weakCost: wc, tokens: tk)
    }

    /// Every point of the sweep equals routing the prompts directly with that threshold.
    /// 100,000 prompts take the two-worker path (bucket scatter and running sums split in halves); 1,000
    /// distinct scores make tie groups that the halves' cut must not split.
    @Test(arguments: [(300, nil), (5000, nil), (9000, 17), (100_000, nil), (100_000, 1000)] as [(Int, Int?)])
    func sweepMatchesDirectRouting(n: Int, distinct: Int?) {
        let sample = Self.randomSample(n, seed: UInt64(n), distinctScores: distinct)
        let curve = ThresholdSweep.sweep(sample)
        #expect(curve.thresholds.count == Set(sample.scores).count)
        for k in stride(from: 1, to: curve.points, by: max(1, curve.points / 40)) {
            let t = curve.thresholds[k - 1]
            var calls = 0.0, quality = 0.0, cost = 0.0, tokens = 0.0
            for i in 0..<n {
                let strong = sample.scores[i] >= t
                calls += strong ? 1 : 0
                tokens += strong ? sample.tokens[i] : 0
                quality += strong ? sample.strongQuality[i] : sample.weakQuality[i]
                cost += strong ? sample.strongCost[i] : sample.weakCost[i]
            }
            #expect(curve.strongCalls[k] == calls)
            #expect(curve.strongTokens[k] == tokens)
            #expect(abs(curve.quality(at: k) - quality / Double(n)) < 1e-9)
            #expect(abs(curve.cost(at: k) - cost / Double(n)) < 1e-12)
        }
    }

    @Test func constantScoreIsExactlyRandom() throws {
        let base = Self.randomSample(5000, seed: 7)
        let result = RouterQuality.evaluate(base.rescored([Double](repeating: 0.3, count: base.count)))
        for axis in [result.perCall, result.perDollar] {
            #expect(abs(try #require(axis.apgr) - 0.5) < 1e-12)
            #expect(abs(try #require(axis.apgrDeciles) - 0.5) < 1e-12)
            #expect(abs(try #require(axis.arqgc) - 0.5) < 1e-12)
        }
    }

    @Test func trueGainReproducesTheOracle() throws {
        let base = Self.randomSample(5000, seed: 9)
        let result = RouterQuality.evaluate(base.rescored(base.trueGain))
        #expect(try #require(result.perCall.apgr) == (try #require(result.perCall.oracleAPGR)))
        #expect(abs(try #require(result.perCall.arqgc) - 1.0) < 1e-12)
        let perDollar = RouterQuality.evaluate(base.rescored(base.trueGainPerCost))
        #expect(abs(try #require(perDollar.perDollar.arqgc) - 1.0) < 1e-12)
    }

    @Test func negativeGapLeavesPGRUndefined() {
        let base = Self.randomSample(500, seed: 3)
        let flipped = RoutingSample(scores: base.scores, strongQuality: base.weakQuality.map { $0 * 0.5 },
                                    weakQuality: base.weakQuality, strongCost: base.strongCost, weakCost: base.weakCost,
                                    tokens: base.tokens)
        let result = RouterQuality.evaluate(flipped)
        #expect(result.pgrDefined == false)
        #expect(result.perCall.apgr == nil && result.perCall.cpt50 == nil && result.perCall.apgrDeciles == nil)
        #expect(result.perCall.notes.contains { $0.contains("not better on average") })
        #expect(result.perCall.arqgc != nil)   // ARQGC compares with random and oracle, not with the gap
    }
}
