import Foundation

/// What a recommendation optimises for, as `--target KIND=VALUE` says it.
public enum RecommendationTarget: Sendable, Equatable, CustomStringConvertible {
    /// Keep at least this fraction of all-strong quality, as cheaply as possible.
    case quality(Double)
    /// Recover at least this share of the strong–weak quality gap, as cheaply as possible.
    case pgr(Double)
    /// Send at most this share of calls to the strong model, with the best quality.
    case strongShare(Double)
    /// Save at least this fraction of the all-strong cost, with the best quality.
    case savings(Double)

    public static func parse(_ text: String) throws -> RecommendationTarget {
        let parts = text.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let raw = Double(parts[1].hasSuffix("%") ? String(parts[1].dropLast()) : parts[1]), raw.isFinite else {
            throw ReplayError("--target takes KIND=VALUE (quality=0.95, pgr=0.8, strong-share=0.3 or savings=0.4), got \"\(text)\"")
        }
        let value = parts[1].hasSuffix("%") ? raw / 100 : raw
        guard (0...1).contains(value) else { throw ReplayError("--target value must be within 0...1 (or 0%...100%), got \(parts[1])") }
        switch parts[0] {
        case "quality": return .quality(value)
        case "pgr": return .pgr(value)
        case "strong-share", "strong_share": return .strongShare(value)
        case "savings": return .savings(value)
        default: throw ReplayError("--target kind must be quality, pgr, strong-share or savings, got \"\(parts[0])\"")
        }
    }

    public var kind: String {
        switch self {
        case .quality: return "quality"
        case .pgr: return "pgr"
        case .strongShare: return "strong-share"
        case .savings: return "savings"
        }
    }
    public var value: Double {
        switch self {
        case .quality(let v), .pgr(let v), .strongShare(let v), .savings(let v): return v
        }
    }
    public var description: String { "\(kind)=\(String(format: "%g", value))" }
}

/// A routing setting's outcome on a set of prompts.
public struct OperatingPoint: Sendable, Equatable {
    public var prompts: Int
    public var strongShare: Double
    public var quality: Double
    /// quality / all-strong quality of the same prompts.
    public var qualityVsAllStrong: Double?
    public var pgr: Double?
    /// Cost per 1,000 requests in the sample's cost basis.
    public var costPer1k: Double
    public var savingsVsAllStrong: Double?
    /// Bootstrap 95 % intervals (2.5th and 97.5th percentiles), keyed by field name.
    public var intervals: [String: ClosedRange<Double>] = [:]
}

/// Bedrock Intelligent Prompt Routing's one knob for the same decision.
public struct BedrockSetting: Sendable, Equatable {
    public enum Fallback: String, Sendable { case strong, cheap }
    public var fallback: Fallback
    /// `routingCriteria.responseQualityDifference`, in percent (0...100), or nil when it cannot be derived.
    public var responseQualityDifference: Double?
    public var meaning: String
    public var holdout: OperatingPoint?
    public var notes: [String] = []
}

public struct Recommendation: Sendable, Equatable {
    public var target: RecommendationTarget
    /// Route to the strong model when score ≥ threshold; +∞ = never, −∞ = always.
    public var threshold: Double
    public var calibration: OperatingPoint
    public var holdout: OperatingPoint
    /// Whether the hold-out half meets the target at the point estimate.
    public var targetMetOnHoldout: Bool
    public var targetMetOnCalibration: Bool
    public var bedrock: [BedrockSetting]
    public var bootstrapResamples: Int
    public var notes: [String]
}

public enum Recommender {
    public struct Options: Sendable {
        public var seed: UInt64
        public var bootstrapResamples: Int
        public init(seed: UInt64 = 0, bootstrapResamples: Int = 1000) {
            self.seed = seed
            self.bootstrapResamples = bootstrapResamples
        }
    }

