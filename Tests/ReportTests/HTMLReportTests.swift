import Foundation
import Testing
@testable import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerReport
import RouteLedgerTestSupport

/// The self-contained HTML report: content checks on the string, then a real headless Chromium that
/// screenshots it, measures its charts at desktop and phone widths, and prints it to PDF.
@Suite(.serialized)
struct HTMLReportTests {
    static let chartNames = ["routing-distribution", "haiku-ratio-daily", "cost-daily", "cross-region", "latency-models"]
    static let hostileTenant = "<script>alert(1)</script>"
    static let unpricedModel = "mystery.unpriced-model-v1:0"
    static let bedrockRouter = "arn:aws:bedrock:us-east-1:111122223333:default-prompt-router/anthropic.claude:1"

    // MARK: Sample document

    static func sampleDocument() -> ReportDocument {
        let day: Int64 = 86_400_000_000
        let start: Int64 = 1_793_664_000_000_000 // 2026-11-03T00:00:00Z
        let sonnet = "anthropic.claude-3-5-sonnet-20241022-v2:0"
        let haiku = "anthropic.claude-3-5-haiku-20241022-v1:0"
        let llamaBig = "meta.llama3-1-70b-instruct-v1:0"
        let llamaSmall = "meta.llama3-1-8b-instruct-v1:0"

        var current = WindowMetrics(since: start, until: start + day)
        current.totals.requests = 12_480
        current.totals.succeeded = 12_190
        current.totals.failed = 290
        current.totals.failedByCode = [CodeCount(code: "ThrottlingException", count: 210),
                                       CodeCount(code: "ValidationException", count: 80)]
        current.totals.throttled = 210
        current.totals.tokens = TokenCounts(input: 18_400_000, output: 2_950_000, cacheRead: 4_100_000, cacheWrite: 610_000)
        current.totals.costUSD = 187.4321
        current.totals.pricedRequests = 12_140
        current.totals.unpricedRequests = 340
        current.totals.unpricedByReason = [CodeCount(code: "model not in catalog", count: 340)]

        current.models = [
            ModelMetrics(model: sonnet, family: "claude", tier: .strong, requests: 4_100, failed: 120,
                         tokens: TokenCounts(input: 8_200_000, output: 1_400_000, cacheRead: 3_000_000, cacheWrite: 400_000),
                         costUSD: 121.25, latency: Percentiles(p50: 2_140, p90: 4_870, p99: 9_920, samples: 3_980),
                         ttft: Percentiles(p50: 610, p90: 1_250, p99: 2_900, samples: 3_100)),
            ModelMetrics(model: haiku, family: "claude", tier: .cheap, requests: 5_300, failed: 90,
                         tokens: TokenCounts(input: 6_100_000, output: 900_000, cacheRead: 1_100_000, cacheWrite: 210_000),
                         costUSD: 11.87, latency: Percentiles(p50: 690, p90: 1_480, p99: 3_120, samples: 5_210),
                         ttft: Percentiles(p50: 240, p90: 520, p99: 1_010, samples: 4_400)),
            ModelMetrics(model: llamaBig, family: "llama", tier: .strong, requests: 1_500, failed: 40,
                         tokens: TokenCounts(input: 2_600_000, output: 420_000),
                         costUSD: 52.3121, latency: Percentiles(p50: 1_320, p90: 2_950, p99: 6_100, samples: 1_460)),
            ModelMetrics(model: llamaSmall, family: "llama", tier: .cheap, requests: 1_240, failed: 25,
                         tokens: TokenCounts(input: 1_100_000, output: 190_000),
                         costUSD: 1.99, latency: Percentiles(p50: 380, p90: 910, p99: 1_870, samples: 1_215)),
            ModelMetrics(model: unpricedModel, family: nil, tier: nil, requests: 340, failed: 15,
                         tokens: TokenCounts(input: 400_000, output: 40_000), costUSD: nil, unpricedRequests: 340,
                         latency: Percentiles(p50: 1_010, p90: nil, p99: nil, samples: 12)),
        ]

        current.routers = [
            RouterMetrics(router: bedrockRouter, kind: "bedrock", configured: true, strongModel: sonnet, cheapModel: haiku,
                          fallbackModel: sonnet, requests: 8_400,
                          served: [ServedShare(model: haiku, tier: .cheap, requests: 5_040, share: 0.6, tokenShare: 0.52, costShare: 0.11),
                                   ServedShare(model: sonnet, tier: .strong, requests: 3_360, share: 0.4, tokenShare: 0.48, costShare: 0.89)],
                          cheapRatio: 0.6, fallbackRate: 0.031, unresolved: 12, costUSD: 118.4, counterfactualStrongUSD: 241.9,
                          counterfactualCheapUSD: 22.75, savingsPct: 51.05, haikuRatio: 0.6),
            RouterMetrics(router: "llama-auto", kind: "litellm", configured: false, requests: 2_740,
                          served: [ServedShare(model: llamaBig, tier: .strong, requests: 1_500, share: 0.5474, tokenShare: nil, costShare: nil),
                                   ServedShare(model: llamaSmall, tier: .cheap, requests: 1_240, share: 0.4526, tokenShare: nil, costShare: nil)],
                          cheapRatio: 0.4526, fallbackRate: nil, unresolved: 0, costUSD: nil, counterfactualStrongUSD: nil,
                          counterfactualCheapUSD: nil, savingsPct: nil, haikuRatio: nil),
        ]
        current.haiku.ratio = 0.5638
        current.haiku.haikuRequests = 5_300
        current.haiku.claudeRequests = 9_400
        current.cheapRatioByFamily = [FamilyCheapRatio(family: "claude", cheapRequests: 5_300, tieredRequests: 9_400, ratio: 0.5638),
                                      FamilyCheapRatio(family: "llama", cheapRequests: 1_240, tieredRequests: 2_740, ratio: 0.4526)]
        current.fallback.routerFallbackRate = 0.031
        current.fallback.routerFallbacks = 260
        current.fallback.routerResolvedRequests = 8_388
        current.fallback.gatewayFallbackRate = 0.0124
        current.fallback.gatewayFallbacks = 34
        current.fallback.logicalRequests = 2_740
        current.fallback.retriedSuccesses = 51
        current.fallback.failedAfterFallback = 4
        current.fallback.failedWithoutFallback = 21
        current.counterfactual.actualUSD = 118.4
        current.counterfactual.allStrongUSD = 241.9
        current.counterfactual.allCheapUSD = 22.75
        current.counterfactual.savingsUSD = 123.5
        current.counterfactual.savingsPct = 51.05
        current.counterfactual.requests = 8_388
        current.counterfactual.excludedRequests = 352
        current.routingOverhead = [RoutingOverhead(model: sonnet, routedSamples: 3_300, directSamples: 680,
                                                   p50DifferenceMs: 85, p90DifferenceMs: 140),
                                   RoutingOverhead(model: haiku, routedSamples: 5_000, directSamples: 210,
                                                   p50DifferenceMs: -12, p90DifferenceMs: nil)]
        current.regions = [
            RegionFlow(account: nil, sourceRegion: "us-east-1", inferenceRegion: "us-east-1", requests: 6_100, share: 0.7176),
            RegionFlow(account: nil, sourceRegion: "us-east-1", inferenceRegion: "us-east-2", requests: 1_500, share: 0.1765),
            RegionFlow(account: nil, sourceRegion: "us-east-1", inferenceRegion: "us-west-2", requests: 900, share: 0.1059),
            RegionFlow(account: nil, sourceRegion: "us-west-2", inferenceRegion: "us-east-1", requests: 480, share: 0.1212),
            RegionFlow(account: nil, sourceRegion: "us-west-2", inferenceRegion: "us-west-2", requests: 3_480, share: 0.8788),
        ]
        current.accountRegions = [
            RegionFlow(account: "111122223333", sourceRegion: "us-east-1", inferenceRegion: "us-east-2", requests: 1_500, share: 0.1765),
        ]
        current.accounts = [
            Breakdown(name: "111122223333", requests: 8_500, failed: 200, throttled: 150,
                      tokens: TokenCounts(input: 12_000_000, output: 2_000_000), costUSD: 150.1, costShare: 0.8008,
                      throttleRate: 0.0176, unpricedRequests: 0),
            Breakdown(name: "444455556666", requests: 3_980, failed: 90, throttled: 60,
                      tokens: TokenCounts(input: 6_400_000, output: 950_000), costUSD: 37.3321, costShare: 0.1992,
                      throttleRate: 0.0151, unpricedRequests: 340),
        ]
        current.tenants = [
            Breakdown(name: hostileTenant, requests: 6_200, failed: 160, throttled: 150,
                      tokens: TokenCounts(input: 9_000_000, output: 1_500_000), costUSD: 95.2, costShare: 0.508,
                      throttleRate: 0.0242, unpricedRequests: 0, throttledMinuteShare: 0.31, requestShare: 0.4968,
                      noisyNeighbour: true, quota: QuotaUse(requestsPct: 124.0, tokensPct: 88.5, costPct: 95.2, maxPct: 124.0)),
            Breakdown(name: "team-alpha", requests: 4_100, failed: 90, throttled: 50,
                      tokens: TokenCounts(input: 6_000_000, output: 1_000_000), costUSD: 70.0, costShare: 0.3735,
                      throttleRate: 0.0122, unpricedRequests: 0, throttledMinuteShare: 0.12, requestShare: 0.3285,
                      noisyNeighbour: false, quota: QuotaUse(requestsPct: 41.0, tokensPct: 35.2, costPct: nil, maxPct: 41.0)),
            Breakdown(name: "team-beta", requests: 2_180, failed: 40, throttled: 10,
                      tokens: TokenCounts(input: 3_400_000, output: 450_000), costUSD: nil, costShare: nil,
                      throttleRate: 0.0046, unpricedRequests: 340, throttledMinuteShare: 0.02, requestShare: 0.1747,
                      noisyNeighbour: false, quota: nil),
        ]
        current.deployments = [
            DeploymentShare(modelGroup: "llama-auto", deployment: "bedrock/us-east-1/llama3-1-70b", requests: 900,
                            share: 0.6, failed: 20, latencyP50: 1_300),
            DeploymentShare(modelGroup: "llama-auto", deployment: "bedrock/us-west-2/llama3-1-70b", requests: 600,
                            share: 0.4, failed: 20, latencyP50: 1_350),
        ]
        current.litellmCost.requests = 2_740
        current.litellmCost.loggedUSD = 55.1
        current.litellmCost.catalogUSD = nil
        current.litellmCost.comparableRequests = 2_400
        current.unpricedModels = [UnpricedModel(model: unpricedModel, region: "us-west-2", reason: "model not in catalog", requests: 340)]
        current.notes = ["3 rows had a negative latency and were clamped to 0 ms."]

        var previous = WindowMetrics(since: start - day, until: start)
        previous.totals.requests = 11_020
        previous.totals.costUSD = 171.9

        var history: [SeriesPoint] = []
        let ratios: [Double?] = [0.48, 0.51, nil, 0.55, 0.53, 0.58, 0.6, 0.5638]
        let costs: [Double?] = [140.2, 151.7, 160.0, nil, 166.3, 175.8, 171.9, 187.4321]
        for index in 0..<8 {
            history.append(SeriesPoint(start: start - Int64(7 - index) * day, requests: 9_000 + Int64(index) * 450,
                                       costUSD: costs[index], counterfactualStrongUSD: costs[index].map { $0 * 1.9 },
                                       haikuRatio: ratios[index], routerFallbackRate: 0.03, gatewayFallbackRate: 0.012,
                                       throttleRate: 0.017))
        }
        let changes = [
            Change(metric: "cost_usd", current: 187.4321, previous: 171.9, unit: "usd"),
            Change(metric: "requests", current: 12_480, previous: 11_020, unit: "count"),
            Change(metric: "haiku_ratio", current: 0.5638, previous: 0.6, unit: "ratio"),
            Change(metric: "savings_pct", current: 51.05, previous: 47.2, unit: "pct"),
            Change(metric: "latency_p50_ms", current: 1_010, previous: nil, unit: "ms"),
        ]
        return ReportDocument(label: "2026-11-03", current: current, previous: previous, history: history, changes: changes,
                              priceCatalog: "builtin-2026-10", configuredRouters: 1,
                              warnings: ["Router llama-auto is not in the configuration."])
    }

