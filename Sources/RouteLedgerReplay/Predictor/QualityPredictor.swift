import Foundation

/// Settings of the built-in quality predictor. The defaults are the ones the acceptance figures were measured with.
public struct PredictorOptions: Sendable, Codable, Equatable {
    /// Hashed n-gram buckets (a power of two keeps the model file regular; any value ≥ 1 works).
    public var buckets: Int
    /// Adjacent-word bigrams besides unigrams.
    public var bigrams: Bool
    /// Passes over the training set.
    public var epochs: Int
    /// AdaGrad base step.
    public var learningRate: Double
    /// L2 penalty per example, applied to the weights an example touches (the bias is not penalised).
    public var l2: Double
    /// Seeds the per-epoch shuffle of the training examples.
    public var seed: UInt64

    public init(buckets: Int = 1 << 18, bigrams: Bool = true, epochs: Int = 6, learningRate: Double = 0.2,
                l2: Double = 1e-5, seed: UInt64 = 0) {
        self.buckets = buckets
        self.bigrams = bigrams
        self.epochs = epochs
        self.learningRate = learningRate
        self.l2 = l2
        self.seed = seed
    }
}

/// Predicts each model's quality (0...1) on a prompt from its text; the routing score is
/// predicted strong quality − predicted weak quality (higher → send to the strong model).
///
/// Two L2-regularised logistic regressions (soft labels in 0...1 under the logistic loss), one per model, over the
/// same features (see `FeatureHasher`; hashed n-grams weighted TF-IDF with the training set's document frequencies),
/// trained together by AdaGrad over a seeded shuffle. Dependency-free and deterministic: the same prompts and options
/// give bit-identical weights on every run. Parameters are kept as Float32 so that a saved and re-read predictor
/// scores exactly like the original.
public struct QualityPredictor: Sendable {
    public static let schema = "routeledger.predictor/1"

    public private(set) var options: PredictorOptions
    /// Training-set mean and 1/spread of each dense feature.
    var denseMean: [Float]
    var denseScale: [Float]
    /// Inverse document frequency of each bucket in the training set (0 for buckets no training prompt had).
    var idf: [Float]
    /// Per head: [bias, dense weights…, hashed weights…].
    var strongWeights: [Float]
    var weakWeights: [Float]
    var teStrong: [Float] = []
    var teWeak: [Float] = []
    var blend = 0.0
    var tePower = 1.0
    /// Prompts the predictor was trained on (informational).
    public private(set) var trainedOn: Int

    var hasher: FeatureHasher { FeatureHasher(buckets: options.buckets, bigrams: options.bigrams) }
    static func parameterCount(_ options: PredictorOptions) -> Int { 1 + FeatureHasher.denseCount + options.buckets }

    init(options: PredictorOptions, denseMean: [Float], denseScale: [Float], idf: [Float], strongWeights: [Float],
         weakWeights: [Float], trainedOn: Int) {
        self.options = options
        self.denseMean = denseMean
        self.denseScale = denseScale
        self.idf = idf
        self.strongWeights = strongWeights
        self.weakWeights = weakWeights
        self.trainedOn = trainedOn
    }

    // MARK: - Training

    public static func train(_ prompts: [LabeledPrompt], options: PredictorOptions = .init()) -> QualityPredictor {
        let hasher = FeatureHasher(buckets: max(1, options.buckets), bigrams: options.bigrams)
        let features = prompts.map { hasher.features(text: $0.text ?? "", inputTokens: $0.inputTokens) }
        return fit(features, strong: prompts.map(\.strongScore), weak: prompts.map(\.weakScore),
                   rows: Array(prompts.indices), options: options)
    }

