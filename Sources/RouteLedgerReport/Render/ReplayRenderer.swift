import Foundation
import RouteLedgerModel
import RouteLedgerReplay

/// Renders a quality replay: the `routeledger.replay/1` JSON document, Markdown for people, the full
/// threshold sweep as CSV, and the cost–quality frontier chart for the HTML report.
public enum ReplayRenderer {
    public static let schema = "routeledger.replay/1"

    // MARK: JSON

    public static func json(_ result: ReplayResult) -> JSONValue {
        let e = result.evaluation
        var document: [String: JSONValue] = [
            "schema": .string(schema),
            "labels": .object([
                "file": .string(result.labelsFile),
                "prompts": .int(Int64(result.prompts)),
                "rejected": .int(Int64(result.rejected.count)),
                "rejected_rows": .array(result.rejected.prefix(50).map { issue in
                    .object(["file": .string(issue.file), "line": .int(Int64(issue.line)), "message": .string(issue.message)])
                }),
            ]),
            "score": .object(["origin": .string(result.scoreOrigin.description)]),
            "cost": .object(["basis": .string(result.costBasis.rawValue),
                             "unit": .string(result.costBasis == .usd ? "USD per 1,000 requests" : "input tokens per 1,000 requests"),
                             "notes": .array(result.costNotes.map(JSONValue.string))]),
            "quality": .object([
                "all_weak": .ratio(e.weakQuality), "all_strong": .ratio(e.strongQuality), "oracle": .ratio(e.oracleQuality),
                "pgr_defined": .bool(e.pgrDefined), "distinct_thresholds": .int(Int64(e.curve.thresholds.count)),
            ]),
            "metrics": .object(["per_call": axis(e.perCall), "per_dollar": axis(e.perDollar)]),
            "baselines": .object([
                "random": .object(["apgr": .fixed(0.5, decimals: 6), "arqgc": .fixed(0.5, decimals: 6),
                                   "note": .string("expected value of routing a random share of calls; exact for any cost basis")]),
                "oracle": .object(["arqgc": .fixed(1, decimals: 6), "apgr_per_call": .ratio(e.perCall.oracleAPGR),
                                   "apgr_per_dollar": .ratio(e.perDollar.oracleAPGR)]),
            ]),
            "frontier": .array(result.frontier.map(point)),
            "current": result.current.map(point) ?? .null,
            "current_basis": .string(result.currentBasis),
            "traffic": result.mix.map(traffic) ?? .null,
            "recommendation": result.recommendation.map(recommendation) ?? .null,
            "traffic_replay": result.trafficReplay.map(trafficReplay) ?? .null,
        ]
        document["definitions"] = .string("README.md#router-quality-metrics")
        return .object(document)
    }

    static func axis(_ m: AxisMetrics) -> JSONValue {
        .object([
            "apgr": .ratio(m.apgr), "apgr_deciles": .ratio(m.apgrDeciles), "cpt50": .ratio(m.cpt50), "cpt80": .ratio(m.cpt80),
            "aiq": .ratio(m.aiq), "arqgc": .ratio(m.arqgc), "oracle_apgr": .ratio(m.oracleAPGR),
            "notes": .array(m.notes.map(JSONValue.string)),
        ])
    }

    static func point(_ p: FrontierPoint) -> JSONValue {
        .object([
            "strong_share_calls": .ratio(p.strongShareCalls), "strong_share_tokens": .ratio(p.strongShareTokens),
            "strong_share_dollars": .ratio(p.strongShareDollars), "threshold": .ratio(p.threshold),
            "quality": .ratio(p.quality), "quality_vs_all_strong": .ratio(p.qualityVsAllStrong), "pgr": .ratio(p.pgr),
            "cost_per_1k": .fixed(p.costPer1k, decimals: 6), "savings_vs_all_strong": .ratio(p.savingsVsAllStrong),
            "savings_vs_observed": .ratio(p.savingsVsObserved),
        ])
    }

