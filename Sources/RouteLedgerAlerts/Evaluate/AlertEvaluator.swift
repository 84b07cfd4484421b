import Foundation
import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerStore

/// What happened to one (rule, scope) in one run.
public struct AlertEvaluation: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// The value was computed and compared.
        case evaluated
        /// Fewer requests than `min_requests`: the rule stays quiet and its state does not change.
        case quiet
        /// The value cannot be known (no baseline, nothing priced, no router configured…).
        case unknown
    }

    public var rule: String
    public var metric: String
    public var scope: String
    public var windowStart: Int64
    public var windowEnd: Int64
    public var requests: Int64
    public var value: Double?
    public var warn: Threshold?
    public var crit: Threshold?
    public var status: Status
    /// The severity after this run (the previous one when quiet or unknown).
    public var severity: Severity
    public var previousSeverity: Severity
    /// `firing`, `escalated`, `de-escalated`, `resolved`, `reminder`, or nil when nothing is sent.
    public var transition: String?
}

/// Evaluates alert rules over a frame, decides transitions against the stored state, and builds the
/// notifications to queue. Pure: the caller loads the frame and commits the result.
public struct AlertEvaluator: Sendable {
    public var calculator: MetricsCalculator
    public var reportLink: String?

    public init(calculator: MetricsCalculator, reportLink: String? = nil) {
        self.calculator = calculator
        self.reportLink = reportLink
    }

    /// How far back a frame must reach for `rules` evaluated on the day ending at `dayEnd`.
    public static func frameStart(rules: [AlertRule], dayEnd: Int64) -> Int64 {
        let dayStart = dayEnd - AlertWindow.day.micros
        let reach = rules.map { Int64($0.metric.needsBaseline ? $0.baselineWindows : 0) * $0.window.micros }.max() ?? 0
        return dayStart - reach
    }

    public struct Outcome: Sendable {
        public var evaluations: [AlertEvaluation]
        public var states: [StoredAlertState]
        public var notifications: [AlertNotification]
    }

    /// Evaluates every rule for the day `[dayEnd − 1 day, dayEnd)`. Day rules look at the day; hour rules at
    /// each hour of it, and the worst hour counts.
    public func evaluate(_ rules: [AlertRule], frame: Frame, dayEnd: Int64, states: [String: StoredAlertState]) -> Outcome {
        var outcome = Outcome(evaluations: [], states: [], notifications: [])
        let dayStart = dayEnd - AlertWindow.day.micros
        for rule in rules {
            let windows: [(Int64, Int64)] = rule.window == .day
                ? [(dayStart, dayEnd)]
                : stride(from: dayStart, to: dayEnd, by: Int(AlertWindow.hour.micros)).map { ($0, $0 + AlertWindow.hour.micros) }
            var scopes: [String: [Bool]] = [:]
            for (name, keep) in scopeSubsets(rule.scope, metric: rule.metric, frame: frame) { scopes[name] = keep }
            // A scope that is firing but has no traffic now is still evaluated (it goes quiet or resolves).
            for state in states.values where state.rule == rule.name && scopes[state.scope] == nil {
                scopes[state.scope] = [Bool](repeating: false, count: frame.keys.count)
            }
            for scope in scopes.keys.sorted() {
                let keep = scopes[scope]!
                var worst: AlertEvaluation?
                for (start, end) in windows {
                    let evaluation = measure(rule, scope: scope, keep: keep, frame: frame, start: start, end: end)
                    if worst == nil || rank(evaluation) >= rank(worst!) { worst = evaluation }
                }
                guard var evaluation = worst else { continue }
                let previous = states[AlertStore.key(rule.name, scope)]
                decide(&evaluation, rule: rule, previous: previous, outcome: &outcome)
                outcome.evaluations.append(evaluation)
            }
        }
        return outcome
    }

    func rank(_ e: AlertEvaluation) -> Int {
        e.status != .evaluated ? -1 : e.severity == .critical ? 2 : e.severity == .warning ? 1 : 0
    }

