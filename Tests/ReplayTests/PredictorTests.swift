import Foundation
import Testing
import RouteLedgerTestSupport
@testable import RouteLedgerReplay

/// APGR written independently of the library: prompts sorted by score (descending), equal scores grouped, the
/// expected-quality curve piecewise linear (a tied group is one straight segment, i.e. ties resolved by expectation),
/// its exact area by trapezoids, normalised by the weak and strong means.
private enum ReferenceAPGR {
    static func value(_ prompts: [LabeledPrompt], scores: [Double]) -> Double {
        precondition(prompts.count == scores.count && !prompts.isEmpty)
        let n = Double(prompts.count)
        let qStrong = prompts.map(\.strongScore).reduce(0, +) / n
        let qWeak = prompts.map(\.weakScore).reduce(0, +) / n
        let order = prompts.indices.sorted { scores[$0] > scores[$1] }
        var area = 0.0, y = qWeak, i = 0
        while i < order.count {
            var j = i, gain = 0.0
            while j < order.count, scores[order[j]] == scores[order[i]] {
                gain += prompts[order[j]].strongScore - prompts[order[j]].weakScore
                j += 1
            }
            let next = y + gain / n
            area += Double(j - i) / n * (y + next) / 2
            y = next
            i = j
        }
        return (area - qWeak) / (qStrong - qWeak)
    }
}

/// A small deterministic generator for synthetic prompts (independent of the library's).
private struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

private func sharedPairs(_ name: String) throws -> [LabeledPrompt] {
    try LabelReader.read(path: TestPaths.shared.appendingPathComponent("routing-data/\(name)").path).prompts
}

/// Prompts of filler words; those holding `keyword` are won by the strong model, the others are a coin toss
/// that both models share.
private func keywordPrompts(count: Int, seed: UInt64, keyword: String = "integral") -> [LabeledPrompt] {
    let filler = ["what", "is", "the", "capital", "of", "france", "list", "three", "colours", "write", "a", "poem",
                  "about", "cats", "explain", "how", "rain", "forms", "name", "largest", "planet", "translate",
                  "hello", "into", "spanish", "summarise", "this", "short", "story", "please", "quickly", "today"]
    var random = TestRandom(state: seed)
    return (0..<count).map { i in
        var words = (0..<(4 + random.below(10))).map { _ in filler[random.below(filler.count)] }
        let hard = i % 3 == 0
        if hard { words.insert(keyword, at: random.below(words.count + 1)) }
        let text = words.joined(separator: " ") + "?"
        let coin = Double(random.below(2))
        return LabeledPrompt(id: "s\(i)", text: text, inputTokens: text.utf8.count / 4,
                             strongScore: hard ? 1 : coin, weakScore: hard ? 0 : coin, line: i + 2)
    }
}

@Suite struct ReferenceAPGRTests {
    @Test func handComputedCurves() {
        let prompts = [(1.0, 0.0), (1, 1), (0, 0), (1, 1)].enumerated().map {
            LabeledPrompt(id: "\($0.offset)", strongScore: $0.element.0, weakScore: $0.element.1)
        }
        // qWeak 0.5, qStrong 0.75. Oracle order: 0.25·(0.5+0.75)/2 + 0.75·0.75 = 0.71875 → APGR 0.875.
        #expect(abs(ReferenceAPGR.value(prompts, scores: [1, 0, 0, 0]) - 0.875) < 1e-12)
        // A tie between the winner and a zero-gain prompt: one segment over x 0…0.5 → area 0.6875 → 0.75.
        #expect(abs(ReferenceAPGR.value(prompts, scores: [1, 1, 0, 0]) - 0.75) < 1e-12)
        #expect(abs(ReferenceAPGR.value(prompts, scores: [0, 0, 0, 0]) - 0.5) < 1e-12)
        // Worst order: the winner last → area 0.5·0.75 + 0.25·0.625 = 0.53125 → 0.125.
        #expect(abs(ReferenceAPGR.value(prompts, scores: [0, 1, 1, 1]) - 0.125) < 1e-12)
    }

    @Test(.enabled(if: TestPaths.sharedIsPresent))
    func mmluConstantAndOracle() throws {
        let prompts = try sharedPairs("routellm-evals/pairs.csv")
        #expect(abs(ReferenceAPGR.value(prompts, scores: prompts.map { _ in 0.3 }) - 0.5) < 1e-9)
        // README reference: oracle APGR (exact share) 1.285.
        #expect(abs(ReferenceAPGR.value(prompts, scores: prompts.map(\.gain)) - 1.285) < 0.0006)
    }
}

