import Foundation
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerReplay

/// The report as one self-contained HTML page: inline CSS and SVG, no script, no external URL.
/// Readable on a phone (fluid layout, tables scroll inside their own wrapper, charts scale with the
/// page) and printable. The same document always gives the same bytes: nothing here reads the clock,
/// and everything that is iterated is either a list from the document or sorted.
public enum HTMLRenderer {
    public static func render(_ document: ReportDocument) -> String {
        var page = Page(document: document)
        page.build()
        return page.out
    }
}

// MARK: - Page assembly

private struct Page {
    let document: ReportDocument
    let metrics: WindowMetrics
    let models: ChartPalette
    let regions: ChartPalette
    var out = ""

    init(document: ReportDocument) {
        self.document = document
        metrics = document.current
        var modelNames = metrics.models.map(\.model)
        modelNames += metrics.routers.flatMap { $0.served.map(\.model) }
        models = ChartPalette(keys: modelNames)
        regions = ChartPalette(keys: metrics.regions.map(\.inferenceRegion), colors: ChartPalette.regionColors)
    }

    static let sections: [(id: String, title: String)] = [
        ("headline", "Headline"), ("changes", "Changes"), ("totals", "Totals"), ("daily", "Daily history"),
        ("models", "Models"), ("routers", "Routers"), ("counterfactual", "Counterfactual"),
        ("fallback", "Fallback"), ("overhead", "Routing overhead"), ("regions", "Cross-Region"),
        ("accounts", "Accounts"), ("tenants", "Tenants"), ("deployments", "LiteLLM deployments"),
        ("litellm-cost", "LiteLLM cost"), ("unpriced", "Unpriced models"), ("notes", "Notes"),
    ]

    mutating func build() {
        let title = "RouteLedger report \(document.label)"
        out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<meta name=\"generator\" content=\"RouteLedger \(escapeHTML(ReportDocument.schema))\">\n"
        out += "<title>\(escapeHTML(title))</title>\n<style>\n\(Self.css)</style>\n</head>\n<body>\n<main>\n"
        header()
        headline()
        changes()
        totals()
        daily()
        modelsSection()
        routers()
        counterfactual()
        fallback()
        overhead()
        crossRegion()
        accounts()
        tenants()
        deployments()
        litellmCost()
        unpriced()
        notes()
        if let replay = document.replay { out += ReplayRenderer.htmlSection(replay) + "\n" }
        if let limits = document.limits { replayLimits(limits) }
        out += "<footer><p>RouteLedger · \(escapeHTML(ReportDocument.schema)) · price catalog \(escapeHTML(document.priceCatalog))"
        out += " · window \(escapeHTML(Formatting.timestamp(metrics.since))) to \(escapeHTML(Formatting.timestamp(metrics.until)))</p></footer>\n"
        out += "</main>\n</body>\n</html>\n"
    }

    // MARK: Sections

    mutating func header() {
        out += "<header>\n<h1>RouteLedger report <span class=\"label\">\(escapeHTML(document.label))</span></h1>\n"
        out += "<p class=\"meta\">Window <time>\(escapeHTML(Formatting.timestamp(metrics.since)))</time> to "
        out += "<time>\(escapeHTML(Formatting.timestamp(metrics.until)))</time> (end exclusive) · price catalog "
        out += "\(escapeHTML(document.priceCatalog)) · \(Formatting.grouped(Int64(document.configuredRouters))) configured "
        out += document.configuredRouters == 1 ? "router" : "routers"
        out += "</p>\n<nav class=\"toc\" aria-label=\"Sections\"><ul>"
        for section in Self.sections {
            out += "<li><a href=\"#\(section.id)\">\(escapeHTML(section.title))</a></li>"
        }
        if document.replay != nil { out += "<li><a href=\"#replay\">Routing replay</a></li>" }
        if document.limits != nil { out += "<li><a href=\"#replay-limits\">Rate-limit replay</a></li>" }
        out += "</ul></nav>\n</header>\n"
    }

    mutating func open(_ id: String, _ title: String) {
        out += "<section id=\"\(id)\">\n<h2>\(escapeHTML(title))</h2>\n"
    }

    mutating func close() { out += "</section>\n" }

    mutating func headline() {
        open("headline", "Headline")
        let totals = metrics.totals
        let counterfactual = metrics.counterfactual
        let fallback = metrics.fallback
        out += "<div class=\"cards\">\n"
        let costNote = totals.unpricedRequests > 0
            ? "excludes \(Formatting.grouped(totals.unpricedRequests)) unpriced \(plural(totals.unpricedRequests, "request"))"
            : totals.requests == 0 ? "no requests in this window" : "all requests priced"
        card("Cost", Formatting.usdPrecise(totals.costUSD), costNote, warn: totals.costUSD == nil && totals.unpricedRequests > 0)
        var savingsNote = "all-strong would cost " + Formatting.usdPrecise(counterfactual.allStrongUSD)
        if let pct = counterfactual.savingsPct { savingsNote = pctText(pct) + " less; " + savingsNote }
        card("Savings vs all-strong", Formatting.usdPrecise(counterfactual.savingsUSD), savingsNote)
        card("Haiku ratio", Formatting.percent(metrics.haiku.ratio),
             "\(Formatting.grouped(metrics.haiku.haikuRequests)) of \(Formatting.grouped(metrics.haiku.claudeRequests)) Claude requests")
        card("Router fallback rate", Formatting.percent(fallback.routerFallbackRate),
             "\(Formatting.grouped(fallback.routerFallbacks)) of \(Formatting.grouped(fallback.routerResolvedRequests)) resolved")
        card("Gateway fallback rate", Formatting.percent(fallback.gatewayFallbackRate),
             "\(Formatting.grouped(fallback.gatewayFallbacks)) of \(Formatting.grouped(fallback.logicalRequests)) logical requests")
        card("Requests", Formatting.grouped(totals.requests),
             "\(Formatting.grouped(totals.failed)) failed · \(Formatting.grouped(totals.throttled)) throttled")
        card("Unpriced requests", Formatting.grouped(totals.unpricedRequests),
             totals.unpricedRequests > 0 ? "left out of every cost" : "none", warn: totals.unpricedRequests > 0)
        out += "</div>\n"
        close()
    }

