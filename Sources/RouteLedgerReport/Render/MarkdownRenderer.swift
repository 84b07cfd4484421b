import RouteLedgerMetrics
import RouteLedgerModel

/// `report.md`: headline numbers first, then GitHub-flavoured tables. Reads in a terminal and in a PR.
public enum MarkdownRenderer {
    public static func render(_ document: ReportDocument) -> String {
        let m = document.current
        var out: [String] = []
        out.append("# RouteLedger report \(document.label)")
        out.append("")
        out.append("Window \(Formatting.timestamp(m.since)) → \(Formatting.timestamp(m.until)) (UTC). Prices: \(document.priceCatalog).")
        out.append("")

        out.append("## Headline")
        out.append("")
        let excluded = m.totals.unpricedRequests > 0
            ? " (excludes \(Formatting.grouped(m.totals.unpricedRequests)) unpriced request\(m.totals.unpricedRequests == 1 ? "" : "s"))" : ""
        out.append("- **Cost:** \(Formatting.usd(m.totals.costUSD))\(excluded)")
        if let savings = m.counterfactual.savingsPct {
            out.append("- **Savings vs all-strong:** \(Formatting.fixed(savings, 1))% (\(Formatting.usd(m.counterfactual.savingsUSD)) of \(Formatting.usd(m.counterfactual.allStrongUSD)))")
        } else {
            out.append("- **Savings vs all-strong:** – (no request could be re-priced)")
        }
        out.append("- **Haiku ratio:** \(Formatting.percent(m.haiku.ratio)) of \(Formatting.grouped(m.haiku.claudeRequests)) successful Claude requests")
        out.append("- **Router fallback rate:** \(Formatting.percent(m.fallback.routerFallbackRate))"
            + (document.configuredRouters == 0 ? " (no routers configured)" : " (\(Formatting.grouped(m.fallback.routerFallbacks)) of \(Formatting.grouped(m.fallback.routerResolvedRequests)))"))
        out.append("- **Gateway fallback rate:** \(Formatting.percent(m.fallback.gatewayFallbackRate)) (\(Formatting.grouped(m.fallback.gatewayFallbacks)) of \(Formatting.grouped(m.fallback.logicalRequests)) logical requests; \(Formatting.grouped(m.fallback.failedAfterFallback)) failed after all fallbacks)")
        out.append("- **Requests:** \(Formatting.grouped(m.totals.requests)) (\(Formatting.grouped(m.totals.failed)) failed, \(Formatting.grouped(m.totals.throttled)) throttled)")
        out.append("- **Unpriced requests:** \(Formatting.grouped(m.totals.unpricedRequests))")
        out.append("")

        if !document.changes.isEmpty {
            out.append("## Changes vs the previous window")
            out.append("")
            out += table(["Metric", "Now", "Before", "Change"], document.changes.map { c in
                [c.metric, value(c.current, c.unit), value(c.previous, c.unit), delta(c)]
            }, right: [1, 2, 3])
            out.append("")
        }
        if !document.warnings.isEmpty {
            out.append("## Warnings")
            out.append("")
            out += document.warnings.map { "- \($0)" }
            out.append("")
        }

        out.append("## Unpriced models")
        out.append("")
        if m.unpricedModels.isEmpty {
            out.append("None: every request in the window was priced.")
        } else {
            out.append("Their cost is unknown and left out of every total above (never counted as $0).")
            out.append("")
            out += table(["Model", "Region", "Reason", "Requests"], m.unpricedModels.map {
                [$0.model, $0.region ?? "–", $0.reason, Formatting.grouped($0.requests)]
            }, right: [3])
        }
        out.append("")

        out.append("## Models")
        out.append("")
        out.append("Latency and TTFT percentiles are over successful requests (nearest rank, exact).")
        out.append("")
        out += table(["Model", "Requests", "Failed", "Input tok", "Output tok", "Cache read", "Cache write", "Cost", "Unpriced",
                      "p50 ms", "p90 ms", "p99 ms", "TTFT p50", "TTFT p90", "TTFT p99"], m.models.map { r in
            [r.model, Formatting.grouped(r.requests), Formatting.grouped(r.failed), Formatting.grouped(r.tokens.input),
             Formatting.grouped(r.tokens.output), Formatting.grouped(r.tokens.cacheRead), Formatting.grouped(r.tokens.cacheWrite),
             r.unpricedRequests > 0 && (r.costUSD ?? 0) == 0 ? "–" : Formatting.usd(r.costUSD), Formatting.grouped(r.unpricedRequests),
             n(r.latency.p50), n(r.latency.p90), n(r.latency.p99), n(r.ttft.p50), n(r.ttft.p90), n(r.ttft.p99)]
        }, right: Array(1...14))
        out.append("")

        out.append("## Routers")
        out.append("")
        if m.routers.isEmpty {
            out.append("No routed traffic in the window.")
        }
        for r in m.routers {
            out.append("### \(Formatting.shortRouter(r.router)) (\(r.kind)\(r.configured ? ", configured" : ""))")
            out.append("")
            out.append("\(Formatting.grouped(r.requests)) requests, cheap ratio \(Formatting.percent(r.cheapRatio)), "
                + "fallback rate \(r.fallbackModel == nil ? "– (no fallback configured)" : Formatting.percent(r.fallbackRate)), "
                + "\(Formatting.grouped(r.unresolved)) with the served model unresolved. Cost \(Formatting.usd(r.costUSD)), "
                + "all-strong \(Formatting.usd(r.counterfactualStrongUSD)), savings \(r.savingsPct.map { Formatting.fixed($0, 1) + "%" } ?? "–").")
            out.append("")
            out += table(["Served model", "Tier", "Requests", "Share", "Token share", "Cost share"], r.served.map { s in
                [s.model, s.tier?.rawValue ?? "–", Formatting.grouped(s.requests), Formatting.percent(s.share),
                 Formatting.percent(s.tokenShare), Formatting.percent(s.costShare)]
            }, right: [2, 3, 4, 5])
            out.append("")
        }

        out.append("## Counterfactual cost")
        out.append("")
        let c = m.counterfactual
        out += table(["Actual", "All strong", "All cheap", "Savings", "Savings %", "Requests", "Excluded"], [[
            Formatting.usd(c.actualUSD), Formatting.usd(c.allStrongUSD), Formatting.usd(c.allCheapUSD), Formatting.usd(c.savingsUSD),
            c.savingsPct.map { Formatting.fixed($0, 2) + "%" } ?? "–", Formatting.grouped(c.requests), Formatting.grouped(c.excludedRequests),
        ]], right: Array(0...6))
        out.append("")
        out.append("_\(Counterfactual.assumption)_")
        out.append("")

        out.append("## Fallbacks")
        out.append("")
        let f = m.fallback
        out += table(["Metric", "Value"], [
            ["Router fallback rate", Formatting.percent(f.routerFallbackRate)],
            ["Router fallbacks / resolved", "\(Formatting.grouped(f.routerFallbacks)) / \(Formatting.grouped(f.routerResolvedRequests))"],
            ["Gateway fallback rate", Formatting.percent(f.gatewayFallbackRate)],
            ["Gateway fallbacks / logical requests", "\(Formatting.grouped(f.gatewayFallbacks)) / \(Formatting.grouped(f.logicalRequests))"],
            ["Retried on the same model and succeeded", Formatting.grouped(f.retriedSuccesses)],
            ["Failed after all fallbacks", Formatting.grouped(f.failedAfterFallback)],
            ["Failed with no fallback", Formatting.grouped(f.failedWithoutFallback)],
        ], right: [1])
        out.append("")

        out.append("## Haiku and cheap-tier ratios")
        out.append("")
        out += table(["Family", "Cheap requests", "Tiered requests", "Cheap ratio"], m.cheapRatioByFamily.map {
            [$0.family, Formatting.grouped($0.cheapRequests), Formatting.grouped($0.tieredRequests), Formatting.percent($0.ratio)]
        }, right: [1, 2, 3])
        out.append("")

        if !m.routingOverhead.isEmpty {
            out.append("## Routing overhead")
            out.append("")
            out += table(["Model", "Routed n", "Direct n", "Δ p50 ms", "Δ p90 ms"], m.routingOverhead.map {
                [$0.model, Formatting.grouped($0.routedSamples), Formatting.grouped($0.directSamples),
                 $0.p50DifferenceMs.map(String.init) ?? "–", $0.p90DifferenceMs.map(String.init) ?? "–"]
            }, right: [1, 2, 3, 4])
            out.append("")
        }

        out.append("## Cross-Region inference")
        out.append("")
        out += table(["Source region", "Inference region", "Requests", "Share"], m.regions.map {
            [$0.sourceRegion, $0.inferenceRegion, Formatting.grouped($0.requests), Formatting.percent($0.share)]
        }, right: [2, 3])
        out.append("")
        if Set(m.accountRegions.compactMap(\.account)).count > 1 {
            out.append("By account:")
            out.append("")
            out += table(["Account", "Source region", "Inference region", "Requests", "Share"], m.accountRegions.map {
                [$0.account ?? "–", $0.sourceRegion, $0.inferenceRegion, Formatting.grouped($0.requests), Formatting.percent($0.share)]
            }, right: [3, 4])
            out.append("")
        }

        out.append("## Accounts")
        out.append("")
        out += table(["Account", "Requests", "Tokens", "Cost", "Cost share", "Throttle rate"], m.accounts.map {
            [$0.name, Formatting.grouped($0.requests), Formatting.grouped($0.tokens.total), Formatting.usd($0.costUSD),
             Formatting.percent($0.costShare), Formatting.percent($0.throttleRate, decimals: 2)]
        }, right: [1, 2, 3, 4, 5])
        out.append("")

        out.append("## Tenants")
        out.append("")
        out += table(["Tenant", "Requests", "Tokens", "Cost", "Cost share", "Throttle rate", "Share in throttled minutes", "Quota use", "Noisy"], m.tenants.map {
            [$0.name, Formatting.grouped($0.requests), Formatting.grouped($0.tokens.total), Formatting.usd($0.costUSD),
             Formatting.percent($0.costShare), Formatting.percent($0.throttleRate, decimals: 2),
             Formatting.percent($0.throttledMinuteShare), $0.quota?.maxPct.map { Formatting.fixed($0, 1) + "%" } ?? "–",
             $0.noisyNeighbour ? "**yes**" : ""]
        }, right: [1, 2, 3, 4, 5, 6, 7])
        out.append("")

        if !m.deployments.isEmpty {
            out.append("## LiteLLM deployments")
            out.append("")
            out += table(["Model group", "Deployment", "Requests", "Share", "Failed", "p50 ms"], m.deployments.map {
                [$0.modelGroup, String($0.deployment.prefix(16)), Formatting.grouped($0.requests), Formatting.percent($0.share),
                 Formatting.grouped($0.failed), n($0.latencyP50)]
            }, right: [2, 3, 4, 5])
            out.append("")
            let l = m.litellmCost
            out.append("LiteLLM logged \(Formatting.usd(l.loggedUSD)) for \(Formatting.grouped(l.requests)) calls; on the "
                + "\(Formatting.grouped(l.comparableRequests)) calls the catalog can price, LiteLLM logged "
                + "\(Formatting.usdPrecise(l.catalogUSD.flatMap { cat in l.differenceUSD.map { cat + $0 } })) against "
                + "\(Formatting.usdPrecise(l.catalogUSD)) from the catalog (difference \(Formatting.usdPrecise(l.differenceUSD))).")
            out.append("")
        }

        out.append("## Daily")
        out.append("")
        out += table(["Day", "Requests", "Cost", "All-strong", "Haiku ratio", "Router fallback", "Gateway fallback", "Throttle rate"],
                     document.history.map { p in
            [Formatting.day(p.start), Formatting.grouped(p.requests), Formatting.usd(p.costUSD), Formatting.usd(p.counterfactualStrongUSD),
             Formatting.percent(p.haikuRatio), Formatting.percent(p.routerFallbackRate), Formatting.percent(p.gatewayFallbackRate),
             Formatting.percent(p.throttleRate, decimals: 2)]
        }, right: Array(1...7))
        out.append("")
        if !m.notes.isEmpty {
            out.append("## Notes")
            out.append("")
            out += m.notes.map { "- \($0)" }
            out.append("")
        }
        var text = out.joined(separator: "\n") + "\n"
        if let replay = document.replay { text += "\n" + ReplayRenderer.markdown(replay, heading: "##") }
        if let limits = document.limits { text += "\n" + limits.markdown(heading: "##") }
        return text
    }

