/// How the x axis of a quality curve measures "how much of the strong model was used".
public enum QualityAxis: String, Sendable, CaseIterable, Codable {
    /// Share of calls sent to the strong model (RouteLLM's axis).
    case perCall = "per_call"
    /// Share of the extra spend: (cost − all-weak cost) / (all-strong cost − all-weak cost). A router that sends
    /// long prompts to the strong model moves fast along this axis.
    case perDollar = "per_dollar"
}

/// The router-quality metrics on one axis. Every value is nil when it is undefined, with the reason.
public struct AxisMetrics: Sendable, Equatable {
    /// Exact area under the PGR curve (ties by expectation).
    public var apgr: Double?
    /// RouteLLM's variant: 11 thresholds at the score deciles, trapezoids between them.
    public var apgrDeciles: Double?
    /// Axis position where PGR first reaches 50 % / 80 % (linear between thresholds).
    public var cpt50: Double?
    public var cpt80: Double?
    /// RouterBench's AIQ: mean quality under the non-decreasing convex hull over the cost range.
    public var aiq: Double?
    /// 0.5 + 0.5 · (area − random area) / (oracle area − random area): random 0.5, oracle 1.0.
    public var arqgc: Double?
    /// The oracle's APGR on this axis (the ceiling; above 1 when the weak model sometimes wins).
    public var oracleAPGR: Double?
    public var notes: [String] = []

    public init(apgr: Double? = nil, apgrDeciles: Double? = nil, cpt50: Double? = nil, cpt80: Double? = nil,
                aiq: Double? = nil, arqgc: Double? = nil, oracleAPGR: Double? = nil, notes: [String] = []) {
        self.apgr = apgr
        self.apgrDeciles = apgrDeciles
        self.cpt50 = cpt50
        self.cpt80 = cpt80
        self.aiq = aiq
        self.arqgc = arqgc
        self.oracleAPGR = oracleAPGR
        self.notes = notes
    }
}

public struct QualityEvaluation: Sendable, Equatable {
    public var prompts: Int
    public var weakQuality: Double
    public var strongQuality: Double
    /// Mean quality of the oracle with unlimited strong calls (each prompt on its better model).
    public var oracleQuality: Double
    /// Whether PGR is defined: the strong model must beat the weak one by `RouterQuality.minimumGap`.
    public var pgrDefined: Bool
    public var perCall: AxisMetrics
    public var perDollar: AxisMetrics
    public var curve: SweepCurve
}

public enum RouterQuality {
    /// PGR divides by (strong − weak quality); below this gap (on the 0...1 scale) the ratio is noise, and a
    /// negative gap means the pricier model is not the better one: PGR-based metrics are then undefined.
    public static let minimumGap = 0.01

    public static func evaluate(_ sample: RoutingSample) -> QualityEvaluation {
        let curve = ThresholdSweep.sweep(sample)
        let n = Double(max(sample.count, 1))
        let weak = curve.totals.weakQuality / n
        let strong = curve.totals.strongQuality / n
        let oracle = zip(sample.strongQuality, sample.weakQuality).reduce(0.0) { $0 + max($1.0, $1.1) } / n
        let pgrDefined = sample.count > 0 && strong - weak >= minimumGap
        let oracleCall = ThresholdSweep.sweep(sample.rescored(sample.trueGain))
        let oracleDollar = ThresholdSweep.sweep(sample.rescored(sample.trueGainPerCost))
        return QualityEvaluation(
            prompts: sample.count, weakQuality: weak, strongQuality: strong, oracleQuality: oracle, pgrDefined: pgrDefined,
            perCall: metrics(curve, oracle: oracleCall, axis: .perCall, pgrDefined: pgrDefined),
            perDollar: metrics(curve, oracle: oracleDollar, axis: .perDollar, pgrDefined: pgrDefined),
            curve: curve)
    }

    /// x position of every curve point on an axis, or nil when the axis has no extent.
    public static func positions(_ curve: SweepCurve, axis: QualityAxis) -> [Double]? {
        switch axis {
        case .perCall:
            let n = Double(curve.totals.prompts)
            return n > 0 ? curve.strongCalls.map { $0 / n } : nil
        case .perDollar:
            let span = curve.totals.strongCost - curve.totals.weakCost
            return span > 0 ? curve.extraCost.map { $0 / span } : nil
        }
    }

    /// Exact area under the mean-quality curve over the axis (trapezoids: the curve is straight between points).
    public static func area(_ curve: SweepCurve, x: [Double]) -> Double {
        var area = 0.0
        var previousY = curve.quality(at: 0)
        for k in 1..<curve.points {
            let y = curve.quality(at: k)
            area += (x[k] - x[k - 1]) * (y + previousY) / 2
            previousY = y
        }
        return area
    }

