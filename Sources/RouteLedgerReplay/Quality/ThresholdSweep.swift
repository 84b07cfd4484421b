/// Every distinct threshold of a router score at once: the prompts are sorted by score once, and running
/// sums give, for each threshold, what routing "score ≥ threshold → strong" would have done.
///
/// Prompts with equal scores form one group that a threshold either takes whole or not at all; between two
/// group boundaries the curves are straight lines (ties resolved by expectation), which is what makes the
/// areas below exact.
public struct SweepCurve: Sendable, Equatable {
    /// Group scores, descending. `thresholds[g]` is the threshold that sends groups 0...g to the strong model.
    public var thresholds: [Double]
    /// Running sums over groups, `thresholds.count + 1` entries each: entry k is the state once the first k
    /// groups go to the strong model (entry 0: nothing does).
    public var strongCalls: [Double]
    public var strongTokens: [Double]
    /// Σ (strong quality − weak quality) over the prompts sent to the strong model.
    public var gain: [Double]
    /// Σ (strong cost − weak cost) over the prompts sent to the strong model.
    public var extraCost: [Double]
    /// Σ strong cost over the prompts sent to the strong model.
    public var strongSpend: [Double]
    public var totals: Totals

    public struct Totals: Sendable, Equatable {
        public var prompts: Int
        public var tokens: Double
        public var weakQuality: Double
        public var strongQuality: Double
        public var weakCost: Double
        public var strongCost: Double
    }

    public var points: Int { strongCalls.count }