    /// The value of a rule's metric in one window of one scope.
    func measure(_ rule: AlertRule, scope: String, keep: [Bool], frame: Frame, start: Int64, end: Int64) -> AlertEvaluation {
        let state = Aggregator.aggregate(frame, rows: frame.rows(from: start, to: end), keep: keep)
        let metrics = calculator.compute(state, since: start, until: end)
        var evaluation = AlertEvaluation(rule: rule.name, metric: rule.metric.rawValue, scope: scope, windowStart: start,
                                         windowEnd: end, requests: metrics.totals.requests, value: nil, warn: rule.warn,
                                         crit: rule.crit, status: .evaluated, severity: .ok, previousSeverity: .ok)
        guard metrics.totals.requests >= max(rule.minRequests, 1) else {
            evaluation.status = .quiet
            return evaluation
        }
        var baseline: [WindowMetrics] = []
        if rule.metric.needsBaseline {
            for index in 1...rule.baselineWindows {
                let from = start - Int64(index) * rule.window.micros
                let rows = frame.rows(from: from, to: from + rule.window.micros)
                let windowState = Aggregator.aggregate(frame, rows: rows, keep: keep)
                let windowMetrics = calculator.compute(windowState, since: from, until: from + rule.window.micros)
                if windowMetrics.totals.requests > 0 { baseline.append(windowMetrics) }
            }
        }
        evaluation.value = Self.value(rule.metric, metrics, state: state, baseline: baseline, scope: scope)
        if let value = evaluation.value {
            evaluation.severity = rule.severity(of: value)
        } else {
            evaluation.status = .unknown
        }
        return evaluation
    }

    /// A metric's value; nil when it cannot be known.
    public static func value(_ metric: AlertMetric, _ m: WindowMetrics, state: MetricsState, baseline: [WindowMetrics],
                             scope: String) -> Double? {
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        switch metric {
        case .routerFallbackRate: return m.fallback.routerFallbackRate
        case .gatewayFallbackRate: return m.fallback.gatewayFallbackRate
        case .failedAfterFallback: return Double(m.fallback.failedAfterFallback)
        case .costUSD: return m.totals.costUSD
        case .costDriftPct:
            guard let cost = m.totals.costUSD, let base = mean(baseline.compactMap(\.totals.costUSD)), base > 0 else { return nil }
            return (cost - base) / base * 100
        case .savingsPct: return m.counterfactual.savingsPct
        case .haikuRatio: return m.haiku.ratio
        case .haikuRatioDropPts:
            guard let ratio = m.haiku.ratio, let base = mean(baseline.compactMap(\.haiku.ratio)) else { return nil }
            return (base - ratio) * 100
        case .throttleRate: return m.totals.requests > 0 ? Double(m.totals.throttled) / Double(m.totals.requests) : nil
        case .errorRate: return m.totals.requests > 0 ? Double(m.totals.failed) / Double(m.totals.requests) : nil
        case .p90LatencyMs:
            var all = ExactHistogram()
            for (group, histogram) in state.latency { if case .model = group { all.merge(histogram) } }
            return all.percentile(90).map(Double.init)
        case .tenantQuotaPct:
            return m.tenants.compactMap { $0.quota?.maxPct }.max()
        case .unpricedRequests: return Double(m.totals.unpricedRequests)
        }
    }

    /// Scope name → which key combinations belong to it.
    func scopeSubsets(_ scope: AlertScope, metric: AlertMetric, frame: Frame) -> [(String, [Bool])] {
        if scope == .overall { return [("overall", [Bool](repeating: true, count: frame.keys.count))] }
        var subsets: [String: [Bool]] = [:]
        for (index, key) in frame.keys.enumerated() {
            let dims = Aggregator.dimensions(of: key, in: frame)
            let value: String?
            switch scope {
            case .overall: value = "overall"
            case .router:
                // The router fallback rate exists only for routers with a configured fallback model.
                value = calculator.routerID(of: dims).flatMap { id in
                    metric != .routerFallbackRate || calculator.routers.contains { $0.id == id && $0.fallback != nil } ? id : nil
                }
            case .model: value = dims.effectiveModel ?? dims.requestedModel
            case .tenant: value = dims.tenant
            case .account: value = dims.account
            case .region: value = dims.region
            }
            guard let value else { continue }
            let name = "\(scope.rawValue)=\(value)"
            subsets[name, default: [Bool](repeating: false, count: frame.keys.count)][index] = true
        }
        return subsets.keys.sorted().map { ($0, subsets[$0]!) }
    }

