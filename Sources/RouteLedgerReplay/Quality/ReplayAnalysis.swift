import Foundation

/// One point of the cost–quality frontier, at a given share of calls on the strong model.
public struct FrontierPoint: Sendable, Equatable {
    public var strongShareCalls: Double
    public var strongShareTokens: Double
    /// The strong model's share of the spend at this setting.
    public var strongShareDollars: Double?
    /// The score threshold where this share cuts (nil at 0 %: nothing goes to the strong model).
    public var threshold: Double?
    public var quality: Double
    public var qualityVsAllStrong: Double?
    public var pgr: Double?
    public var costPer1k: Double
    public var savingsVsAllStrong: Double?
    public var savingsVsObserved: Double?
}

/// Where the router scores came from.
public enum ScoreOrigin: Sendable, Equatable {
    /// A column of the labels file (a router's own logged score).
    case column(String)
    /// The built-in predictor, k-fold out of fold.
    case crossFitted(folds: Int, seed: UInt64)
    /// A saved predictor applied to the prompts.
    case savedPredictor(String)

    public var description: String {
        switch self {
        case .column(let name): return "labels column \(name)"
        case .crossFitted(let folds, let seed): return "built-in predictor, \(folds)-fold out of fold (seed \(seed))"
        case .savedPredictor(let file): return "saved predictor \(file)"
        }
    }
}

public struct ReplayResult: Sendable, Equatable {
    public var labelsFile: String
    public var prompts: Int
    public var rejected: [ReplayInputIssue]
    public var scoreOrigin: ScoreOrigin
    public var costBasis: CostBasis
    public var costNotes: [String]
    public var mix: TrafficMix?
    public var evaluation: QualityEvaluation
    /// 0 %, 1 %, …, 100 % of calls on the strong model (ties by expectation).
    public var frontier: [FrontierPoint]
    /// The router's current setting priced the same way as the frontier: its own logged choices on the
    /// labelled prompts that are also ledger requests, else the frontier at its observed strong share.
    public var current: FrontierPoint?
    /// How `current` was found.
    public var currentBasis: String?
    public var recommendation: Recommendation?
    /// The router's real requests re-decided with the predictor, when their prompts were kept at ingest.
    public var trafficReplay: TrafficReplayResult?
}

