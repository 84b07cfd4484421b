import Foundation

/// Settings of the built-in quality predictor. The defaults are the ones the acceptance figures were measured with.
public struct PredictorOptions: Sendable, Codable, Equatable {
    /// Hashed n-gram buckets per head (1...2^26; a power of two is customary, not required).
    public var buckets: Int
    /// Adjacent-word bigrams besides unigrams.
    public var bigrams: Bool
    /// Passes over the training set (at least; see `minimumSteps`).
    public var epochs: Int
    /// Fewest example updates a training run makes: a small set gets ⌈minimumSteps / count⌉ passes when that is more
    /// than `epochs` (a few hundred prompts at 6 passes leave AdaGrad's weights far from converged).
    public var minimumSteps: Int
    /// AdaGrad base step.
    public var learningRate: Double
    /// L2 penalty per example on the weights that example touches (the bias is not penalised). Small: with
    /// normalised features and AdaGrad, the step size and the number of epochs do most of the regularising.
    public var l2: Double
    /// Seeds the per-epoch shuffle of the training examples.
    public var seed: UInt64

    public static let maxBuckets = 1 << 26

    public init(buckets: Int = 1 << 18, bigrams: Bool = true, epochs: Int = 6, minimumSteps: Int = 20_000,
                learningRate: Double = 0.03, l2: Double = 1e-5, seed: UInt64 = 0) {
        self.buckets = buckets
        self.bigrams = bigrams
        self.epochs = epochs
        self.minimumSteps = minimumSteps
        self.learningRate = learningRate
        self.l2 = l2
        self.seed = seed
    }
}

/// Predicts each model's quality (0...1) on a prompt from its text; the routing score is
/// predicted strong quality − predicted weak quality (higher → send to the strong model).
///
/// Two L2-regularised logistic regressions (soft labels in 0...1 under the logistic loss), one per model, over the
/// same features (see `FeatureHasher`), trained together by AdaGrad over a seeded shuffle. Two heads rather than one
/// model of the gain: a head sharing weights between the models, a 4-outcome softmax and a least-squares fit of the
/// gain were all tried and ranked no better. Dependency-free and deterministic: the same prompts and options give
/// bit-identical weights on every run. Parameters are kept as Float32 so that a saved and re-read predictor scores
/// exactly like the original.
public struct QualityPredictor: Sendable {
    public static let schema = "routeledger.predictor/1"

    public private(set) var options: PredictorOptions
    /// Training-set mean and 1/spread of each dense feature.
    var denseMean: [Float]
    var denseScale: [Float]
    /// Per head: [bias, dense weights…, hashed weights…].
    var strongWeights: [Float]
    var weakWeights: [Float]
    /// Prompts the predictor was trained on (informational).
    public private(set) var trainedOn: Int

    var hasher: FeatureHasher { FeatureHasher(buckets: options.buckets, bigrams: options.bigrams) }
    static func parameterCount(_ options: PredictorOptions) -> Int { 1 + FeatureHasher.denseCount + options.buckets }

    init(options: PredictorOptions, denseMean: [Float], denseScale: [Float], strongWeights: [Float],
         weakWeights: [Float], trainedOn: Int) {
        self.options = options
        self.denseMean = denseMean
        self.denseScale = denseScale
        self.strongWeights = strongWeights
        self.weakWeights = weakWeights
        self.trainedOn = trainedOn
    }

    static func normalized(_ options: PredictorOptions) -> PredictorOptions {
        var options = options
        options.buckets = min(max(1, options.buckets), PredictorOptions.maxBuckets)
        options.epochs = max(0, options.epochs)
        options.minimumSteps = min(max(0, options.minimumSteps), 100_000_000)
        return options
    }

    // MARK: - Training

    /// Trains on `prompts`; a prompt without text is trained on its length features only (as text "").
    public static func train(_ prompts: [LabeledPrompt], options: PredictorOptions = .init()) -> QualityPredictor {
        let options = normalized(options)
        let hasher = FeatureHasher(buckets: options.buckets, bigrams: options.bigrams)
        let features = prompts.map { hasher.features(text: $0.text ?? "", inputTokens: $0.inputTokens) }
        return fit(features, strong: prompts.map(\.strongScore), weak: prompts.map(\.weakScore),
                   rows: Array(prompts.indices), options: options)
    }