    /// Transition against the stored state; queues a notification when one is due.
    func decide(_ evaluation: inout AlertEvaluation, rule: AlertRule, previous: StoredAlertState?, outcome: inout Outcome) {
        let before = previous.flatMap { Severity(rawValue: $0.severity) } ?? .ok
        evaluation.previousSeverity = before
        let windowEnd = Formatting.iso(evaluation.windowEnd)
        guard evaluation.status == .evaluated else {
            evaluation.severity = before
            return
        }
        let after = evaluation.severity
        var lastNotified = previous?.lastNotifiedWindowEnd
        var since = previous?.sinceWindowEnd ?? windowEnd
        if after != before {
            since = windowEnd
            if after == .ok {
                evaluation.transition = "resolved"
            } else if before == .ok {
                evaluation.transition = "firing"
            } else {
                evaluation.transition = after > before ? "escalated" : "de-escalated"
            }
        } else if after != .ok, let last = lastNotified.flatMap(TimeExpression.parseISO),
                  evaluation.windowEnd - last >= rule.renotifySeconds * 1_000_000 {
            evaluation.transition = "reminder"
        }
        if let transition = evaluation.transition {
            lastNotified = windowEnd
            outcome.notifications.append(notification(evaluation, rule: rule, transition: transition))
        }
        outcome.states.append(StoredAlertState(rule: rule.name, scope: evaluation.scope, severity: after.rawValue,
                                               value: evaluation.value, windowEnd: windowEnd, sinceWindowEnd: since,
                                               lastNotifiedWindowEnd: lastNotified))
    }

    func notification(_ e: AlertEvaluation, rule: AlertRule, transition: String) -> AlertNotification {
        let threshold = e.severity == .critical ? rule.crit : e.severity == .warning ? rule.warn : (rule.warn ?? rule.crit)
        let windowLabel = rule.window == .day
            ? "day \(Formatting.iso(e.windowStart).prefix(10))"
            : "hour \(Formatting.iso(e.windowStart))"
        let valueText = e.value.map { Formatting.number($0) } ?? "unknown"
        let message = transition == "resolved"
            ? "\(rule.name) resolved: \(rule.metric.rawValue) is \(valueText) for \(e.scope) (\(windowLabel))"
            : "\(rule.name) \(e.severity.rawValue.uppercased()): \(rule.metric.rawValue) is \(valueText) "
                + "\(threshold.map { "(limit \($0))" } ?? "") for \(e.scope) (\(windowLabel))"
        return AlertNotification(
            id: "\(rule.name)|\(e.scope)|\(Formatting.iso(e.windowEnd))|\(transition)|\(e.severity.rawValue)",
            rule: rule.name, metric: rule.metric.rawValue, scope: e.scope, window: windowLabel,
            windowStart: Formatting.iso(e.windowStart), windowEnd: Formatting.iso(e.windowEnd), value: e.value,
            threshold: threshold?.value, comparison: threshold?.comparison.rawValue ?? "",
            severity: e.severity.rawValue, state: transition == "resolved" ? "resolved" : "firing",
            previousSeverity: e.previousSeverity.rawValue, reportLink: reportLink, message: message)
    }
}

enum Formatting {
    static func iso(_ micros: Int64) -> String { CivilCalendar.formatTimestamp(micros) }

    static func number(_ value: Double) -> String { NumberText.trimmed(value) }
}