    mutating func card(_ key: String, _ value: String, _ note: String, warn: Bool = false) {
        out += "<div class=\"card\(warn ? " warn" : "")\"><div class=\"k\">\(escapeHTML(key))</div>"
        out += "<div class=\"v\">\(escapeHTML(value))</div><div class=\"n\">\(escapeHTML(note))</div></div>\n"
    }

    mutating func changes() {
        open("changes", "Changes vs the previous window")
        guard let previous = document.previous else {
            out += "<p class=\"empty\">No previous window to compare with.</p>\n"
            close()
            return
        }
        out += "<p class=\"meta\">Previous window \(escapeHTML(Formatting.timestamp(previous.since))) to "
        out += "\(escapeHTML(Formatting.timestamp(previous.until))).</p>\n"
        guard !document.changes.isEmpty else {
            out += "<p class=\"empty\">No changes computed.</p>\n"
            close()
            return
        }
        var table = Table(["Metric", "Previous", "Current", "Change", "Relative"], numeric: [1, 2, 3, 4])
        for change in document.changes {
            let arrow: String
            if let delta = change.delta { arrow = delta > 0 ? "▲ " : delta < 0 ? "▼ " : "= " } else { arrow = "" }
            table.row([.text(change.metric),
                       .text(Self.value(change.previous, unit: change.unit)),
                       .text(Self.value(change.current, unit: change.unit)),
                       .text(arrow + Self.delta(change.delta, unit: change.unit)),
                       .text(change.relativePct.map { signed(Formatting.fixed($0, 1)) + "%" } ?? "–")])
        }
        out += table.html
        out += "<p class=\"note\">Ratios change in percentage points (pp); the relative change is against the previous value.</p>\n"
        close()
    }

    mutating func totals() {
        open("totals", "Totals")
        let totals = metrics.totals
        var table = Table(["Measure", "Value"], numeric: [1])
        table.row([.text("Requests"), .text(Formatting.grouped(totals.requests))])
        table.row([.text("Succeeded"), .text(Formatting.grouped(totals.succeeded))])
        table.row([.text("Failed"), .text(Formatting.grouped(totals.failed))])
        table.row([.text("Throttled"), .text(Formatting.grouped(totals.throttled))])
        table.row([.text("Input tokens"), .text(Formatting.grouped(totals.tokens.input))])
        table.row([.text("Output tokens"), .text(Formatting.grouped(totals.tokens.output))])
        table.row([.text("Cache read tokens"), .text(Formatting.grouped(totals.tokens.cacheRead))])
        table.row([.text("Cache write tokens"), .text(Formatting.grouped(totals.tokens.cacheWrite))])
        table.row([.text("Cost"), costCell(totals.costUSD, unpriced: totals.unpricedRequests)])
        table.row([.text("Priced requests"), .text(Formatting.grouped(totals.pricedRequests))])
        table.row([.text("Unpriced requests"), .text(Formatting.grouped(totals.unpricedRequests))])
        out += table.html
        if !totals.failedByCode.isEmpty {
            out += "<h3>Failures by code</h3>\n"
            var codes = Table(["Code", "Requests"], numeric: [1])
            for item in totals.failedByCode { codes.row([.code(item.code), .text(Formatting.grouped(item.count))]) }
            out += codes.html
        }
        close()
    }

    mutating func daily() {
        open("daily", "Daily history")
        let history = document.history
        let labels = history.map { String(Formatting.day($0.start).dropFirst(5)) }
        out += "<div class=\"charts\">\n<figure>\n"
        if history.contains(where: { $0.haikuRatio != nil }) {
            out += SVGCharts.ratioLine(
                name: "haiku-ratio-daily", title: "Haiku ratio per day",
                description: "Share of successful Claude requests served by a Haiku model, per day.",
                points: zip(labels, history).map { DailyValue(label: $0, value: $1.haikuRatio) }, color: "#6f42c1")
        } else {
            out += SVGCharts.noData(name: "haiku-ratio-daily", title: "Haiku ratio per day")
        }
        out += "\n<figcaption>Haiku ratio per day (successful Claude requests served by Haiku).</figcaption>\n</figure>\n"
        out += "<figure>\n"
        let actualColor = "#3b5b8c", strongColor = "#d9822b"
        let hasCost = history.contains(where: { $0.costUSD != nil || $0.counterfactualStrongUSD != nil })
        if hasCost {
            out += SVGCharts.groupedBars(
                name: "cost-daily", title: "Actual cost vs all-strong counterfactual per day",
                description: "Per day: priced cost of the requests made, and the cost had every request gone to the strong model.",
                categories: labels,
                series: [BarSeries(name: "Actual cost", color: actualColor, values: history.map(\.costUSD)),
                         BarSeries(name: "All-strong counterfactual", color: strongColor,
                                   values: history.map(\.counterfactualStrongUSD))],
                format: { Formatting.usdPrecise($0) })
        } else {
            out += SVGCharts.noData(name: "cost-daily", title: "Actual cost vs all-strong counterfactual per day")
        }
        if hasCost {
            out += "\n" + SVGCharts.legend([("Actual cost", actualColor, 1), ("All-strong counterfactual", strongColor, 1)])
        }
        out += "<figcaption>Cost per day; “n/a” marks a day whose cost cannot be known (unpriced requests).</figcaption>\n</figure>\n</div>\n"
        if history.isEmpty {
            out += "<p class=\"empty\">No daily history.</p>\n"
        } else {
            var table = Table(["Day", "Requests", "Cost", "All-strong", "Haiku ratio", "Router fallback", "Gateway fallback",
                               "Throttle rate"], numeric: [1, 2, 3, 4, 5, 6, 7])
            for point in history {
                table.row([.text(Formatting.day(point.start)), .text(Formatting.grouped(point.requests)),
                           .text(Formatting.usdPrecise(point.costUSD)), .text(Formatting.usdPrecise(point.counterfactualStrongUSD)),
                           .text(Formatting.percent(point.haikuRatio)), .text(Formatting.percent(point.routerFallbackRate)),
                           .text(Formatting.percent(point.gatewayFallbackRate)), .text(Formatting.percent(point.throttleRate))])
            }
            out += table.html
        }
        close()
    }