    /// Trains on `rows` of already featurised prompts (cross-fitting featurises once for all folds).
    static func fit(_ features: [PromptFeatures], strong: [Double], weak: [Double], rows: [Int],
                    options requested: PredictorOptions) -> QualityPredictor {
        var options = requested
        options.buckets = max(1, options.buckets)
        let d = FeatureHasher.denseCount
        let count = parameterCount(options)
        let n = Double(max(1, rows.count))

        // Dense standardisation and document frequencies from the training rows.
        var mean = [Double](repeating: 0, count: d)
        var squares = [Double](repeating: 0, count: d)
        var df = [Int32](repeating: 0, count: options.buckets)
        for r in rows {
            for k in 0..<d {
                let v = Double(features[r].dense[k])
                mean[k] += v
                squares[k] += v * v
            }
            for j in features[r].indices { df[Int(j)] += 1 }
        }
        var denseMean = [Float](repeating: 0, count: d)
        var denseScale = [Float](repeating: 0, count: d)
        for k in 0..<d {
            let m = mean[k] / n
            let variance = max(0, squares[k] / n - m * m)
            denseMean[k] = Float(m)
            denseScale[k] = variance > 1e-12 ? Float(1 / variance.squareRoot()) : 0
        }
        // Smoothed IDF, ln((1+N)/(1+df)) + 1; buckets unseen in training get 0 so they do not dilute the norm.
        let env = ProcessInfo.processInfo.environment
        let useIDF = env["NO_IDF"] == nil
        let idf = df.map { $0 == 0 ? Float(0) : useIDF ? Float(log((1 + n) / (1 + Double($0))) + 1) : 1 }
        let model = QualityPredictor(options: options, denseMean: denseMean, denseScale: denseScale, idf: idf,
                                     strongWeights: [], weakWeights: [], trainedOn: rows.count)
        // Each training row's model inputs, computed once for all epochs.
        var inputs = rows.map { model.inputs(features[$0]) }
        if env["NO_DENSE"] != nil { for i in inputs.indices { for k in 0..<d { inputs[i].dense[k] = 0 } } }
        if env["LBFGS"] != nil {
            return fitLBFGS(model, inputs: inputs, df: df, strong: rows.map { strong[$0] }, weak: rows.map { weak[$0] },
                            l2: options.l2, iterations: Int(env["ITERS"] ?? "200")!)
        }

        // Start the biases at the base rates' log-odds: fewer steps spent on the intercept.
        func logit(_ values: [Double]) -> Double {
            guard !rows.isEmpty else { return 0 }
            let p = min(max(rows.reduce(0) { $0 + values[$1] } / n, 1e-4), 1 - 1e-4)
            return log(p / (1 - p))
        }
        var ws = [Double](repeating: 0, count: count)
        var ww = [Double](repeating: 0, count: count)
        var gs = [Double](repeating: 0, count: count)
        var gw = [Double](repeating: 0, count: count)
        ws[0] = logit(strong)
        ww[0] = logit(weak)

        let lr = options.learningRate, l2 = options.l2
        let hashedBase = 1 + d
        var order = Array(rows.indices)
        var rng = SplitMix64(seed: options.seed)
        let averageFrom = Int(env["AVG_FROM"] ?? "1000000")!
        var avgS = [Double](repeating: 0, count: count), avgW = [Double](repeating: 0, count: count)
        var snapshots = 0
        let shareLR = Double(env["SHARE_LR"] ?? "0")!
        let specLR = Double(env["SPEC_LR"] ?? "1")!
        let lrS = Double(env["LR_S"] ?? "1")!, lrW = Double(env["LR_W"] ?? "1")!
        var wu = [Double](repeating: 0, count: count), gu = [Double](repeating: 0, count: count)
        for epoch in 0..<max(0, options.epochs) {
            defer {
                if epoch >= averageFrom {
                    snapshots += 1
                    for j in 0..<count { avgS[j] += ws[j]; avgW[j] += ww[j] }
                }
            }
            rng.shuffle(&order)
            ws.withUnsafeMutableBufferPointer { ws in
            ww.withUnsafeMutableBufferPointer { ww in
            gs.withUnsafeMutableBufferPointer { gs in
            gw.withUnsafeMutableBufferPointer { gw in
            wu.withUnsafeMutableBufferPointer { wu in
            gu.withUnsafeMutableBufferPointer { gu in
                for t in order {
                    let x = inputs[t]
                    let r = rows[t]
                    var zs = ws[0], zw = ww[0]
                    if shareLR > 0 {
                        for k in 0..<d { zs += wu[1 + k] * x.dense[k]; zw += wu[1 + k] * x.dense[k] }
                        for j in 0..<x.indices.count {
                            let p = hashedBase + Int(x.indices[j]), v = Double(x.values[j])
                            zs += wu[p] * v; zw += wu[p] * v
                        }
                    }
                    x.dense.withUnsafeBufferPointer { dense in
                        for k in 0..<d { zs += ws[1 + k] * dense[k]; zw += ww[1 + k] * dense[k] }
                    }
                    x.indices.withUnsafeBufferPointer { idx in
                        x.values.withUnsafeBufferPointer { val in
                            for j in 0..<idx.count {
                                let p = hashedBase + Int(idx[j]), v = Double(val[j])
                                zs += ws[p] * v
                                zw += ww[p] * v
                            }
                        }
                    }
                    let es = sigmoid(zs) - strong[r], ew = sigmoid(zw) - weak[r]
                    // AdaGrad step on both heads; the L2 term only on the weights this example touches.
                    @inline(__always) func step(_ p: Int, _ v: Double, _ penalty: Double) {
                        let a = es * v + penalty * ws[p]
                        gs[p] += a * a
                        ws[p] -= lrS * specLR * lr * a / (gs[p].squareRoot() + 1e-8)
                        let b = ew * v + penalty * ww[p]
                        gw[p] += b * b
                        ww[p] -= lrW * specLR * lr * b / (gw[p].squareRoot() + 1e-8)
                        if shareLR > 0, p > 0 {
                            let c = (es + ew) * v + penalty * wu[p]
                            gu[p] += c * c
                            wu[p] -= shareLR * lr * c / (gu[p].squareRoot() + 1e-8)
                        }
                    }
                    step(0, 1, 0)
                    x.dense.withUnsafeBufferPointer { dense in
                        for k in 0..<d { step(1 + k, dense[k], l2) }
                    }
                    x.indices.withUnsafeBufferPointer { idx in
                        x.values.withUnsafeBufferPointer { val in
                            for j in 0..<idx.count { step(hashedBase + Int(idx[j]), Double(val[j]), l2) }
                        }
                    }
                }
            }}}}}}
        }
        if shareLR > 0 { for j in 0..<count { ws[j] += wu[j]; ww[j] += wu[j] } }
        if snapshots > 0 {
            for j in 0..<count { ws[j] = avgS[j] / Double(snapshots); ww[j] = avgW[j] / Double(snapshots) }
        }
        var trained = model
        trained.strongWeights = ws.map { Float($0) }
        trained.weakWeights = ww.map { Float($0) }
        if let b = env["BLEND"].flatMap(Double.init) {
            let m = Double(env["TE_M"] ?? "10")!
            trained.blend = b
            trained.tePower = Double(env["TE_POW"] ?? "1")!
            var cs = [Double](repeating: 0, count: options.buckets + 1), cw = cs, cn = cs
            var ms = 0.0, mw = 0.0
            for r in rows { ms += strong[r]; mw += weak[r] }
            ms /= n; mw /= n
            for r in rows {
                for j in features[r].indices { cs[Int(j)] += strong[r]; cw[Int(j)] += weak[r]; cn[Int(j)] += 1 }
            }
            trained.teStrong = (0...options.buckets).map { Float((cs[$0] + m * ms) / (cn[$0] + m)) }
            trained.teWeak = (0...options.buckets).map { Float((cw[$0] + m * mw) / (cn[$0] + m)) }
            trained.teStrong[options.buckets] = Float(ms); trained.teWeak[options.buckets] = Float(mw)
        }
        return trained
    }