    static func traffic(_ mix: TrafficMix) -> JSONValue {
        func tier(_ t: TierMix) -> JSONValue {
            .object(["model": .string(t.model), "region": .string(t.region), "calls": .int(Int64(t.calls)),
                     "mean_input_tokens": .fixed(t.meanInputTokens, decimals: 2), "mean_output_tokens": .fixed(t.meanOutputTokens, decimals: 2),
                     "mean_cache_read_tokens": .fixed(t.meanCacheReadTokens, decimals: 2),
                     "mean_cache_write_tokens": .fixed(t.meanCacheWriteTokens, decimals: 2), "priced": .bool(t.prices != nil)])
        }
        return .object(["router": .string(mix.router), "requests": .int(Int64(mix.requests)), "strong": tier(mix.strong),
                        "cheap": tier(mix.cheap), "observed_strong_share": .ratio(mix.observedStrongShare),
                        "observed_cost_per_1k": .usd(mix.observedCostPer1k)])
    }

    static func operating(_ p: OperatingPoint) -> JSONValue {
        var members: [String: JSONValue] = [
            "prompts": .int(Int64(p.prompts)), "strong_share": .ratio(p.strongShare), "quality": .ratio(p.quality),
            "quality_vs_all_strong": .ratio(p.qualityVsAllStrong), "pgr": .ratio(p.pgr),
            "cost_per_1k": .fixed(p.costPer1k, decimals: 6), "savings_vs_all_strong": .ratio(p.savingsVsAllStrong),
        ]
        if !p.intervals.isEmpty {
            members["ci95"] = .object(p.intervals.mapValues { .array([.ratio($0.lowerBound), .ratio($0.upperBound)]) })
        }
        return .object(members)
    }

    static func recommendation(_ r: Recommendation) -> JSONValue {
        .object([
            "target": .object(["kind": .string(r.target.kind), "value": .ratio(r.target.value)]),
            "routellm": .object([
                "threshold": r.threshold.isFinite ? .fixed(r.threshold, decimals: 6) : .null,
                "rule": .string(rule(r.threshold)),
                "strong_share": .ratio(r.holdout.strongShare),
            ]),
            "calibration": operating(r.calibration),
            "holdout": operating(r.holdout),
            "target_met_on_calibration": .bool(r.targetMetOnCalibration),
            "target_met_on_holdout": .bool(r.targetMetOnHoldout),
            "bootstrap_resamples": .int(Int64(r.bootstrapResamples)),
            "bedrock": .array(r.bedrock.map { b in
                .object(["fallback": .string(b.fallback.rawValue),
                         "response_quality_difference": b.responseQualityDifference.map { .fixed($0, decimals: 2) } ?? .null,
                         "meaning": .string(b.meaning), "holdout": b.holdout.map(operating) ?? .null,
                         "notes": .array(b.notes.map(JSONValue.string))])
            }),
            "notes": .array(r.notes.map(JSONValue.string)),
        ])
    }

    static func trafficReplay(_ t: TrafficReplayResult) -> JSONValue {
        .object([
            "router": .string(t.router), "requests": .int(Int64(t.requests)), "replayed": .int(Int64(t.replayed)),
            "without_prompt": .int(Int64(t.withoutText)), "unpriced": .int(Int64(t.unpriced)),
            "observed": t.observed.map(operating) ?? .null,
            "threshold": t.threshold.flatMap { $0.isFinite ? JSONValue.fixed($0, decimals: 6) : nil } ?? .null,
            "at_threshold": t.atThreshold.map(operating) ?? .null,
            "frontier": .array(t.frontier.map(point)),
            "notes": .array(t.notes.map(JSONValue.string)),
        ])
    }

    static func rule(_ threshold: Double) -> String {
        if threshold == .infinity { return "never route to the strong model" }
        if threshold == -.infinity { return "always route to the strong model" }
        return "strong model when score >= \(Formatting.fixed(threshold, 6))"
    }

    // MARK: CSV: every distinct threshold

    public static func csv(_ result: ReplayResult) -> String {
        let curve = result.evaluation.curve
        let n = Double(max(curve.totals.prompts, 1))
        let weak = curve.totals.weakQuality / n, strong = curve.totals.strongQuality / n
        var out = CSVRenderer.line(["threshold", "strong_calls", "strong_share_calls", "strong_share_tokens", "strong_share_dollars",
                                    "quality", "pgr", "cost_per_1k", "savings_vs_all_strong"])
        for k in 0..<curve.points {
            let quality = curve.quality(at: k), cost = curve.cost(at: k)
            let spend = curve.totals.weakCost + curve.extraCost[k]
            out += CSVRenderer.line([
                k == 0 ? "" : Formatting.fixed(curve.thresholds[k - 1], 6), String(Int64(curve.strongCalls[k])),
                Formatting.fixed(curve.strongCalls[k] / n, 6),
                Formatting.fixed(curve.totals.tokens > 0 ? curve.strongTokens[k] / curve.totals.tokens : 0, 6),
                spend > 0 ? Formatting.fixed(curve.strongSpend[k] / spend, 6) : "",
                Formatting.fixed(quality, 6),
                result.evaluation.pgrDefined ? Formatting.fixed((quality - weak) / (strong - weak), 6) : "",
                Formatting.fixed(cost * 1000, 6),
                curve.totals.strongCost > 0 ? Formatting.fixed(1 - cost * n / curve.totals.strongCost, 6) : "",
            ])
        }
        return out
    }

