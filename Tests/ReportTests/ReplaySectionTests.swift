import Foundation
import RouteLedgerReplay
import RouteLedgerReport
import RouteLedgerTestSupport
import Testing

/// The routing-replay section of a report: Markdown, JSON and the HTML frontier chart, the chart measured in
/// headless Chromium like the report's other charts.
@Suite struct ReplaySectionTests {
    /// 200 prompts whose score ranks the gain with noise; priced at a two-model mix; an observed router.
    static func replay() throws -> ReplayResult {
        var prompts: [LabeledPrompt] = []
        var scores: [Double] = []
        var choices: [String: Bool] = [:]
        for i in 0..<200 {
            let hard = i % 3 == 0
            let strong: Double = i % 7 == 0 ? 0 : 1
            let weak: Double = hard ? (i % 2 == 0 ? 0 : 1) : strong
            prompts.append(LabeledPrompt(id: "r\(i)", text: "prompt \(i)", inputTokens: 50 + (i * 13) % 400, strongScore: strong,
                                         weakScore: weak, line: i + 2))
            scores.append((hard ? 0.6 : 0.2) + Double((i * 37) % 100) / 500)
            choices["r\(i)"] = i % 4 == 0
        }
        let labels = LabelSet(file: "labels.csv", prompts: prompts)
        let mix = TrafficMix(router: "arn:aws:bedrock:us-east-1:111122223333:prompt-router/abc",
                             strong: TierMix(model: "strong-model", calls: 30, meanInputTokens: 300, meanOutputTokens: 200,
                                             prices: .init(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75)),
                             cheap: TierMix(model: "cheap-model", calls: 70, meanInputTokens: 300, meanOutputTokens: 180,
                                            prices: .init(input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1)),
                             observedStrongShare: 0.3, observedCostPer1k: 3.2, requests: 100)
        return try ReplayAnalysis.run(labels: labels, scores: scores, predictions: nil, origin: .column("router_score"), mix: mix,
                                      target: .quality(0.9), observedChoices: choices,
                                      options: Recommender.Options(seed: 1, bootstrapResamples: 200))
    }

    static func document() throws -> ReportDocument {
        var document = HTMLReportTests.sampleDocument()
        document.replay = try replay()
        return document
    }

    @Test func everyFormatCarriesTheSection() throws {
        let document = try Self.document()
        let markdown = MarkdownRenderer.render(document)
        #expect(markdown.contains("## Routing replay") && markdown.contains("### Router quality"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONRenderer.render(document).utf8)) as? [String: Any])
        let replay = try #require(json["replay"] as? [String: Any])
        #expect(replay["schema"] as? String == "routeledger.replay/1")
        #expect((replay["frontier"] as? [Any])?.count == 101)
        // priced at the mix: per-dollar metrics exist and differ from per-call ones (longer prompts score higher)
        let metrics = try #require(replay["metrics"] as? [String: [String: Any]])
        #expect(metrics["per_call"]?["apgr"] as? Double != metrics["per_dollar"]?["apgr"] as? Double)
        let csv = CSVRenderer.render(document)
        #expect(csv.contains { $0.name == "replay_thresholds.csv" })
        let html = HTMLRenderer.render(document)
        #expect(html.contains("<section id=\"replay\">") && html.contains("href=\"#replay\""))
        let chart = try #require(HTMLReportTests.chart("replay-frontier", in: html))
        #expect(chart.contains("observed") && chart.contains("recommended") && chart.contains("all strong"))
        #expect(HTMLRenderer.render(document) == html, "same document, same bytes")
        // Without a replay the report is unchanged: the golden files stay valid.
        #expect(!HTMLRenderer.render(HTMLReportTests.sampleDocument()).contains("replay-frontier"))
    }

    @Test(.enabled(if: !HTMLReportTests.skipBrowser, "ROUTELEDGER_SKIP_BROWSER=1"))
    func frontierChartRendersInChromium() throws {
        guard let binary = HTMLReportTests.requireChromium() else { return }
        let directory = try TemporaryDirectory("html-replay")
        let page = try HTMLReportTests.writeMeasuringCopy(directory, document: try Self.document())
        guard let sizes = try HTMLReportTests.measure(binary, page: page, windowSize: "1200,3000", in: directory,
                                                      profile: "replay") else { return }
        let size = try #require(sizes.charts["replay-frontier"], "frontier chart measured")
        #expect(size.width > 100 && size.height > 50, "replay-frontier: \(size.width)×\(size.height)")
        let scrollWidth = try #require(sizes.scrollWidth)
        #expect(scrollWidth <= 1200)
    }
}