    static func fitLBFGS(_ model: QualityPredictor, inputs: [Inputs], df: [Int32], strong: [Double], weak: [Double],
                         l2: Double, iterations: Int) -> QualityPredictor {
        let d = FeatureHasher.denseCount
        // Compact columns: bias, dense, then only the buckets some training prompt has.
        var compact = [Int32](repeating: -1, count: df.count)
        var used: [Int] = []
        for (bucket, count) in df.enumerated() where count > 0 {
            compact[bucket] = Int32(1 + d + used.count)
            used.append(bucket)
        }
        let columnCount = 1 + d + used.count
        var x = SparseRows()
        x.columns.reserveCapacity(inputs.reduce(0) { $0 + $1.indices.count + 1 + d })
        x.values.reserveCapacity(x.columns.capacity)
        for row in inputs {
            var cols: [Int32] = [0]
            var vals: [Double] = [1]
            for k in 0..<d { cols.append(Int32(1 + k)); vals.append(row.dense[k]) }
            for j in row.indices.indices {
                cols.append(compact[Int(row.indices[j])])
                vals.append(Double(row.values[j]))
            }
            x.append(columns: cols, values: vals)
        }
        func logit(_ v: [Double]) -> Double {
            guard !v.isEmpty else { return 0 }
            let p = min(max(v.reduce(0, +) / Double(v.count), 1e-4), 1 - 1e-4)
            return log(p / (1 - p))
        }
        let result = LogisticSolver.fit(x, columnCount: columnCount, targets: [strong, weak], l2: l2,
                                        initialBias: [logit(strong), logit(weak)], maxIterations: iterations,
                                        tolerance: 1e-6)
        if ProcessInfo.processInfo.environment["VERBOSE"] != nil { print("iterations", result.iterations) }
        func expand(_ w: [Double]) -> [Float] {
            var full = [Float](repeating: 0, count: parameterCount(model.options))
            for k in 0...d { full[k] = Float(w[k]) }
            for (c, bucket) in used.enumerated() { full[1 + d + bucket] = Float(w[1 + d + c]) }
            return full
        }
        var trained = model
        trained.strongWeights = expand(result.weights[0])
        trained.weakWeights = expand(result.weights[1])
        return trained
    }

