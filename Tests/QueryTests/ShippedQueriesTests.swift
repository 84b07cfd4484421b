import Foundation
import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerQuery
import RouteLedgerTestSupport
import Testing

/// The ledgers every shipped query is checked on: the fixture corpus (2026-11-01) and a small hand-made
/// one whose retries, fallbacks, routers and unpriced requests are known by construction.
enum Corpus: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case fixtures, scenario
    func ledger() throws -> QueryLedger { self == .fixtures ? try .fixtures() : try .scenario() }
    var testDescription: String { rawValue }
}

/// The shipped queries (`queries/*.sql`) against numbers computed another way: the report engine
/// (FrameBuilder → Aggregator → MetricsCalculator, a columnar implementation with no SQL), or Swift sums over
/// the raw rows of `invocations_v` where the engine has no matching number, and hand-counted expectations on
/// the scenario ledger.
@Suite struct ShippedQueriesTests {
    static let shipped = [
        "routing_by_model_hour", "haiku_ratio_by_day", "fallback_rate_by_router", "fallback_rate_by_tenant",
        "cost_vs_counterfactual_by_day", "cross_region_distribution", "account_region_distribution",
        "top_tenants_by_cost", "throttles_by_model_hour", "latency_percentiles_by_model", "unpriced_models",
        "litellm_deployment_distribution",
    ]

    // MARK: Every file

    @Test func everyQueryFileHasAHeaderAndRunsWithItsDefaults() throws {
        let ledger = try QueryLedger.fixtures()
        let names = try FileManager.default.contentsOfDirectory(atPath: QueryLedger.queriesFolder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(Set(Self.shipped.map { $0 + ".sql" }).isSubset(of: Set(names)), "missing: \(Set(Self.shipped.map { $0 + ".sql" }).subtracting(names))")
        for name in names {
            let file = try QueryFile.load(path: QueryLedger.queriesFolder.appendingPathComponent(name).path)
            #expect(file.text.contains("-- @title "), "\(name): no @title")
            #expect(!file.title.isEmpty && file.title != file.name, "\(name): no title")
            #expect(file.description.count > 40, "\(name): no description")
            #expect(!file.parameters.isEmpty, "\(name): no parameters")
            #expect(file.name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(name): not snake_case")
            #expect(file.text.uppercased().contains("ORDER BY"), "\(name): no ORDER BY")
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            for parameter in file.parameters {
                let text = try #require(parameter.defaultText, "\(name): :\(parameter.name) has no default")
                #expect(parameter.value(text, nowMicros: now) != nil, "\(name): :\(parameter.name) = \(text)")
                #expect(parameter.help?.isEmpty == false, "\(name): :\(parameter.name) has no help")
            }
            let since = file.parameters.first { $0.name == "since" }, until = file.parameters.first { $0.name == "until" }
            #expect(since?.type == .timestamp && since?.defaultText == "now-7d", "\(name): since")
            #expect(until?.type == .timestamp && until?.defaultText == "now", "\(name): until")
            #expect(file.text.contains("ts_us >= :since AND ts_us < :until"), "\(name): window filter")

            // Defaults (the last 7 days): no fixture rows, but the query must compile and run.
            let defaults = try ledger.run(file, window: false)
            #expect(!defaults.columns.isEmpty, "\(name)")
            // The fixture day: the same rows twice (deterministic order).
            let first = try ledger.run(file, window: true), second = try ledger.run(file, window: true)
            #expect(!first.rows.isEmpty, "\(name): no rows on the fixture day")
            #expect(first.rows.map(\.values) == second.rows.map(\.values), "\(name): unstable output")
        }
    }

    // MARK: 1. routing_by_model_hour

    @Test(arguments: Corpus.allCases) func routingByModelHour(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("routing_by_model_hour")
        struct Key: Hashable { var hour: String; var model: String }
        var expected: [Key: (requests: Int64, failed: Int64, tokens: TokenCounts)] = [:]
        for row in try ledger.rawRows() {
            let key = Key(hour: row.hour, model: row.effectiveModel ?? "(unresolved)")
            var value = expected[key] ?? (0, 0, TokenCounts())
            value.requests += 1
            if row.failed { value.failed += 1 }
            value.tokens += row.tokens
            expected[key] = value
        }
        #expect(result.rows.count == expected.count)
        #expect(!result.rows.isEmpty)
        var seen = Set<Key>()
        for row in result.rows {
            let key = Key(hour: row.text("hour") ?? "?", model: row.text("model") ?? "?")
            #expect(seen.insert(key).inserted, "duplicate \(key)")
            let want = try #require(expected[key], "unexpected row \(row)")
            #expect(row.int("requests") == want.requests, "\(key)")
            #expect(row.int("failed") == want.failed, "\(key)")
            #expect(row.int("input_tokens") == want.tokens.input, "\(key)")
            #expect(row.int("output_tokens") == want.tokens.output, "\(key)")
            #expect(row.int("cache_read_tokens") == want.tokens.cacheRead, "\(key)")
            #expect(row.int("cache_write_tokens") == want.tokens.cacheWrite, "\(key)")
            #expect(row.int("total_tokens") == want.tokens.total, "\(key)")
        }
        #expect(isSorted(result.rows) { a, b in
            (a.text("hour")!, -a.int("requests")!, a.text("model")!) < (b.text("hour")!, -b.int("requests")!, b.text("model")!)
        })