    mutating func modelsSection() {
        open("models", "Models")
        if metrics.models.isEmpty {
            out += "<p class=\"empty\">No model traffic in this window.</p>\n"
        } else {
            var table = Table(["Model", "Tier", "Requests", "Failed", "Input tokens", "Output tokens", "Cache read",
                               "Cache write", "Cost"], numeric: Array(2...8))
            for model in metrics.models {
                table.row([.model(model.model, models.color(model.model)), .text(model.tier?.rawValue ?? "–"),
                           .text(Formatting.grouped(model.requests)), .text(Formatting.grouped(model.failed)),
                           .text(Formatting.grouped(model.tokens.input)), .text(Formatting.grouped(model.tokens.output)),
                           .text(Formatting.grouped(model.tokens.cacheRead)), .text(Formatting.grouped(model.tokens.cacheWrite)),
                           costCell(model.costUSD, unpriced: model.unpricedRequests)])
            }
            out += table.html
            out += "<h3>Latency and time to first token</h3>\n"
            var timing = Table(["Model", "Latency p50", "p90", "p99", "Samples", "TTFT p50", "p90", "p99", "Samples"],
                               numeric: Array(1...8))
            for model in metrics.models {
                timing.row([.model(model.model, models.color(model.model)),
                            .text(Formatting.ms(model.latency.p50)), .text(Formatting.ms(model.latency.p90)),
                            .text(Formatting.ms(model.latency.p99)), .text(Formatting.grouped(model.latency.samples)),
                            .text(Formatting.ms(model.ttft.p50)), .text(Formatting.ms(model.ttft.p90)),
                            .text(Formatting.ms(model.ttft.p99)), .text(Formatting.grouped(model.ttft.samples))])
            }
            out += timing.html
        }
        out += "<figure>\n"
        let rows = metrics.models.filter { $0.latency.p50 != nil || $0.latency.p90 != nil || $0.latency.p99 != nil }
        if rows.isEmpty {
            out += SVGCharts.noData(name: "latency-models", title: "Latency per model (p50, p90, p99)")
        } else {
            out += SVGCharts.latencyBars(
                name: "latency-models", title: "Latency per model (p50, p90, p99)",
                description: "Per model, end-to-end latency percentiles in milliseconds.",
                rows: rows.map { LatencyRow(label: $0.model, color: models.color($0.model), p50: $0.latency.p50,
                                            p90: $0.latency.p90, p99: $0.latency.p99, samples: $0.latency.samples) })
        }
        if !rows.isEmpty {
            out += "\n" + SVGCharts.legend([("p50", "#57606a", 1), ("p90", "#57606a", 0.6), ("p99", "#57606a", 0.3)])
        }
        out += "<figcaption>Latency percentiles per model: solid p50, medium p90, light p99, in the model’s colour.</figcaption>\n</figure>\n"
        close()
    }

    mutating func routers() {
        open("routers", "Routers")
        let routers = metrics.routers
        out += "<figure>\n"
        let rows = routers.filter { !$0.served.isEmpty }.map { router in
            StackedBarRow(
                label: Formatting.shortRouter(router.router),
                note: "\(router.kind) · \(Formatting.grouped(router.requests)) requests",
                segments: router.served.map {
                    BarSegment(key: $0.model, label: $0.model, fraction: $0.share, color: models.color($0.model),
                               detail: "\(Formatting.grouped($0.requests)) requests")
                })
        }
        if rows.isEmpty {
            out += SVGCharts.noData(name: "routing-distribution", title: "Served-model share per router")
        } else {
            out += SVGCharts.stackedBars(name: "routing-distribution", title: "Served-model share per router",
                                         description: "For each router, the share of its requests served by each model.",
                                         rows: rows)
            let served = Set(routers.flatMap { $0.served.map(\.model) }).sorted()
            out += "\n" + SVGCharts.legend(served.map { ($0, models.color($0), 1) })
        }
        out += "<figcaption>Which model each router actually served, as a share of its requests.</figcaption>\n</figure>\n"
        if routers.isEmpty {
            out += "<p class=\"empty\">No routed traffic in this window.</p>\n"
            close()
            return
        }
        var table = Table(["Router", "Requests", "Cheap ratio", "Fallback rate", "Unresolved", "Cost", "All-strong",
                           "All-cheap", "Savings vs strong", "Haiku ratio"], numeric: Array(1...9))
        for router in routers {
            table.row([.router(router.router), .text(Formatting.grouped(router.requests)),
                       .text(Formatting.percent(router.cheapRatio)), .text(Formatting.percent(router.fallbackRate)),
                       .text(Formatting.grouped(router.unresolved)), .text(Formatting.usdPrecise(router.costUSD)),
                       .text(Formatting.usdPrecise(router.counterfactualStrongUSD)),
                       .text(Formatting.usdPrecise(router.counterfactualCheapUSD)),
                       .text(router.savingsPct.map(pctText) ?? "–"), .text(Formatting.percent(router.haikuRatio))])
        }
        out += table.html
        out += "<h3>Configuration</h3>\n"
        var configuration = Table(["Router", "Kind", "Configured", "Strong model", "Cheap model", "Fallback model"])
        for router in routers {
            configuration.row([.router(router.router), .text(router.kind), .text(router.configured ? "yes" : "no"),
                               .code(router.strongModel ?? "–"), .code(router.cheapModel ?? "–"),
                               .code(router.fallbackModel ?? "–")])
        }
        out += configuration.html
        out += "<h3>Served distribution</h3>\n"
        var served = Table(["Router", "Model", "Tier", "Requests", "Share", "Token share", "Cost share"], numeric: [3, 4, 5, 6])
        for router in routers {
            for item in router.served {
                served.row([.router(router.router), .model(item.model, models.color(item.model)),
                            .text(item.tier?.rawValue ?? "–"), .text(Formatting.grouped(item.requests)),
                            .text(Formatting.percent(item.share)), .text(Formatting.percent(item.tokenShare)),
                            .text(Formatting.percent(item.costShare))])
            }
        }
        out += served.html
        if !metrics.cheapRatioByFamily.isEmpty {
            out += "<h3>Cheap-model ratio by family</h3>\n"
            var families = Table(["Family", "Cheap requests", "Tiered requests", "Cheap ratio"], numeric: [1, 2, 3])
            for family in metrics.cheapRatioByFamily {
                families.row([.text(family.family), .text(Formatting.grouped(family.cheapRequests)),
                              .text(Formatting.grouped(family.tieredRequests)), .text(Formatting.percent(family.ratio))])
            }
            out += families.html
        }
        close()
    }

