import Foundation
import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel
import Testing

/// Eleven rows whose every metric is worked out by hand in the comments below.
/// Prices (per million): Sonnet 4 3 / 15 / 0.30 / 3.75, Haiku 0.8 / 4 / 0.08 / 1.0.
@Suite struct HandComputedMetricsTests {
    static let S = TestCatalog.sonnet, H = TestCatalog.haiku, R = TestCatalog.router
    static let since = TinyFrame.micros("2026-11-03"), until = TinyFrame.micros("2026-11-04")

    static let rows: [Row] = [
        // r1 routed → Haiku: 1000×0.8 + 500×4 = 0.0028; on Sonnet 0.003 + 0.0075 = 0.0105
        Row(at: "2026-11-03T01:00:00Z", router: R, served: H, tenant: "a", input: 1000, output: 500, cacheRead: 0, cacheWrite: 0, latency: 800, ttft: 300),
        // r2 routed → Sonnet: 2000×3 + 1000×15 + 1000×0.30 = 0.0213; on Haiku 0.0016 + 0.004 + 0.00008 = 0.00568
        Row(at: "2026-11-03T01:10:00Z", router: R, served: S, tenant: "a", input: 2000, output: 1000, cacheRead: 1000, cacheWrite: 0, latency: 2000, ttft: 700),
        // r3 routed → Haiku, cross-Region to us-west-2: 0.00008 + 0.0004 = 0.00048; on Sonnet 0.0003 + 0.0015 = 0.0018
        Row(at: "2026-11-03T02:00:00Z", router: R, served: H, inference: "us-west-2", tenant: "b", input: 100, output: 100, latency: 600,
            flags: .crossRegion),
        // r4 routed, served model not in the log: unpriced
        Row(at: "2026-11-03T02:30:00Z", router: R, tenant: "b", input: 500, output: 50, latency: 1000, flags: .servedModelUnresolved),
        // r5 + r6 (correlation c1): throttled on Sonnet, then served by Haiku → a gateway fallback
        Row(at: "2026-11-03T03:00:00Z", model: S, tenant: "a", latency: 50, failed: true, error: "ThrottlingException", correlation: "c1"),
        Row(at: "2026-11-03T03:00:01Z", model: H, tenant: "a", input: 1000, output: 1000, latency: 900, correlation: "c1"),
        // r7 a model the catalog does not know: unpriced
        Row(at: "2026-11-03T04:00:00Z", model: "mistral.mistral-large-2402-v1:0", tenant: "c", input: 100, output: 100, latency: 500),
        // r8 + r9 (c2): throttled on Sonnet, retried on Sonnet → a retry, not a fallback. r9 costs 10×3 + 10×15 = 0.00018
        Row(at: "2026-11-03T05:00:00Z", model: S, tenant: "a", latency: 40, failed: true, error: "ThrottlingException", correlation: "c2"),
        Row(at: "2026-11-03T05:00:02Z", model: S, tenant: "a", input: 10, output: 10, latency: 400, correlation: "c2"),
        // r10 LiteLLM: served by the claude-haiku group after falling back from claude-sonnet; logged 0.0005, catalog 0.00048
        Row(at: "2026-11-03T06:00:00Z", kind: .litellm, model: H, region: nil, account: nil, tenant: "d", group: "claude-haiku",
            originalGroup: "claude-sonnet", deployment: "dep-1", input: 100, output: 100, latency: 700, attempt: 1, logged: 0.0005),
        // r11 the previous day
        Row(at: "2026-11-02T23:00:00Z", model: H, tenant: "a", input: 10, output: 10, latency: 300),
    ]

    static func metrics() -> WindowMetrics {
        let frame = TinyFrame.build(rows, since: since - 86_400_000_000, until: until)
        let calculator = MetricsCalculator(catalog: TestCatalog.catalog,
                                           routers: [RouterDefinition(id: R, strong: S, cheap: H, fallback: H)],
                                           quotas: [TenantQuota(tenant: "a", dailyRequests: 12)])
        return calculator.compute(Aggregator.aggregate(frame, rows: frame.rows(from: since, to: until)), since: since, until: until)
    }

