import Foundation
import RouteLedgerModel
import RouteLedgerReplay
import RouteLedgerTestSupport
import Testing

private let minute0: Int64 = 1_793_700_000_000_000   // 2026-11-03T10:00:00Z
private let sonnet = "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"
private let haiku = "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0"

private func gateway(_ deployments: [(group: String, rpm: Int?, tpm: Int?)], fallbacks: [String: [String]] = [:],
                     strategy: RoutingStrategy = .simpleShuffle, tenants: [String: RateLimits] = [:],
                     defaultTenant: RateLimits? = nil, models: [String: String] = [:]) -> GatewayConfig {
    var counts: [String: Int] = [:]
    let list = deployments.map { d -> GatewayDeployment in
        counts[d.group, default: 0] += 1
        return GatewayDeployment(group: d.group, model: models[d.group] ?? "model-\(d.group)", id: "\(d.group)#\(counts[d.group]!)",
                                 limits: RateLimits(rpm: d.rpm, tpm: d.tpm), region: "us-east-1")
    }
    return GatewayConfig(deployments: list, routingStrategy: strategy, fallbacks: fallbacks, tenantLimits: tenants,
                         defaultTenantLimits: defaultTenant)
}

private func simultaneous(_ count: Int, group: String = "primary", tenant: String? = "t", at micros: Int64 = minute0,
                          input: Int64? = 1000, output: Int64? = 200) -> [Arrival] {
    Array(repeating: Arrival(timestampMicros: micros, tenant: tenant, modelGroup: group, inputTokens: input, outputTokens: output), count: count)
}

private func served(_ replay: LimitsReplay) -> [Int] { replay.deployments.map(\.served) }

struct RateLimitReplayTests {
    // MARK: The published demonstrations