    mutating func counterfactual() {
        open("counterfactual", "Counterfactual")
        let value = metrics.counterfactual
        var table = Table(["Measure", "Value"], numeric: [1])
        table.row([.text("Requests re-priced both ways"), .text(Formatting.grouped(value.requests))])
        table.row([.text("Requests excluded"), .text(Formatting.grouped(value.excludedRequests))])
        table.row([.text("Actual cost (same requests)"), .text(Formatting.usdPrecise(value.actualUSD))])
        table.row([.text("All on the strong model"), .text(Formatting.usdPrecise(value.allStrongUSD))])
        table.row([.text("All on the cheap model"), .text(Formatting.usdPrecise(value.allCheapUSD))])
        table.row([.text("Savings vs all-strong"), .text(Formatting.usdPrecise(value.savingsUSD))])
        table.row([.text("Savings vs all-strong (%)"), .text(value.savingsPct.map(pctText) ?? "–")])
        out += table.html
        out += "<p class=\"assumption\"><strong>Assumption.</strong> \(escapeHTML(Counterfactual.assumption))</p>\n"
        if value.excludedRequests > 0 {
            out += "<p class=\"note\">\(Formatting.grouped(value.excludedRequests)) \(plural(value.excludedRequests, "request")) "
            out += "could not be re-priced both ways and are left out of these figures.</p>\n"
        }
        close()
    }

    mutating func fallback() {
        open("fallback", "Fallback")
        let value = metrics.fallback
        var table = Table(["Measure", "Value"], numeric: [1])
        table.row([.text("Router fallback rate"), .text(Formatting.percent(value.routerFallbackRate))])
        table.row([.text("Router fallbacks"), .text(Formatting.grouped(value.routerFallbacks))])
        table.row([.text("Router-resolved requests"), .text(Formatting.grouped(value.routerResolvedRequests))])
        table.row([.text("Gateway fallback rate"), .text(Formatting.percent(value.gatewayFallbackRate))])
        table.row([.text("Gateway fallbacks"), .text(Formatting.grouped(value.gatewayFallbacks))])
        table.row([.text("Logical requests"), .text(Formatting.grouped(value.logicalRequests))])
        table.row([.text("Succeeded after retry"), .text(Formatting.grouped(value.retriedSuccesses))])
        table.row([.text("Failed after fallback"), .text(Formatting.grouped(value.failedAfterFallback))])
        table.row([.text("Failed without fallback"), .text(Formatting.grouped(value.failedWithoutFallback))])
        out += table.html
        out += "<p class=\"note\">Router fallback: a configured router served its fallback model. Gateway fallback: a request "
        out += "succeeded only on a fallback deployment after an error.</p>\n"
        close()
    }

    mutating func overhead() {
        open("overhead", "Routing overhead")
        if metrics.routingOverhead.isEmpty {
            out += "<p class=\"empty\">No model was called both through a router and directly.</p>\n"
        } else {
            var table = Table(["Model", "Routed samples", "Direct samples", "p50 difference", "p90 difference"], numeric: [1, 2, 3, 4])
            for item in metrics.routingOverhead {
                table.row([.model(item.model, models.color(item.model)), .text(Formatting.grouped(item.routedSamples)),
                           .text(Formatting.grouped(item.directSamples)), .text(signedMs(item.p50DifferenceMs)),
                           .text(signedMs(item.p90DifferenceMs))])
            }
            out += table.html
            out += "<p class=\"note\">Latency of routed requests minus direct requests to the same model.</p>\n"
        }
        close()
    }

