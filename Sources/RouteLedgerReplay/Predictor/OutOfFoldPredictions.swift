import Foundation

extension CrossFitting {
    /// Each prompt's predicted strong and weak quality from a predictor trained on the other folds (the same
    /// folds and models as `outOfFoldScores`, whose score is strong − weak). Bedrock's relative
    /// `responseQualityDifference` needs both predictions, not only their difference.
    public static func outOfFoldPredictions(_ prompts: [LabeledPrompt], folds: Int = 5, seed: UInt64 = 0,
                                            options: PredictorOptions = .init()) -> [(strong: Double, weak: Double)] {
        let k = min(max(1, folds), prompts.count)
        guard k >= 2 else { return prompts.map { _ in (0, 0) } }
        let assignment = foldAssignment(count: prompts.count, folds: k, seed: seed)
        let hasher = FeatureHasher(buckets: max(1, options.buckets), bigrams: options.bigrams)
        let features = prompts.map { hasher.features(text: $0.text ?? "", inputTokens: $0.inputTokens) }
        let strong = prompts.map(\.strongScore), weak = prompts.map(\.weakScore)
        let box = PredictionBox(count: prompts.count)
        let workers = min(2, k)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for fold in stride(from: worker, to: k, by: workers) {
                let train = assignment.indices.filter { assignment[$0] != fold }
                let held = assignment.indices.filter { assignment[$0] == fold }
                let predictor = QualityPredictor.fit(features, strong: strong, weak: weak, rows: train, options: options)
                box.store(held.map { ($0, predictor.predict(features[$0])) })
            }
        }
        return box.values
    }
}

private final class PredictionBox: @unchecked Sendable {
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