    // MARK: Markdown

    public static func markdown(_ result: ReplayResult, heading: String = "#") -> String {
        let e = result.evaluation
        func r(_ v: Double?) -> String { v.map { Formatting.fixed($0, 3) } ?? "undefined" }
        func money(_ v: Double) -> String { result.costBasis == .usd ? Formatting.usdPrecise(v) : Formatting.grouped(Int64(v.rounded())) + " tok" }
        var out = "\(heading) Routing replay\n\n"
        out += "- Labels: `\(result.labelsFile)`: \(Formatting.grouped(Int64(result.prompts))) prompts"
            + (result.rejected.isEmpty ? "" : ", \(result.rejected.count) rows rejected (first: \(result.rejected[0]))") + "\n"
        out += "- Router score: \(result.scoreOrigin.description)\n"
        out += "- Quality: all-weak \(r(e.weakQuality)), all-strong \(r(e.strongQuality)), oracle \(r(e.oracleQuality))\n"
        if let mix = result.mix {
            out += "- Traffic: router `\(mix.router)`, \(Formatting.grouped(Int64(mix.requests))) requests; strong `\(mix.strong.model)`, cheap `\(mix.cheap.model)`; "
                + "observed strong share \(Formatting.percent(mix.observedStrongShare))\n"
        }
        for note in result.costNotes { out += "- Cost: \(note)\n" }
        if let basis = result.currentBasis { out += "- Observed setting: \(basis)\n" }
        out += "\n\(heading)# Router quality\n\n"
        out += "| metric | per call | per dollar |\n|---|---:|---:|\n"
        let rows: [(String, KeyPath<AxisMetrics, Double?>)] = [
            ("APGR (exact)", \.apgr), ("APGR (RouteLLM deciles)", \.apgrDeciles), ("CPT(50%)", \.cpt50), ("CPT(80%)", \.cpt80),
            ("AIQ", \.aiq), ("ARQGC-style (random 0.5, oracle 1.0)", \.arqgc), ("oracle APGR", \.oracleAPGR),
        ]
        for (name, path) in rows { out += "| \(name) | \(r(e.perCall[keyPath: path])) | \(r(e.perDollar[keyPath: path])) |\n" }
        for note in Set(e.perCall.notes + e.perDollar.notes).sorted() { out += "\n> \(note)\n" }
        out += "\n\(heading)# Frontier\n\n| strong calls | strong tokens | threshold | quality | PGR | cost / 1k | savings vs all-strong |"
            + (result.current != nil ? " vs observed |" : "") + "\n|---:|---:|---:|---:|---:|---:|---:|" + (result.current != nil ? "---:|" : "") + "\n"
        var shown = Array(stride(from: 0, through: 100, by: 10).map { result.frontier[$0] })
        if let current = result.current { shown.append(current); shown.sort { $0.strongShareCalls < $1.strongShareCalls } }
        for p in shown {
            let marker = p == result.current ? " (observed)" : ""
            out += "| \(Formatting.percent(p.strongShareCalls))\(marker) | \(Formatting.percent(p.strongShareTokens)) | "
                + "\(p.threshold.map { Formatting.fixed($0, 4) } ?? "–") | \(Formatting.fixed(p.quality, 3)) | \(r(p.pgr)) | "
                + "\(money(p.costPer1k)) | \(Formatting.percent(p.savingsVsAllStrong)) |"
                + (result.current != nil ? " \(Formatting.percent(p.savingsVsObserved)) |" : "") + "\n"
        }
        if let rec = result.recommendation {
            out += "\n\(heading)# Recommendation (\(rec.target))\n\n"
            out += "- RouteLLM-style: \(rule(rec.threshold)); strong share \(Formatting.percent(rec.holdout.strongShare)) on the hold-out half\n"
            let h = rec.holdout
            func ci(_ key: String, _ f: (Double) -> String) -> String {
                h.intervals[key].map { " (95% CI \(f($0.lowerBound))–\(f($0.upperBound)))" } ?? ""
            }
            out += "- Hold-out: quality \(Formatting.fixed(h.quality, 3))\(ci("quality") { Formatting.fixed($0, 3) }), "
                + "\(Formatting.percent(h.qualityVsAllStrong)) of all-strong\(ci("quality_vs_all_strong") { Formatting.percent($0) }), "
                + "PGR \(r(h.pgr))\(ci("pgr") { Formatting.fixed($0, 3) }), cost / 1k \(money(h.costPer1k))\(ci("cost_per_1k", money)), "
                + "savings vs all-strong \(Formatting.percent(h.savingsVsAllStrong))\n"
            out += "- Target met: calibration \(rec.targetMetOnCalibration ? "yes" : "no"), hold-out \(rec.targetMetOnHoldout ? "yes" : "no")\n"
            for b in rec.bedrock {
                let value = b.responseQualityDifference.map { Formatting.fixed($0, 2) + "%" } ?? "not derivable"
                out += "- Bedrock responseQualityDifference, \(b.meaning): **\(value)**"
                if let ho = b.holdout { out += " → hold-out strong share \(Formatting.percent(ho.strongShare)), quality \(Formatting.fixed(ho.quality, 3))" }
                for note in b.notes { out += " (\(note))" }
                out += "\n"
            }
            for note in rec.notes { out += "- \(note)\n" }
        }
        if let t = result.trafficReplay {
            out += "\n\(heading)# Real traffic re-decided (router `\(t.router)`)\n\n"
            out += "- \(Formatting.grouped(Int64(t.replayed))) of \(Formatting.grouped(Int64(t.requests))) requests replayed\n"
            // Quality at a share comes from the labelled frontier: the predictor's own estimates are optimistic
            // once routing has selected on them.
            func labelled(_ share: Double) -> String {
                Formatting.fixed(ReplayAnalysis.frontierPoint(result.evaluation, share: share, observedCostPer1k: nil).quality, 3)
            }
            if let o = t.observed {
                out += "- As routed: strong share \(Formatting.percent(o.strongShare)), real cost / 1k \(Formatting.usdPrecise(o.costPer1k)); "
                    + "labelled quality at that share \(labelled(o.strongShare))\n"
            }
            if let a = t.atThreshold, let threshold = t.threshold {
                out += "- With the recommended setting (\(rule(threshold))): strong share \(Formatting.percent(a.strongShare)), "
                    + "real cost / 1k \(Formatting.usdPrecise(a.costPer1k)); labelled quality at that share \(labelled(a.strongShare))\n"
            }
            for note in t.notes { out += "- \(note)\n" }
        }
        out += "\nAWS has not published the exact formula of its ARQGC metric; the score here is normalised so that random routing is 0.5 and the oracle 1.0.\n"
        return out
    }