    @Test(arguments: [RoutingStrategy.simpleShuffle, .leastBusy], [UInt64(1), 2, 42, 1234, .max])
    func tenSimultaneousRequestsThreePrimarySevenFallback(strategy: RoutingStrategy, seed: UInt64) {
        let config = gateway([("primary", 3, nil), ("fallback", 25, nil)], fallbacks: ["primary": ["fallback"]], strategy: strategy)
        let replay = RateLimitSimulator(config: config, seed: seed).replay(simultaneous(10), keepOutcomes: true)
        #expect(served(replay) == [3, 7])
        #expect(replay.deployments[1].servedAsFallback == 7)
        #expect(replay.totals.served == 10)
        #expect(replay.totals.servedPrimary == 3)
        #expect(replay.totals.servedByFallback == 7)
        #expect(replay.totals.failed == 0)
        #expect(replay.totals.fallbackRate == 0.7)
        // Identical timestamps go in input order: the first three take the primary.
        #expect(replay.outcomes == Array(repeating: .served(deployment: 0, fallbackSteps: 0), count: 3)
                + Array(repeating: .served(deployment: 1, fallbackSteps: 1), count: 7))
        #expect(replay.fallbackPaths == [FallbackPathTally(from: "primary", to: "fallback", requests: 7, latencyPenaltyMs: nil)])
    }

    @Test(arguments: [RoutingStrategy.simpleShuffle, .leastBusy], [UInt64(0), 1, 7, 99, 2026, 0xDEAD_BEEF])
    func twoPrimariesAtThreeRPMPlusAFallbackServeThreeThreeFour(strategy: RoutingStrategy, seed: UInt64) {
        let config = gateway([("primary", 3, nil), ("primary", 3, nil), ("fallback", 25, nil)],
                             fallbacks: ["primary": ["fallback"]], strategy: strategy)
        let replay = RateLimitSimulator(config: config, seed: seed).replay(simultaneous(10))
        #expect(served(replay) == [3, 3, 4])
        #expect(replay.totals.served == 10)
        #expect(replay.totals.servedByFallback == 4)
    }

    @Test func shippedDemoConfigsReproduceTheDemonstrations() throws {
        func load(_ name: String) throws -> GatewayConfig {
            try GatewayConfig.load(path: TestPaths.fixtures.appendingPathComponent("gateway/\(name).yaml").path, environment: [:])
        }
        let ten = try ArrivalsFile.load(path: TestPaths.fixtures.appendingPathComponent("gateway/demo-simultaneous.csv").path)
        #expect(ten.count == 10)
        #expect(served(RateLimitSimulator(config: try load("demo-fallback")).replay(ten)) == [3, 7])
        for seed: UInt64 in [1, 5, 17] {
            #expect(served(RateLimitSimulator(config: try load("demo-two-primaries"), seed: seed).replay(ten)) == [3, 3, 4])
        }
        let noisy = try ArrivalsFile.load(path: TestPaths.fixtures.appendingPathComponent("gateway/demo-noisy-tenant.csv").path)
        let limited = RateLimitSimulator(config: try load("demo-noisy-tenant")).replay(noisy)
        #expect(limited.tenants.map(\.served) == [10, 5])
        let unlimited = RateLimitSimulator(config: try load("demo-noisy-tenant-unlimited")).replay(noisy)
        #expect(unlimited.tenants.map(\.served) == [20, 0])
    }

    /// A noisy tenant (A: 100 requests in the minute) and a quiet one (B: 5, after A's burst) on one 20-RPM deployment.
    static func noisyTraffic() -> [Arrival] {
        let a = (0..<100).map { Arrival(timestampMicros: minute0 + Int64($0) * 300_000, tenant: "A", modelGroup: "g", inputTokens: 400, outputTokens: 100) }
        let b = (0..<5).map { Arrival(timestampMicros: minute0 + 40_000_000 + Int64($0) * 2_000_000, tenant: "B", modelGroup: "g", inputTokens: 400, outputTokens: 100) }
        return a + b
    }

    @Test(arguments: [RoutingStrategy.simpleShuffle, .leastBusy])
    func noisyTenantUnderTenantQuotasDoesNotTakeTheOthersCapacity(strategy: RoutingStrategy) throws {
        let traffic = Self.noisyTraffic()
        let quota = RateLimitSimulator(config: gateway([("g", 20, nil)], strategy: strategy, defaultTenant: RateLimits(rpm: 10)))
            .replay(traffic)
        let a = try #require(quota.tenants.first { $0.tenant == "A" })
        let b = try #require(quota.tenants.first { $0.tenant == "B" })
        #expect((a.requests, a.served, a.tenantLimited, a.failed, a.fallbacks) == (100, 10, 90, 0, 0))
        #expect((b.requests, b.served, b.tenantLimited, b.failed) == (5, 5, 0, 0))
        #expect(quota.deployments[0].served == 15, "tenant-limited requests use no deployment capacity")
        #expect(quota.totals.tenantLimited == 90)
        #expect(quota.totals.routed == 15)
        #expect(quota.totals.fallbackRate == 0, "a tenant-limited request is not a fallback")

        // Without tenant limits the noisy tenant starves the quiet one.
        let free = RateLimitSimulator(config: gateway([("g", 20, nil)], strategy: strategy)).replay(traffic)
        let freeA = try #require(free.tenants.first { $0.tenant == "A" })
        let freeB = try #require(free.tenants.first { $0.tenant == "B" })
        #expect((freeA.served, freeA.failed, freeA.tenantLimited) == (20, 80, 0))
        #expect((freeB.served, freeB.failed) == (0, 5))
    }

    // MARK: Limits

    @Test func tpmCountsTokensOfRequestsStartedInTheMinute() {
        // 1,200 tokens a request; a counter admits while below its limit, so 5,000 TPM takes 5 (0, 1.2k … 4.8k < 5k).
        let config = gateway([("primary", nil, 5000), ("fallback", nil, nil)], fallbacks: ["primary": ["fallback"]])
        let replay = RateLimitSimulator(config: config).replay(simultaneous(8))
        #expect(served(replay) == [5, 3])
        #expect(replay.deployments[0].tokens == 6000)
        #expect(replay.deployments[1].tokens == 3600)

        // Unknown tokens count 0 toward TPM.
        let unknown = RateLimitSimulator(config: config).replay(simultaneous(8, input: nil, output: nil))
        #expect(served(unknown) == [8, 0])
        #expect(RateLimitSimulator(config: config).replay(simultaneous(8, input: nil, output: nil)).totals.unknownTokens == 8)

        // Both limits: whichever binds first.
        let both = gateway([("primary", 2, 5000), ("fallback", nil, nil)], fallbacks: ["primary": ["fallback"]])
        #expect(served(RateLimitSimulator(config: both).replay(simultaneous(8))) == [2, 6])
    }

    @Test func tenantTPM() throws {
        let config = gateway([("primary", nil, nil)], tenants: ["t": RateLimits(tpm: 2500)])
        let replay = RateLimitSimulator(config: config).replay(simultaneous(5) + simultaneous(2, tenant: "other"))
        let t = try #require(replay.tenants.first { $0.tenant == "t" })
        #expect((t.served, t.tenantLimited) == (3, 2))   // 0, 1.2k, 2.4k < 2.5k
        #expect(replay.tenants.first { $0.tenant == "other" }?.served == 2, "no limit for a tenant without one and no default")
        #expect(replay.tenants.first { $0.tenant == "other" }?.limits == nil)
    }

    @Test func requestsWithoutATenantAreNeverTenantLimited() throws {
        let config = gateway([("primary", nil, nil)], defaultTenant: RateLimits(rpm: 1))
        let replay = RateLimitSimulator(config: config).replay(simultaneous(4, tenant: nil) + simultaneous(4))
        #expect(replay.tenants.count == 2)
        #expect(replay.tenants.last?.tenant == nil, "the no-tenant row comes last")
        #expect(replay.tenants.last?.served == 4)
        #expect(replay.tenants.first?.served == 1)
        #expect(replay.tenants.first?.tenantLimited == 3)
    }

    @Test func windowsAreFixedMinutesAndResetAtTheMinute() {
        let config = gateway([("primary", 3, nil), ("fallback", nil, nil)], fallbacks: ["primary": ["fallback"]])
        // 5 at 10:00:30, 5 at 10:00:59.999999, 5 at 10:01:00 and 5 at 10:02:10.
        let arrivals = simultaneous(5, at: minute0 + 30_000_000) + simultaneous(5, at: minute0 + 59_999_999)
            + simultaneous(5, at: minute0 + 60_000_000) + simultaneous(5, at: minute0 + 130_000_000)
        let replay = RateLimitSimulator(config: config).replay(arrivals, keepOutcomes: true)
        #expect(served(replay) == [9, 11])
        let primaryPerBlock = stride(from: 0, to: 20, by: 5).map { start in
            replay.outcomes[start..<(start + 5)].filter { $0 == .served(deployment: 0, fallbackSteps: 0) }.count
        }
        #expect(primaryPerBlock == [3, 0, 3, 3])
    }

    @Test func arrivalsAreReplayedInTimeOrderWhateverTheirInputOrder() {
        let config = gateway([("primary", 1, nil), ("fallback", nil, nil)], fallbacks: ["primary": ["fallback"]])
        let late = Arrival(timestampMicros: minute0 + 5, tenant: "late", modelGroup: "primary")
        let early = Arrival(timestampMicros: minute0 + 1, tenant: "early", modelGroup: "primary")
        let replay = RateLimitSimulator(config: config).replay([late, early], keepOutcomes: true)
        #expect(replay.outcomes == [.served(deployment: 1, fallbackSteps: 1), .served(deployment: 0, fallbackSteps: 0)])
    }

    // MARK: Fallbacks and failures

    @Test func fallbackChainOfLengthTwoThenFailure() throws {
        let config = gateway([("g", 1, nil), ("f1", 1, nil), ("f2", 1, nil)], fallbacks: ["g": ["f1", "f2"], "f1": ["g"]])
        let replay = RateLimitSimulator(config: config).replay(simultaneous(4, group: "g"), keepOutcomes: true)
        #expect(replay.outcomes == [
            .served(deployment: 0, fallbackSteps: 0), .served(deployment: 1, fallbackSteps: 1),
            .served(deployment: 2, fallbackSteps: 2), .failedAfterFallbacks(fallbackSteps: 2),
        ])
        #expect(replay.totals.fallbackSteps == 5)
        #expect(replay.totals.fellBack == 3)
        #expect(replay.totals.failedAfterFallbacks == 1)
        #expect(replay.totals.fallbackRate == 0.75)
        let g = try #require(replay.groups.first)
        #expect((g.routed, g.servedPrimary, g.servedByFallback, g.failedAfterFallbacks, g.fallbackSteps) == (4, 1, 2, 1, 5))
        #expect(replay.groups.map(\.servedForOthers) == [0, 1, 1])
        #expect(replay.fallbackPaths.map { "\($0.from)>\($0.to):\($0.requests)" } == ["g>f1:1", "g>f2:1"])
        #expect(replay.tenants.first?.fallbacks == 5)
        #expect(replay.tenants.first?.servedByFallback == 2)
        #expect(replay.tenants.first?.failed == 1)
    }

    @Test func fallbackGroupsOwnFallbacksAreNotWalked() {
        // g → f1 only; f1 → f2 is f1's own list and is not used for g's requests.
        let config = gateway([("g", 0, nil), ("f1", 0, nil), ("f2", nil, nil)], fallbacks: ["g": ["f1"], "f1": ["f2"]])
        let replay = RateLimitSimulator(config: config).replay(simultaneous(2, group: "g"), keepOutcomes: true)
        #expect(replay.outcomes == Array(repeating: .failedAfterFallbacks(fallbackSteps: 1), count: 2))
    }

    @Test func failuresWithoutFallbacksAndForUnknownGroups() {
        let config = gateway([("g", 2, nil)])
        let replay = RateLimitSimulator(config: config).replay(simultaneous(3, group: "g") + simultaneous(2, group: "nope"), keepOutcomes: true)
        #expect(replay.outcomes.filter { $0 == .failedAfterFallbacks(fallbackSteps: 0) }.count == 1)
        #expect(replay.outcomes.filter { $0 == .unknownGroup }.count == 2)
        #expect(replay.totals.failed == 3)
        #expect(replay.totals.fellBack == 0, "no fallback configured: a failure, not a fallback")
        #expect(replay.unknownGroups == ["nope": 2])
        #expect(replay.totals.served + replay.totals.tenantLimited + replay.totals.failed == replay.totals.requests)
    }

    // MARK: Picking a deployment

    @Test func leastBusyTakesTheFewestRequestsThisMinuteTiesByConfigOrder() {
        let config = gateway([("g", nil, nil), ("g", nil, nil), ("g", 1, nil)], strategy: .leastBusy)
        let replay = RateLimitSimulator(config: config).replay(simultaneous(7, group: "g"), keepOutcomes: true)
        #expect(replay.outcomes.map { if case let .served(d, _) = $0 { d } else { -1 } } == [0, 1, 2, 0, 1, 0, 1])
    }

    @Test func simpleShuffleWeighsByRPMAndIsDeterministicPerSeed() {
        let config = gateway([("g", 100, nil), ("g", 300, nil)])
        // 200 minutes of 40 requests: capacity never binds, so only the weights decide.
        let arrivals = (0..<200).flatMap { m in simultaneous(40, group: "g", at: minute0 + Int64(m) * 60_000_000) }
        let first = RateLimitSimulator(config: config, seed: 9).replay(arrivals, keepOutcomes: true)
        let again = RateLimitSimulator(config: config, seed: 9).replay(arrivals, keepOutcomes: true)
        let other = RateLimitSimulator(config: config, seed: 10).replay(arrivals, keepOutcomes: true)
        #expect(first == again)
        #expect(first.outcomes != other.outcomes)
        let share = Double(first.deployments[1].served) / Double(arrivals.count)
        #expect(abs(share - 0.75) < 0.02, "\(share)")
        // Equal weights when the group does not set rpm on every deployment.
        let mixed = RateLimitSimulator(config: gateway([("g", nil, nil), ("g", nil, 9_999_999)]), seed: 3).replay(arrivals)
        let mixedShare = Double(mixed.deployments[1].served) / Double(arrivals.count)
        #expect(abs(mixedShare - 0.5) < 0.02, "\(mixedShare)")
    }

    // MARK: Cost and latency

    @Test func servedRequestsArePricedWithTheCatalogAndUnpricedIsNeverZero() throws {
        let catalog = PriceCatalog.builtIn()
        let config = gateway([("primary", 3, nil), ("fallback", nil, nil), ("other", nil, nil)], fallbacks: ["primary": ["fallback"]],
                             models: ["primary": sonnet, "fallback": haiku, "other": "openai/gpt-4o"])
        let arrivals = simultaneous(10) + simultaneous(2, group: "other") + simultaneous(1, group: "fallback", input: nil, output: nil)
        let replay = RateLimitSimulator(config: config).replay(arrivals, catalog: catalog)
        func price(_ model: String, _ requests: Int64) throws -> Double {
            let entry = try #require(catalog.entry(model: model, region: "us-east-1", atMicros: minute0))
            return try #require(entry.prices.cost(of: TokenCounts(input: 1000 * requests, output: 200 * requests)))
        }
        let sonnetCost = try price("anthropic.claude-3-5-sonnet-20241022-v2:0", 3)
        let haikuCost = try price("anthropic.claude-3-5-haiku-20241022-v1:0", 7)
        #expect(abs(replay.deployments[0].costUSD - sonnetCost) < 1e-9)
        #expect(abs(replay.deployments[1].costUSD - haikuCost) < 1e-9)
        #expect(replay.deployments[1].unpricedNoTokens == 1)
        #expect(replay.deployments[2].unpricedNoPrice == 2)
        #expect(replay.deployments[2].costUSD == 0)
        #expect(replay.totals.unpriced == 3)
        #expect(abs(replay.totals.costUSD - (sonnetCost + haikuCost)) < 1e-9)
    }

    @Test func latencyPenaltyOfAFallbackPath() {
        let config = gateway([("primary", 1, nil), ("fallback", nil, nil), ("third", nil, nil)],
                             fallbacks: ["primary": ["fallback"], "fallback": ["third"]],
                             models: ["primary": sonnet, "fallback": "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "third": "x"])
        let profile = LatencyProfile(samples: [
            "anthropic.claude-3-5-sonnet-20241022-v2:0": [3000, 1000, 2000],
            "anthropic.claude-3-5-haiku-20241022-v1:0": [400, 600],
        ])
        let replay = RateLimitSimulator(config: config).replay(simultaneous(3) + simultaneous(1, group: "fallback"), latency: profile)
        #expect(replay.fallbackPaths == [FallbackPathTally(from: "primary", to: "fallback", requests: 2, latencyPenaltyMs: -1500)])
        #expect(profile.median(models: ["x"]) == nil)
        let unknown = RateLimitSimulator(config: gateway([("primary", 0, nil), ("third", nil, nil)], fallbacks: ["primary": ["third"]],
                                                         models: ["primary": sonnet, "third": "x"]))
            .replay(simultaneous(1), latency: profile)
        #expect(unknown.fallbackPaths.first?.latencyPenaltyMs == nil, "no ledger latency for the fallback's model")
    }

    // MARK: Recommendation

    @Test func recommendationIsTheSmallestPassingLimitAndOneLessFails() throws {
        let config = gateway([("primary", 3, nil), ("fallback", 25, nil)], fallbacks: ["primary": ["fallback"]])
        let result = QuotaRecommender.recommend(config: config, arrivals: simultaneous(10), target: 0.01)
        let r = try #require(result.groups.first)
        #expect(result.groups.count == 1, "only groups with fallbacks")
        #expect(r.currentRPM == 3)
        #expect(r.currentRate == 0.7)
        #expect(r.rpm?.value == 10)
        #expect(r.rpm?.rate == 0)
        #expect(r.rpm?.rateBelow == 0.1)
        // 1,200 tokens a request: ten requests need the counter below the limit after nine (10,800 tokens).
        #expect(r.tpm?.value == 10_801)
        #expect(r.tpm?.rateBelow == 0.1)
        #expect(r.rateWithBoth == 0)
        #expect(result.gatewayRateWithRecommendations == 0)

        // A looser target: 70% may fall back → 3 RPM suffices, 2 does not.
        let loose = try #require(QuotaRecommender.recommend(config: config, arrivals: simultaneous(10), target: 0.7).groups.first)
        #expect(loose.rpm?.value == 3)
        #expect(loose.rpm?.rateBelow == 0.8)

        // The neighbour really is above the target when replayed directly.
        var below = config
        below.deployments[0].limits = RateLimits(rpm: 9)
        #expect(RateLimitSimulator(config: below).replay(simultaneous(10)).groups[0].spillRate == 0.1)

        // No tokens: no TPM recommendation, said so.
        let noTokens = try #require(QuotaRecommender.recommend(config: config, arrivals: simultaneous(10, input: nil, output: nil),
                                                               target: 0.01).groups.first)
        #expect(noTokens.tpm == nil)
        #expect(noTokens.notes.contains { $0.contains("no token counts") })
    }

    @Test func searchBisectsOverIntegers() {
        var calls: [Int] = []
        let found = QuotaRecommender.search(upper: 1000, target: 0.05) { value in
            calls.append(value)
            return value >= 377 ? 0.01 : 0.5
        }
        #expect(found?.value == 377)
        #expect(found?.rateBelow == 0.5)
        #expect(calls.count < 15)
        #expect(QuotaRecommender.search(upper: 10, target: 0.05) { _ in 0.2 } == nil)
        #expect(QuotaRecommender.search(upper: 10, target: 0.05) { _ in 0 }?.value == 0)
    }

    /// Random traffic on a gateway with a chain and several deployments: the fallback rate never rises
    /// when a limit rises, and the recommendation equals the brute-force smallest passing value.
    @Test(arguments: [RoutingStrategy.simpleShuffle, .leastBusy], [UInt64(3), 11, 4242])
    func fallbackRateIsMonotoneInTheLimit(strategy: RoutingStrategy, seed: UInt64) throws {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let groups = ["a", "a", "b", "c"]
        let tenants = ["t1", "t2", "t3", nil]
        let arrivals = (0..<1500).map { _ in
            Arrival(timestampMicros: minute0 + Int64(next() % 600_000_000), tenant: tenants[Int(next() % 4)],
                    modelGroup: groups[Int(next() % 4)], inputTokens: Int64(next() % 2000), outputTokens: Int64(next() % 500))
        }
        let fallbacks = ["a": ["b", "c"], "b": ["c"]]
        func config(rpm: Int?, tpm: Int?, deployments: Int) -> GatewayConfig {
            gateway(Array(repeating: ("a", rpm, tpm), count: deployments) + [("b", 20, 30_000), ("c", 15, nil)],
                    fallbacks: fallbacks, strategy: strategy, defaultTenant: RateLimits(rpm: 40))
        }
        func spill(_ c: GatewayConfig) -> Double {
            RateLimitSimulator(config: c, seed: seed).replay(arrivals).groups[0].spillRate ?? 0
        }
        // RPM, two deployments in the group.
        var previous = 1.0
        var rates: [Int: Double] = [:]
        for rpm in 0...80 {
            let rate = spill(config(rpm: rpm, tpm: nil, deployments: 2))
            rates[rpm] = rate
            #expect(rate <= previous, "rpm \(rpm): \(rate) > \(previous)")
            previous = rate
        }
        #expect(previous == 0)
        let target = 0.05
        let rec = try #require(QuotaRecommender.recommend(config: config(rpm: 5, tpm: nil, deployments: 2), arrivals: arrivals,
                                                          target: target, seed: seed).groups.first { $0.group == "a" })
        let bruteForce = try #require(rates.keys.sorted().first { rates[$0]! <= target })
        #expect(rec.rpm?.value == bruteForce)
        #expect(rec.rpm?.rateBelow == rates[bruteForce - 1])
        #expect(try #require(rec.rpm?.rateBelow) > target)

        // TPM, one deployment in the group.
        previous = 1.0
        for tpm in stride(from: 0, through: 120_000, by: 2_500) {
            let rate = spill(config(rpm: nil, tpm: tpm, deployments: 1))
            #expect(rate <= previous, "tpm \(tpm): \(rate) > \(previous)")
            previous = rate
        }
        let tpmRec = try #require(QuotaRecommender.recommend(config: config(rpm: nil, tpm: 1000, deployments: 1), arrivals: arrivals,
                                                             target: target, seed: seed).groups.first { $0.group == "a" })
        // The TPM is searched with the recommended RPM in place: the pair meets the target, one token less does not.
        let rpm = try #require(tpmRec.rpm?.value)
        let value = try #require(tpmRec.tpm?.value)
        #expect(spill(config(rpm: rpm, tpm: value, deployments: 1)) <= target)
        #expect(spill(config(rpm: rpm, tpm: value - 1, deployments: 1)) > target)
        #expect(tpmRec.rateWithBoth == tpmRec.tpm?.rate)
    }

    // MARK: Report

    @Test func reportIsDeterministicAndReconciles() throws {
        let config = gateway([("primary", 3, nil), ("fallback", 25, nil)], fallbacks: ["primary": ["fallback"]],
                             defaultTenant: RateLimits(rpm: 8), models: ["primary": sonnet, "fallback": haiku])
        let arrivals = simultaneous(10) + simultaneous(3, tenant: "u")
        let source = LimitsTrafficSource(kind: "arrivals", path: "demo.csv")
        let build = { LimitsReport.build(config: config, arrivals: arrivals, source: source, seed: 4, targetFallbackRate: 0.01,
                                         catalog: .builtIn(), latency: nil) }
        let report = build()
        let json = report.json()
        #expect(json == build().json())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "routeledger.replay-limits/1")
        let totals = try #require(object["totals"] as? [String: Any])
        #expect(totals["requests"] as? Int == 13)
        #expect(totals["tenant_limited"] as? Int == 2)
        #expect(totals["served_primary"] as? Int == 3)
        #expect(totals["served_by_fallback"] as? Int == 8)
        #expect((totals["served"] as! Int) + (totals["tenant_limited"] as! Int) + (totals["failed"] as! Int) == 13)
        // Keys are written sorted.
        let keys = json.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { String($0.dropFirst(3).prefix { $0 != "\"" }) }
        #expect(keys == keys.sorted())
        let markdown = report.markdown()
        #expect(markdown.contains("## Deployments"))
        #expect(markdown.contains("| primary#1 | primary | \(sonnet) | 3 | - | 3 | 0 |"))
        #expect(markdown.contains("## Recommendation (fallback rate ≤ 1%)"))
        #expect(markdown.contains("unknown"), "no ledger: latency penalty unknown")
    }
}