    static func n(_ value: UInt32?) -> String { value.map { Formatting.grouped(Int64($0)) } ?? "–" }

    static func value(_ v: Double?, _ unit: String) -> String {
        guard let v else { return "–" }
        switch unit {
        case "usd": return Formatting.usd(v)
        case "ratio": return Formatting.percent(v)
        case "pct": return Formatting.fixed(v, 1) + "%"
        default: return Formatting.grouped(Int64(v.rounded()))
        }
    }

    static func delta(_ c: Change) -> String {
        guard let d = c.delta else { return "–" }
        let sign = d > 0 ? "+" : ""
        let body: String
        switch c.unit {
        case "usd": body = (d < 0 ? "-" : "+") + Formatting.usd(abs(d))
        case "ratio": body = sign + Formatting.fixed(d * 100, 1) + " pts"
        case "pct": body = sign + Formatting.fixed(d, 1) + " pts"
        default: body = sign + Formatting.grouped(Int64(d.rounded()))
        }
        if let relative = c.relativePct, c.unit == "usd" || c.unit == "count" {
            return body + " (\(relative > 0 ? "+" : "")\(Formatting.fixed(relative, 1))%)"
        }
        return body
    }

    /// A GitHub table; cells escaped so a `|` in a tenant name cannot break the layout.
    static func table(_ header: [String], _ rows: [[String]], right: [Int] = []) -> [String] {
        func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var lines = ["| " + header.map(escape).joined(separator: " | ") + " |"]
        lines.append("|" + header.indices.map { right.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|")
        if rows.isEmpty {
            lines.append("| " + (["(none)"] + Array(repeating: "", count: header.count - 1)).joined(separator: " | ") + " |")
        }
        for row in rows { lines.append("| " + row.map(escape).joined(separator: " | ") + " |") }
        return lines
    }
}
