import Foundation
import RouteLedgerModel

/// Where the replayed traffic came from, for the report header.
public struct LimitsTrafficSource: Sendable, Equatable {
    /// "ledger" or "arrivals".
    public var kind: String
    /// The ledger or arrivals file, as given.
    public var path: String
    /// Window replayed (µs, `[since, until)`), when one applies.
    public var since: Int64?
    public var until: Int64?
    /// Ledger gateway rows read (nil for an arrivals file).
    public var rows: Int?
    /// Logical requests left out because they name no model group.
    public var withoutModelGroup: Int

    public init(kind: String, path: String, since: Int64? = nil, until: Int64? = nil, rows: Int? = nil, withoutModelGroup: Int = 0) {
        self.kind = kind
        self.path = path
        self.since = since
        self.until = until
        self.rows = rows
        self.withoutModelGroup = withoutModelGroup
    }
}

/// The whole `replay-limits` result: the replay as configured, the recommendations, and warnings.
public struct LimitsReport: Sendable, Equatable {
    public static let schema = "routeledger.replay-limits/1"

    public var config: GatewayConfig
    public var source: LimitsTrafficSource
    public var seed: UInt64
    public var replay: LimitsReplay
    public var recommendations: QuotaRecommendations
    /// Whether a latency profile was available (ledger latencies).
    public var latencyKnown: Bool
    public var priceOrigins: [String]
    public var warnings: [String]

    public static func build(config: GatewayConfig, arrivals: [Arrival], source: LimitsTrafficSource, seed: UInt64,
                             targetFallbackRate: Double, catalog: PriceCatalog, latency: LatencyProfile?) -> LimitsReport {
        let simulator = RateLimitSimulator(config: config, seed: seed)
        let replay = simulator.replay(arrivals, catalog: catalog, latency: latency)
        let recommendations = QuotaRecommender.recommend(config: config, arrivals: arrivals, target: targetFallbackRate, seed: seed)
        var warnings = config.warnings.map(\.description)
        if source.withoutModelGroup > 0 {
            warnings.append("\(source.withoutModelGroup) logical requests name no model group and were not replayed")
        }
        for (group, count) in replay.unknownGroups.sorted(by: { $0.key < $1.key }) {
            warnings.append("\(count) requests ask for model group \(group), which the gateway config does not have: counted as failed")
        }
        if replay.totals.unknownTokens > 0 {
            warnings.append("\(replay.totals.unknownTokens) requests have unknown tokens: they count 0 toward TPM and are unpriced when served")
        }
        var unpricedModels: [String] = []
        for (index, tally) in replay.deployments.enumerated() where tally.unpricedNoPrice > 0 {
            unpricedModels.append("\(tally.model) (\(config.deployments[index].id))")
        }
        if !unpricedModels.isEmpty {
            warnings.append("no price for \(unpricedModels.joined(separator: ", ")): their requests are unpriced, not $0")
        }
        return LimitsReport(config: config, source: source, seed: seed, replay: replay, recommendations: recommendations,
                            latencyKnown: latency.map { !$0.isEmpty } ?? false, priceOrigins: catalog.origins, warnings: warnings)
    }

    // MARK: JSON

    /// One JSON document, keys sorted, numbers printed the same way on every run.
    public func json() -> String {
        var out = ""
        jsonObject.write(to: &out, indent: 0)
        out.append("\n")
        return out
    }

    /// The document as a tree, for embedding in another JSON document (the report's `replay_limits`).
    public var jsonTree: LimitsJSON { jsonObject }

