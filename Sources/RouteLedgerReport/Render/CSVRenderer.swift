import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerReplay

/// CSV tables (RFC 4180, CRLF line ends, a header row) for spreadsheets and BI tools. Full ids,
/// machine numbers (six decimals, ratios 0…1), empty cell for unknown.
public enum CSVRenderer {
    /// File name → contents, in a fixed order.
    public static func render(_ document: ReportDocument) -> [(name: String, contents: String)] {
        let m = document.current
        func usd(_ v: Double?) -> String { v.map { Formatting.fixed($0, 6) } ?? "" }
        func r(_ v: Double?) -> String { v.map { Formatting.fixed($0, 6) } ?? "" }
        func u(_ v: UInt32?) -> String { v.map(String.init) ?? "" }
        func tokens(_ t: TokenCounts) -> [String] { [String(t.input), String(t.output), String(t.cacheRead), String(t.cacheWrite)] }
        let tokenHeader = ["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"]

        var files: [(String, String)] = []
        files.append(("models.csv", csv(["model", "family", "tier", "requests", "failed"] + tokenHeader
            + ["cost_usd", "unpriced_requests", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "ttft_p50_ms", "ttft_p90_ms", "ttft_p99_ms"],
            m.models.map { x in
                [x.model, x.family ?? "", x.tier?.rawValue ?? "", String(x.requests), String(x.failed)] + tokens(x.tokens)
                    + [usd(x.costUSD), String(x.unpricedRequests), u(x.latency.p50), u(x.latency.p90), u(x.latency.p99),
                       u(x.ttft.p50), u(x.ttft.p90), u(x.ttft.p99)]
            })))
        files.append(("routers.csv", csv(["router", "kind", "configured", "requests", "cheap_ratio", "fallback_rate", "unresolved",
                                          "cost_usd", "counterfactual_strong_usd", "counterfactual_cheap_usd", "savings_pct"],
            m.routers.map { x in
                [x.router, x.kind, x.configured ? "true" : "false", String(x.requests), r(x.cheapRatio), r(x.fallbackRate),
                 String(x.unresolved), usd(x.costUSD), usd(x.counterfactualStrongUSD), usd(x.counterfactualCheapUSD), r(x.savingsPct)]
            })))
        files.append(("router_served.csv", csv(["router", "model", "tier", "requests", "share", "token_share", "cost_share"],
            m.routers.flatMap { router in router.served.map { s in
                [router.router, s.model, s.tier?.rawValue ?? "", String(s.requests), r(s.share), r(s.tokenShare), r(s.costShare)]
            } })))
        files.append(("regions.csv", csv(["account", "source_region", "inference_region", "requests", "share"],
            (m.regions + m.accountRegions).map { x in
                [x.account ?? "*", x.sourceRegion, x.inferenceRegion, String(x.requests), r(x.share)]
            })))
        files.append(("accounts.csv", csv(["account", "requests", "failed", "throttled"] + tokenHeader
            + ["cost_usd", "cost_share", "throttle_rate", "unpriced_requests"], m.accounts.map { x in
                [x.name, String(x.requests), String(x.failed), String(x.throttled)] + tokens(x.tokens)
                    + [usd(x.costUSD), r(x.costShare), r(x.throttleRate), String(x.unpricedRequests)]
            })))
        files.append(("tenants.csv", csv(["tenant", "requests", "failed", "throttled"] + tokenHeader
            + ["cost_usd", "cost_share", "throttle_rate", "unpriced_requests", "request_share", "throttled_minute_share",
               "noisy_neighbour", "quota_max_pct"], m.tenants.map { x in
                [x.name, String(x.requests), String(x.failed), String(x.throttled)] + tokens(x.tokens)
                    + [usd(x.costUSD), r(x.costShare), r(x.throttleRate), String(x.unpricedRequests), r(x.requestShare),
                       r(x.throttledMinuteShare), x.noisyNeighbour ? "true" : "false", r(x.quota?.maxPct)]
            })))
        files.append(("deployments.csv", csv(["model_group", "deployment", "requests", "share", "failed", "latency_p50_ms"],
            m.deployments.map { x in [x.modelGroup, x.deployment, String(x.requests), r(x.share), String(x.failed), u(x.latencyP50)] })))
        let seriesHeader = ["start", "requests", "cost_usd", "counterfactual_strong_usd", "haiku_ratio", "router_fallback_rate",
                            "gateway_fallback_rate", "throttle_rate"]
        func series(_ points: [SeriesPoint]) -> [[String]] {
            points.map { p in
                [Formatting.timestamp(p.start), String(p.requests), usd(p.costUSD), usd(p.counterfactualStrongUSD), r(p.haikuRatio),
                 r(p.routerFallbackRate), r(p.gatewayFallbackRate), r(p.throttleRate)]
            }
        }
        files.append(("hourly.csv", csv(seriesHeader, series(m.hourly))))
        files.append(("daily.csv", csv(seriesHeader, series(document.history))))
        files.append(("unpriced_models.csv", csv(["model", "region", "reason", "requests"],
            m.unpricedModels.map { [$0.model, $0.region ?? "", $0.reason, String($0.requests)] })))
        if let replay = document.replay { files.append(("replay_thresholds.csv", ReplayRenderer.csv(replay))) }
        if let limits = document.limits { files.append(("replay_limits_groups.csv", limitsGroups(limits))) }
        return files
    }

    /// The rate-limit replay's recommendation per model group with fallbacks: limits per deployment now and
    /// recommended (empty: not set, or no recommendation), fallback rates as ratios.
    static func limitsGroups(_ limits: LimitsReport) -> String {
        func n(_ v: Int?) -> String { v.map(String.init) ?? "" }
        func r(_ v: Double?) -> String { v.map { Formatting.fixed($0, 6) } ?? "" }
        return csv(["group", "deployments", "routed", "current_rpm", "current_tpm", "current_fallback_rate",
                    "recommended_rpm", "fallback_rate_at_rpm", "recommended_tpm", "fallback_rate_at_tpm",
                    "fallback_rate_with_recommendation", "target_fallback_rate"],
                   limits.recommendations.groups.map { g in
            [g.group, String(g.deployments), String(g.routed), n(g.currentRPM), n(g.currentTPM), r(g.currentRate),
             n(g.rpm?.value), r(g.rpm?.rate), n(g.tpm?.value), r(g.tpm?.rate), r(g.rateWithBoth),
             r(limits.recommendations.targetFallbackRate)]
        })
    }

    static func csv(_ header: [String], _ rows: [[String]]) -> String {
        var out = line(header)
        for row in rows { out += line(row) }
        return out
    }

    static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",") + "\r\n"
    }

    /// Quotes a field when it holds a comma, quote, CR or LF; a leading `=`, `+`, `-` or `@` is kept
    /// as is (these are ids and numbers, and negative numbers must stay numbers).
    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
