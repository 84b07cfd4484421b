/// Exact distribution of integer values (milliseconds) as sorted (value, count) pairs.
///
/// Exact rather than a sketch: latencies are whole milliseconds, so even ten million of them take
/// a few thousand distinct values, and shards merge by adding counts with no loss at all.
public struct ExactHistogram: Sendable, Equatable {
    public private(set) var values: [UInt32] = []
    public private(set) var counts: [Int64] = []
    public private(set) var total: Int64 = 0

    public init() {}

    /// From dense counts indexed by value, plus values too large for the dense range.
    init<C: Collection>(dense: C, overflow: [UInt32: Int64]) where C.Element == UInt32, C.Index == Int {
        for (value, count) in zip(dense.indices, dense) where count != 0 {
            values.append(UInt32(value))
            counts.append(Int64(count))
            total += Int64(count)
        }
        for value in overflow.keys.sorted() {
            values.append(value)
            counts.append(overflow[value]!)
            total += overflow[value]!
        }
    }

    public init<S: Sequence>(_ samples: S) where S.Element == UInt32 {
        var tally: [UInt32: Int64] = [:]
        for sample in samples { tally[sample, default: 0] += 1 }
        self.init(dense: [], overflow: tally)
    }

    public mutating func merge(_ other: ExactHistogram) {
        var mergedValues: [UInt32] = [], mergedCounts: [Int64] = []
        mergedValues.reserveCapacity(values.count + other.values.count)
        var i = 0, j = 0
        while i < values.count || j < other.values.count {
            if j == other.values.count || (i < values.count && values[i] < other.values[j]) {
                mergedValues.append(values[i]); mergedCounts.append(counts[i]); i += 1
            } else if i == values.count || other.values[j] < values[i] {
                mergedValues.append(other.values[j]); mergedCounts.append(other.counts[j]); j += 1
            } else {
                mergedValues.append(values[i]); mergedCounts.append(counts[i] + other.counts[j]); i += 1; j += 1
            }
        }
        values = mergedValues
        counts = mergedCounts
        total += other.total
    }

    /// Nearest-rank percentile: the smallest value with at least ⌈n·percent/100⌉ samples at or below it
    /// (integer arithmetic, so p90 of ten samples is the 9th, never the 10th by a rounding accident).
    public func percentile(_ percent: Int) -> UInt32? {
        guard total > 0 else { return nil }
        let rank = max(1, (Int64(percent) * total + 99) / 100)
        var seen: Int64 = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return values[index] }
        }
        return values.last
    }
}