@Suite struct PredictorTests {
    @Test func keywordDecidesTheGain() {
        let train = keywordPrompts(count: 600, seed: 1)
        let predictor = QualityPredictor.train(train)
        let test = keywordPrompts(count: 120, seed: 99)
        let scores = test.map { predictor.score(text: $0.text!, inputTokens: $0.inputTokens) }
        let hard = zip(test, scores).filter { $0.0.text!.contains("integral") }.map(\.1)
        let easy = zip(test, scores).filter { !$0.0.text!.contains("integral") }.map(\.1)
        #expect(hard.count == 40)
        #expect(hard.min()! > easy.max()!, "keyword prompts must rank above all others")
        for prompt in test where prompt.text!.contains("integral") {
            let p = predictor.predict(text: prompt.text!, inputTokens: prompt.inputTokens)
            #expect(p.strong > 0.5 && p.weak < 0.5)
        }
        // Out of fold, the same holds well enough for a near-oracle APGR.
        let oof = CrossFitting.outOfFoldScores(train)
        let oracle = ReferenceAPGR.value(train, scores: train.map(\.gain))
        #expect(ReferenceAPGR.value(train, scores: oof) > 0.95 * oracle)
    }

    @Test func emptyAndMissingTextStillScore() {
        var prompts = keywordPrompts(count: 60, seed: 3)
        for i in stride(from: 0, to: prompts.count, by: 4) { prompts[i].text = nil }
        prompts[1].text = ""
        prompts[2].inputTokens = nil
        let predictor = QualityPredictor.train(prompts)
        for (text, tokens) in [("", nil), ("", 12), ("   \n\t", nil), ("¿Qué? 日本語 🙂", 3), ("integral", 0)] as [(String, Int?)] {
            let p = predictor.predict(text: text, inputTokens: tokens)
            #expect((0...1).contains(p.strong) && (0...1).contains(p.weak))
            #expect(predictor.score(text: text, inputTokens: tokens).isFinite)
        }
        // Degenerate training sets do not crash either.
        #expect(QualityPredictor.train([]).score(text: "x", inputTokens: nil).isFinite)
        #expect(QualityPredictor.train([prompts[0]]).score(text: "", inputTokens: nil).isFinite)
        #expect(CrossFitting.outOfFoldScores([]).isEmpty)
        #expect(CrossFitting.outOfFoldScores([prompts[0]]) == [0])
        #expect(CrossFitting.outOfFoldScores(Array(prompts.prefix(3))).allSatisfy { $0.isFinite })
    }

    @Test func foldAssignmentIsBalancedAndSeeded() {
        let folds = CrossFitting.foldAssignment(count: 103, folds: 5, seed: 7)
        #expect(folds.count == 103)
        #expect((0..<5).map { f in folds.filter { $0 == f }.count } == [21, 21, 21, 20, 20])
        #expect(folds == CrossFitting.foldAssignment(count: 103, folds: 5, seed: 7))
        #expect(folds != CrossFitting.foldAssignment(count: 103, folds: 5, seed: 8))
        #expect(folds != (0..<103).map { $0 % 5 })  // shuffled, not dealt in input order
        #expect(CrossFitting.foldAssignment(count: 0, folds: 5, seed: 0).isEmpty)
        #expect(CrossFitting.foldAssignment(count: 4, folds: 1, seed: 0) == [0, 0, 0, 0])
    }

    @Test func outOfFoldScoresAreDeterministic() throws {
        let prompts = keywordPrompts(count: 400, seed: 5)
        let first = CrossFitting.outOfFoldScores(prompts, folds: 5, seed: 3)
        let second = CrossFitting.outOfFoldScores(prompts, folds: 5, seed: 3)
        #expect(first.count == prompts.count)
        #expect(first == second)
        #expect(first != CrossFitting.outOfFoldScores(prompts, folds: 5, seed: 4))
        // Each held-out score is the one a predictor trained on the other folds gives.
        let folds = CrossFitting.foldAssignment(count: prompts.count, folds: 5, seed: 3)
        let rows = prompts.indices.filter { folds[$0] != 2 }
        let predictor = QualityPredictor.train(rows.map { prompts[$0] })
        for i in prompts.indices where folds[i] == 2 {
            #expect(predictor.score(text: prompts[i].text!, inputTokens: prompts[i].inputTokens) == first[i])
        }
        // Training itself is repeatable bit for bit.
        let a = QualityPredictor.train(prompts), b = QualityPredictor.train(prompts)
        #expect(try a.encoded() == b.encoded())
    }