    // MARK: SVG

    /// Cost per 1,000 requests (x) against quality (y): the frontier, the all-weak and all-strong ends, the
    /// observed setting and the recommendation marked.
    public static func frontierSVG(_ result: ReplayResult) -> String {
        let name = "replay-frontier", title = "Cost vs quality under every threshold"
        let points = result.frontier
        guard points.count > 1 else { return SVGCharts.noData(name: name, title: title) }
        let height = 300.0, left = 58.0, right = 16.0, top = 16.0, bottom = 44.0
        let width = SVGCharts.width
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let costs = points.map(\.costPer1k), qualities = points.map(\.quality)
        let recommendationPoint = result.recommendation.map { ReplayAnalysis.frontierPoint(result.evaluation, share: $0.holdout.strongShare, observedCostPer1k: nil) }
        let allCosts = costs + [result.current?.costPer1k, recommendationPoint?.costPer1k].compactMap { $0 }
        let allQualities = qualities + [result.current?.quality, recommendationPoint?.quality].compactMap { $0 }
        let minCost = allCosts.min()!, maxCost = max(allCosts.max()!, minCost + 1e-12)
        let minQ = allQualities.min()!, maxQ = max(allQualities.max()!, minQ + 1e-6)
        func x(_ c: Double) -> Double { left + plotWidth * (c - minCost) / (maxCost - minCost) }
        func y(_ q: Double) -> Double { top + plotHeight * (1 - (q - minQ) / (maxQ - minQ)) }
        let unit = result.costBasis == .usd ? "USD per 1,000 requests" : "input tokens per 1,000 requests"
        var out = SVGCharts.open(name: name, title: title,
                                 description: "Expected quality against \(unit) for every share of calls on the strong model", height: height)
        for tick in 0...4 {
            let q = minQ + (maxQ - minQ) * Double(tick) / 4
            out += SVGCharts.line(left, y(q), width - right, y(q), dash: tick != 0)
            out += SVGCharts.text(left - 6, y(q) + 4, Formatting.fixed(q, 3), anchor: "end", size: 12, fill: "#57606a")
            let c = minCost + (maxCost - minCost) * Double(tick) / 4
            out += SVGCharts.text(x(c), height - bottom + 18, result.costBasis == .usd ? Formatting.usdPrecise(c) : Formatting.grouped(Int64(c.rounded())),
                                  anchor: tick == 0 ? "start" : (tick == 4 ? "end" : "middle"), size: 12, fill: "#57606a")
        }
        out += SVGCharts.text(left + plotWidth / 2, height - 6, "cost (\(unit))", anchor: "middle", size: 12, fill: "#57606a")
        out += "<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"2.5\" stroke-linejoin=\"round\" points=\""
            + points.map { "\(SVGCharts.n(x($0.costPer1k))),\(SVGCharts.n(y($0.quality)))" }.joined(separator: " ") + "\"/>"
        func marker(_ p: FrontierPoint, _ label: String, _ color: String) -> String {
            "<circle cx=\"\(SVGCharts.n(x(p.costPer1k)))\" cy=\"\(SVGCharts.n(y(p.quality)))\" r=\"6\" fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"1.5\">"
                + "<title>\(escapeHTML(label)): \(Formatting.percent(p.strongShareCalls)) strong, quality \(Formatting.fixed(p.quality, 3))</title></circle>"
                + SVGCharts.text(min(x(p.costPer1k) + 9, width - right - SVGCharts.textWidth(label, size: 12)), y(p.quality) - 8, label, size: 12)
        }
        out += marker(points.first!, "all cheap", "#8c959f")
        out += marker(points.last!, "all strong", "#8c959f")
        if let current = result.current { out += marker(current, "observed", "#bf8700") }
        if let recommendationPoint { out += marker(recommendationPoint, "recommended", "#1a7f37") }
        return out + "</svg>"
    }