    /// Calibrates on one half of the prompts (a seeded split) and reports how the setting holds on the other.
    /// `predictions` (each prompt's predicted strong and weak quality) are needed for Bedrock's relative knob.
    public static func recommend(_ sample: RoutingSample, target: RecommendationTarget,
                                 predictions: [(strong: Double, weak: Double)]? = nil,
                                 options: Options = Options()) -> Recommendation {
        let (calibrationRows, holdoutRows) = split(sample.count, seed: options.seed)
        let calibration = sample.subset(calibrationRows)
        let holdout = sample.subset(holdoutRows)
        var notes: [String] = ["calibrated on \(calibrationRows.count) prompts, held out \(holdoutRows.count) (seeded split, seed \(options.seed))"]

        let (threshold, reached) = calibrate(calibration, target: target)
        if !reached { notes.append("the target is not reachable on the calibration half; the closest setting is shown") }
        let calibrationPoint = evaluate(calibration, threshold: threshold)
        var holdoutPoint = evaluate(holdout, threshold: threshold)
        holdoutPoint.intervals = bootstrap(holdout, threshold: threshold, resamples: options.bootstrapResamples, seed: options.seed)

        var bedrock: [BedrockSetting] = []
        for fallback in [BedrockSetting.Fallback.strong, .cheap] {
            bedrock.append(bedrockSetting(fallback: fallback, sample: sample, calibrationRows: calibrationRows,
                                          holdoutRows: holdoutRows, predictions: predictions, target: target))
        }
        return Recommendation(target: target, threshold: threshold, calibration: calibrationPoint, holdout: holdoutPoint,
                              targetMetOnHoldout: meets(holdoutPoint, target), targetMetOnCalibration: reached,
                              bedrock: bedrock, bootstrapResamples: options.bootstrapResamples, notes: notes)
    }

    /// A seeded half split (Fisher–Yates with SplitMix64); both halves keep the input order.
    public static func split(_ count: Int, seed: UInt64) -> (calibration: [Int], holdout: [Int]) {
        var generator = SplitMix64(seed: seed ^ 0x5EED_CA11_B8A7_E000)
        var order = Array(0..<count)
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        let half = (count + 1) / 2
        return (order[..<half].sorted(), order[half...].sorted())
    }

    /// The realizable threshold (a midpoint between two adjacent group scores) that meets the target best on
    /// these prompts, and whether any threshold meets it.
    public static func calibrate(_ sample: RoutingSample, target: RecommendationTarget) -> (threshold: Double, reached: Bool) {
        let curve = ThresholdSweep.sweep(sample)
        guard curve.totals.prompts > 0 else { return (.infinity, false) }
        let n = Double(curve.totals.prompts)
        let strong = curve.totals.strongQuality / n, weak = curve.totals.weakQuality / n
        let allStrongCost = curve.totals.strongCost / n
        func meets(_ k: Int) -> Bool {
            let q = curve.quality(at: k), c = curve.cost(at: k)
            switch target {
            case .quality(let f): return q >= f * strong - 1e-12
            case .pgr(let p): return strong - weak >= RouterQuality.minimumGap && (q - weak) / (strong - weak) >= p - 1e-12
            case .strongShare(let s): return curve.strongCalls[k] / n <= s + 1e-12
            case .savings(let v): return allStrongCost > 0 && 1 - c / allStrongCost >= v - 1e-12
            }
        }
        let candidates = (0..<curve.points).filter(meets)
        let chosen: Int
        let reached = !candidates.isEmpty
        switch target {
        case .quality, .pgr:
            // cheapest point that meets it; otherwise the best quality there is
            chosen = candidates.min { (curve.cost(at: $0), $0) < (curve.cost(at: $1), $1) }
                ?? (0..<curve.points).max { (curve.quality(at: $0), -$0) < (curve.quality(at: $1), -$1) }!
        case .strongShare, .savings:
            chosen = candidates.max { (curve.quality(at: $0), -curve.cost(at: $0), -$0) < (curve.quality(at: $1), -curve.cost(at: $1), -$1) } ?? 0
        }
        return (threshold(curve, point: chosen), reached)
    }

    /// The threshold that reproduces point k: halfway between the last group taken and the next one.
    static func threshold(_ curve: SweepCurve, point k: Int) -> Double {
        if k == 0 { return .infinity }
        if k == curve.thresholds.count { return -.infinity }
        return (curve.thresholds[k - 1] + curve.thresholds[k]) / 2
    }

    public static func evaluate(_ sample: RoutingSample, threshold: Double) -> OperatingPoint {
        let n = sample.count
        var strongCalls = 0, quality = 0.0, cost = 0.0, strongQuality = 0.0, weakQuality = 0.0, strongCost = 0.0
        for i in 0..<n {
            let toStrong = sample.scores[i] >= threshold
            strongCalls += toStrong ? 1 : 0
            quality += toStrong ? sample.strongQuality[i] : sample.weakQuality[i]
            cost += toStrong ? sample.strongCost[i] : sample.weakCost[i]
            strongQuality += sample.strongQuality[i]
            weakQuality += sample.weakQuality[i]
            strongCost += sample.strongCost[i]
        }
        let count = Double(max(n, 1))
        let gap = (strongQuality - weakQuality) / count
        return OperatingPoint(
            prompts: n, strongShare: Double(strongCalls) / count, quality: quality / count,
            qualityVsAllStrong: strongQuality > 0 ? quality / strongQuality : nil,
            pgr: gap >= RouterQuality.minimumGap ? (quality - weakQuality) / count / gap : nil,
            costPer1k: cost / count * 1000, savingsVsAllStrong: strongCost > 0 ? 1 - cost / strongCost : nil)
    }

