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

    /// One routing score per prompt (input order), each from a predictor trained on the other folds:
    /// predicted strong quality − predicted weak quality of `outOfFoldPredictions`.
    /// With fewer than two folds (or prompts) there is nothing to hold out: every score is 0.
    public static func outOfFoldScores(_ prompts: [LabeledPrompt], folds: Int = 5, seed: UInt64 = 0,
                                       options: PredictorOptions = .init()) -> [Double] {
        outOfFoldPredictions(prompts, folds: folds, seed: seed, options: options).map { $0.strong - $0.weak }
    }

    /// Each prompt's predicted strong and weak quality from a predictor trained on the other folds. Bedrock's
    /// relative `responseQualityDifference` needs both predictions, not only their difference.
    /// Folds train on up to two threads; the result does not depend on scheduling.
    public static func outOfFoldPredictions(_ prompts: [LabeledPrompt], folds: Int = 5, seed: UInt64 = 0,
                                            options: PredictorOptions = .init()) -> [(strong: Double, weak: Double)] {
        let k = min(max(1, folds), prompts.count)
        guard k >= 2 else { return prompts.map { _ in (0.0, 0.0) } }
        let assignment = foldAssignment(count: prompts.count, folds: k, seed: seed)
        let options = QualityPredictor.normalized(options)
        let hasher = FeatureHasher(buckets: options.buckets, bigrams: options.bigrams)
        let features = prompts.map { hasher.features(text: $0.text ?? "", inputTokens: $0.inputTokens) }
        let strong = prompts.map(\.strongScore), weak = prompts.map(\.weakScore)

        let results = FoldResults(count: prompts.count)
        let workers = min(2, k)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for fold in stride(from: worker, to: k, by: workers) {
                var train: [Int] = [], held: [Int] = []
                for (i, f) in assignment.enumerated() {
                    if f == fold { held.append(i) } else { train.append(i) }
                }
                let predictor = QualityPredictor.fit(features, strong: strong, weak: weak, rows: train, options: options)
                results.store(held.map { ($0, predictor.predict(features[$0])) })
            }
        }
        return results.values
    }
}

/// Per-prompt predictions written from worker threads (each index by exactly one fold).
private final class FoldResults: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [(strong: Double, weak: Double)]
    init(count: Int) { storage = Array(repeating: (0, 0), count: count) }
    func store(_ items: [(Int, (strong: Double, weak: Double))]) {
        lock.lock(); defer { lock.unlock() }
        for (index, value) in items { storage[index] = value }
    }
    var values: [(strong: Double, weak: Double)] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }
}
