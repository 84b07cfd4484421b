import Foundation
import Testing
import RouteLedgerReplay
import RouteLedgerTestSupport

/// The reference figures of ../shared/routing-data/README.md, measured there with an independent
/// implementation, reproduced by the sweep and the metrics.
@Suite(.enabled(if: TestPaths.sharedIsPresent, "needs ../shared/routing-data"))
struct RealDataReplayTests {
    static func load(_ relative: String) throws -> LabelSet {
        try LabelReader.read(path: TestPaths.shared.appendingPathComponent("routing-data/\(relative)").path)
    }

    static func sample(_ labels: LabelSet, scores: [Double]) -> RoutingSample {
        let priced = CostModel.price(labels.prompts, mix: nil)
        return RoutingSample(scores: scores, strongQuality: labels.prompts.map(\.strongScore),
                             weakQuality: labels.prompts.map(\.weakScore), strongCost: priced.strongCost,
                             weakCost: priced.weakCost, tokens: priced.tokens)
    }

    @Test func mmluReferenceFigures() throws {
        let labels = try Self.load("routellm-evals/pairs.csv")
        #expect(labels.prompts.count == 14_037)
        let lengthRouter = RouterQuality.evaluate(Self.sample(labels, scores: labels.prompts.map { Double($0.inputTokens ?? 0) }))
        #expect(abs(lengthRouter.weakQuality - 0.681) < 0.0005)
        #expect(abs(lengthRouter.strongQuality - 0.806) < 0.0005)
        #expect(abs(try #require(lengthRouter.perCall.oracleAPGR) - 1.285) < 0.0005)
        #expect(abs(try #require(lengthRouter.perCall.apgr) - 0.586) < 0.0005)
        // Without prices the per-dollar axis is the strong model's share of input tokens.
        #expect(abs(try #require(lengthRouter.perDollar.apgr) - 0.340) < 0.0005)

        let oracle = RouterQuality.evaluate(Self.sample(labels, scores: labels.prompts.map(\.gain)))
        #expect(oracle.perCall.apgr == oracle.perCall.oracleAPGR)
        #expect(abs(try #require(oracle.perCall.arqgc) - 1) < 1e-12)

        let constant = RouterQuality.evaluate(Self.sample(labels, scores: labels.prompts.map { _ in 0 }))
        #expect(abs(try #require(constant.perCall.apgr) - 0.5) < 1e-12)
        #expect(abs(try #require(constant.perCall.apgrDeciles) - 0.5) < 1e-12)
        #expect(abs(try #require(constant.perDollar.apgr) - 0.5) < 1e-12)
    }

    /// On both Claude pairs the pricier model is not better on average: PGR metrics must say undefined.
    @Test(arguments: ["alpacaeval-claude/pairs.csv", "routerbench-subsets/pairs-claude-v2-vs-instant-v1.csv"])
    func claudePairsHaveNoGapToRecover(file: String) throws {
        let labels = try Self.load(file)
        let result = RouterQuality.evaluate(Self.sample(labels, scores: labels.prompts.map(\.gain)))
        #expect(result.strongQuality < result.weakQuality)
        #expect(!result.pgrDefined)
        #expect(result.perCall.apgr == nil && result.perCall.cpt50 == nil && result.perDollar.apgr == nil)
        #expect(result.perCall.notes.contains { $0.contains("not better on average") })
    }
}