    /// Trains on `rows` of already featurised prompts (cross-fitting featurises once for all folds).
    static func fit(_ features: [PromptFeatures], strong: [Double], weak: [Double], rows: [Int],
                    options requested: PredictorOptions) -> QualityPredictor {
        let options = normalized(requested)
        let d = FeatureHasher.denseCount
        let count = parameterCount(options)
        let n = Double(max(1, rows.count))

        // Dense standardisation from the training rows.
        var mean = [Double](repeating: 0, count: d)
        var squares = [Double](repeating: 0, count: d)
        for r in rows {
            for k in 0..<d {
                let v = Double(features[r].dense[k])
                mean[k] += v
                squares[k] += v * v
            }
        }
        var denseMean = [Float](repeating: 0, count: d)
        var denseScale = [Float](repeating: 0, count: d)
        for k in 0..<d {
            let m = mean[k] / n
            let variance = max(0, squares[k] / n - m * m)
            denseMean[k] = Float(m)
            denseScale[k] = variance > 1e-12 ? Float(1 / variance.squareRoot()) : 0
        }
        var model = QualityPredictor(options: options, denseMean: denseMean, denseScale: denseScale,
                                     strongWeights: [], weakWeights: [], trainedOn: rows.count)
        // Standardised dense inputs of each training row, computed once for all epochs.
        let dense = rows.map { model.standardized(features[$0].dense) }

        // Start the biases at the base rates' log-odds: fewer steps spent on the intercept.
        func logit(_ values: [Double]) -> Double {
            guard !rows.isEmpty else { return 0 }
            let p = min(max(rows.reduce(0) { $0 + values[$1] } / n, 1e-4), 1 - 1e-4)
            return log(p / (1 - p))
        }
        var ws = [Double](repeating: 0, count: count)
        var ww = [Double](repeating: 0, count: count)
        var gs = [Double](repeating: 0, count: count)  // AdaGrad: running sums of squared gradients
        var gw = [Double](repeating: 0, count: count)
        ws[0] = logit(strong)
        ww[0] = logit(weak)

        let lr = options.learningRate, l2 = options.l2
        let hashedBase = 1 + d
        var order = Array(rows.indices)
        var rng = SplitMix64(seed: options.seed)
        // Small sets get more passes, so that every training run makes at least `minimumSteps` updates.
        let epochs = rows.isEmpty ? 0 : max(options.epochs, (options.minimumSteps + rows.count - 1) / rows.count)
        for _ in 0..<epochs {
            rng.shuffle(&order)
            ws.withUnsafeMutableBufferPointer { ws in
            ww.withUnsafeMutableBufferPointer { ww in
            gs.withUnsafeMutableBufferPointer { gs in
            gw.withUnsafeMutableBufferPointer { gw in
                for t in order {
                    let r = rows[t]
                    let f = features[r]
                    dense[t].withUnsafeBufferPointer { x in
                    f.indices.withUnsafeBufferPointer { idx in
                    f.values.withUnsafeBufferPointer { val in
                        var zs = ws[0], zw = ww[0]
                        for k in 0..<d {
                            zs += ws[1 + k] * x[k]
                            zw += ww[1 + k] * x[k]
                        }
                        for j in 0..<idx.count {
                            let p = hashedBase + Int(idx[j]), v = Double(val[j])
                            zs += ws[p] * v
                            zw += ww[p] * v
                        }
                        let es = sigmoid(zs) - strong[r], ew = sigmoid(zw) - weak[r]
                        // AdaGrad step on both heads; the L2 term only on the weights this example touches.
                        @inline(__always) func step(_ p: Int, _ v: Double, _ penalty: Double) {
                            let a = es * v + penalty * ws[p]
                            gs[p] += a * a
                            ws[p] -= lr * a / (gs[p].squareRoot() + 1e-8)
                            let b = ew * v + penalty * ww[p]
                            gw[p] += b * b
                            ww[p] -= lr * b / (gw[p].squareRoot() + 1e-8)
                        }
                        step(0, 1, 0)
                        for k in 0..<d { step(1 + k, x[k], l2) }
                        for j in 0..<idx.count { step(hashedBase + Int(idx[j]), Double(val[j]), l2) }
                    }}}
                }
            }}}}
        }
        model.strongWeights = ws.map { Float($0) }
        model.weakWeights = ww.map { Float($0) }
        return model
    }

    func standardized(_ raw: [Float]) -> [Double] {
        (0..<FeatureHasher.denseCount).map { (Double(raw[$0]) - Double(denseMean[$0])) * Double(denseScale[$0]) }
    }

    // MARK: - Prediction

    /// Predicted quality of each model on this prompt, both in 0...1.
    public func predict(text: String, inputTokens: Int?) -> (strong: Double, weak: Double) {
        predict(hasher.features(text: text, inputTokens: inputTokens))
    }

    /// Routing score: predicted strong quality − predicted weak quality (in −1...1).
    public func score(text: String, inputTokens: Int?) -> Double {
        let p = predict(text: text, inputTokens: inputTokens)
        return p.strong - p.weak
    }

    func score(_ features: PromptFeatures) -> Double {
        let p = predict(features)
        return p.strong - p.weak
    }

    func predict(_ f: PromptFeatures) -> (strong: Double, weak: Double) {
        let d = FeatureHasher.denseCount
        let x = standardized(f.dense)
        var zs = Double(strongWeights[0]), zw = Double(weakWeights[0])
        for k in 0..<d {
            zs += Double(strongWeights[1 + k]) * x[k]
            zw += Double(weakWeights[1 + k]) * x[k]
        }
        for j in f.indices.indices {
            let p = 1 + d + Int(f.indices[j]), v = Double(f.values[j])
            zs += Double(strongWeights[p]) * v
            zw += Double(weakWeights[p]) * v
        }
        return (sigmoid(zs), sigmoid(zw))
    }
}

@inline(__always) func sigmoid(_ z: Double) -> Double {
    z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
}

/// SplitMix64: a tiny, seedable, platform-independent generator (Swift's default generator is neither).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Below `bound` without modulo bias (Lemire's method), so the sequence is fixed by the seed alone.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let t = (0 &- b) % b
            while m.low < t { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Fisher–Yates with `below`, independent of the standard library's shuffle algorithm.
    mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = below(i + 1)
            if i != j { array.swapAt(i, j) }
        }
    }
}