    static func metrics(_ curve: SweepCurve, oracle: SweepCurve, axis: QualityAxis, pgrDefined: Bool) -> AxisMetrics {
        var result = AxisMetrics()
        guard curve.totals.prompts > 0 else { result.notes.append("no prompts"); return result }
        guard let x = positions(curve, axis: axis), let oracleX = positions(oracle, axis: axis) else {
            result.notes.append("the strong model costs no more than the weak one: no per-dollar axis")
            return result
        }
        let n = Double(curve.totals.prompts)
        let weak = curve.totals.weakQuality / n, strong = curve.totals.strongQuality / n
        let area = RouterQuality.area(curve, x: x)
        let oracleArea = RouterQuality.area(oracle, x: oracleX)
        let randomArea = (weak + strong) / 2
        if oracleArea - randomArea > 1e-12 {
            result.arqgc = 0.5 + 0.5 * (area - randomArea) / (oracleArea - randomArea)
        } else {
            result.notes.append("ARQGC undefined: the oracle is no better than random")
        }
        result.aiq = aiq(curve, axis: axis, x: x)
        guard pgrDefined else {
            result.notes.append(strong <= weak
                ? "PGR-based metrics undefined: the strong model is not better on average (strong \(fmt(strong)) vs weak \(fmt(weak)))"
                : "PGR-based metrics undefined: the quality gap \(fmt(strong - weak)) is below \(minimumGap)")
            return result
        }
        let gap = strong - weak
        result.apgr = (area - weak) / gap
        result.oracleAPGR = (oracleArea - weak) / gap
        result.apgrDeciles = decileAPGR(curve, x: x, weak: weak, gap: gap)
        result.cpt50 = costToReach(0.5, curve, x: x, weak: weak, gap: gap)
        result.cpt80 = costToReach(0.8, curve, x: x, weak: weak, gap: gap)
        return result
    }

    /// First axis position where PGR reaches `target`, linear between points; nil when it never does.
    static func costToReach(_ target: Double, _ curve: SweepCurve, x: [Double], weak: Double, gap: Double) -> Double? {
        var previous = (curve.quality(at: 0) - weak) / gap
        if previous >= target { return x[0] }
        for k in 1..<curve.points {
            let pgr = (curve.quality(at: k) - weak) / gap
            if pgr >= target {
                return x[k - 1] + (target - previous) / (pgr - previous) * (x[k] - x[k - 1])
            }
            previous = pgr
        }
        return nil
    }

    /// RouteLLM's APGR: thresholds at the 0, 10, …, 100 % quantiles of the scores (linear interpolation, as
    /// `pandas.qcut` bins them), "score ≥ t" for all but the top one, "score > t" for it; trapezoids over the
    /// resulting points sorted by axis position, normalised by the span they cover.
    static func decileAPGR(_ curve: SweepCurve, x: [Double], weak: Double, gap: Double) -> Double? {
        let n = curve.totals.prompts
        var points: [(x: Double, y: Double)] = []
        for decile in 0...10 {
            let h = Double(n - 1) * Double(decile) / 10
            let lowRank = Int(h.rounded(.down))
            let low = scoreAtAscendingRank(lowRank, curve)
            let high = lowRank + 1 < n ? scoreAtAscendingRank(lowRank + 1, curve) : low
            let threshold = low + (h - Double(lowRank)) * (high - low)
            let k = curve.point(threshold: threshold, strictly: decile == 10)
            points.append((x[k], curve.quality(at: k)))
        }
        points.sort { $0.x < $1.x }
        let span = points.last!.x - points.first!.x
        guard span > 0 else { return nil }
        var area = 0.0
        for i in 1..<points.count { area += (points[i].x - points[i - 1].x) * (points[i].y + points[i - 1].y) / 2 }
        return (area - weak * span) / (gap * span)
    }

    static func scoreAtAscendingRank(_ rank: Int, _ curve: SweepCurve) -> Double {
        let descendingRank = Double(curve.totals.prompts - 1 - rank)
        // first point k whose running count exceeds the rank: the rank is in group k − 1.
        var low = 1, high = curve.points - 1
        while low < high {
            let mid = (low + high) / 2
            if curve.strongCalls[mid] > descendingRank { high = mid } else { low = mid + 1 }
        }
        return curve.thresholds[low - 1]
    }

    /// RouterBench's AIQ: the upper convex hull of the (cost, quality) points made non-decreasing, integrated
    /// over the cost range and divided by it. Cost is the strong share per call, dollars per request per dollar.
    static func aiq(_ curve: SweepCurve, axis: QualityAxis, x: [Double]) -> Double? {
        var points: [(c: Double, q: Double)] = (0..<curve.points).map { k in
            (axis == .perCall ? x[k] : curve.cost(at: k), curve.quality(at: k))
        }
        if zip(points, points.dropFirst()).contains(where: { $0.c > $1.c }) {
            points.sort { $0.c < $1.c || ($0.c == $1.c && $0.q < $1.q) }
        }
        guard let first = points.first, let last = points.last, last.c > first.c else { return nil }
        var hull: [(c: Double, q: Double)] = []
        for point in points {
            while hull.count >= 2 {
                let a = hull[hull.count - 2], b = hull[hull.count - 1]
                // Drop b when it lies on or below the segment a → point (keeps the upper hull).
                if (b.c - a.c) * (point.q - a.q) - (b.q - a.q) * (point.c - a.c) >= 0 { hull.removeLast() } else { break }
            }
            if let top = hull.last, top.c == point.c { hull[hull.count - 1].q = max(top.q, point.q) } else { hull.append(point) }
        }
        var area = 0.0
        var best = hull[0].q
        for i in 1..<hull.count {
            let a = hull[i - 1], b = hull[i]
            let qa = max(a.q, best)
            let qb = max(b.q, qa)
            area += (b.c - a.c) * (qa + qb) / 2
            best = qb
        }
        return area / (last.c - first.c)
    }

    static func fmt(_ value: Double) -> String { String(format: "%.4f", value) }
}
