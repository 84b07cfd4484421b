import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerReplay

/// `report.json`, the machine contract (`routeledger.report/1`, documented in the README).
/// Costs are USD with six decimals; ratios are 0…1 with six decimals; `null` means unknown.
public enum JSONRenderer {
    public static func render(_ document: ReportDocument) -> String {
        value(document).rendered()
    }

    public static func value(_ document: ReportDocument) -> JSONValue {
        let m = document.current
        var root: [String: JSONValue] = [
            "schema": .string(ReportDocument.schema),
            "label": .string(document.label),
            "window": window(m),
            "price_catalog": .string(document.priceCatalog),
            "configured_routers": .int(Int64(document.configuredRouters)),
            "totals": totals(m.totals),
            "models": .array(m.models.map(model)),
            "routers": .array(m.routers.map(router)),
            "haiku_ratio": .ratio(m.haiku.ratio),
            "haiku": .object(["haiku_requests": .int(m.haiku.haikuRequests), "claude_requests": .int(m.haiku.claudeRequests)]),
            "cheap_ratio_by_family": .array(m.cheapRatioByFamily.map {
                .object(["family": .string($0.family), "cheap_requests": .int($0.cheapRequests),
                         "tiered_requests": .int($0.tieredRequests), "cheap_ratio": .ratio($0.ratio)])
            }),
            "fallback": fallback(m.fallback),
            "counterfactual": counterfactual(m.counterfactual),
            "routing_overhead": .array(m.routingOverhead.map {
                .object(["model": .string($0.model), "routed_samples": .int($0.routedSamples),
                         "direct_samples": .int($0.directSamples), "p50_difference_ms": .int($0.p50DifferenceMs),
                         "p90_difference_ms": .int($0.p90DifferenceMs)])
            }),
            "regions": .array(m.regions.map(flow)),
            "account_regions": .array(m.accountRegions.map(flow)),
            "accounts": .array(m.accounts.map { breakdown($0, key: "account") }),
            "tenants": .array(m.tenants.map { breakdown($0, key: "tenant") }),
            "deployments": .array(m.deployments.map {
                .object(["model_group": .string($0.modelGroup), "deployment": .string($0.deployment),
                         "requests": .int($0.requests), "share": .ratio($0.share), "failed": .int($0.failed),
                         "latency_p50_ms": .uint($0.latencyP50)])
            }),
            "litellm_cost": .object([
                "requests": .int(m.litellmCost.requests), "logged_usd": .usd(m.litellmCost.loggedUSD),
                "catalog_usd": .usd(m.litellmCost.catalogUSD), "difference_usd": .usd(m.litellmCost.differenceUSD),
                "comparable_requests": .int(m.litellmCost.comparableRequests),
            ]),
            "series": .object(["hourly": .array(m.hourly.map(point)), "daily": .array(m.daily.map(point))]),
            "history": .array(document.history.map(point)),
            "changes": .array(document.changes.map(change)),
            "unpriced_models": .array(m.unpricedModels.map {
                .object(["model": .string($0.model), "region": .string($0.region), "reason": .string($0.reason),
                         "requests": .int($0.requests)])
            }),
            "notes": .array(m.notes.map { .string($0) }),
            "warnings": .array(document.warnings.map { .string($0) }),
        ]
        if let previous = document.previous {
            root["previous_window"] = window(previous)
        } else {
            root["previous_window"] = .null
        }
        if let replay = document.replay { root["replay"] = ReplayRenderer.json(replay) }
        if let limits = document.limits { root["replay_limits"] = limitsJSON(limits.jsonTree) }
        return .object(root)
    }

    /// The `routeledger.replay-limits/1` document as a subtree: the same keys and values as
    /// `replay-limits --format json`, numbers with eight fixed decimals (that document trims their zeros).
    static func limitsJSON(_ value: LimitsJSON) -> JSONValue {
        switch value {
        case .object(let members): return .object(members.mapValues(limitsJSON))
        case .array(let items): return .array(items.map(limitsJSON))
        case .string(let text): return .string(text)
        case .int(let number): return .int(number.map(Int64.init))
        case .unsigned(let number): return Int64(exactly: number).map { .int($0) } ?? .string(String(number))
        case .number(let number): return number.map { .fixed($0, decimals: 8) } ?? .null
        case .bool(let flag): return .bool(flag)
        case .null: return .null
        }
    }

    static func window(_ m: WindowMetrics) -> JSONValue {
        .object(["since": .string(Formatting.timestamp(m.since)), "until": .string(Formatting.timestamp(m.until))])
    }

    static func tokens(_ t: TokenCounts, into object: inout [String: JSONValue]) {
        object["input_tokens"] = .int(t.input)
        object["output_tokens"] = .int(t.output)
        object["cache_read_tokens"] = .int(t.cacheRead)
        object["cache_write_tokens"] = .int(t.cacheWrite)
    }

    static func counts(_ list: [CodeCount]) -> JSONValue {
        .object(Dictionary(list.map { ($0.code, JSONValue.int($0.count)) }, uniquingKeysWith: { a, _ in a }))
    }

    static func totals(_ t: Totals) -> JSONValue {
        var object: [String: JSONValue] = [
            "requests": .int(t.requests), "succeeded": .int(t.succeeded), "failed": .int(t.failed),
            "failed_by_code": counts(t.failedByCode), "throttled": .int(t.throttled),
            "cost_usd": .usd(t.costUSD), "priced_requests": .int(t.pricedRequests),
            "unpriced_requests": .int(t.unpricedRequests), "unpriced_by_reason": counts(t.unpricedByReason),
        ]
        tokens(t.tokens, into: &object)
        return .object(object)
    }

