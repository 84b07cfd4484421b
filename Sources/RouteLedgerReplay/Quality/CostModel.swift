import RouteLedgerModel

/// One tier of a router as its traffic shows it: the model, where it ran, its prices, and the mean tokens of
/// one of its calls.
public struct TierMix: Sendable, Equatable {
    public var model: String
    public var region: String?
    public var calls: Int
    public var meanInputTokens: Double
    public var meanOutputTokens: Double
    public var meanCacheReadTokens: Double
    public var meanCacheWriteTokens: Double
    /// nil when the catalog has no complete price for a token kind this tier uses.
    public var prices: TokenPrices?

    public init(model: String, region: String? = nil, calls: Int = 0, meanInputTokens: Double = 0,
                meanOutputTokens: Double = 0, meanCacheReadTokens: Double = 0, meanCacheWriteTokens: Double = 0,
                prices: TokenPrices?) {
        self.model = model
        self.region = region
        self.calls = calls
        self.meanInputTokens = meanInputTokens
        self.meanOutputTokens = meanOutputTokens
        self.meanCacheReadTokens = meanCacheReadTokens
        self.meanCacheWriteTokens = meanCacheWriteTokens
        self.prices = prices
    }

    /// USD of one call with `inputTokens` of input and this tier's mean output and cache tokens; nil when a
    /// token kind in use has no price (unpriced is never $0).
    public func cost(inputTokens: Double) -> Double? {
        guard let prices else { return nil }
        var total = 0.0
        for (tokens, price) in [(inputTokens, prices.input), (meanOutputTokens, prices.output),
                                (meanCacheReadTokens, prices.cacheRead), (meanCacheWriteTokens, prices.cacheWrite)] {
            if tokens == 0 { continue }
            guard let price else { return nil }
            total += tokens * price / 1_000_000
        }
        return total
    }
}

/// A router's real traffic in the replay window: the mix the labelled prompts are priced at.
public struct TrafficMix: Sendable, Equatable {
    public var router: String
    public var strong: TierMix
    public var cheap: TierMix
    /// Share of the window's resolved calls that the router sent to the strong model.
    public var observedStrongShare: Double?
    /// The window's actual cost per 1,000 requests (priced calls only).
    public var observedCostPer1k: Double?
    public var requests: Int

    public init(router: String, strong: TierMix, cheap: TierMix, observedStrongShare: Double?, observedCostPer1k: Double?,
                requests: Int) {
        self.router = router
        self.strong = strong
        self.cheap = cheap
        self.observedStrongShare = observedStrongShare
        self.observedCostPer1k = observedCostPer1k
        self.requests = requests
    }
}

/// Prices labelled prompts. Each prompt keeps its own length relative to the others, scaled so that the
/// labelled set's mean input matches the router's real mean input; output and cache tokens are the tier's
/// real means. Without traffic the cost is the prompt's input tokens on the strong model and 0 on the weak
/// one (`CostBasis.tokens`): per-dollar metrics then read "per token".
public enum CostModel {
    public struct Priced: Sendable, Equatable {
        public var strongCost: [Double]
        public var weakCost: [Double]
        public var tokens: [Double]
        public var basis: CostBasis
        /// The input-token multiplier applied to the labels (real mean / labelled mean).
        public var inputScale: Double
        public var notes: [String]
    }

    public static func price(_ prompts: [LabeledPrompt], mix: TrafficMix?) -> Priced {
        let known = prompts.compactMap(\.inputTokens)
        let labelledMean = known.isEmpty ? 0 : Double(known.reduce(0, +)) / Double(known.count)
        let tokens = prompts.map { prompt -> Double in
            if let tokens = prompt.inputTokens { return Double(tokens) }
            if let text = prompt.text { return Double((text.utf8.count + 3) / 4) }
            return labelledMean
        }
        var notes: [String] = []
        guard let mix else {
            notes.append("no router traffic: costs are input tokens on the strong model and 0 on the weak one, so per-dollar metrics are per token")
            return Priced(strongCost: tokens, weakCost: tokens.map { _ in 0 }, tokens: tokens, basis: .tokens, inputScale: 1, notes: notes)
        }
        let tokenMean = tokens.isEmpty ? 0 : tokens.reduce(0, +) / Double(tokens.count)
        func scale(_ tier: TierMix) -> Double { tokenMean > 0 && tier.meanInputTokens > 0 ? tier.meanInputTokens / tokenMean : 1 }
        let strongScale = scale(mix.strong), cheapScale = scale(mix.cheap)
        let strong = tokens.map { mix.strong.cost(inputTokens: $0 * strongScale) }
        let weak = tokens.map { mix.cheap.cost(inputTokens: $0 * cheapScale) }
        guard !strong.contains(where: { $0 == nil }), !weak.contains(where: { $0 == nil }) else {
            let unpriced = [mix.strong, mix.cheap].filter { $0.prices == nil || $0.cost(inputTokens: 1) == nil }.map(\.model)
            notes.append("unpriced: \(unpriced.joined(separator: ", ")); per-dollar metrics fall back to input tokens")
            return Priced(strongCost: tokens, weakCost: tokens.map { _ in 0 }, tokens: tokens, basis: .tokens, inputScale: 1, notes: notes)
        }
        notes.append(String(format: "labelled prompts priced at router %@'s mix: input scaled ×%.3f (strong) and ×%.3f (cheap) to its mean input, its mean output and cache tokens per call",
                            mix.router, strongScale, cheapScale))
        return Priced(strongCost: strong.map { $0! }, weakCost: weak.map { $0! }, tokens: tokens, basis: .usd,
                      inputScale: strongScale, notes: notes)
    }
}