    /// What the linear heads see: standardised dense features and the unit-norm TF-IDF of the hashed buckets.
    struct Inputs {
        var dense: [Double]
        var indices: [Int32]
        var values: [Float]
    }

    func inputs(_ f: PromptFeatures) -> Inputs {
        let d = FeatureHasher.denseCount
        var dense = [Double](repeating: 0, count: d)
        for k in 0..<d { dense[k] = (Double(f.dense[k]) - Double(denseMean[k])) * Double(denseScale[k]) }
        var values = [Float](repeating: 0, count: f.values.count)
        var norm = 0.0
        for j in f.indices.indices {
            let v = Double(f.values[j]) * Double(idf[Int(f.indices[j])])
            values[j] = Float(v)
            norm += v * v
        }
        if norm > 0 {
            let scale = 1 / norm.squareRoot()
            for j in values.indices { values[j] = Float(Double(values[j]) * scale) }
        }
        return Inputs(dense: dense, indices: f.indices, values: values)
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
        let x = inputs(f)
        let d = FeatureHasher.denseCount
        var zs = Double(strongWeights[0]), zw = Double(weakWeights[0])
        for k in 0..<d {
            zs += Double(strongWeights[1 + k]) * x.dense[k]
            zw += Double(weakWeights[1 + k]) * x.dense[k]
        }
        for j in x.indices.indices {
            let p = 1 + d + Int(x.indices[j]), v = Double(x.values[j])
            zs += Double(strongWeights[p]) * v
            zw += Double(weakWeights[p]) * v
        }
        if blend > 0 {
            var ts = 0.0, tw = 0.0, wsum = 0.0
            for j in x.indices.indices {
                let b = Int(x.indices[j])
                let v = pow(abs(Double(x.values[j])), tePower)
                ts += v * Double(teStrong[b]); tw += v * Double(teWeak[b]); wsum += v
            }
            if wsum > 0 { ts /= wsum; tw /= wsum } else { ts = Double(teStrong.last!); tw = Double(teWeak.last!) }
            return ((1 - blend) * sigmoid(zs) + blend * ts, (1 - blend) * sigmoid(zw) + blend * tw)
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