    var jsonObject: LimitsJSON {
        let totals = replay.totals
        func limits(_ l: RateLimits?) -> LimitsJSON {
            guard let l else { return .null }
            return .object(["rpm": .int(l.rpm), "tpm": .int(l.tpm)])
        }
        func search(_ s: LimitSearch?) -> LimitsJSON {
            guard let s else { return .null }
            return .object(["value": .int(s.value), "fallback_rate": .number(s.rate), "fallback_rate_at_value_minus_1": .number(s.rateBelow),
                            "replays": .int(s.evaluations)])
        }
        var fallbacks: [String: LimitsJSON] = [:]
        for (group, list) in config.fallbacks { fallbacks[group] = .array(list.map { .string($0) }) }
        return .object([
            "schema": .string(Self.schema),
            "gateway": .object([
                "file": .string(config.file),
                "routing_strategy": .string(config.routingStrategy.rawValue),
                "routing_strategy_configured": .string(config.unsupportedStrategy ?? config.routingStrategy.rawValue),
                "seed": .unsigned(seed),
                "num_retries": .int(config.numRetries),
                "fallbacks": .object(fallbacks),
                "default_fallbacks": .array(config.defaultFallbacks.map { .string($0) }),
                "default_tenant_limits": limits(config.defaultTenantLimits),
            ]),
            "traffic": .object([
                "source": .string(source.kind),
                "path": .string(source.path),
                "since": source.since.map { .string(CivilCalendar.formatTimestamp($0)) } ?? .null,
                "until": source.until.map { .string(CivilCalendar.formatTimestamp($0)) } ?? .null,
                "ledger_rows": .int(source.rows),
                "requests_without_model_group": .int(source.withoutModelGroup),
            ]),
            "totals": .object([
                "requests": .int(totals.requests),
                "tenant_limited": .int(totals.tenantLimited),
                "routed": .int(totals.routed),
                "served": .int(totals.served),
                "served_primary": .int(totals.servedPrimary),
                "served_by_fallback": .int(totals.servedByFallback),
                "fell_back": .int(totals.fellBack),
                "fallback_steps": .int(totals.fallbackSteps),
                "failed": .int(totals.failed),
                "failed_after_fallbacks": .int(totals.failedAfterFallbacks),
                "failed_unknown_group": .int(totals.failedUnknownGroup),
                "fallback_rate": .number(totals.fallbackRate),
                "cost_usd": .number(totals.costUSD),
                "unpriced_requests": .int(totals.unpriced),
                "unknown_token_requests": .int(totals.unknownTokens),
            ]),
            "deployments": .array(replay.deployments.map { d in
                .object([
                    "id": .string(d.id), "group": .string(d.group), "model": .string(d.model),
                    "rpm": .int(d.limits.rpm), "tpm": .int(d.limits.tpm),
                    "served": .int(d.served), "served_as_fallback": .int(d.servedAsFallback), "tokens": .int(Int(d.tokens)),
                    "cost_usd": .number(d.costUSD), "unpriced_requests": .int(d.unpriced),
                ])
            }),
            "groups": .array(replay.groups.map { g in
                .object([
                    "group": .string(g.group), "requests": .int(g.requests), "tenant_limited": .int(g.tenantLimited),
                    "routed": .int(g.routed), "served_primary": .int(g.servedPrimary), "served_by_fallback": .int(g.servedByFallback),
                    "failed_after_fallbacks": .int(g.failedAfterFallbacks), "fallback_steps": .int(g.fallbackSteps),
                    "served_for_other_groups": .int(g.servedForOthers), "overflow_rate": .number(g.spillRate),
                    "fallbacks": .array(config.fallbackList(of: g.group).map { .string($0) }),
                ])
            }),
            "tenants": .array(replay.tenants.map { t in
                .object([
                    "tenant": .string(t.tenant), "limits": limits(t.limits), "requests": .int(t.requests),
                    "served": .int(t.served), "served_by_fallback": .int(t.servedByFallback), "fallbacks": .int(t.fallbacks),
                    "tenant_limited": .int(t.tenantLimited), "failed": .int(t.failed),
                ])
            }),
            "fallback_paths": .array(replay.fallbackPaths.map { p in
                .object(["from": .string(p.from), "to": .string(p.to), "requests": .int(p.requests),
                         "latency_penalty_ms": .number(p.latencyPenaltyMs)])
            }),
            "recommendation": .object([
                "target_fallback_rate": .number(recommendations.targetFallbackRate),
                "gateway_fallback_rate_with_recommendations": .number(recommendations.gatewayRateWithRecommendations),
                "groups": .array(recommendations.groups.map { r in
                    .object([
                        "group": .string(r.group), "deployments": .int(r.deployments), "routed": .int(r.routed),
                        "current_rpm": .int(r.currentRPM), "current_tpm": .int(r.currentTPM),
                        "current_fallback_rate": .number(r.currentRate),
                        "rpm": search(r.rpm), "tpm": search(r.tpm),
                        "fallback_rate_with_both": .number(r.rateWithBoth),
                        "notes": .array(r.notes.map { .string($0) }),
                    ])
                }),
            ]),
            "latency_known": .bool(latencyKnown),
            "prices": .array(priceOrigins.map { .string($0) }),
            "warnings": .array(warnings.map { .string($0) }),
        ])
    }

    // MARK: Markdown