    static func meets(_ point: OperatingPoint, _ target: RecommendationTarget) -> Bool {
        switch target {
        case .quality(let f): return (point.qualityVsAllStrong ?? 0) >= f - 1e-12
        case .pgr(let p): return (point.pgr ?? -.infinity) >= p - 1e-12
        case .strongShare(let s): return point.strongShare <= s + 1e-12
        case .savings(let v): return (point.savingsVsAllStrong ?? -.infinity) >= v - 1e-12
        }
    }

    /// Percentile bootstrap over prompts at a fixed threshold: 95 % intervals of the hold-out figures.
    static func bootstrap(_ sample: RoutingSample, threshold: Double, resamples: Int, seed: UInt64) -> [String: ClosedRange<Double>] {
        let n = sample.count
        guard n > 1, resamples > 0 else { return [:] }
        var generator = SplitMix64(seed: seed ^ 0xB007_57A9)
        var columns: [String: [Double]] = ["quality": [], "cost_per_1k": [], "strong_share": [], "quality_vs_all_strong": [], "pgr": []]
        let routedQuality = (0..<n).map { sample.scores[$0] >= threshold ? sample.strongQuality[$0] : sample.weakQuality[$0] }
        let routedCost = (0..<n).map { sample.scores[$0] >= threshold ? sample.strongCost[$0] : sample.weakCost[$0] }
        for _ in 0..<resamples {
            var q = 0.0, c = 0.0, s = 0.0, sq = 0.0, wq = 0.0
            for _ in 0..<n {
                let i = Int(generator.next() % UInt64(n))
                q += routedQuality[i]
                c += routedCost[i]
                s += sample.scores[i] >= threshold ? 1 : 0
                sq += sample.strongQuality[i]
                wq += sample.weakQuality[i]
            }
            let count = Double(n)
            columns["quality"]!.append(q / count)
            columns["cost_per_1k"]!.append(c / count * 1000)
            columns["strong_share"]!.append(s / count)
            if sq > 0 { columns["quality_vs_all_strong"]!.append(q / sq) }
            if (sq - wq) / count >= RouterQuality.minimumGap { columns["pgr"]!.append((q - wq) / (sq - wq)) }
        }
        var intervals: [String: ClosedRange<Double>] = [:]
        for (name, values) in columns where values.count >= resamples / 2 {
            let sorted = values.sorted()
            func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))] }
            intervals[name] = at(0.025)...at(0.975)
        }
        return intervals
    }

    static func bedrockSetting(fallback: BedrockSetting.Fallback, sample: RoutingSample, calibrationRows: [Int],
                               holdoutRows: [Int], predictions: [(strong: Double, weak: Double)]?,
                               target: RecommendationTarget) -> BedrockSetting {
        let meaning: String
        switch fallback {
        case .strong:
            meaning = "fallback = the strong model: Bedrock answers with the cheap model when its predicted quality is at most this many percent below the strong model's, else with the strong model"
        case .cheap:
            meaning = "fallback = the cheap model: Bedrock answers with the strong model only when its predicted quality is at least this many percent above the cheap model's"
        }
        guard let predictions, predictions.count == sample.count else {
            return BedrockSetting(fallback: fallback, responseQualityDifference: nil, meaning: meaning, holdout: nil,
                                  notes: ["needs each prompt's predicted quality on both models; a single score column gives only their difference"])
        }
        // Bedrock compares the two predictions relative to the fallback's: route by that relative difference.
        let relative = predictions.map { p -> Double in
            let base = fallback == .strong ? p.strong : p.weak
            return base > 1e-9 ? (p.strong - p.weak) / base : (p.strong - p.weak) * 1e9
        }
        let scored = sample.rescored(relative)
        let (threshold, _) = calibrate(scored.subset(calibrationRows), target: target)
        var notes: [String] = []
        var percent: Double
        if threshold == .infinity { percent = 100 } else if threshold == -.infinity { percent = 0 } else { percent = threshold * 100 }
        if percent < 0 { notes.append("the setting would need a negative difference; clamped to 0 (Bedrock's minimum)"); percent = 0 }
        if percent > 100 { notes.append("the setting would need more than 100 %; clamped to 100 (Bedrock's maximum)"); percent = 100 }
        let applied = percent / 100
        var holdout = evaluate(scored.subset(holdoutRows), threshold: applied)
        holdout.intervals = [:]
        return BedrockSetting(fallback: fallback, responseQualityDifference: (percent * 100).rounded() / 100, meaning: meaning,
                              holdout: holdout, notes: notes)
    }
}
