import Foundation

/// Out-of-fold scoring: every prompt is scored by a predictor that never saw it.
public enum CrossFitting {
    /// The fold (0..<folds) of each of `count` items: a seeded shuffle dealt round-robin, so fold sizes differ by at
    /// most one. Deterministic on every platform.
    public static func foldAssignment(count: Int, folds: Int, seed: UInt64) -> [Int] {
        guard count > 0 else { return [] }
        let k = max(1, folds)
        var order = Array(0..<count)
        var rng = SplitMix64(seed: seed ^ 0x5EED_F01D_0000_0000)
        rng.shuffle(&order)
        var fold = [Int](repeating: 0, count: count)
        for (position, item) in order.enumerated() { fold[item] = position % k }
        return fold
    }

    /// One routing score per prompt (input order), each from a predictor trained on the other folds.
    /// Folds train on up to two threads; the result does not depend on scheduling.
    /// With fewer than two folds (or prompts) there is nothing to hold out: every score is 0.
    public static func outOfFoldScores(_ prompts: [LabeledPrompt], folds: Int = 5, seed: UInt64 = 0,
                                       options: PredictorOptions = .init()) -> [Double] {
        let k = min(max(1, folds), prompts.count)
        guard k >= 2 else { return [Double](repeating: 0, count: prompts.count) }
        let assignment = foldAssignment(count: prompts.count, folds: k, seed: seed)
        let hasher = FeatureHasher(buckets: max(1, options.buckets), bigrams: options.bigrams)
        let features = prompts.map { hasher.features(text: $0.text ?? "", inputTokens: $0.inputTokens) }
        let strong = prompts.map(\.strongScore), weak = prompts.map(\.weakScore)

        let results = FoldResults(folds: k)
        let workers = min(2, k)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for fold in stride(from: worker, to: k, by: workers) {
                var train: [Int] = [], held: [Int] = []
                for (i, f) in assignment.enumerated() {
                    if f == fold { held.append(i) } else { train.append(i) }
                }
                let predictor = QualityPredictor.fit(features, strong: strong, weak: weak, rows: train, options: options)
                results.store(fold, held.map { (index: $0, score: predictor.score(features[$0])) })
            }
        }
        var scores = [Double](repeating: 0, count: prompts.count)
        for fold in results.all() { for (index, score) in fold { scores[index] = score } }
        return scores
    }
}

/// Per-fold results written from worker threads.
private final class FoldResults: @unchecked Sendable {
    private let lock = NSLock()
    private var folds: [[(index: Int, score: Double)]]
    init(folds: Int) { self.folds = Array(repeating: [], count: folds) }
    func store(_ fold: Int, _ scores: [(index: Int, score: Double)]) {
        lock.lock(); defer { lock.unlock() }
        folds[fold] = scores
    }
    func all() -> [[(index: Int, score: Double)]] {
        lock.lock(); defer { lock.unlock() }
        return folds
    }
}