    /// A window with nothing in it: every chart must still show up, saying there is no data.
    static func emptyDocument() -> ReportDocument {
        ReportDocument(label: "2026-11-04", current: WindowMetrics(since: 0, until: 86_400_000_000), previous: nil,
                       history: [], changes: [], priceCatalog: "builtin", configuredRouters: 0, warnings: [])
    }

    // MARK: Content

    @Test func renderingIsDeterministic() {
        let document = Self.sampleDocument()
        let first = HTMLRenderer.render(document)
        let second = HTMLRenderer.render(document)
        #expect(first == second)
        #expect(first.hasPrefix("<!DOCTYPE html>"))
        #expect(HTMLRenderer.render(Self.emptyDocument()) == HTMLRenderer.render(Self.emptyDocument()))
    }

    @Test func dataStringsAreEscaped() {
        let html = HTMLRenderer.render(Self.sampleDocument())
        #expect(!html.contains(Self.hostileTenant))
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        // The router ARN is shown shortened with the full id in an escaped attribute.
        #expect(html.contains("title=\"\(Self.bedrockRouter)\""))
        // The hostile tenant is also the flagged noisy neighbour.
        #expect(html.contains("noisy neighbour"))
    }

    @Test func noExternalReferences() {
        let html = HTMLRenderer.render(Self.sampleDocument())
        for forbidden in ["http://", "https://", "src=", "href=\"http", "href='http", "@import", "url(", "<link", "<script", "<img"] {
            #expect(!html.contains(forbidden), "found \(forbidden)")
        }
        #expect(html.contains("<meta name=\"viewport\""))
        #expect(html.contains("@media print"))
    }