    /// Mean quality at point k.
    @inline(__always) public func quality(at k: Int) -> Double {
        (totals.weakQuality + gain[k]) / Double(totals.prompts)
    }
    /// Mean cost per request at point k.
    @inline(__always) public func cost(at k: Int) -> Double {
        (totals.weakCost + extraCost[k]) / Double(totals.prompts)
    }
    /// The point reached by "score ≥ t" (or "score > t" when `strictly`): the number of groups taken.
    public func point(threshold t: Double, strictly: Bool = false) -> Int {
        // thresholds descend: count the prefix with score ≥ t (or > t).
        var low = 0, high = thresholds.count
        while low < high {
            let mid = (low + high) / 2
            if strictly ? thresholds[mid] > t : thresholds[mid] >= t { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

public enum ThresholdSweep {
    /// One prompt as the sweep needs it, carried through the sort so the accumulating pass reads memory in
    /// order instead of gathering five columns at random.
    struct Entry {
        var score: Double
        var gain: Double
        var extraCost: Double
        var tokens: Double
        var strongCost: Double
    }

    /// Sorts once and accumulates once. Scores must be finite.
    public static func sweep(_ sample: RoutingSample) -> SweepCurve {
        let n = sample.count
        var totals = SweepCurve.Totals(prompts: n, tokens: 0, weakQuality: 0, strongQuality: 0, weakCost: 0, strongCost: 0)
        for i in 0..<n {
            totals.tokens += sample.tokens[i]
            totals.weakQuality += sample.weakQuality[i]
            totals.strongQuality += sample.strongQuality[i]
            totals.weakCost += sample.weakCost[i]
            totals.strongCost += sample.strongCost[i]
        }
        let entries = ScoreOrder.descending(sample)

        // Output columns are written through raw pointers: at ten million thresholds, Array.append's
        // capacity checks on six columns cost more than the sums.
        var groups = 0
        var thresholds = [Double](repeating: 0, count: n)
        var calls = [Double](repeating: 0, count: n + 1), tokens = [Double](repeating: 0, count: n + 1)
        var gains = [Double](repeating: 0, count: n + 1), extras = [Double](repeating: 0, count: n + 1)
        var spends = [Double](repeating: 0, count: n + 1)
        entries.withUnsafeBufferPointer { e in
        thresholds.withUnsafeMutableBufferPointer { th in
        calls.withUnsafeMutableBufferPointer { ca in
        tokens.withUnsafeMutableBufferPointer { tk in
        gains.withUnsafeMutableBufferPointer { ga in
        extras.withUnsafeMutableBufferPointer { ex in
        spends.withUnsafeMutableBufferPointer { sp in
            var c = 0.0, t = 0.0, g = 0.0, x = 0.0, s = 0.0
            var i = 0
            while i < n {
                let score = e[i].score
                repeat {
                    c += 1
                    t += e[i].tokens
                    g += e[i].gain
                    x += e[i].extraCost
                    s += e[i].strongCost
                    i += 1
                } while i < n && e[i].score == score
                th[groups] = score
                groups += 1
                ca[groups] = c; tk[groups] = t; ga[groups] = g; ex[groups] = x; sp[groups] = s
            }
        }}}}}}}
        if groups < n {
            thresholds.removeLast(n - groups)
            for k in [0, 1, 2, 3, 4] {
                switch k {
                case 0: calls.removeLast(n - groups)
                case 1: tokens.removeLast(n - groups)
                case 2: gains.removeLast(n - groups)
                case 3: extras.removeLast(n - groups)
                default: spends.removeLast(n - groups)
                }
            }
        }
        return SweepCurve(thresholds: thresholds, strongCalls: calls, strongTokens: tokens, gain: gains, extraCost: extras,
                          strongSpend: spends, totals: totals)
    }
}

/// Descending order of scores by one bucket pass and small in-bucket sorts: exact (buckets come from a
/// monotone map of the score, and each bucket is then sorted by the score itself), and several times
/// cheaper than one comparison sort of ten million elements.
enum ScoreOrder {
    static func descending(_ sample: RoutingSample) -> [ThresholdSweep.Entry] {
        let n = sample.count
        @inline(__always) func entry(_ i: Int) -> ThresholdSweep.Entry {
            ThresholdSweep.Entry(score: sample.scores[i], gain: sample.strongQuality[i] - sample.weakQuality[i],
                                 extraCost: sample.strongCost[i] - sample.weakCost[i], tokens: sample.tokens[i],
                                 strongCost: sample.strongCost[i])
        }
        var low = Double.infinity, high = -Double.infinity
        for value in sample.scores {
            precondition(value.isFinite, "router scores must be finite")
            low = min(low, value)
            high = max(high, value)
        }
        if n < 4096 || low == high {
            var entries = (0..<n).map(entry)
            if low < high { entries.sort { $0.score > $1.score } }
            return entries
        }
        let bucketCount = max(1, n / 8)
        // (high − s) · scale is monotone in s under IEEE rounding, so a higher score never lands in a later bucket.
        let scale = Double(bucketCount - 1) / (high - low)
        var starts = [Int](repeating: 0, count: bucketCount + 1)
        sample.scores.withUnsafeBufferPointer { s in
            starts.withUnsafeMutableBufferPointer { c in
                for i in 0..<n { c[min(bucketCount - 1, Int((high - s[i]) * scale)) + 1] += 1 }
                for k in 0..<bucketCount { c[k + 1] += c[k] }
            }
        }
        var cursor = starts
        let entries = [ThresholdSweep.Entry](unsafeUninitializedCapacity: n) { out, initialized in
            sample.scores.withUnsafeBufferPointer { s in
            sample.strongQuality.withUnsafeBufferPointer { sq in
            sample.weakQuality.withUnsafeBufferPointer { wq in
            sample.strongCost.withUnsafeBufferPointer { sc in
            sample.weakCost.withUnsafeBufferPointer { wc in
            sample.tokens.withUnsafeBufferPointer { tk in
            cursor.withUnsafeMutableBufferPointer { cur in
                for i in 0..<n {
                    let bucket = min(bucketCount - 1, Int((high - s[i]) * scale))
                    let at = cur[bucket]
                    cur[bucket] = at + 1
                    (out.baseAddress! + at).initialize(to: ThresholdSweep.Entry(
                        score: s[i], gain: sq[i] - wq[i], extraCost: sc[i] - wc[i], tokens: tk[i], strongCost: sc[i]))
                }
            }}}}}}}
            // Inside each bucket (a handful of entries when scores spread): insertion sort, larger ones sort().
            for k in 0..<bucketCount {
                let from = starts[k], to = starts[k + 1]
                if to - from < 2 { continue }
                if to - from > 48 {
                    var slice = UnsafeMutableBufferPointer(rebasing: out[from..<to])
                    slice.sort { $0.score > $1.score }
                    continue
                }
                var i = from + 1
                while i < to {
                    let value = out[i]
                    var j = i - 1
                    while j >= from && out[j].score < value.score {
                        out[j + 1] = out[j]
                        j -= 1
                    }
                    out[j + 1] = value
                    i += 1
                }
            }
            initialized = n
        }
        return entries
    }
}
