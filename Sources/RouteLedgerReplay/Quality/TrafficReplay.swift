import Foundation
import RouteLedgerModel

/// The prompt text of a stored request body: the strings a model reads (Converse / Messages `text` and
/// `content`, `system`, Titan `inputText`, plain `prompt`), in document order. Not the JSON syntax, not
/// the inference settings.
public enum PromptText {
    static let textKeys: Set<String> = ["text", "content", "prompt", "inputText", "system", "input"]

    public static func extract(fromBody body: String) -> String {
        guard let data = body.data(using: .utf8),
              let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return body }
        var parts: [String] = []
        func walk(_ value: Any, underTextKey: Bool) {
            switch value {
            case let string as String where underTextKey: parts.append(string)
            case let array as [Any]: for item in array { walk(item, underTextKey: underTextKey) }
            case let object as [String: Any]:
                for key in object.keys.sorted() { walk(object[key]!, underTextKey: textKeys.contains(key) || (underTextKey && key == "text")) }
            default: break
            }
        }
        walk(root, underTextKey: false)
        return parts.joined(separator: "\n")
    }
}

/// One real request of a router, as the ledger kept it.
public struct TrafficRequest: Sendable, Equatable {
    public var id: String
    /// Whether the router actually chose the strong model (nil when the choice was not logged).
    public var servedStrong: Bool?
    public var tokens: TokenCounts
    public var text: String?

    public init(id: String, servedStrong: Bool?, tokens: TokenCounts, text: String?) {
        self.id = id
        self.servedStrong = servedStrong
        self.tokens = tokens
        self.text = text
    }
}

public struct TrafficReplayResult: Sendable, Equatable {
    public var router: String
    public var requests: Int
    /// Requests replayed: a kept prompt and priced on both models.
    public var replayed: Int
    public var withoutText: Int
    public var unpriced: Int
    /// The router's own split and cost on the replayed requests.
    public var observed: OperatingPoint?
    /// Predicted quality and real cost at 0 %, 1 %, … 100 % strong.
    public var frontier: [FrontierPoint]
    /// The recommended threshold applied to these requests.
    public var atThreshold: OperatingPoint?
    public var threshold: Double?
    public var notes: [String]
}

/// Re-decides a router's real requests with a saved predictor: each request's prompt (kept at ingest) gets a
/// score; each request is priced on both models with its own tokens. Quality here is the predictor's
/// expectation, not a measurement: the ledger has no grades.
public enum TrafficReplay {
    /// `heldOut`: out-of-fold predictions by request id. A request that is also a labelled prompt is scored by
    /// the model that did not train on it, never in-sample.
    public static func run(router: String, requests: [TrafficRequest], predictor: QualityPredictor, strong: TierMix,
                           cheap: TierMix, threshold: Double?,
                           heldOut: [String: (strong: Double, weak: Double)] = [:]) -> TrafficReplayResult {
        var scores: [Double] = [], strongQ: [Double] = [], weakQ: [Double] = [], strongC: [Double] = [], weakC: [Double] = [], tokens: [Double] = []
        var served: [Bool?] = []
        var withoutText = 0, unpriced = 0
        for request in requests {
            guard let text = request.text else { withoutText += 1; continue }
            guard let strongPrices = strong.prices, let cheapPrices = cheap.prices,
                  let strongCost = strongPrices.cost(of: request.tokens), let cheapCost = cheapPrices.cost(of: request.tokens) else {
                unpriced += 1
                continue
            }
            let prediction = heldOut[request.id] ?? predictor.predict(text: text, inputTokens: Int(request.tokens.input))
            scores.append(prediction.strong - prediction.weak)
            strongQ.append(prediction.strong)
            weakQ.append(prediction.weak)
            strongC.append(strongCost)
            weakC.append(cheapCost)
            tokens.append(Double(request.tokens.input))
            served.append(request.servedStrong)
        }
        var notes = ["the ledger has no grades: quality here is the predictor's own estimate, optimistic once routing selects on it (reports quote the labelled frontier's quality at the same strong share); each request is priced on both models with its own logged tokens, so a different output length on the other model is not modelled"]
        let outOfFold = requests.filter { heldOut[$0.id] != nil && $0.text != nil }.count
        if outOfFold > 0 { notes.append("\(outOfFold) requests are labelled prompts too and are scored out of fold") }
        if withoutText > 0 { notes.append("\(withoutText) requests have no kept prompt (ingest with --keep-bodies) and are left out") }
        if unpriced > 0 { notes.append("\(unpriced) requests are unpriced on \(strong.model) or \(cheap.model) and are left out") }
        guard !scores.isEmpty else {
            return TrafficReplayResult(router: router, requests: requests.count, replayed: 0, withoutText: withoutText, unpriced: unpriced,
                                       observed: nil, frontier: [], atThreshold: nil, threshold: threshold, notes: notes)
        }
        let sample = RoutingSample(scores: scores, strongQuality: strongQ, weakQuality: weakQ, strongCost: strongC, weakCost: weakC, tokens: tokens)
        let evaluation = RouterQuality.evaluate(sample)
        let frontier = (0...100).map { ReplayAnalysis.frontierPoint(evaluation, share: Double($0) / 100, observedCostPer1k: nil) }
        // The router's own decisions as a "score": 1 where it chose strong, 0 where cheap.
        var observed: OperatingPoint?
        if served.allSatisfy({ $0 != nil }) {
            observed = Recommender.evaluate(sample.rescored(served.map { $0! ? 1 : 0 }), threshold: 0.5)
        } else {
            notes.append("the router's choice is not logged for every request: no observed point")
        }
        return TrafficReplayResult(router: router, requests: requests.count, replayed: scores.count, withoutText: withoutText,
                                   unpriced: unpriced, observed: observed, frontier: frontier,
                                   atThreshold: threshold.map { Recommender.evaluate(sample, threshold: $0) }, threshold: threshold,
                                   notes: notes)
    }
}
