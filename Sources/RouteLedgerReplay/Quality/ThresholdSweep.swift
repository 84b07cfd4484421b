import Foundation
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

    /// Sorts once and accumulates once. Scores must be finite. Large inputs use both cores: the order's
    /// scatter and the running sums each split into two halves; the sums of the second half start from the
    /// first half's totals, added in the same order, so the result is bit-identical to one thread's.
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
        return entries.withUnsafeBufferPointer { e in accumulate(Shared(e.baseAddress ?? UnsafePointer(bitPattern: 8)!), n, totals) }
    }

    struct Sums { var calls = 0.0, tokens = 0.0, gain = 0.0, extra = 0.0, spend = 0.0 }

    static func accumulate(_ e: Shared<Entry>, _ n: Int, _ totals: SweepCurve.Totals) -> SweepCurve {
        // Halves cut at a group boundary, so no tie group straddles the two workers.
        var cut = n / 2
        while cut > 0 && cut < n && e[cut].score == e[cut - 1].score { cut += 1 }
        let parts = n >= 1 << 16 && cut < n ? [0..<cut, cut..<n] : [0..<n]

        // Pass 1: groups and sums per half (the sums of a half are what the next half starts from).
        let counts = SharedArray<Int>(count: parts.count, initial: 0)
        let sums = SharedArray<Sums>(count: parts.count, initial: Sums())
        DispatchQueue.concurrentPerform(iterations: parts.count) { part in
            var i = parts[part].lowerBound, groups = 0
            let end = parts[part].upperBound
            var s = Sums()
            while i < end {
                let score = e[i].score
                repeat {
                    s.calls += 1; s.tokens += e[i].tokens; s.gain += e[i].gain; s.extra += e[i].extraCost; s.spend += e[i].strongCost
                    i += 1
                } while i < end && e[i].score == score
                groups += 1
            }
            counts[part] = groups
            sums[part] = s
        }
        let groups = (0..<parts.count).reduce(0) { $0 + counts[$1] }

        // Pass 2: every column allocated once, uninitialized, at its final size; both halves fill their own rows.
        var thresholds: [Double] = [], calls: [Double] = [], tokens: [Double] = []
        var gains: [Double] = [], extras: [Double] = [], spends: [Double] = []
        thresholds = [Double](unsafeUninitializedCapacity: groups) { th, thCount in
        calls = [Double](unsafeUninitializedCapacity: groups + 1) { ca, caCount in
        tokens = [Double](unsafeUninitializedCapacity: groups + 1) { tk, tkCount in
        gains = [Double](unsafeUninitializedCapacity: groups + 1) { ga, gaCount in
        extras = [Double](unsafeUninitializedCapacity: groups + 1) { ex, exCount in
        spends = [Double](unsafeUninitializedCapacity: groups + 1) { sp, spCount in
            ca[0] = 0; tk[0] = 0; ga[0] = 0; ex[0] = 0; sp[0] = 0
            let columns = (Shared(th.baseAddress!), Shared(ca.baseAddress!), Shared(tk.baseAddress!), Shared(ga.baseAddress!),
                           Shared(ex.baseAddress!), Shared(sp.baseAddress!))
            DispatchQueue.concurrentPerform(iterations: parts.count) { part in
                var k = 0
                var s = Sums()
                for earlier in 0..<part { k += counts[earlier] }
                if part > 0 { s = sums[part - 1] }   // two halves: the first half's totals
                var i = parts[part].lowerBound
                let end = parts[part].upperBound
                while i < end {
                    let score = e[i].score
                    repeat {
                        s.calls += 1; s.tokens += e[i].tokens; s.gain += e[i].gain; s.extra += e[i].extraCost; s.spend += e[i].strongCost
                        i += 1
                    } while i < end && e[i].score == score
                    columns.0[k] = score
                    k += 1
                    columns.1[k] = s.calls; columns.2[k] = s.tokens; columns.3[k] = s.gain; columns.4[k] = s.extra; columns.5[k] = s.spend
                }
            }
            thCount = groups; caCount = groups + 1; tkCount = groups + 1; gaCount = groups + 1; exCount = groups + 1; spCount = groups + 1
        }}}}}}
        return SweepCurve(thresholds: thresholds, strongCalls: calls, strongTokens: tokens, gain: gains, extraCost: extras,
                          strongSpend: spends, totals: totals)
    }
}

/// A raw pointer handed to the two sweep workers, which touch disjoint ranges of it.
struct Shared<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
    init(_ pointer: UnsafePointer<T>) { self.pointer = UnsafeMutablePointer(mutating: pointer) }
    subscript(_ index: Int) -> T {
        get { pointer[index] }
        nonmutating set { pointer[index] = newValue }
    }
}

/// A small array the workers write at their own index.
final class SharedArray<T>: @unchecked Sendable {
    private let pointer: UnsafeMutablePointer<T>
    private let count: Int
    init(count: Int, initial: T) {
        self.count = count
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: initial, count: count)
    }
    deinit { pointer.deinitialize(count: count); pointer.deallocate() }
    subscript(_ index: Int) -> T {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}

/// Descending order of scores by one bucket pass and small in-bucket sorts: exact (buckets come from a
/// monotone map of the score, and each bucket is then sorted by the score itself), and several times
/// cheaper than one comparison sort of ten million elements. The scatter and the in-bucket sorts run on two
/// workers, each owning half of the buckets.
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
        let bucketCount = max(2, n / 8)
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
        let halves = [0..<bucketCount / 2, bucketCount / 2..<bucketCount]
        let top = high
        return [ThresholdSweep.Entry](unsafeUninitializedCapacity: n) { out, initialized in
            sample.scores.withUnsafeBufferPointer { s in
            sample.strongQuality.withUnsafeBufferPointer { sq in
            sample.weakQuality.withUnsafeBufferPointer { wq in
            sample.strongCost.withUnsafeBufferPointer { sc in
            sample.weakCost.withUnsafeBufferPointer { wc in
            sample.tokens.withUnsafeBufferPointer { tk in
            cursor.withUnsafeMutableBufferPointer { cur in
            starts.withUnsafeBufferPointer { st in
                let (s, sq, wq, sc, wc, tk) = (Shared(s.baseAddress!), Shared(sq.baseAddress!), Shared(wq.baseAddress!),
                                               Shared(sc.baseAddress!), Shared(wc.baseAddress!), Shared(tk.baseAddress!))
                let (cur, st, out) = (Shared(cur.baseAddress!), Shared(st.baseAddress!), Shared(out.baseAddress!))
                DispatchQueue.concurrentPerform(iterations: 2) { half in
                    let mine = halves[half]
                    for i in 0..<n {
                        let bucket = min(bucketCount - 1, Int((top - s[i]) * scale))
                        guard mine.contains(bucket) else { continue }
                        let at = cur[bucket]
                        cur[bucket] = at + 1
                        (out.pointer + at).initialize(to: ThresholdSweep.Entry(
                            score: s[i], gain: sq[i] - wq[i], extraCost: sc[i] - wc[i], tokens: tk[i], strongCost: sc[i]))
                    }
                    // Inside each bucket (a handful of entries when scores spread): insertion sort, larger ones sort().
                    for k in mine {
                        let from = st[k], to = st[k + 1]
                        if to - from < 2 { continue }
                        if to - from > 48 {
                            var slice = UnsafeMutableBufferPointer(start: out.pointer + from, count: to - from)
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
                }
            }}}}}}}}
            initialized = n
        }
    }
}