    func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    @Test func totals() {
        let t = Self.metrics().totals
        #expect(t.requests == 10)
        #expect(t.succeeded == 8)
        #expect(t.failed == 2)
        #expect(t.throttled == 2)
        #expect(t.failedByCode == [CodeCount(code: "ThrottlingException", count: 2)])
        #expect(t.tokens == TokenCounts(input: 4810, output: 2860, cacheRead: 1000, cacheWrite: 0))
        // 0.0028 + 0.0213 + 0.00048 + 0.0048 + 0.00018 + 0.00048; the two throttled calls cost 0.
        #expect(close(t.costUSD, 0.03004))
        #expect(t.pricedRequests == 8)
        #expect(t.unpricedRequests == 2)
        #expect(t.unpricedByReason == [CodeCount(code: "no-price", count: 1), CodeCount(code: "served-model-unresolved", count: 1)])
    }

    @Test func unpricedModelsAreListedNeverZero() {
        let m = Self.metrics()
        #expect(m.unpricedModels.map(\.model).sorted() == ["(unresolved) \(Self.R)", "mistral.mistral-large-2402-v1:0"])
        let mistral = m.models.first { $0.model == "mistral.mistral-large-2402-v1:0" }
        #expect(mistral?.costUSD == nil)
        #expect(mistral?.unpricedRequests == 1)
    }

    @Test func router() throws {
        let r = try #require(Self.metrics().routers.first)
        #expect(r.router == Self.R)
        #expect(r.requests == 4)
        #expect(r.served.map(\.model) == [Self.H, Self.S])
        #expect(r.served.map(\.requests) == [2, 1])
        #expect(r.unresolved == 1)
        #expect(close(r.cheapRatio, 2.0 / 3))
        #expect(close(r.fallbackRate, 2.0 / 3))
        #expect(close(r.costUSD, 0.02458))
        #expect(close(r.counterfactualStrongUSD, 0.0336))
        #expect(close(r.counterfactualCheapUSD, 0.00896))
        #expect(close(r.savingsPct, (1 - 0.02458 / 0.0336) * 100, 1e-9))
        // Token shares: Haiku 1500 + 200 of 1700 + 3000 (r2's cache read counts as tokens too: 4000).
        #expect(close(r.served[0].tokenShare, 1700.0 / 5700))
    }

    @Test func haikuAndFallbacks() {
        let m = Self.metrics()
        // Successful Claude requests with a known model: r1 r2 r3 r6 r9 r10; Haiku: r1 r3 r6 r10.
        #expect(m.haiku.claudeRequests == 6)
        #expect(m.haiku.haikuRequests == 4)
        // Router fallback: 2 of the router's 3 resolved requests went to its fallback (Haiku).
        #expect(m.fallback.routerFallbacks == 2)
        #expect(m.fallback.routerResolvedRequests == 3)
        // Logical requests: 6 uncorrelated rows + c1 + c2 = 8; fallbacks: c1 and r10; c2 is a retry.
        #expect(m.fallback.logicalRequests == 8)
        #expect(m.fallback.gatewayFallbacks == 2)
        #expect(m.fallback.retriedSuccesses == 1)
        #expect(m.fallback.failedAfterFallback == 0)
        #expect(m.fallback.failedWithoutFallback == 0)
        #expect(m.fallback.gatewayFallbackRate == 0.25)
    }

    @Test func counterfactual() {
        let c = Self.metrics().counterfactual
        // r4 (unresolved) and r7 (no family counterparts) cannot be re-priced.
        #expect(c.requests == 6)
        #expect(c.excludedRequests == 2)
        #expect(close(c.actualUSD, 0.03004))
        // Strong: 0.0105 + 0.0213 + 0.0018 + 0.018 + 0.00018 + 0.0018
        #expect(close(c.allStrongUSD, 0.05358))
        // Cheap: 0.0028 + 0.00568 + 0.00048 + 0.0048 + 0.000048 + 0.00048
        #expect(close(c.allCheapUSD, 0.014288))
        #expect(close(c.savingsPct, (1 - 0.03004 / 0.05358) * 100, 1e-9))
    }