        // Rolled up, the engine's per-model and per-hour numbers.
        let (_, metrics) = try ledger.engine()
        var byModel: [String: (requests: Int64, failed: Int64, tokens: TokenCounts)] = [:]
        var byHour: [String: Int64] = [:]
        for row in result.rows {
            var value = byModel[row.text("model")!] ?? (0, 0, TokenCounts())
            value.requests += row.int("requests")!
            value.failed += row.int("failed")!
            value.tokens += TokenCounts(input: row.int("input_tokens")!, output: row.int("output_tokens")!,
                                        cacheRead: row.int("cache_read_tokens")!, cacheWrite: row.int("cache_write_tokens")!)
            byModel[row.text("model")!] = value
            byHour[row.text("hour")!, default: 0] += row.int("requests")!
        }
        #expect(byModel.count == metrics.models.count)
        for model in metrics.models {
            let got = try #require(byModel[model.model], "engine model \(model.model) missing")
            #expect(got.requests == model.requests && got.failed == model.failed && got.tokens == model.tokens, "\(model.model)")
        }
        #expect(byHour == Dictionary(uniqueKeysWithValues: metrics.hourly.filter { $0.requests > 0 }
            .map { (CivilCalendar.formatTimestamp($0.start), $0.requests) }))
    }

    // MARK: 2. haiku_ratio_by_day

    @Test(arguments: Corpus.allCases) func haikuRatioByDay(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("haiku_ratio_by_day")
        let (_, metrics) = try ledger.engine()
        let days = metrics.daily.filter { $0.requests > 0 }
        #expect(result.rows.count == days.count)
        #expect(!result.rows.isEmpty)
        for (row, point) in zip(result.rows, days) {
            #expect(row.text("day") == dayText(point.start))
            #expect(row.int("requests") == point.requests)
            #expect(approximately(row.double("haiku_ratio"), point.haikuRatio, 1e-12), "\(row) vs \(String(describing: point.haikuRatio))")
        }
        let claude = result.rows.compactMap { $0.int("claude_requests") }.reduce(0, +)
        let haiku = result.rows.compactMap { $0.int("haiku_requests") }.reduce(0, +)
        #expect(claude == metrics.haiku.claudeRequests)
        #expect(haiku == metrics.haiku.haikuRequests)
        if corpus == .scenario {
            // Hand count: 13 Haiku + 9 Sonnet successes (the unresolved router call and Nova/Mistral are not Claude).
            #expect(claude == 22 && haiku == 13)
        }
    }

    // MARK: 3. fallback_rate_by_router

    @Test(arguments: Corpus.allCases) func fallbackRateByRouter(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("fallback_rate_by_router")
        let (_, metrics) = try ledger.engine()
        let engineRouters = metrics.routers.filter { $0.requests > 0 }
        #expect(Set(result.rows.compactMap { $0.text("router") }) == Set(engineRouters.map(\.router)))
        #expect(result.rows.count == engineRouters.count)
        for router in engineRouters {
            let row = try #require(result.rows.first { $0.text("router") == router.router }, "\(router.router)")
            let resolved = router.served.reduce(0) { $0 + $1.requests }
            #expect(row.text("kind") == router.kind, "\(router.router)")
            #expect(row.text("fallback_model") == router.fallbackModel, "\(router.router)")
            #expect(row.int("requests") == router.requests, "\(router.router)")
            #expect(row.int("resolved_requests") == resolved, "\(router.router)")
            #expect(row.int("unresolved_requests") == router.unresolved, "\(router.router)")
            if let fallback = router.fallbackModel {
                #expect(row.int("fallback_requests") == (router.served.first { $0.model == fallback }?.requests ?? 0), "\(router.router)")
            } else {
                #expect(row.isNull("fallback_requests"), "\(router.router)")
            }
            #expect(approximately(row.double("fallback_rate"), router.fallbackRate, 1e-12), "\(router.router)")
        }
        // The overall router fallback rate over the configured routers.
        let configured = result.rows.filter { !$0.isNull("fallback_model") }
        let fallbacks = configured.compactMap { $0.int("fallback_requests") }.reduce(0, +)
        let resolved = configured.compactMap { $0.int("resolved_requests") }.reduce(0, +)
        #expect(fallbacks == metrics.fallback.routerFallbacks)
        #expect(resolved == metrics.fallback.routerResolvedRequests)
        #expect(isSorted(result.rows) { a, b in (-a.int("requests")!, a.text("router")!) < (-b.int("requests")!, b.text("router")!) })

        if corpus == .scenario {
            func row(_ id: String) -> ResultRow? { result.rows.first { $0.text("router") == id } }
            let configuredRouter = try #require(row(ScenarioRecords.configuredRouter))
            #expect(configuredRouter.int("requests") == 5 && configuredRouter.int("resolved_requests") == 3)
            #expect(configuredRouter.int("unresolved_requests") == 1 && configuredRouter.int("fallback_requests") == 2)
            #expect(approximately(configuredRouter.double("fallback_rate"), 2.0 / 3.0))
            let smart = try #require(row("smart"), "a configured LiteLLM group is a router")
            #expect(smart.text("kind") == "litellm" && smart.int("requests") == 3)
            #expect(smart.int("resolved_requests") == 2 && smart.int("fallback_requests") == 1)
            let auto = try #require(row("auto"), "a group served by both tiers routes")
            #expect(auto.isNull("fallback_rate") && auto.int("resolved_requests") == 4, "3 in the group, 1 it fell back from")
            let free = try #require(row(ScenarioRecords.freeRouter))
            #expect(free.isNull("fallback_model") && free.isNull("fallback_rate") && free.int("resolved_requests") == 2)
            #expect(row("claude-haiku") == nil && row("mixed") == nil, "a group serving one tier only load-balances")
        }
    }

    // MARK: 4. fallback_rate_by_tenant

    @Test(arguments: Corpus.allCases) func fallbackRateByTenant(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("fallback_rate_by_tenant")
        let (state, metrics) = try ledger.engine()
        // The engine counts each logical request in the cell of its first attempt: per tenant from its cells.
        struct Outcomes: Equatable { var logical: Int64 = 0, fallbacks: Int64 = 0, retried: Int64 = 0, afterFallback: Int64 = 0, withoutFallback: Int64 = 0 }
        var expected: [String: Outcomes] = [:]
        state.forEachCell { dims, _, cell in
            guard cell.logicalRequests > 0 else { return }
            var value = expected[dims.tenant ?? "(no tenant)"] ?? Outcomes()
            value.logical += cell.logicalRequests
            value.fallbacks += cell.gatewayFallbacks
            value.retried += cell.retriedSuccesses
            value.afterFallback += cell.failedAfterFallback
            value.withoutFallback += cell.failedWithoutFallback
            expected[dims.tenant ?? "(no tenant)"] = value
        }
        var got: [String: Outcomes] = [:]
        for row in result.rows {
            got[row.text("tenant") ?? "?"] = Outcomes(
                logical: row.int("logical_requests") ?? -1, fallbacks: row.int("gateway_fallbacks") ?? -1,
                retried: row.int("retried_successes") ?? -1, afterFallback: row.int("failed_after_fallback") ?? -1,
                withoutFallback: row.int("failed_without_fallback") ?? -1)
            let logical = Double(row.int("logical_requests") ?? 0)
            #expect(approximately(row.double("gateway_fallback_rate"), Double(row.int("gateway_fallbacks") ?? -1) / logical, 1e-12))
        }
        #expect(got.count == result.rows.count, "a tenant appears twice")
        #expect(got == expected)
        #expect(!got.isEmpty)
        let total = got.values.reduce(Outcomes()) {
            Outcomes(logical: $0.logical + $1.logical, fallbacks: $0.fallbacks + $1.fallbacks, retried: $0.retried + $1.retried,
                     afterFallback: $0.afterFallback + $1.afterFallback, withoutFallback: $0.withoutFallback + $1.withoutFallback)
        }
        #expect(total == Outcomes(logical: metrics.fallback.logicalRequests, fallbacks: metrics.fallback.gatewayFallbacks,
                                  retried: metrics.fallback.retriedSuccesses, afterFallback: metrics.fallback.failedAfterFallback,
                                  withoutFallback: metrics.fallback.failedWithoutFallback))
        #expect(result.rows.compactMap { $0.int("attempts") }.reduce(0, +) == metrics.totals.requests)
        #expect(isSorted(result.rows) { a, b in
            (-a.int("logical_requests")!, a.text("tenant")!) < (-b.int("logical_requests")!, b.text("tenant")!)
        })

        if corpus == .scenario {
            // By construction (see ScenarioRecords): L1 + LiteLLM SHARED fell back, L2 was retried, L3 (beta's
            // first attempt, gamma's second) and M5 failed after a fallback, L4 and the two lone throttles did not.
            #expect(got["alpha"] == Outcomes(logical: 5, fallbacks: 2, retried: 1, afterFallback: 0, withoutFallback: 0))
            #expect(got["beta"] == Outcomes(logical: 5, fallbacks: 1, retried: 0, afterFallback: 2, withoutFallback: 1))
            #expect(got["gamma"] == Outcomes(logical: 7, fallbacks: 0, retried: 0, afterFallback: 0, withoutFallback: 1))
            #expect(got["delta"] == Outcomes(logical: 7, fallbacks: 0, retried: 0, afterFallback: 0, withoutFallback: 1))
            #expect(got["epsilon"] == Outcomes(logical: 10, fallbacks: 0, retried: 0, afterFallback: 0, withoutFallback: 1))
            // Z1 changed group (same model) and failed, Z3 changed model (same group) and succeeded, Z5 failed alone.
            #expect(got["zeta"] == Outcomes(logical: 3, fallbacks: 0, retried: 1, afterFallback: 1, withoutFallback: 1))
            let attempts = Dictionary(uniqueKeysWithValues: result.rows.map { ($0.text("tenant")!, $0.int("attempts")!) })
            #expect(attempts == ["alpha": 8, "beta": 7, "gamma": 8, "delta": 7, "epsilon": 10, "zeta": 5])
        }
    }

    // MARK: 5. cost_vs_counterfactual_by_day

    @Test(arguments: Corpus.allCases) func costVsCounterfactualByDay(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("cost_vs_counterfactual_by_day")
        let (_, metrics) = try ledger.engine()
        let days = metrics.daily.filter { $0.requests > 0 }
        #expect(result.rows.count == days.count)
        #expect(!result.rows.isEmpty)
        for (row, point) in zip(result.rows, days) {
            #expect(row.text("day") == dayText(point.start))
            #expect(row.int("requests") == point.requests)
            #expect(approximately(row.double("cost_usd"), point.costUSD), "cost \(row) vs \(String(describing: point.costUSD))")
            #expect(approximately(row.double("all_strong_usd"), point.counterfactualStrongUSD),
                    "all-strong \(row) vs \(String(describing: point.counterfactualStrongUSD))")
        }
        func sum(_ column: String) -> Int64 { result.rows.compactMap { $0.int(column) }.reduce(0, +) }
        func total(_ column: String) -> Double? {
            let values = result.rows.compactMap { $0.double(column) }
            return values.isEmpty ? nil : values.reduce(0, +)
        }
        #expect(sum("priced_requests") == metrics.totals.pricedRequests)
        #expect(sum("unpriced_requests") == metrics.totals.unpricedRequests)
        #expect(sum("compared_requests") + sum("excluded_requests") == metrics.totals.succeeded)
        #expect(approximately(total("cost_usd"), metrics.totals.costUSD))
        // The report's counterfactual section: the view picks the same strong and cheap models (configured, else
        // the router's most used, else the family's), so the two agree exactly on a single-window ledger.
        let counterfactual = metrics.counterfactual
        #expect(sum("compared_requests") == counterfactual.requests)
        #expect(sum("excluded_requests") == counterfactual.excludedRequests)
        #expect(approximately(total("compared_actual_usd"), counterfactual.actualUSD))
        #expect(approximately(total("all_strong_usd"), counterfactual.allStrongUSD))
        #expect(approximately(total("all_cheap_usd"), counterfactual.allCheapUSD))
        #expect(approximately(total("savings_usd"), counterfactual.savingsUSD))
        if result.rows.count == 1 {
            #expect(approximately(result.rows[0].double("savings_pct"), counterfactual.savingsPct))
        }
        #expect(isSorted(result.rows) { $0.text("day")! < $1.text("day")! })
        if corpus == .scenario {
            // Unpriced: tokens missing, no price, two cache writes Nova Lite has no price for, an unmapped
            // profile, an unresolved router call.
            #expect(sum("unpriced_requests") == 6)
            // Two minutes holding only unpriced requests: the cost is unknown (NULL), never $0.
            let narrow = try ledger.run("cost_vs_counterfactual_by_day", ["since": "2026-11-01T14:00:00Z", "until": "2026-11-01T14:02:00Z"])
            let engine = try ledger.engine(since: TimeExpression.parseISO("2026-11-01T14:00:00Z")!,
                                           until: TimeExpression.parseISO("2026-11-01T14:02:00Z")!).metrics
            #expect(narrow.rows.count == 1 && engine.daily.count == 1)
            #expect(narrow.rows.first?.int("unpriced_requests") == 2 && narrow.rows.first?.isNull("cost_usd") == true)
            #expect(engine.daily.first?.costUSD == nil && engine.daily.first?.requests == 2)
            #expect(narrow.rows.first?.isNull("all_strong_usd") == true && narrow.rows.first?.isNull("savings_pct") == true)
        }
    }

    // MARK: 6, 7. cross-Region distributions

    @Test(arguments: Corpus.allCases) func crossRegionDistribution(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("cross_region_distribution")
        let (_, metrics) = try ledger.engine()
        #expect(result.rows.count == metrics.regions.count)
        #expect(!result.rows.isEmpty)
        for (row, flow) in zip(result.rows, metrics.regions) {
            #expect(row.text("source_region") == flow.sourceRegion && row.text("inference_region") == flow.inferenceRegion, "\(row)")
            #expect(row.int("requests") == flow.requests, "\(row)")
            #expect(approximately(row.double("share_pct"), flow.share * 100, 1e-9), "\(row)")
        }
        let bedrock = try ledger.rawRows().filter { $0.sourceKind == "bedrock" }.count
        #expect(result.rows.compactMap { $0.int("requests") }.reduce(0, +) == Int64(bedrock))
        if corpus == .scenario {
            let failedAtSource = result.rows.first { $0.text("source_region") == "us-east-1" && $0.text("inference_region") == "us-east-1" }
            #expect(failedAtSource?.int("requests") == 27, "us-east-1 Bedrock calls without an inference Region, the throttled one included")
        }
    }

    @Test(arguments: Corpus.allCases) func accountRegionDistribution(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("account_region_distribution")
        let (_, metrics) = try ledger.engine()
        #expect(result.rows.count == metrics.accountRegions.count)
        #expect(!result.rows.isEmpty)
        for (row, flow) in zip(result.rows, metrics.accountRegions) {
            #expect(row.text("account") == flow.account, "\(row)")
            #expect(row.text("source_region") == flow.sourceRegion && row.text("inference_region") == flow.inferenceRegion, "\(row)")
            #expect(row.int("requests") == flow.requests, "\(row)")
            #expect(approximately(row.double("share_pct"), flow.share * 100, 1e-9), "\(row)")
        }
        if corpus == .scenario {
            let eu = result.rows.filter { $0.text("account") == "444455556666" }
            #expect(eu.map { $0.text("inference_region") } == ["eu-central-1", "eu-west-1"])
            #expect(eu.map { $0.double("share_pct") } == [50, 50])
        }
    }

    // MARK: 8. top_tenants_by_cost

    @Test(arguments: Corpus.allCases) func topTenantsByCost(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let (_, metrics) = try ledger.engine()
        let all = try ledger.run("top_tenants_by_cost", ["limit": "1000"])
        #expect(all.rows.count == metrics.tenants.count)
        #expect(!all.rows.isEmpty)
        for (row, tenant) in zip(all.rows, metrics.tenants) {
            #expect(row.text("tenant") == tenant.name, "order: \(row) vs \(tenant.name)")
            #expect(row.int("requests") == tenant.requests, "\(tenant.name)")
            #expect(row.int("failed") == tenant.failed, "\(tenant.name)")
            #expect(row.int("throttled") == tenant.throttled, "\(tenant.name)")
            #expect(approximately(row.double("throttle_rate"), tenant.throttleRate, 1e-12), "\(tenant.name)")
            #expect(row.int("input_tokens") == tenant.tokens.input && row.int("output_tokens") == tenant.tokens.output, "\(tenant.name)")
            #expect(row.int("cache_read_tokens") == tenant.tokens.cacheRead && row.int("cache_write_tokens") == tenant.tokens.cacheWrite, "\(tenant.name)")
            #expect(row.int("total_tokens") == tenant.tokens.total, "\(tenant.name)")
            #expect(approximately(row.double("cost_usd"), tenant.costUSD), "\(tenant.name): \(row) vs \(String(describing: tenant.costUSD))")
            #expect(approximately(row.double("cost_share"), tenant.costShare), "\(tenant.name)")
            #expect(row.int("unpriced_requests") == tenant.unpricedRequests, "\(tenant.name)")
        }
        let byDefault = try ledger.run("top_tenants_by_cost")
        #expect(byDefault.rows.map(\.values) == Array(all.rows.prefix(20)).map(\.values))
        let three = try ledger.run("top_tenants_by_cost", ["limit": "3"])
        #expect(three.rows.map(\.values) == Array(all.rows.prefix(3)).map(\.values))
        if corpus == .scenario {
            let epsilon = try #require(all.rows.first { $0.text("tenant") == "epsilon" })
            #expect(epsilon.int("unpriced_requests") == 5 && epsilon.int("throttled") == 1)
        }
    }

    // MARK: 9. throttles_by_model_hour

    @Test(arguments: Corpus.allCases) func throttlesByModelHour(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("throttles_by_model_hour")
        struct Key: Hashable { var hour: String; var model: String }
        var cells: [Key: (requests: Int64, throttled: Int64)] = [:]
        var hours: [String: (requests: Int64, throttled: Int64)] = [:]
        for row in try ledger.rawRows() {
            let key = Key(hour: row.hour, model: row.effectiveModel ?? row.model ?? row.router ?? "(unknown)")
            cells[key, default: (0, 0)].requests += 1
            hours[row.hour, default: (0, 0)].requests += 1
            if row.throttled {
                cells[key, default: (0, 0)].throttled += 1
                hours[row.hour, default: (0, 0)].throttled += 1
            }
        }
        let expected = cells.filter { $0.value.throttled > 0 }
        #expect(result.rows.count == expected.count)
        #expect(!result.rows.isEmpty)
        for row in result.rows {
            let key = Key(hour: row.text("hour") ?? "?", model: row.text("model") ?? "?")
            let want = try #require(expected[key], "unexpected \(row)")
            #expect(row.int("requests") == want.requests && row.int("throttled") == want.throttled, "\(key)")
            #expect(approximately(row.double("throttle_rate"), Double(want.throttled) / Double(want.requests), 1e-12), "\(key)")
            let hour = try #require(hours[key.hour])
            #expect(row.int("hour_requests") == hour.requests && row.int("hour_throttled") == hour.throttled, "\(key)")
        }
        // The engine's totals and hourly throttle rates.
        let (_, metrics) = try ledger.engine()
        #expect(result.rows.compactMap { $0.int("throttled") }.reduce(0, +) == metrics.totals.throttled)
        for row in result.rows {
            let point = try #require(metrics.hourly.first { CivilCalendar.formatTimestamp($0.start) == row.text("hour") })
            #expect(row.int("hour_requests") == point.requests)
            #expect(approximately(row.double("hour_throttle_rate"), point.throttleRate, 1e-12))
        }
        #expect(isSorted(result.rows) { a, b in
            (a.text("hour")!, -a.int("throttled")!, a.text("model")!) < (b.text("hour")!, -b.int("throttled")!, b.text("model")!)
        })
        if corpus == .scenario {
            // A throttled router call has no model: it is listed under its router.
            #expect(result.rows.contains { $0.text("model") == ScenarioRecords.configuredRouter && $0.int("throttled") == 1 })
        }
    }

    // MARK: 10. latency_percentiles_by_model

    @Test(arguments: Corpus.allCases) func latencyPercentilesByModel(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("latency_percentiles_by_model")
        let (_, metrics) = try ledger.engine()
        let models = metrics.models.filter { $0.model != "(unresolved)" && $0.requests > $0.failed }
        #expect(Set(result.rows.compactMap { $0.text("model") }) == Set(models.map(\.model)))
        #expect(result.rows.count == models.count)
        #expect(!result.rows.isEmpty)
        func value(_ v: UInt32?) -> Int64? { v.map(Int64.init) }
        for model in models {
            let row = try #require(result.rows.first { $0.text("model") == model.model })
            #expect(row.int("requests") == model.requests - model.failed, "\(model.model)")
            #expect(row.int("latency_samples") == model.latency.samples, "\(model.model)")
            #expect(row.int("latency_p50_ms") == value(model.latency.p50), "\(model.model) p50")
            #expect(row.int("latency_p90_ms") == value(model.latency.p90), "\(model.model) p90")
            #expect(row.int("latency_p99_ms") == value(model.latency.p99), "\(model.model) p99")
            #expect(row.int("ttft_samples") == model.ttft.samples, "\(model.model)")
            #expect(row.int("ttft_p50_ms") == value(model.ttft.p50), "\(model.model) ttft p50")
            #expect(row.int("ttft_p90_ms") == value(model.ttft.p90), "\(model.model) ttft p90")
            #expect(row.int("ttft_p99_ms") == value(model.ttft.p99), "\(model.model) ttft p99")
        }
        #expect(isSorted(result.rows) { a, b in (-a.int("requests")!, a.text("model")!) < (-b.int("requests")!, b.text("model")!) })
        if corpus == .scenario {
            // Sonnet successes, all with a latency: 900, 1500, 1100, 1200 (router), 1300 (router), 400 (no token
            // counts), 400 (eu, cache read), 2500 and 3000 ms (LiteLLM). Nearest rank of 9: the 5th, 9th, 9th.
            let sonnet = try #require(result.rows.first { $0.text("model") == ScenarioRecords.sonnet })
            #expect(sonnet.int("requests") == 9 && sonnet.int("latency_samples") == 9)
            #expect(sonnet.int("latency_p50_ms") == 1200 && sonnet.int("latency_p90_ms") == 3000 && sonnet.int("latency_p99_ms") == 3000)
        }
    }

    // MARK: 11. unpriced_models

    @Test(arguments: Corpus.allCases) func unpricedModels(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("unpriced_models")
        let (_, metrics) = try ledger.engine()
        #expect(result.rows.count == metrics.unpricedModels.count)
        #expect(!result.rows.isEmpty)
        for (row, unpriced) in zip(result.rows, metrics.unpricedModels) {
            #expect(row.text("model") == unpriced.model, "\(row)")
            #expect(row.text("region") == unpriced.region, "\(row)")
            #expect(row.text("reason") == unpriced.reason, "\(row)")
            #expect(row.int("requests") == unpriced.requests, "\(row)")
        }
        #expect(result.rows.compactMap { $0.int("requests") }.reduce(0, +) == metrics.totals.unpricedRequests)
        if corpus == .scenario {
            let reasons = Dictionary(result.rows.map { ($0.text("reason")!, $0.int("requests")!) }, uniquingKeysWith: +)
            #expect(reasons == ["tokens-missing": 1, "no-price": 1, "no-price-for-token-kind": 2, "profile-unresolved": 1,
                                "served-model-unresolved": 1])
            #expect(result.rows.contains { $0.text("model") == "(unresolved) " + ScenarioRecords.configuredRouter })
        }
    }

    // MARK: 12. litellm_deployment_distribution

    @Test(arguments: Corpus.allCases) func litellmDeploymentDistribution(_ corpus: Corpus) throws {
        let ledger = try corpus.ledger()
        let result = try ledger.run("litellm_deployment_distribution")
        let (_, metrics) = try ledger.engine()
        #expect(result.rows.count == metrics.deployments.count)
        #expect(!result.rows.isEmpty)
        for (row, deployment) in zip(result.rows, metrics.deployments) {
            #expect((row.text("model_group") ?? "") == deployment.modelGroup, "\(row)")
            #expect(row.text("deployment") == deployment.deployment, "\(row)")
            #expect(row.int("requests") == deployment.requests, "\(row)")
            #expect(approximately(row.double("share"), deployment.share, 1e-12), "\(row)")
            #expect(row.int("failed") == deployment.failed, "\(row)")
            #expect(row.int("latency_p50_ms") == deployment.latencyP50.map(Int64.init), "\(row)")
        }
        if corpus == .scenario {
            let auto = result.rows.filter { $0.text("model_group") == "auto" }
            #expect(auto.map { $0.text("deployment") } == ["dep-auto-2", "dep-auto-1"])
            #expect(auto.first?.int("latency_p50_ms") == 1000)
            let failedOnly = try #require(result.rows.first { $0.text("deployment") == "dep-sonnet-b" })
            #expect(failedOnly.int("failed") == 1 && failedOnly.isNull("latency_p50_ms"))
        }
    }
}

func isSorted(_ rows: [ResultRow], by before: (ResultRow, ResultRow) -> Bool) -> Bool {
    zip(rows, rows.dropFirst()).allSatisfy { !before($1, $0) }
}