    static func percentiles(_ p: Percentiles) -> JSONValue {
        .object(["p50": .uint(p.p50), "p90": .uint(p.p90), "p99": .uint(p.p99), "samples": .int(p.samples)])
    }

    static func model(_ m: ModelMetrics) -> JSONValue {
        var object: [String: JSONValue] = [
            "model": .string(m.model), "family": .string(m.family), "tier": .string(m.tier?.rawValue),
            "requests": .int(m.requests), "failed": .int(m.failed), "cost_usd": .usd(m.costUSD),
            "unpriced_requests": .int(m.unpricedRequests),
            "latency_ms": percentiles(m.latency), "ttft_ms": percentiles(m.ttft),
        ]
        tokens(m.tokens, into: &object)
        return .object(object)
    }

    static func router(_ r: RouterMetrics) -> JSONValue {
        .object([
            "router": .string(r.router), "kind": .string(r.kind), "configured": .bool(r.configured),
            "strong_model": .string(r.strongModel), "cheap_model": .string(r.cheapModel),
            "fallback_model": .string(r.fallbackModel), "requests": .int(r.requests),
            "served": .array(r.served.map {
                .object(["model": .string($0.model), "tier": .string($0.tier?.rawValue), "requests": .int($0.requests),
                         "share": .ratio($0.share), "token_share": .ratio($0.tokenShare), "cost_share": .ratio($0.costShare)])
            }),
            "cheap_ratio": .ratio(r.cheapRatio), "fallback_rate": .ratio(r.fallbackRate), "unresolved": .int(r.unresolved),
            "haiku_ratio": .ratio(r.haikuRatio), "cost_usd": .usd(r.costUSD),
            "counterfactual_strong_usd": .usd(r.counterfactualStrongUSD),
            "counterfactual_cheap_usd": .usd(r.counterfactualCheapUSD), "savings_pct": .ratio(r.savingsPct),
        ])
    }

    static func fallback(_ f: FallbackMetrics) -> JSONValue {
        .object([
            "router_fallback_rate": .ratio(f.routerFallbackRate), "router_fallbacks": .int(f.routerFallbacks),
            "router_resolved_requests": .int(f.routerResolvedRequests),
            "gateway_fallback_rate": .ratio(f.gatewayFallbackRate), "gateway_fallbacks": .int(f.gatewayFallbacks),
            "logical_requests": .int(f.logicalRequests), "retried_successes": .int(f.retriedSuccesses),
            "failed_after_fallback": .int(f.failedAfterFallback), "failed_without_fallback": .int(f.failedWithoutFallback),
        ])
    }

    static func counterfactual(_ c: Counterfactual) -> JSONValue {
        .object([
            "actual_usd": .usd(c.actualUSD), "all_strong_usd": .usd(c.allStrongUSD), "all_cheap_usd": .usd(c.allCheapUSD),
            "savings_usd": .usd(c.savingsUSD), "savings_pct": .ratio(c.savingsPct), "requests": .int(c.requests),
            "excluded_requests": .int(c.excludedRequests), "assumption": .string(Counterfactual.assumption),
        ])
    }

    static func flow(_ f: RegionFlow) -> JSONValue {
        var object: [String: JSONValue] = [
            "source_region": .string(f.sourceRegion), "inference_region": .string(f.inferenceRegion),
            "requests": .int(f.requests), "share": .ratio(f.share),
        ]
        if let account = f.account { object["account"] = .string(account) }
        return .object(object)
    }

    static func breakdown(_ b: Breakdown, key: String) -> JSONValue {
        var object: [String: JSONValue] = [
            key: .string(b.name), "requests": .int(b.requests), "failed": .int(b.failed), "throttled": .int(b.throttled),
            "cost_usd": .usd(b.costUSD), "cost_share": .ratio(b.costShare), "throttle_rate": .ratio(b.throttleRate),
            "unpriced_requests": .int(b.unpricedRequests), "request_share": .ratio(b.requestShare),
        ]
        tokens(b.tokens, into: &object)
        if key == "tenant" {
            object["throttled_minute_share"] = .ratio(b.throttledMinuteShare)
            object["noisy_neighbour"] = .bool(b.noisyNeighbour)
            object["quota"] = b.quota.map { q in
                .object(["requests_pct": .ratio(q.requestsPct), "tokens_pct": .ratio(q.tokensPct),
                         "cost_pct": .ratio(q.costPct), "max_pct": .ratio(q.maxPct)])
            } ?? .null
        }
        return .object(object)
    }

    static func point(_ p: SeriesPoint) -> JSONValue {
        .object([
            "start": .string(Formatting.timestamp(p.start)), "requests": .int(p.requests), "cost_usd": .usd(p.costUSD),
            "counterfactual_strong_usd": .usd(p.counterfactualStrongUSD), "haiku_ratio": .ratio(p.haikuRatio),
            "router_fallback_rate": .ratio(p.routerFallbackRate), "gateway_fallback_rate": .ratio(p.gatewayFallbackRate),
            "throttle_rate": .ratio(p.throttleRate),
        ])
    }

    static func change(_ c: Change) -> JSONValue {
        .object([
            "metric": .string(c.metric), "unit": .string(c.unit),
            "current": c.current.map { .fixed($0, decimals: 6) } ?? .null,
            "previous": c.previous.map { .fixed($0, decimals: 6) } ?? .null,
            "delta": c.delta.map { .fixed($0, decimals: 6) } ?? .null,
            "relative_pct": c.relativePct.map { .fixed($0, decimals: 4) } ?? .null,
        ])
    }
}
