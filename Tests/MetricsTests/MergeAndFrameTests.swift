import Foundation
import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerStore
import Testing

@Suite struct MergeAndFrameTests {
    /// A few thousand pseudo-random rows over two days (deterministic LCG).
    static func randomRows(count: Int, seed: UInt64) -> [Row] {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let models = [TestCatalog.sonnet, TestCatalog.haiku, "meta.llama-unknown"]
        var rows: [Row] = []
        for i in 0..<count {
            let second = next(2 * 86_400)
            let at = CivilCalendar.formatTimestamp(TinyFrame.micros("2026-11-03") + Int64(second) * 1_000_000)
            let failed = next(20) == 0
            let routed = next(3) == 0
            var row = Row(at: at, model: routed ? nil : models[next(3)], router: routed ? TestCatalog.router : nil,
                          served: routed ? models[next(2)] : nil, region: ["us-east-1", "eu-west-1"][next(2)],
                          inference: ["us-east-1", "us-west-2", nil][next(3)], tenant: "t\(next(5))",
                          input: failed ? -1 : Int64(next(5000)), output: failed ? -1 : Int64(next(2000)),
                          cacheRead: Int64(next(3)) * 100, cacheWrite: 0, latency: Int64(next(70_000)),
                          ttft: next(2) == 0 ? -1 : Int64(next(900)), failed: failed,
                          error: failed ? ["ThrottlingException", "ModelTimeoutException"][next(2)] : nil,
                          correlation: next(4) == 0 ? "c\(next(count / 3))" : nil)
            if i % 7 == 0 { row.kind = .litellm; row.group = "g\(next(2))"; row.deployment = "d\(next(3))"; row.logged = Double(next(1000)) / 1e5 }
            rows.append(row)
        }
        return rows
    }

    @Test func shardsMergeToTheWholeExactly() throws {
        let since = TinyFrame.micros("2026-11-03"), until = TinyFrame.micros("2026-11-05")
        let rows = Self.randomRows(count: 4000, seed: 7)
        let frame = TinyFrame.build(rows, since: since, until: until)
        let whole = Aggregator.aggregate(frame)

        // Shards cut at an hour boundary; correlation ids that straddle it would be split, so keep
        // correlated rows to the first day in this test (the limit is documented on MetricsState).
        let cut = TinyFrame.micros("2026-11-04T00:00:00Z")
        let firstDay = rows.filter { TinyFrame.micros($0.at) < cut }
        var secondDay = rows.filter { TinyFrame.micros($0.at) >= cut }
        for index in secondDay.indices { secondDay[index].correlation = secondDay[index].correlation.map { "late-" + $0 } }
        let shardA = Aggregator.aggregate(TinyFrame.build(firstDay, since: since, until: cut))
        let shardB = Aggregator.aggregate(TinyFrame.build(secondDay, since: cut, until: until))
        let wholeRelabelled = Aggregator.aggregate(TinyFrame.build(firstDay + secondDay, since: since, until: until))
        var merged = shardA
        merged.merge(shardB)

        let calculator = MetricsCalculator(catalog: TestCatalog.catalog,
                                           routers: [RouterDefinition(id: TestCatalog.router, strong: TestCatalog.sonnet,
                                                                      cheap: TestCatalog.haiku, fallback: TestCatalog.haiku)])
        #expect(calculator.compute(merged, since: since, until: until) == calculator.compute(wholeRelabelled, since: since, until: until))
        #expect(merged.latency == wholeRelabelled.latency)
        #expect(merged.tenantMinutes == wholeRelabelled.tenantMinutes)
        // And the merge is not trivially equal to either shard.
        #expect(calculator.compute(shardA, since: since, until: until).totals.requests < Int64(rows.count))
        #expect(calculator.compute(whole, since: since, until: until).totals.requests == Int64(rows.count))
    }

    @Test func exactHistogramMatchesSortedSamples() {
        var samples: [UInt32] = []
        var state: UInt64 = 42
        for _ in 0..<5000 {
            state = state &* 2_862_933_555_777_941_757 &+ 3_037_000_493
            samples.append(UInt32((state >> 40) % 90_000))
        }
        let histogram = ExactHistogram(samples)
        let sorted = samples.sorted()
        for percent in [1, 50, 90, 99, 100] {
            // Nearest rank by a second method: index ⌈p/100·n⌉ − 1 of the sorted samples.
            let rank = Int((Double(percent) / 100 * Double(sorted.count)).rounded(.up))
            #expect(histogram.percentile(percent) == sorted[max(rank, 1) - 1])
        }
        var a = ExactHistogram(samples[..<2500]), b = ExactHistogram(samples[2500...])
        a.merge(b)
        #expect(a == histogram)
        b = ExactHistogram()
        #expect(b.percentile(50) == nil)
    }

    @Test func frameIsAtMost48BytesPerRow() {
        #expect(Frame.bytesPerRow <= 48)
        let frame = TinyFrame.build(Self.randomRows(count: 1000, seed: 3), since: 0, until: .max)
        let columnBytes = frame.timestamp.count * 8 + frame.key.count * 4 + frame.inputTokens.count * 4 * 4
            + frame.latencyMs.count * 4 * 2 + frame.logical.count * 4 + frame.loggedCostUSD.count * 8
        #expect(columnBytes == frame.count * Frame.bytesPerRow)
    }

    @Test func filtersKeepOnlyMatchingRows() {
        let rows = Self.randomRows(count: 500, seed: 11)
        var strings = [""], ids: [String: Int32] = [:]
        func id(_ s: String?) -> Int32 {
            guard let s else { return 0 }
            if let known = ids[s] { return known }
            strings.append(s); ids[s] = Int32(strings.count - 1); return ids[s]!
        }
        var scanned: [ScannedRow] = []
        for row in rows {
            var r = ScannedRow()
            r.timestampMicros = TinyFrame.micros(row.at)
            r.tenant = id(row.tenant); r.region = id(row.region); r.router = id(row.router)
            scanned.append(r)
        }
        var builder = FrameBuilder(since: 0, until: .max, ledgerStrings: strings,
                                   filter: FrameFilter(regions: ["eu-west-1"], tenants: ["t1", "t2"]))
        for r in scanned { builder.append(r, correlation: nil) }
        let frame = builder.build()
        let expected = rows.filter { $0.region == "eu-west-1" && ($0.tenant == "t1" || $0.tenant == "t2") }.count
        #expect(frame.count == expected)
        #expect(frame.scan.rowsFiltered == rows.count - expected)
        #expect(expected > 0)
    }

    @Test func rowsBinarySearch() {
        let frame = TinyFrame.build(Self.randomRows(count: 300, seed: 5), since: 0, until: .max)
        let cut = TinyFrame.micros("2026-11-04")
        let range = frame.rows(from: cut, to: .max)
        #expect(range.count == frame.timestamp.filter { $0 >= cut }.count)
        #expect(frame.timestamp[range].allSatisfy { $0 >= cut })
    }
}