    @Test func everyChartIsPresentWithTitleAndRole() throws {
        for document in [Self.sampleDocument(), Self.emptyDocument()] {
            let html = HTMLRenderer.render(document)
            for name in Self.chartNames {
                let marker = "data-chart=\"\(name)\""
                #expect(html.components(separatedBy: marker).count == 2, "chart \(name) once")
                let range = try #require(html.range(of: marker))
                let svgStart = try #require(html.range(of: "<svg", options: .backwards, range: html.startIndex..<range.lowerBound))
                let svgEnd = try #require(html.range(of: "</svg>", range: range.upperBound..<html.endIndex))
                let svg = String(html[svgStart.lowerBound..<svgEnd.upperBound])
                #expect(svg.contains("role=\"img\""))
                #expect(svg.contains("<title"))
                #expect(svg.contains("viewBox=\"0 0 "))
                if document.current.models.isEmpty { #expect(svg.contains("No data"), "\(name) says no data") }
            }
        }
    }

    @Test func sectionsComeInOrder() throws {
        let html = HTMLRenderer.render(Self.sampleDocument())
        let ids = ["headline", "changes", "totals", "daily", "models", "routers", "counterfactual", "fallback", "overhead",
                   "regions", "accounts", "tenants", "deployments", "litellm-cost", "unpriced", "notes"]
        var last = html.startIndex
        for id in ids {
            let range = try #require(html.range(of: "<section id=\"\(id)\">"), "section \(id)")
            #expect(range.lowerBound > last, "section \(id) in order")
            last = range.lowerBound
        }
        #expect(html.contains(Counterfactual.assumption.replacingOccurrences(of: "'", with: "&#39;")))
        // Headline cards before the changes.
        let cards = try #require(html.range(of: "Gateway fallback rate"))
        let changes = try #require(html.range(of: "<section id=\"changes\">"))
        #expect(cards.lowerBound < changes.lowerBound)
    }

    @Test func unpricedModelsAreListedAndNeverShownAsZero() throws {
        // Table cells put line-break opportunities (<wbr>) into long ids.
        let html = HTMLRenderer.render(Self.sampleDocument()).replacingOccurrences(of: "<wbr>", with: "")
        let section = try #require(Self.section("unpriced", in: html))
        #expect(section.contains(Self.unpricedModel))
        #expect(section.contains("340"))
        // Its cost in the models table is "–" with the excluded count, not $0.
        let models = try #require(Self.section("models", in: html))
        let row = try #require(models.components(separatedBy: "\n").first { $0.contains(Self.unpricedModel) })
        #expect(row.contains("–<br><small>340 unpriced</small>"))
        #expect(!row.contains("$0.00"))

        let empty = HTMLRenderer.render(Self.emptyDocument())
        let emptySection = try #require(Self.section("unpriced", in: empty))
        #expect(emptySection.contains("none"))
    }

    @Test func sameModelSameColour() throws {
        let html = HTMLRenderer.render(Self.sampleDocument())
        // Haiku sorts first among the models, so it gets the palette's first colour in every chart and table.
        let haiku = "anthropic.claude-3-5-haiku-20241022-v1:0"
        let routing = try #require(Self.chart("routing-distribution", in: html))
        #expect(routing.contains("fill=\"#4e79a7\"><title>\(haiku):"))
        let latency = try #require(Self.chart("latency-models", in: html))
        #expect(latency.contains("fill=\"#4e79a7\" fill-opacity=\"1.00\"><title>\(haiku) p50"))
    }

    static func section(_ id: String, in html: String) -> String? {
        guard let start = html.range(of: "<section id=\"\(id)\">"),
              let end = html.range(of: "</section>", range: start.upperBound..<html.endIndex) else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }

    static func chart(_ name: String, in html: String) -> String? {
        guard let marker = html.range(of: "data-chart=\"\(name)\""),
              let end = html.range(of: "</svg>", range: marker.upperBound..<html.endIndex) else { return nil }
        return String(html[marker.lowerBound..<end.upperBound])
    }

    // MARK: Real browser

    static var skipBrowser: Bool { ProcessInfo.processInfo.environment["ROUTELEDGER_SKIP_BROWSER"] == "1" }

    /// Where Chromium is, or a recorded failure saying how to get it.
    static func requireChromium() -> String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = environment["ROUTELEDGER_CHROMIUM"], !explicit.isEmpty { candidates.append(explicit) }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] { candidates.append("\(directory)/\(name)") }
        }
        candidates += ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        Issue.record("""
            Chromium is not installed, so the HTML report's browser tests cannot run. Install it with \
            `apt-get install -y chromium` (Debian; or point ROUTELEDGER_CHROMIUM at a Chromium binary), \
            or set ROUTELEDGER_SKIP_BROWSER=1 to skip these tests.
            """)
        return nil
    }

    /// Runs headless Chromium with its own profile folder; killed after 60 s so a hung browser cannot hang the suite.
    @discardableResult
    static func chromium(_ binary: String, _ arguments: [String], in directory: TemporaryDirectory,
                         profile: String) throws -> ProcessResult {
        let profileDirectory = directory.path("profile-\(profile)")
        let base = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--no-default-browser-check", "--disable-extensions", "--mute-audio",
                    "--user-data-dir=\(profileDirectory)"]
        let result = try runProcess("timeout", ["--kill-after=5", "60", binary] + base + arguments,
                                    environment: ["HOME": directory.url.path,
                                                  "XDG_CONFIG_HOME": directory.path("xdg-config"),
                                                  "XDG_CACHE_HOME": directory.path("xdg-cache")])
        if result.status == 124 || result.status == 137 {
            Issue.record("chromium timed out after 60 s: \(arguments)")
        }
        return result
    }

    /// Writes the sample report into `directory` and returns its path.
    static func writeReport(_ directory: TemporaryDirectory, name: String = "report.html") throws -> String {
        let path = directory.path(name)
        try HTMLRenderer.render(sampleDocument()).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Copies a finished artefact to `ROUTELEDGER_HTML_ARTIFACTS` when set (to look at the pages by hand).
    static func keep(_ path: String, as name: String) {
        guard let folder = ProcessInfo.processInfo.environment["ROUTELEDGER_HTML_ARTIFACTS"], !folder.isEmpty else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let target = (folder as NSString).appendingPathComponent(name)
        try? FileManager.default.removeItem(atPath: target)
        try? FileManager.default.copyItem(atPath: path, toPath: target)
    }

    static let measureScript = """
        <script>
        window.addEventListener('load', function () {
          var lines = [];
          document.querySelectorAll('svg[data-chart]').forEach(function (svg) {
            var box = svg.getBoundingClientRect();
            lines.push('chart ' + svg.getAttribute('data-chart') + ' ' + box.width + ' ' + box.height);
          });
          lines.push('scrollWidth ' + document.documentElement.scrollWidth);
          lines.push('viewport ' + document.documentElement.clientWidth);
          var pre = document.createElement('pre');
          pre.id = 'chart-sizes';
          pre.textContent = lines.join('\\n');
          document.body.appendChild(pre);
        });
        </script>
        """

    struct Measurement {
        var charts: [String: (width: Double, height: Double)] = [:]
        var scrollWidth: Double?
        var viewport: Double?
    }

    static func parseMeasurement(_ dom: String) -> Measurement? {
        guard let start = dom.range(of: "<pre id=\"chart-sizes\">"),
              let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else { return nil }
        var measurement = Measurement()
        for line in dom[start.upperBound..<end.lowerBound].split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.count == 4, fields[0] == "chart", let width = Double(fields[2]), let height = Double(fields[3]) {
                measurement.charts[fields[1]] = (width, height)
            } else if fields.count == 2, fields[0] == "scrollWidth" {
                measurement.scrollWidth = Double(fields[1])
            } else if fields.count == 2, fields[0] == "viewport" {
                measurement.viewport = Double(fields[1])
            }
        }
        return measurement
    }

    /// Loads `page` with `--dump-dom` and reads the sizes the measuring script wrote.
    static func measure(_ binary: String, page: String, windowSize: String, in directory: TemporaryDirectory,
                        profile: String, extra: [String] = []) throws -> Measurement? {
        let result = try chromium(binary, ["--window-size=\(windowSize)", "--virtual-time-budget=2000"] + extra
                                  + ["--dump-dom", "file://\(page)"], in: directory, profile: profile)
        guard let measurement = parseMeasurement(result.stdout) else {
            Issue.record("no chart sizes in chromium's DOM (status \(result.status)): \(result.stderr.suffix(2000))")
            return nil
        }
        return measurement
    }

    static func writeMeasuringCopy(_ directory: TemporaryDirectory, document: ReportDocument = sampleDocument(),
                                   name: String = "measure.html") throws -> String {
        let html = HTMLRenderer.render(document)
        let copy = html.replacingOccurrences(of: "</body>", with: measureScript + "\n</body>")
        let path = directory.path(name)
        try copy.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: !skipBrowser, "ROUTELEDGER_SKIP_BROWSER=1"))
    func desktopScreenshot() throws {
        guard let binary = Self.requireChromium() else { return }
        let directory = try TemporaryDirectory("html-screenshot")
        let report = try Self.writeReport(directory)
        let png = directory.path("report.png")
        let result = try Self.chromium(binary, ["--hide-scrollbars", "--window-size=1200,3000", "--screenshot=\(png)",
                                                "file://\(report)"], in: directory, profile: "shot")
        let data = try #require(FileManager.default.contents(atPath: png),
                                "no screenshot (status \(result.status)): \(result.stderr.suffix(2000))")
        let bytes = [UInt8](data)
        try #require(bytes.count > 24)
        #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
        func bigEndian(_ offset: Int) -> UInt32 { bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        #expect(bigEndian(16) == 1200)
        #expect(bigEndian(20) == 3000)

        // A blank page of the same size, from the same browser, for scale.
        let blankPage = directory.path("blank.html")
        try "<!DOCTYPE html><html><body></body></html>".write(toFile: blankPage, atomically: true, encoding: .utf8)
        let blankPNG = directory.path("blank.png")
        try Self.chromium(binary, ["--hide-scrollbars", "--window-size=1200,3000", "--screenshot=\(blankPNG)",
                                   "file://\(blankPage)"], in: directory, profile: "blank")
        let blankSize = try #require(FileManager.default.contents(atPath: blankPNG)).count
        #expect(data.count > max(3 * blankSize, 60_000), "screenshot \(data.count) bytes vs blank \(blankSize)")
        Self.keep(report, as: "report.html")
        Self.keep(png, as: "desktop.png")
    }

    @Test(.enabled(if: !skipBrowser, "ROUTELEDGER_SKIP_BROWSER=1"))
    func desktopChartSizes() throws {
        guard let binary = Self.requireChromium() else { return }
        let directory = try TemporaryDirectory("html-desktop")
        let page = try Self.writeMeasuringCopy(directory)
        guard let sizes = try Self.measure(binary, page: page, windowSize: "1200,3000", in: directory, profile: "desktop") else { return }
        for name in Self.chartNames {
            let size = try #require(sizes.charts[name], "chart \(name) measured")
            #expect(size.width > 100 && size.height > 50, "\(name): \(size.width)×\(size.height)")
        }
        let scrollWidth = try #require(sizes.scrollWidth)
        #expect(scrollWidth <= 1200)

        // With nothing to draw, every chart still takes room (it says "No data").
        let empty = try Self.writeMeasuringCopy(directory, document: Self.emptyDocument(), name: "empty.html")
        guard let emptySizes = try Self.measure(binary, page: empty, windowSize: "1200,3000", in: directory,
                                                profile: "empty") else { return }
        for name in Self.chartNames {
            let size = try #require(emptySizes.charts[name], "empty chart \(name) measured")
            #expect(size.width > 100 && size.height > 50, "empty \(name): \(size.width)×\(size.height)")
        }
        Self.keep(empty, as: "empty.html")
    }

    /// Headless Chromium will not make its window narrower than 500 CSS px, whatever `--window-size`
    /// says, so the phone check loads the report in a 390 px wide frame (the width of a phone's
    /// viewport) and reads the sizes measured inside it.
    @Test(.enabled(if: !skipBrowser, "ROUTELEDGER_SKIP_BROWSER=1"))
    func phoneLayoutHasNoHorizontalScroll() throws {
        guard let binary = Self.requireChromium() else { return }
        let directory = try TemporaryDirectory("html-phone")
        _ = try Self.writeMeasuringCopy(directory)
        let frame = directory.path("phone.html")
        try """
            <!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
            <iframe id="phone" src="measure.html" style="width:390px;height:2000px;border:0;display:block"></iframe>
            <script>
            window.addEventListener('load', function () {
              var text;
              try { text = document.getElementById('phone').contentDocument.getElementById('chart-sizes').textContent; }
              catch (error) { text = 'error ' + error; }
              var pre = document.createElement('pre');
              pre.id = 'chart-sizes';
              pre.textContent = text;
              document.body.appendChild(pre);
            });
            </script>
            </body></html>
            """.write(toFile: frame, atomically: true, encoding: .utf8)
        guard let sizes = try Self.measure(binary, page: frame, windowSize: "390,2000", in: directory, profile: "phone",
                                           extra: ["--allow-file-access-from-files", "--hide-scrollbars"]) else { return }
        #expect(sizes.viewport == 390, "the report was laid out 390 px wide")
        let scrollWidth = try #require(sizes.scrollWidth, "scrollWidth measured")
        #expect(scrollWidth <= 390, "page scrolls horizontally at phone width: \(scrollWidth)")
        for name in Self.chartNames {
            let size = try #require(sizes.charts[name], "chart \(name) measured")
            #expect(size.width > 100 && size.height > 50, "\(name) at phone width: \(size.width)×\(size.height)")
            #expect(size.width <= 390)
        }
        if ProcessInfo.processInfo.environment["ROUTELEDGER_HTML_ARTIFACTS"] != nil {
            let png = directory.path("phone.png")
            try Self.chromium(binary, ["--hide-scrollbars", "--allow-file-access-from-files", "--window-size=390,2000",
                                       "--screenshot=\(png)", "file://\(frame)"], in: directory, profile: "phone-shot")
            Self.keep(png, as: "phone.png")
        }
    }

    @Test(.enabled(if: !skipBrowser, "ROUTELEDGER_SKIP_BROWSER=1"))
    func printsToPDF() throws {
        guard let binary = Self.requireChromium() else { return }
        let directory = try TemporaryDirectory("html-pdf")
        let report = try Self.writeReport(directory)
        let pdf = directory.path("report.pdf")
        let result = try Self.chromium(binary, ["--no-pdf-header-footer", "--print-to-pdf=\(pdf)", "file://\(report)"],
                                       in: directory, profile: "pdf")
        let data = try #require(FileManager.default.contents(atPath: pdf),
                                "no PDF (status \(result.status)): \(result.stderr.suffix(2000))")
        #expect(data.starts(with: Array("%PDF".utf8)))
        #expect(data.count > 8_000, "PDF is \(data.count) bytes")
        Self.keep(pdf, as: "report.pdf")
    }
}