    mutating func crossRegion() {
        open("regions", "Cross-Region flows")
        let flows = metrics.regions
        // Group by (account, source Region) in sorted order; shares recomputed from counts so each bar sums to 100 %.
        var groups: [String: [RegionFlow]] = [:]
        for flow in flows { groups[Self.flowKey(flow), default: []].append(flow) }
        let rows = groups.keys.sorted().map { key -> StackedBarRow in
            let members = groups[key]!.sorted { $0.inferenceRegion < $1.inferenceRegion }
            let total = members.reduce(Int64(0)) { $0 + $1.requests }
            return StackedBarRow(
                label: key, note: "\(Formatting.grouped(total)) requests",
                segments: members.map {
                    BarSegment(key: $0.inferenceRegion, label: $0.inferenceRegion,
                               fraction: total > 0 ? Double($0.requests) / Double(total) : $0.share,
                               color: regions.color($0.inferenceRegion), detail: "\(Formatting.grouped($0.requests)) requests")
                })
        }
        out += "<figure>\n"
        if rows.isEmpty {
            out += SVGCharts.noData(name: "cross-region", title: "Inference Region share per source Region")
        } else {
            out += SVGCharts.stackedBars(name: "cross-region", title: "Inference Region share per source Region",
                                         description: "For each source Region, the share of requests served in each inference Region.",
                                         rows: rows)
            let inference = Set(flows.map(\.inferenceRegion)).sorted()
            out += "\n" + SVGCharts.legend(inference.map { ($0, regions.color($0), 1) })
        }
        out += "<figcaption>Where requests made in each source Region were actually served (cross-Region inference).</figcaption>\n</figure>\n"
        if flows.isEmpty {
            out += "<p class=\"empty\">No Region information in this window.</p>\n"
        } else {
            out += flowTable(flows)
        }
        if !metrics.accountRegions.isEmpty {
            out += "<h3>By account</h3>\n" + flowTable(metrics.accountRegions)
        }
        close()
    }

    static func flowKey(_ flow: RegionFlow) -> String {
        flow.account.map { "\($0) / \(flow.sourceRegion)" } ?? flow.sourceRegion
    }

    func flowTable(_ flows: [RegionFlow]) -> String {
        var table = Table(["Account", "Source Region", "Inference Region", "Cross-Region", "Requests", "Share"], numeric: [4, 5])
        for flow in flows {
            table.row([.code(flow.account ?? "–"), .code(flow.sourceRegion), .code(flow.inferenceRegion),
                       .text(flow.sourceRegion == flow.inferenceRegion ? "no" : "yes"),
                       .text(Formatting.grouped(flow.requests)), .text(Formatting.percent(flow.share))])
        }
        return table.html
    }

    mutating func accounts() {
        open("accounts", "Accounts")
        if metrics.accounts.isEmpty {
            out += "<p class=\"empty\">No account information in this window.</p>\n"
        } else {
            var table = Table(["Account", "Requests", "Failed", "Throttled", "Throttle rate", "Tokens", "Cost", "Cost share"],
                              numeric: Array(1...7))
            for item in metrics.accounts {
                table.row([.code(item.name), .text(Formatting.grouped(item.requests)), .text(Formatting.grouped(item.failed)),
                           .text(Formatting.grouped(item.throttled)), .text(Formatting.percent(item.throttleRate)),
                           .text(Formatting.grouped(item.tokens.total)), costCell(item.costUSD, unpriced: item.unpricedRequests),
                           .text(Formatting.percent(item.costShare))])
            }
            out += table.html
        }
        close()
    }

    mutating func tenants() {
        open("tenants", "Tenants")
        let tenants = metrics.tenants
        if tenants.isEmpty {
            out += "<p class=\"empty\">No tenant information in this window.</p>\n"
            close()
            return
        }
        let noisy = tenants.filter(\.noisyNeighbour)
        if noisy.isEmpty {
            out += "<p class=\"note\">No tenant is flagged as a noisy neighbour.</p>\n"
        } else {
            out += "<p class=\"flag\">⚠ Noisy \(noisy.count == 1 ? "neighbour" : "neighbours"): "
            out += noisy.map { "<strong>\(escapeHTML($0.name))</strong>" }.joined(separator: ", ") + "</p>\n"
        }
        var table = Table(["Tenant", "Requests", "Request share", "Failed", "Throttled", "Throttle rate",
                           "Throttled-minute share", "Tokens", "Cost", "Cost share"], numeric: Array(1...9))
        for item in tenants {
            table.row([.flagged(item.name, item.noisyNeighbour ? "noisy neighbour" : nil),
                       .text(Formatting.grouped(item.requests)), .text(Formatting.percent(item.requestShare)),
                       .text(Formatting.grouped(item.failed)), .text(Formatting.grouped(item.throttled)),
                       .text(Formatting.percent(item.throttleRate)), .text(Formatting.percent(item.throttledMinuteShare)),
                       .text(Formatting.grouped(item.tokens.total)), costCell(item.costUSD, unpriced: item.unpricedRequests),
                       .text(Formatting.percent(item.costShare))],
                      className: item.noisyNeighbour ? "noisy" : nil)
        }
        out += table.html
        out += "<h3>Quota use</h3>\n"
        if tenants.contains(where: { $0.quota != nil }) {
            var quotas = Table(["Tenant", "Requests", "Tokens", "Cost", "Highest"], numeric: [1, 2, 3, 4])
            for item in tenants {
                let quota = item.quota
                quotas.row([.flagged(item.name, item.noisyNeighbour ? "noisy neighbour" : nil),
                            quotaCell(quota?.requestsPct), quotaCell(quota?.tokensPct), quotaCell(quota?.costPct),
                            quotaCell(quota?.maxPct)],
                           className: item.noisyNeighbour ? "noisy" : nil)
            }
            out += quotas.html
            out += "<p class=\"note\">Share of each tenant’s configured quota used in this window; 80 % and above is "
            out += "highlighted, “–” means no quota of that kind is configured.</p>\n"
        } else {
            out += "<p class=\"empty\">No tenant has a quota configured.</p>\n"
        }
        close()
    }