    /// The HTML section of the nightly report: the chart and the metric table.
    public static func htmlSection(_ result: ReplayResult) -> String {
        let e = result.evaluation
        func r(_ v: Double?) -> String { v.map { Formatting.fixed($0, 3) } ?? "undefined" }
        var out = "<section id=\"replay\"><h2>Routing replay</h2>"
        out += "<p>\(escapeHTML("\(Formatting.grouped(Int64(result.prompts))) labelled prompts from \(result.labelsFile); score: \(result.scoreOrigin.description)."))</p>"
        out += "<figure>" + frontierSVG(result) + "</figure>"
        out += "<table><thead><tr><th>metric</th><th>per call</th><th>per dollar</th></tr></thead><tbody>"
        let rows: [(String, KeyPath<AxisMetrics, Double?>)] = [("APGR", \.apgr), ("APGR (deciles)", \.apgrDeciles), ("CPT(50%)", \.cpt50),
                                                              ("CPT(80%)", \.cpt80), ("AIQ", \.aiq), ("ARQGC-style", \.arqgc)]
        for (name, path) in rows {
            out += "<tr><td>\(name)</td><td class=\"num\">\(r(e.perCall[keyPath: path]))</td><td class=\"num\">\(r(e.perDollar[keyPath: path]))</td></tr>"
        }
        out += "</tbody></table>"
        if let rec = result.recommendation {
            out += "<p>\(escapeHTML("Recommended (\(rec.target)): \(rule(rec.threshold)); hold-out strong share \(Formatting.percent(rec.holdout.strongShare)), quality \(Formatting.fixed(rec.holdout.quality, 3))."))</p>"
        }
        return out + "</section>"
    }
}
