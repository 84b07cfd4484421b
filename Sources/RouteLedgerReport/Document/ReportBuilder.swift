import RouteLedgerMetrics
import RouteLedgerModel

/// Timings of one report build, for `--verbose` and the benchmark.
public struct ReportTimings: Sendable {
    public var loadSeconds: Double = 0
    public var metricsSeconds: Double = 0
    public var rows = 0
    public var bytesPerRow = Frame.bytesPerRow
    /// One pass over the window's rows, and pricing and rolling up its state.
    public var aggregateSeconds: Double = 0
    public var computeSeconds: Double = 0
    public init() {}
}

/// Builds a `ReportDocument` for a window: one frame covering the window and the days before it,
/// aggregated three ways (the window, the previous window of the same length, the daily history).
public struct ReportBuilder: Sendable {
    public static let historyDays: Int64 = 7

    public var calculator: MetricsCalculator
    public var filter: FrameFilter

    public init(calculator: MetricsCalculator, filter: FrameFilter = FrameFilter()) {
        self.calculator = calculator
        self.filter = filter
    }

    /// Frame start needed for a window: a week of history, or one previous window if longer.
    public static func frameStart(since: Int64, until: Int64) -> Int64 {
        min(since - historyDays * CivilCalendar.microsPerDay, since - (until - since))
    }

    public func build(ledgerPath: String, since: Int64, until: Int64, label: String,
                      timings: inout ReportTimings) throws -> ReportDocument {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let frame = try FrameBuilder.load(ledgerPath: ledgerPath, since: Self.frameStart(since: since, until: until),
                                          until: until, filter: filter)
        timings.loadSeconds = seconds(clock.now - loadStart)
        timings.rows = frame.count
        let metricsStart = clock.now
        let document = build(frame: frame, since: since, until: until, label: label, timings: &timings)
        timings.metricsSeconds = seconds(clock.now - metricsStart)
        return document
    }

    /// The document from a frame that covers `frameStart(since:until:)` through `until`.
    public func build(frame: Frame, since: Int64, until: Int64, label: String) -> ReportDocument {
        var timings = ReportTimings()
        return build(frame: frame, since: since, until: until, label: label, timings: &timings)
    }

    func build(frame: Frame, since: Int64, until: Int64, label: String, timings: inout ReportTimings) -> ReportDocument {
        let length = until - since
        let historyStart = since - Self.historyDays * CivilCalendar.microsPerDay
        let clock = ContinuousClock()
        let aggregateStart = clock.now
        // One pass over every loaded row: hourly cells for the window, the previous window and the history;
        // latency histograms and per-minute tenant counts for the window's rows only.
        let loaded = frame.rows(from: min(historyStart, since - length), to: until)
        let state = Aggregator.aggregate(frame, rows: loaded, detailRows: frame.rows(from: since, to: until))
        let computeStart = clock.now
        var metrics = calculator.compute(state, since: since, until: until)
        timings.aggregateSeconds = seconds(computeStart - aggregateStart)
        timings.computeSeconds = seconds(clock.now - computeStart)

        // The previous window is only compared on sums and ratios (its latency would need its own histograms).
        var previous: WindowMetrics?
        if !frame.rows(from: since - length, to: since).isEmpty {
            previous = calculator.compute(state, since: since - length, until: since)
        }
        // Daily points add up day by day, so with a day-aligned window the history before it is computed on its
        // own and the window's days are reused (a month-long window is not computed twice).
        let history = since % CivilCalendar.microsPerDay == 0
            ? calculator.compute(state, since: historyStart, until: since).daily.filter { $0.requests > 0 } + metrics.daily
            : calculator.compute(state, since: historyStart, until: until).daily

        var warnings: [String] = []
        if frame.scan.unmergedKeyRows > 0 {
            warnings.append("\(frame.scan.unmergedKeyRows) ledger rows come from an ingest run that did not finish; "
                + "LiteLLM spend rows among them may double-count their payloads until the next ingest completes")
        }
        if frame.clampedValues > 0 {
            warnings.append("\(frame.clampedValues) token or latency values above 4,294,967,294 were clamped")
        }
        if metrics.totals.unpricedRequests > 0 {
            let n = metrics.totals.unpricedRequests
            warnings.append("\(n) \(n == 1 ? "request is" : "requests are") unpriced and excluded from every cost "
                + "(see unpriced models)")
        }
        if frame.scan.shadowedSpendRows > 0 {
            metrics.notes.append("\(frame.scan.shadowedSpendRows) LiteLLM spend-log rows in the loaded range duplicate a "
                + "logging payload of the same call and were counted once")
        }
        return ReportDocument(label: label, current: metrics, previous: previous, history: history,
                              changes: Self.changes(metrics, previous), priceCatalog: calculator.catalog.origins.joined(separator: " + "),
                              configuredRouters: calculator.routers.count, warnings: warnings)
    }

    /// Headline numbers against the previous window, then the models whose cost moved most.
    static func changes(_ current: WindowMetrics, _ previous: WindowMetrics?) -> [Change] {
        guard let previous else { return [] }
        var changes = [
            Change(metric: "cost_usd", current: current.totals.costUSD, previous: previous.totals.costUSD, unit: "usd"),
            Change(metric: "requests", current: Double(current.totals.requests), previous: Double(previous.totals.requests), unit: "count"),
            Change(metric: "savings_pct", current: current.counterfactual.savingsPct, previous: previous.counterfactual.savingsPct, unit: "pct"),
            Change(metric: "haiku_ratio", current: current.haiku.ratio, previous: previous.haiku.ratio, unit: "ratio"),
            Change(metric: "router_fallback_rate", current: current.fallback.routerFallbackRate,
                   previous: previous.fallback.routerFallbackRate, unit: "ratio"),
            Change(metric: "gateway_fallback_rate", current: current.fallback.gatewayFallbackRate,
                   previous: previous.fallback.gatewayFallbackRate, unit: "ratio"),
            Change(metric: "throttle_rate", current: rate(current.totals.throttled, current.totals.requests),
                   previous: rate(previous.totals.throttled, previous.totals.requests), unit: "ratio"),
            Change(metric: "unpriced_requests", current: Double(current.totals.unpricedRequests),
                   previous: Double(previous.totals.unpricedRequests), unit: "count"),
        ]
        let before = Dictionary(previous.models.map { ($0.model, $0.costUSD) }, uniquingKeysWith: { a, _ in a })
        let modelChanges = current.models.compactMap { model -> Change? in
            guard let now = model.costUSD, let then = before[model.model] ?? 0 else { return nil }
            return Change(metric: "model_cost_usd:\(model.model)", current: now, previous: then, unit: "usd")
        }
        changes += modelChanges.sorted { (abs($1.delta ?? 0), $0.metric) < (abs($0.delta ?? 0), $1.metric) }.prefix(3)
        return changes
    }

    static func rate(_ part: Int64, _ whole: Int64) -> Double? { whole > 0 ? Double(part) / Double(whole) : nil }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