    mutating func deployments() {
        open("deployments", "LiteLLM deployments")
        if metrics.deployments.isEmpty {
            out += "<p class=\"empty\">No LiteLLM deployment traffic in this window.</p>\n"
        } else {
            var table = Table(["Model group", "Deployment", "Requests", "Share", "Failed", "Latency p50"], numeric: [2, 3, 4, 5])
            for item in metrics.deployments {
                table.row([.code(item.modelGroup), .code(item.deployment), .text(Formatting.grouped(item.requests)),
                           .text(Formatting.percent(item.share)), .text(Formatting.grouped(item.failed)),
                           .text(Formatting.ms(item.latencyP50))])
            }
            out += table.html
        }
        close()
    }

    mutating func litellmCost() {
        open("litellm-cost", "LiteLLM logged vs catalog cost")
        let value = metrics.litellmCost
        if value.requests == 0 {
            out += "<p class=\"empty\">No LiteLLM rows with a logged cost in this window.</p>\n"
        } else {
            var table = Table(["Measure", "Value"], numeric: [1])
            table.row([.text("Rows with a logged cost"), .text(Formatting.grouped(value.requests))])
            table.row([.text("Logged by LiteLLM"), .text(Formatting.usdPrecise(value.loggedUSD))])
            table.row([.text("Re-priced from the catalog"), .text(Formatting.usdPrecise(value.catalogUSD))])
            table.row([.text("Difference (logged − catalog)"), .text(value.differenceUSD.map(signedUSD) ?? "–")])
            table.row([.text("Comparable rows"), .text(Formatting.grouped(value.comparableRequests))])
            out += table.html
            if value.catalogUSD == nil {
                out += "<p class=\"note\">Some of these rows use an unpriced model, so the catalog total is unknown (–), not $0.</p>\n"
            }
        }
        close()
    }

    mutating func unpriced() {
        open("unpriced", "Unpriced models")
        let totals = metrics.totals
        if metrics.unpricedModels.isEmpty {
            out += "<p class=\"empty\">Unpriced models: none. Every request in this window was priced.</p>\n"
        } else {
            out += "<p class=\"flag\">\(Formatting.grouped(totals.unpricedRequests)) \(plural(totals.unpricedRequests, "request")) "
            out += "could not be priced and \(totals.unpricedRequests == 1 ? "is" : "are") excluded from every cost in this report. "
            out += "An unknown cost prints as “–”, never as $0.</p>\n"
            var table = Table(["Model", "Region", "Reason", "Requests"], numeric: [3])
            for item in metrics.unpricedModels {
                table.row([.code(item.model), .code(item.region ?? "–"), .text(item.reason), .text(Formatting.grouped(item.requests))])
            }
            out += table.html
        }
        if !totals.unpricedByReason.isEmpty {
            out += "<h3>Unpriced requests by reason</h3>\n"
            var reasons = Table(["Reason", "Requests"], numeric: [1])
            for item in totals.unpricedByReason { reasons.row([.text(item.code), .text(Formatting.grouped(item.count))]) }
            out += reasons.html
        }
        close()
    }

    mutating func notes() {
        open("notes", "Notes and warnings")
        if document.warnings.isEmpty && metrics.notes.isEmpty {
            out += "<p class=\"empty\">None.</p>\n"
        } else {
            out += "<ul class=\"notes\">\n"
            for warning in document.warnings { out += "<li class=\"warning\"><strong>Warning:</strong> \(escapeHTML(warning))</li>\n" }
            for note in metrics.notes { out += "<li>\(escapeHTML(note))</li>\n" }
            out += "</ul>\n"
        }
        close()
    }

    /// The config's `replay_limits:` replay: its totals and, per group with fallbacks, the per-deployment
    /// limits that keep the group's fallback rate within the target.
    mutating func replayLimits(_ limits: LimitsReport) {
        open("replay-limits", "Rate-limit replay")
        let config = limits.config
        let totals = limits.replay.totals
        var source = "\(Formatting.grouped(Int64(totals.requests))) logical gateway requests from the \(limits.source.kind) replayed through "
            + "\(config.file ?? "the gateway config") (\(config.deployments.count) deployments in \(config.groups.count) groups, "
            + "\(config.routingStrategy.rawValue)"
        if let unsupported = config.unsupportedStrategy { source += ", configured \(unsupported) not simulated" }
        source += "), limits per fixed UTC minute; a tenant-limited request is a 429, not a fallback."
        out += "<p>\(escapeHTML(source))</p>\n"
        func count(_ value: Int) -> Cell { .text(Formatting.grouped(Int64(value))) }
        var table = Table(["Measure", "Value"], numeric: [1])
        table.row([.text("Requests"), count(totals.requests)])
        table.row([.text("Served"), count(totals.served)])
        table.row([.text("Served by own deployments"), count(totals.servedPrimary)])
        table.row([.text("Served by a fallback group"), count(totals.servedByFallback)])
        table.row([.text("Tenant-limited"), count(totals.tenantLimited)])
        table.row([.text("Failed"), count(totals.failed)])
        table.row([.text("Fallback rate"), .noted(Formatting.percent(totals.fallbackRate, decimals: 2),
                                                  "\(Formatting.grouped(Int64(totals.fellBack))) of \(Formatting.grouped(Int64(totals.routed))) routed")])
        table.row([.text("Cost"), totals.unpriced > 0
            ? .noted(Formatting.usdPrecise(totals.costUSD), "excl. \(Formatting.grouped(Int64(totals.unpriced))) unpriced")
            : .text(Formatting.usdPrecise(totals.costUSD))])
        out += table.html
        let recommendations = limits.recommendations
        out += "<h3>Recommended limits (fallback rate ≤ \(escapeHTML(Formatting.percent(recommendations.targetFallbackRate, decimals: 2))))</h3>\n"
        if recommendations.groups.isEmpty {
            out += "<p class=\"empty\">No group with fallbacks had traffic: nothing to recommend.</p>\n"
        } else {
            func limit(_ value: Int?) -> Cell { .text(value.map { Formatting.grouped(Int64($0)) } ?? "–") }
            var groups = Table(["Group", "Current RPM", "Current TPM", "Fallback rate now", "Recommended RPM", "Recommended TPM",
                                "Fallback rate with recommendation"], numeric: [1, 2, 3, 4, 5, 6])
            for group in recommendations.groups {
                groups.row([.code(group.group), limit(group.currentRPM), limit(group.currentTPM),
                            .text(Formatting.percent(group.currentRate, decimals: 2)), limit(group.rpm?.value), limit(group.tpm?.value),
                            .text(Formatting.percent(group.rateWithBoth, decimals: 2))])
            }
            out += groups.html
            out += "<p class=\"note\">Per deployment: the smallest RPM (TPM lifted), then the smallest TPM with that RPM, whose replay "
            out += "keeps the group’s fallback rate within the target; other groups keep their limits. Gateway fallback rate with every "
            out += "recommendation: \(escapeHTML(Formatting.percent(recommendations.gatewayRateWithRecommendations, decimals: 2))).</p>\n"
            let notes = recommendations.groups.flatMap { group in group.notes.map { "\(group.group): \($0)" } }
            if !notes.isEmpty {
                out += "<ul class=\"notes\">\n"
                for note in notes { out += "<li>\(escapeHTML(note))</li>\n" }
                out += "</ul>\n"
            }
        }
        if !limits.warnings.isEmpty {
            out += "<ul class=\"notes\">\n"
            for warning in limits.warnings { out += "<li class=\"warning\"><strong>Warning:</strong> \(escapeHTML(warning))</li>\n" }
            out += "</ul>\n"
        }
        close()
    }