    @Test func latencyRegionsTenantsDeployments() throws {
        let m = Self.metrics()
        let haiku = try #require(m.models.first { $0.model == Self.H })
        // Successful Haiku latencies 600 700 800 900: nearest rank p50 = 2nd, p90 = p99 = 4th.
        #expect(haiku.latency == Percentiles(p50: 700, p90: 900, p99: 900, samples: 4))
        #expect(haiku.ttft == Percentiles(p50: 300, p90: 300, p99: 300, samples: 1))
        // Routed Haiku p50 600 (of 600, 800) vs direct 700 (of 700, 900).
        let overhead = try #require(m.routingOverhead.first { $0.model == Self.H })
        #expect(overhead.p50DifferenceMs == -100)
        #expect(overhead.routedSamples == 2 && overhead.directSamples == 2)

        #expect(m.regions.map(\.inferenceRegion) == ["us-east-1", "us-west-2"])
        #expect(m.regions.map(\.requests) == [8, 1])
        #expect(close(m.regions[1].share, 1.0 / 9))

        let a = try #require(m.tenants.first { $0.name == "a" })
        #expect(a.requests == 6 && a.throttled == 2)
        #expect(close(a.costUSD, 0.02908))
        #expect(close(a.costShare, 0.02908 / 0.03004))
        #expect(close(a.throttledMinuteShare, 1.0))   // all four requests in throttled minutes are a's
        #expect(a.noisyNeighbour == false)            // too few to call (under 20 requests)
        #expect(close(a.quota?.requestsPct, 50))      // 6 of 12 a day

        #expect(m.deployments.count == 1)
        #expect(m.deployments.first?.share == 1.0)
        #expect(m.litellmCost.requests == 1)
        #expect(close(m.litellmCost.catalogUSD, 0.00048))
        #expect(close(m.litellmCost.differenceUSD, 0.00002))
    }

    @Test func hourlySeriesAddUpToTotals() {
        let m = Self.metrics()
        #expect(m.hourly.map(\.requests).reduce(0, +) == 10)
        #expect(m.hourly.map { Formatting6.day($0.start) } == ["01", "02", "03", "04", "05", "06"])
        #expect(close(m.hourly.compactMap(\.costUSD).reduce(0, +), 0.03004))
        #expect(m.daily.count == 1)
        #expect(close(m.daily.first?.haikuRatio, 4.0 / 6))
    }
}

/// Hour of day from a microsecond timestamp (test-local formatting).
enum Formatting6 {
    static func day(_ micros: Int64) -> String {
        let hour = (micros / 3_600_000_000) % 24
        return hour < 10 ? "0\(hour)" : "\(hour)"
    }
}

@Suite struct LiteLLMRoutingGroupTests {
    @Test func aGroupServingBothTiersIsARouterAndALoadBalancedGroupIsNot() throws {
        let S = TestCatalog.sonnet, H = TestCatalog.haiku
        let rows = [
            Row(at: "2026-11-03T01:00:00Z", kind: .litellm, model: S, region: nil, group: "auto", deployment: "a1", input: 10, output: 10),
            Row(at: "2026-11-03T01:01:00Z", kind: .litellm, model: H, region: nil, group: "auto", deployment: "a2", input: 10, output: 10),
            Row(at: "2026-11-03T01:02:00Z", kind: .litellm, model: H, region: nil, group: "auto", deployment: "a2", input: 10, output: 10),
            Row(at: "2026-11-03T01:03:00Z", kind: .litellm, model: H, region: nil, group: "haiku-only", deployment: "h1", input: 10, output: 10),
            Row(at: "2026-11-03T01:04:00Z", kind: .litellm, model: H, region: nil, group: "haiku-only", deployment: "h2", input: 10, output: 10),
        ]
        let since = TinyFrame.micros("2026-11-03"), until = TinyFrame.micros("2026-11-04")
        let frame = TinyFrame.build(rows, since: since, until: until)
        let m = MetricsCalculator(catalog: TestCatalog.catalog).compute(Aggregator.aggregate(frame), since: since, until: until)
        #expect(m.routers.map(\.router) == ["auto"])
        let auto = try #require(m.routers.first)
        #expect(auto.kind == "litellm" && !auto.configured)
        #expect(auto.served.map(\.requests) == [2, 1])
        #expect(auto.cheapRatio == 2.0 / 3)
        #expect(auto.strongModel == S && auto.cheapModel == H)
        // Load balancing inside each group: auto 1 + 2, haiku-only 1 + 1.
        #expect(m.deployments.map(\.deployment) == ["a2", "a1", "h1", "h2"])
        let shares: [Double] = [2.0 / 3, 1.0 / 3, 0.5, 0.5]
        #expect(m.deployments.map(\.share) == shares)
    }
}