    /// The replay for people. `heading` is the title's level (`"#"` alone, `"##"` inside a report); the
    /// sections sit one level below it.
    public func markdown(heading: String = "#") -> String {
        let sub = heading + "#"
        var out = "\(heading) Rate-limit replay\n\n"
        let totals = replay.totals
        let strategy = config.routingStrategy.rawValue
            + (config.unsupportedStrategy.map { " (configured \($0), not simulated)" } ?? "")
            + (config.routingStrategy == .simpleShuffle ? ", seed \(seed)" : "")
        out += "- Gateway: `\(config.file ?? "-")`, \(config.deployments.count) deployments in \(config.groups.count) groups, \(strategy)"
        if let retries = config.numRetries { out += ", num_retries \(retries) (not replayed)" }
        out += "\n"
        var traffic = "- Traffic: \(Self.grouped(totals.requests)) logical requests from the \(source.kind) `\(source.path)`"
        if let since = source.since, let until = source.until {
            traffic += ", \(CivilCalendar.formatTimestamp(since)) to \(CivilCalendar.formatTimestamp(until))"
        }
        out += traffic + "\n"
        out += "- Limits per fixed UTC minute; tenant limits are checked first and a tenant-limited request is a 429, not a fallback.\n\n"

        out += "\(sub) Totals\n\n"
        out += "| Requests | Served | by primary | by fallback | Tenant-limited | Failed | Fallback rate | Cost | Unpriced |\n"
        out += "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        out += "| \(Self.grouped(totals.requests)) | \(Self.grouped(totals.served)) | \(Self.grouped(totals.servedPrimary)) | "
            + "\(Self.grouped(totals.servedByFallback)) | \(Self.grouped(totals.tenantLimited)) | \(Self.grouped(totals.failed)) | "
            + "\(Self.percent(totals.fallbackRate)) | \(Self.usd(totals.costUSD)) | \(Self.grouped(totals.unpriced)) |\n\n"
        out += "Fallback rate: routed requests that tried a fallback group (\(Self.grouped(totals.fellBack)) of \(Self.grouped(totals.routed)); "
            + "\(Self.grouped(totals.fallbackSteps)) fallback steps). Failed: \(Self.grouped(totals.failedAfterFallbacks)) after all fallbacks"
            + (totals.failedUnknownGroup > 0 ? ", \(Self.grouped(totals.failedUnknownGroup)) for unknown groups" : "") + ".\n\n"

        out += "\(sub) Deployments\n\n"
        out += "| Deployment | Group | Model | RPM | TPM | Served | As fallback | Tokens | Cost | Unpriced |\n"
        out += "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
        for d in replay.deployments {
            out += "| \(Self.cell(d.id)) | \(Self.cell(d.group)) | \(Self.cell(d.model)) | \(d.limits.rpm.map(Self.grouped) ?? "-") | "
                + "\(d.limits.tpm.map(Self.grouped) ?? "-") | \(Self.grouped(d.served)) | \(Self.grouped(d.servedAsFallback)) | "
                + "\(Self.grouped(Int(d.tokens))) | \(Self.usd(d.costUSD)) | \(Self.grouped(d.unpriced)) |\n"
        }
        out += "\n\(sub) Groups\n\n"
        out += "| Group | Fallbacks | Requests | Tenant-limited | By own deployments | By a fallback | Failed | Overflow rate | Served for others |\n"
        out += "|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
        for g in replay.groups {
            let list = config.fallbackList(of: g.group)
            out += "| \(Self.cell(g.group)) | \(list.isEmpty ? "-" : Self.cell(list.joined(separator: " → "))) | \(Self.grouped(g.requests)) | "
                + "\(Self.grouped(g.tenantLimited)) | \(Self.grouped(g.servedPrimary)) | \(Self.grouped(g.servedByFallback)) | "
                + "\(Self.grouped(g.failedAfterFallbacks)) | \(Self.percent(g.spillRate)) | \(Self.grouped(g.servedForOthers)) |\n"
        }
        out += "\nOverflow rate: share of the group's routed requests its own deployments could not take (its fallback rate when it has fallbacks).\n"
        out += "\n\(sub) Tenants\n\n"
        if replay.tenants.isEmpty {
            out += "No requests.\n"
        } else {
            out += "| Tenant | RPM | TPM | Requests | Served | by fallback | Fallbacks | Tenant-limited | Failed |\n"
            out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        }
        for t in replay.tenants {
            out += "| \(t.tenant.map(Self.cell) ?? "(no tenant)") | \(t.limits?.rpm.map(Self.grouped) ?? "-") | "
                + "\(t.limits?.tpm.map(Self.grouped) ?? "-") | \(Self.grouped(t.requests)) | \(Self.grouped(t.served)) | "
                + "\(Self.grouped(t.servedByFallback)) | \(Self.grouped(t.fallbacks)) | \(Self.grouped(t.tenantLimited)) | \(Self.grouped(t.failed)) |\n"
        }
        if !replay.fallbackPaths.isEmpty {
            out += "\n\(sub) Fallback paths\n\n"
            out += "| From | To | Requests | Latency penalty |\n|---|---|---:|---:|\n"
            for p in replay.fallbackPaths {
                let penalty = p.latencyPenaltyMs.map { String(format: "%+.0f ms", $0) } ?? "unknown"
                out += "| \(Self.cell(p.from)) | \(Self.cell(p.to)) | \(Self.grouped(p.requests)) | \(penalty) |\n"
            }
            out += "\nLatency penalty: median ledger latency of the fallback group's models minus the requested group's"
                + (latencyKnown ? "." : " (unknown: no ledger latencies).") + "\n"
        }

        out += "\n\(sub) Recommendation (fallback rate ≤ \(Self.percent(recommendations.targetFallbackRate)))\n\n"
        if recommendations.groups.isEmpty {
            out += "No group with fallbacks had traffic: nothing to recommend.\n"
        } else {
            out += "| Group | Deployments | Current RPM | Current TPM | Fallback rate now | RPM per deployment | at RPM−1 | TPM per deployment | at TPM−1 | With both |\n"
            out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
            for r in recommendations.groups {
                func value(_ s: LimitSearch?) -> String {
                    guard let s else { return "-" }
                    return "\(Self.grouped(s.value)) (\(Self.percent(s.rate)))"
                }
                out += "| \(Self.cell(r.group)) | \(r.deployments) | \(r.currentRPM.map(Self.grouped) ?? "-") | \(r.currentTPM.map(Self.grouped) ?? "-") | "
                    + "\(Self.percent(r.currentRate)) | \(value(r.rpm)) | \(Self.percent(r.rpm?.rateBelow)) | \(value(r.tpm)) | "
                    + "\(Self.percent(r.tpm?.rateBelow)) | \(Self.percent(r.rateWithBoth)) |\n"
            }
            out += "\nEach value is the smallest per-deployment limit whose replay keeps the group's fallback rate within the "
                + "target (RPM with TPM lifted, then TPM with that RPM); one less misses it. Other groups keep their limits. "
                + "Gateway fallback rate with all recommendations: "
                + "\(Self.percent(recommendations.gatewayRateWithRecommendations)).\n"
            for r in recommendations.groups {
                for note in r.notes { out += "- \(r.group): \(note)\n" }
            }
        }
        if !warnings.isEmpty {
            out += "\n\(sub) Warnings\n\n"
            for warning in warnings { out += "- \(warning)\n" }
        }
        return out
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    static func percent(_ rate: Double?) -> String {
        guard let rate else { return "-" }
        return NumberText.trimmed(rate * 100, decimals: 2) + "%"
    }

    static func usd(_ value: Double) -> String { "$" + String(format: "%.4f", value) }

    static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}

/// A JSON value written with sorted keys. `number` prints at most eight decimals, trailing zeros trimmed.
public indirect enum LimitsJSON: Sendable, Equatable {
    case object([String: LimitsJSON])
    case array([LimitsJSON])
    case string(String?)
    case int(Int?)
    case unsigned(UInt64)
    case number(Double?)
    case bool(Bool)
    case null

    func write(to out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1)
        switch self {
        case let .object(members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (index, key) in members.keys.sorted().enumerated() {
                out += pad
                JSONText.append(key, to: &out)
                out += ": "
                members[key]!.write(to: &out, indent: indent + 1)
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += pad
                item.write(to: &out, indent: indent + 1)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "]"
        case let .string(text):
            if let text { JSONText.append(text, to: &out) } else { out += "null" }
        case let .int(value):
            out += value.map(String.init) ?? "null"
        case let .unsigned(value):
            out += String(value)
        case let .number(value):
            guard let value, value.isFinite else { out += "null"; return }
            out += NumberText.trimmed(value, decimals: 8)
        case let .bool(value):
            out += value ? "true" : "false"
        case .null:
            out += "null"
        }
    }
}