public enum ReplayAnalysis {
    /// `observedChoices`: request id → whether the router chose the strong model, from the ledger.
    public static func run(labels: LabelSet, scores: [Double], predictions: [(strong: Double, weak: Double)]?,
                           origin: ScoreOrigin, mix: TrafficMix?, target: RecommendationTarget?,
                           observedChoices: [String: Bool] = [:],
                           options: Recommender.Options = .init()) throws -> ReplayResult {
        guard !labels.prompts.isEmpty else { throw ReplayError(file: labels.file, "no usable labelled prompts") }
        guard scores.count == labels.prompts.count else { throw ReplayError(file: labels.file, "one score per prompt is needed") }
        if let bad = scores.firstIndex(where: { !$0.isFinite }) {
            throw ReplayError(file: labels.file, line: labels.prompts[bad].line, "the router score is not a finite number")
        }
        let priced = CostModel.price(labels.prompts, mix: mix)
        let sample = RoutingSample(scores: scores, strongQuality: labels.prompts.map(\.strongScore),
                                   weakQuality: labels.prompts.map(\.weakScore), strongCost: priced.strongCost,
                                   weakCost: priced.weakCost, tokens: priced.tokens)
        let evaluation = RouterQuality.evaluate(sample)
        // The current setting, priced like every frontier point so that "savings vs observed" compares like with like.
        var current: FrontierPoint?
        var currentBasis: String?
        let matched = labels.prompts.indices.filter { observedChoices[labels.prompts[$0].id] != nil }
        if !matched.isEmpty {
            let choices = sample.subset(matched).rescored(matched.map { observedChoices[labels.prompts[$0].id]! ? 1 : 0 })
            let point = Recommender.evaluate(choices, threshold: 0.5)
            let strongTokens = matched.reduce(0.0) { $0 + (observedChoices[labels.prompts[$1].id]! ? sample.tokens[$1] : 0) }
            let allTokens = matched.reduce(0.0) { $0 + sample.tokens[$1] }
            let strongSpend = matched.reduce(0.0) { $0 + (observedChoices[labels.prompts[$1].id]! ? sample.strongCost[$1] : 0) }
            current = FrontierPoint(
                strongShareCalls: point.strongShare, strongShareTokens: allTokens > 0 ? strongTokens / allTokens : 0,
                strongShareDollars: point.costPer1k > 0 ? strongSpend / Double(matched.count) * 1000 / point.costPer1k : nil,
                threshold: nil, quality: point.quality, qualityVsAllStrong: point.qualityVsAllStrong, pgr: point.pgr,
                costPer1k: point.costPer1k, savingsVsAllStrong: point.savingsVsAllStrong, savingsVsObserved: 0)
            currentBasis = "the router's own logged choices on \(matched.count) of \(labels.prompts.count) labelled prompts (matched by request id)"
        } else if let share = mix?.observedStrongShare {
            current = frontierPoint(evaluation, share: share, observedCostPer1k: nil)
            current?.savingsVsObserved = 0
            currentBasis = "no labelled prompt is a ledger request: the frontier at the router's observed strong share"
        }
        let frontier = (0...100).map { percent in
            frontierPoint(evaluation, share: Double(percent) / 100, observedCostPer1k: current?.costPer1k)
        }
        let recommendation = target.map { Recommender.recommend(sample, target: $0, predictions: predictions, options: options) }
        return ReplayResult(labelsFile: labels.file, prompts: sample.count, rejected: labels.rejected, scoreOrigin: origin,
                            costBasis: priced.basis, costNotes: priced.notes, mix: mix, evaluation: evaluation,
                            frontier: frontier, current: current, currentBasis: currentBasis,
                            recommendation: recommendation, trafficReplay: nil)
    }

    /// The curve at a share of calls, interpolated inside the tie group the share cuts.
    public static func frontierPoint(_ evaluation: QualityEvaluation, share: Double, observedCostPer1k: Double?) -> FrontierPoint {
        let curve = evaluation.curve
        let n = Double(curve.totals.prompts)
        let target = min(max(share, 0), 1) * n
        var k = 1
        while k < curve.points - 1 && curve.strongCalls[k] < target { k += 1 }
        let lowCalls = curve.strongCalls[k - 1], highCalls = curve.strongCalls[k]
        let t = highCalls > lowCalls ? (target - lowCalls) / (highCalls - lowCalls) : 0
        func mix(_ column: [Double]) -> Double { column[k - 1] + t * (column[k] - column[k - 1]) }
        let gain = mix(curve.gain), extra = mix(curve.extraCost), spend = mix(curve.strongSpend), tokens = mix(curve.strongTokens)
        let quality = (curve.totals.weakQuality + gain) / n
        let cost = (curve.totals.weakCost + extra) / n
        let strong = curve.totals.strongQuality / n, weak = curve.totals.weakQuality / n
        let totalSpend = curve.totals.weakCost + extra
        return FrontierPoint(
            strongShareCalls: share,
            strongShareTokens: curve.totals.tokens > 0 ? tokens / curve.totals.tokens : 0,
            strongShareDollars: totalSpend > 0 ? spend / totalSpend : nil,
            threshold: target > 0 ? curve.thresholds[k - 1] : nil,
            quality: quality,
            qualityVsAllStrong: strong > 0 ? quality / strong : nil,
            pgr: evaluation.pgrDefined ? (quality - weak) / (strong - weak) : nil,
            costPer1k: cost * 1000,
            savingsVsAllStrong: curve.totals.strongCost > 0 ? 1 - cost * n / curve.totals.strongCost : nil,
            savingsVsObserved: observedCostPer1k.flatMap { $0 > 0 ? 1 - cost * 1000 / $0 : nil })
    }
}