    @Test func saveAndLoadRoundTrip() throws {
        let prompts = keywordPrompts(count: 200, seed: 11)
        let options = PredictorOptions(buckets: 1 << 12, epochs: 3, seed: 42)
        let predictor = QualityPredictor.train(prompts, options: options)
        let data = try predictor.encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["schema"] as? String == "routeledger.predictor/1")
        #expect(Set(object.keys) == ["schema", "options", "trainedOn", "dense", "strong", "weak"])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix(#"{"dense":""#))  // sorted keys

        let loaded = try QualityPredictor.decode(data, file: "model.json")
        #expect(loaded.options == options)
        #expect(loaded.trainedOn == 200)
        #expect(try loaded.encoded() == data)
        for prompt in prompts + keywordPrompts(count: 50, seed: 12) {
            #expect(loaded.score(text: prompt.text!, inputTokens: prompt.inputTokens)
                    == predictor.score(text: prompt.text!, inputTokens: prompt.inputTokens))
        }
        #expect(loaded.score(text: "", inputTokens: nil) == predictor.score(text: "", inputTokens: nil))
    }

    @Test func badModelFilesAreReplayErrors() throws {
        let data = try QualityPredictor.train(keywordPrompts(count: 30, seed: 2),
                                              options: PredictorOptions(buckets: 64)).encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        func attempt(_ mutate: (inout [String: Any]) -> Void) throws -> ReplayError? {
            var copy = object
            mutate(&copy)
            let bytes = try JSONSerialization.data(withJSONObject: copy)
            do {
                _ = try QualityPredictor.decode(bytes, file: "m.json")
                return nil
            } catch let error as ReplayError {
                return error
            }
        }
        let schema = try attempt { $0["schema"] = "routeledger.predictor/9" }
        #expect(schema?.file == "m.json")
        #expect(schema?.message.contains("schema") == true)
        let short = try attempt { $0["strong"] = Data(count: 8).base64EncodedString() }
        #expect(short?.message.contains("expected") == true)
        #expect(try attempt { $0["weak"] = "not base64!" } != nil)
        #expect(try attempt { $0.removeValue(forKey: "dense") } != nil)
        #expect(try attempt {
            var options = $0["options"] as! [String: Any]
            options["buckets"] = 0
            $0["options"] = options
        } != nil)
        #expect(try attempt { _ in } == nil)  // the untouched object still reads
        #expect(throws: ReplayError.self) { try QualityPredictor.decode(Data("[]".utf8), file: "m.json") }
        #expect(throws: ReplayError.self) { try QualityPredictor.decode(Data(), file: "m.json") }
    }

    // MARK: - Acceptance on the shared labels (5-fold out of fold, seed 0, default options)

    @Test(.enabled(if: TestPaths.sharedIsPresent))
    func mmluOutOfFoldAPGR() throws {
        let prompts = try sharedPairs("routellm-evals/pairs.csv")
        let start = Date()
        let scores = CrossFitting.outOfFoldScores(prompts, folds: 5, seed: 0)
        let seconds = Date().timeIntervalSince(start)
        let apgr = ReferenceAPGR.value(prompts, scores: scores)
        print(String(format: "MMLU out-of-fold APGR %.4f (5-fold cross-fit %.1f s)", apgr, seconds))
        #expect(apgr >= 0.68, "MMLU APGR \(apgr)")
    }

    @Test(.enabled(if: TestPaths.sharedIsPresent))
    func gsm8kOutOfFoldAPGR() throws {
        let prompts = try sharedPairs("routellm-evals/pairs-gsm8k.csv")
        let apgr = ReferenceAPGR.value(prompts, scores: CrossFitting.outOfFoldScores(prompts, folds: 5, seed: 0))
        print(String(format: "GSM8K out-of-fold APGR %.4f", apgr))
        #expect(apgr >= 0.62, "GSM8K APGR \(apgr)")
    }
}
