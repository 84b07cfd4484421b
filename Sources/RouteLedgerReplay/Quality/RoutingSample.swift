/// The per-prompt inputs of a quality replay, as columns: the router's score, what each model's answer is
/// worth (0...1), what each model's call would cost, and the prompt's tokens.
///
/// A router sends a prompt to the strong model when its score is at or above the threshold, so a higher score
/// means "more worth the strong model".
public struct RoutingSample: Sendable, Equatable {
    public var scores: [Double]
    public var strongQuality: [Double]
    public var weakQuality: [Double]
    /// USD per request on each model (or another cost unit; see `CostBasis`).
    public var strongCost: [Double]
    public var weakCost: [Double]
    public var tokens: [Double]

    public init(scores: [Double], strongQuality: [Double], weakQuality: [Double],
                strongCost: [Double], weakCost: [Double], tokens: [Double]) {
        precondition(Set([scores.count, strongQuality.count, weakQuality.count, strongCost.count, weakCost.count,
                          tokens.count]).count == 1, "RoutingSample columns must have one length")
        self.scores = scores
        self.strongQuality = strongQuality
        self.weakQuality = weakQuality
        self.strongCost = strongCost
        self.weakCost = weakCost
        self.tokens = tokens
    }

    public var count: Int { scores.count }

    /// The same prompts routed by another score.
    public func rescored(_ newScores: [Double]) -> RoutingSample {
        var copy = self
        precondition(newScores.count == count)
        copy.scores = newScores
        return copy
    }

    /// The rows at `indices`, in that order (repeats allowed: bootstrap resamples).
    public func subset(_ indices: [Int]) -> RoutingSample {
        RoutingSample(scores: indices.map { scores[$0] }, strongQuality: indices.map { strongQuality[$0] },
                      weakQuality: indices.map { weakQuality[$0] }, strongCost: indices.map { strongCost[$0] },
                      weakCost: indices.map { weakCost[$0] }, tokens: indices.map { tokens[$0] })
    }

    /// The oracle's score per call: what the strong model adds on this prompt.
    public var trueGain: [Double] { zip(strongQuality, weakQuality).map { $0 - $1 } }

    /// The oracle's score per dollar: quality added per extra unit of cost. A prompt on which the strong model
    /// is no dearer comes first when it helps and last when it hurts.
    public var trueGainPerCost: [Double] {
        (0..<count).map { index in
            let gain = strongQuality[index] - weakQuality[index]
            let extra = strongCost[index] - weakCost[index]
            if extra > 0 { return gain / extra }
            return gain >= 0 ? Double.greatestFiniteMagnitude : -Double.greatestFiniteMagnitude
        }
    }
}

/// What the cost columns of a sample are measured in.
public enum CostBasis: String, Sendable, Codable, Equatable {
    /// Catalog prices of the router's two models at its observed token mix.
    case usd
    /// No prices available: the strong call costs its input tokens and the weak call nothing, so the
    /// "per dollar" axis is the strong model's share of tokens.
    case tokens
}