    // MARK: Cells and values

    func costCell(_ cost: Double?, unpriced: Int64) -> Cell {
        guard unpriced > 0 else { return .text(Formatting.usdPrecise(cost)) }
        let note = cost == nil
            ? "\(Formatting.grouped(unpriced)) unpriced"
            : "excl. \(Formatting.grouped(unpriced)) unpriced"
        return .noted(Formatting.usdPrecise(cost), note)
    }

    func quotaCell(_ pct: Double?) -> Cell {
        guard let pct else { return .text("–") }
        return pct >= 80 ? .warn(pctText(pct)) : .text(pctText(pct))
    }

    static func value(_ value: Double?, unit: String) -> String {
        guard let value else { return "–" }
        switch unit {
        case "usd": return Formatting.usdPrecise(value)
        case "ratio": return Formatting.percent(value)
        case "pct": return pctText(value)
        case "count": return Formatting.grouped(Int64(value.rounded()))
        case "ms": return Formatting.grouped(Int64(value.rounded())) + " ms"
        default: return Formatting.fixed(value, 2)
        }
    }

    static func delta(_ value: Double?, unit: String) -> String {
        guard let value else { return "–" }
        switch unit {
        case "usd": return signedUSD(value)
        case "ratio": return signed(Formatting.fixed(value * 100, 1)) + " pp"
        case "pct": return signed(Formatting.fixed(value, 1)) + " pp"
        case "count": return signed(Formatting.grouped(Int64(value.rounded())))
        case "ms": return signed(Formatting.grouped(Int64(value.rounded()))) + " ms"
        default: return signed(Formatting.fixed(value, 2))
        }
    }
}

/// A percentage that is already ×100 (savings, quota use).
private func pctText(_ value: Double) -> String { Formatting.fixed(value, 1) + "%" }

/// Puts a `+` in front of positive numbers (negative ones already carry their `-`).
private func signed(_ text: String) -> String {
    text.hasPrefix("-") || text.allSatisfy({ $0 == "0" || $0 == "." || $0 == "," }) ? text : "+" + text
}

private func signedUSD(_ value: Double) -> String {
    let text = Formatting.usdPrecise(abs(value))
    if text.allSatisfy({ "$0.,".contains($0) }) { return text }
    return (value < 0 ? "-" : "+") + text
}

private func signedMs(_ value: Int64?) -> String {
    guard let value else { return "–" }
    return signed(Formatting.grouped(value)) + " ms"
}

/// Escaped, with line-break opportunities after `/ . : _` so long ids (ARNs, model ids) wrap at
/// sensible places inside table cells instead of widening the table.
private func breakable(_ text: String) -> String {
    var out = ""
    for character in text {
        out += escapeHTML(String(character))
        if "/.:_".contains(character) { out += "<wbr>" }
    }
    return out
}

private func plural(_ count: Int64, _ word: String) -> String { count == 1 ? word : word + "s" }

// MARK: - Tables

private enum Cell {
    case text(String)
    /// An identifier (model id, Region, account): may wrap anywhere.
    case code(String)
    case model(String, String)
    case router(String)
    case noted(String, String)
    case warn(String)
    /// An identifier with an optional warning badge after it.
    case flagged(String, String?)
}

private struct Table {
    let headers: [String]
    let numeric: Set<Int>
    var rows: [String] = []

    init(_ headers: [String], numeric: [Int] = []) {
        self.headers = headers
        self.numeric = Set(numeric)
    }

    mutating func row(_ cells: [Cell], className: String? = nil) {
        var html = className.map { "<tr class=\"\($0)\">" } ?? "<tr>"
        for (index, cell) in cells.enumerated() {
            let number = numeric.contains(index)
            let tag = index == 0 ? "th scope=\"row\"" : "td"
            let close = index == 0 ? "th" : "td"
            var classes: [String] = number ? ["num"] : []
            let content: String
            switch cell {
            case .text(let text):
                content = escapeHTML(text)
            case .code(let text):
                classes.append("id")
                content = breakable(text)
            case .model(let model, let color):
                classes += ["id", "model"]
                content = SVGCharts.swatch(color) + breakable(model)
            case .router(let router):
                classes.append("id")
                let short = Formatting.shortRouter(router)
                content = short == router ? breakable(router)
                    : "<abbr title=\"\(escapeHTML(router))\">\(breakable(short))</abbr>"
            case .noted(let value, let note):
                content = escapeHTML(value) + "<br><small>\(escapeHTML(note))</small>"
            case .warn(let text):
                classes.append("hot")
                content = escapeHTML(text)
            case .flagged(let text, let flag):
                classes.append("id")
                content = breakable(text) + (flag.map { " <span class=\"badge\">⚠ \(escapeHTML($0))</span>" } ?? "")
            }
            let classAttribute = classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\""
            html += "<\(tag)\(classAttribute)>\(content)</\(close)>"
        }
        rows.append(html + "</tr>")
    }

    var html: String {
        var out = "<div class=\"tw\"><table>\n<thead><tr>"
        for (index, header) in headers.enumerated() {
            out += "<th scope=\"col\"\(numeric.contains(index) ? " class=\"num\"" : "")>\(escapeHTML(header))</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for row in rows { out += row + "\n" }
        return out + "</tbody>\n</table></div>\n"
    }
}

// MARK: - Style

extension Page {
    static let css = """
        :root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; --warn: #9a6700; --warn-bg: #fff8c5; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
        body { margin: 0; color: var(--fg); background: #fff; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; }
        main { max-width: 1120px; margin: 0 auto; padding: 16px 16px 32px; }
        h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .25rem; overflow-wrap: anywhere; }
        h1 .label { color: var(--muted); font-weight: 500; }
        h2 { font-size: 1.2rem; margin: 1.75rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); break-after: avoid; }
        h3 { font-size: 1rem; margin: 1.1rem 0 .4rem; break-after: avoid; }
        p, li, figcaption, footer { overflow-wrap: anywhere; }
        .meta { color: var(--muted); margin: 0 0 .5rem; }
        .toc ul { list-style: none; padding: 0; margin: .5rem 0 0; display: flex; flex-wrap: wrap; gap: 4px 6px; }
        .toc a { display: inline-block; font-size: .8rem; padding: 2px 8px; border: 1px solid var(--line); border-radius: 12px; color: #0b5cad; text-decoration: none; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 140px), 1fr)); gap: 10px; }
        .card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--soft); break-inside: avoid; min-width: 0; }
        .card.warn { border-color: #d4a72c; background: var(--warn-bg); }
        .card .k { font-size: .8rem; color: var(--muted); }
        .card .v { font-size: 1.4rem; font-weight: 650; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
        .card .n { font-size: .75rem; color: var(--muted); overflow-wrap: anywhere; }
        .tw { max-width: 100%; overflow-x: auto; -webkit-overflow-scrolling: touch; margin: .5rem 0 1rem; border: 1px solid var(--line); border-radius: 6px; }
        table { border-collapse: collapse; width: 100%; font-size: .85rem; font-variant-numeric: tabular-nums; }
        th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; white-space: nowrap; }
        thead th { background: var(--soft); font-weight: 600; white-space: normal; vertical-align: bottom; }
        tbody th { font-weight: 500; }
        tbody tr:last-child > * { border-bottom: none; }
        .num { text-align: right; }
        .id { white-space: normal; min-width: 10ch; font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: .8rem; }
        .id.model { min-width: 22ch; }
        td small { color: var(--muted); }
        td.hot { color: var(--warn); font-weight: 650; }
        tr.noisy > * { background: var(--warn-bg); }
        .badge { display: inline-block; padding: 0 6px; border: 1px solid #d4a72c; border-radius: 10px; color: var(--warn); font-size: .75rem; }
        .flag { border-left: 4px solid #d4a72c; padding: 4px 10px; background: var(--warn-bg); }
        .note, .empty { color: var(--muted); font-size: .9rem; }
        .assumption { font-size: .9rem; border-left: 4px solid var(--line); padding: 4px 10px; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); gap: 16px; }
        figure { margin: .5rem 0 1rem; max-width: 680px; min-width: 0; break-inside: avoid; }
        figcaption { color: var(--muted); font-size: .85rem; margin-top: .25rem; }
        svg.chart { display: block; width: 100%; height: auto; }
        svg.sw { width: .8em; height: .8em; vertical-align: -.05em; margin-right: .35em; flex: none; }
        .legend { list-style: none; margin: .4rem 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: .8rem; }
        .legend li { overflow-wrap: anywhere; }
        .notes li.warning { color: var(--warn); }
        abbr { text-decoration: none; }
        footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; border-top: 1px solid var(--line); }
        @media (max-width: 600px) {
          body { font-size: 14px; }
          main { padding: 10px 10px 24px; }
          h1 { font-size: 1.25rem; }
          .card .v { font-size: 1.15rem; }
        }
        @media print {
          @page { margin: 14mm; }
          html { font-size: 10pt; }
          body { font-size: 10pt; background: none; color: #000; }
          main { max-width: none; padding: 0; }
          .toc { display: none; }
          .card, .card.warn, .flag, thead th, tr.noisy > * { background: none; }
          .tw { overflow: visible; border: none; }
          table { font-size: 8pt; }
          th, td { white-space: normal; padding: 3px 5px; }
          td.num { white-space: nowrap; }
          .id { font-size: 7.5pt; }
          figure, .card, tr, .assumption { break-inside: avoid; page-break-inside: avoid; }
          .charts { display: block; }
          figure { max-width: 640px; }
          svg, svg.sw { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          a { color: inherit; text-decoration: none; }
        }

        """
}
