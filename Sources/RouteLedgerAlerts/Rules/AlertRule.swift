import Foundation
import RouteLedgerConfig

/// Metrics an alert rule can watch (the names users write in `metric:`).
public enum AlertMetric: String, Sendable, CaseIterable {
    case routerFallbackRate = "router_fallback_rate"
    case gatewayFallbackRate = "gateway_fallback_rate"
    case failedAfterFallback = "failed_after_fallback"
    case costUSD = "cost_usd"
    case costDriftPct = "cost_drift_pct"
    case savingsPct = "savings_pct"
    case haikuRatio = "haiku_ratio"
    case haikuRatioDropPts = "haiku_ratio_drop_pts"
    case throttleRate = "throttle_rate"
    case errorRate = "error_rate"
    case p90LatencyMs = "p90_latency_ms"
    case tenantQuotaPct = "tenant_quota_pct"
    case unpricedRequests = "unpriced_requests"

    /// Metrics compared with the mean of the previous `baseline_windows` windows.
    public var needsBaseline: Bool { self == .costDriftPct || self == .haikuRatioDropPts }
}

public enum AlertScope: String, Sendable, CaseIterable {
    case overall, router, model, tenant, account, region
}

public enum AlertWindow: String, Sendable, CaseIterable {
    case hour, day

    public var micros: Int64 { self == .hour ? 3_600_000_000 : 86_400_000_000 }
}

public enum Severity: String, Sendable, Comparable, CaseIterable {
    case ok, warning, critical

    var rank: Int { self == .ok ? 0 : self == .warning ? 1 : 2 }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// `"> 0.05"`, `">= 20"`, `"< 0.5"`, `"<= 10"`.
public struct Threshold: Sendable, Equatable, CustomStringConvertible {
    public enum Comparison: String, Sendable, CaseIterable {
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
    }

    public var comparison: Comparison
    public var value: Double

    public init(comparison: Comparison, value: Double) {
        self.comparison = comparison
        self.value = value
    }

    public static func parse(_ text: String) -> Threshold? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for comparison in [Comparison.greaterOrEqual, .lessOrEqual, .greater, .less] where trimmed.hasPrefix(comparison.rawValue) {
            let number = trimmed.dropFirst(comparison.rawValue.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(number), value.isFinite else { return nil }
            return Threshold(comparison: comparison, value: value)
        }
        return nil
    }

    public func isMet(by value: Double) -> Bool {
        switch comparison {
        case .greater: return value > self.value
        case .greaterOrEqual: return value >= self.value
        case .less: return value < self.value
        case .lessOrEqual: return value <= self.value
        }
    }

    public var description: String { "\(comparison.rawValue) \(Threshold.format(value))" }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// One alert rule from the config, validated.
public struct AlertRule: Sendable, Equatable {
    public var name: String
    public var metric: AlertMetric
    public var scope: AlertScope
    public var window: AlertWindow
    public var warn: Threshold?
    public var crit: Threshold?
    /// Below this many requests in the window (in the scope) the rule stays quiet.
    public var minRequests: Int64
    /// Windows compared against for drift metrics.
    public var baselineWindows: Int
    /// While firing, notify again once this many seconds of windows have passed since the last notification.
    public var renotifySeconds: Int64

    public init(name: String, metric: AlertMetric, scope: AlertScope = .overall, window: AlertWindow = .day,
                warn: Threshold? = nil, crit: Threshold? = nil, minRequests: Int64 = 0, baselineWindows: Int = 7,
                renotifySeconds: Int64 = 86_400) {
        self.name = name
        self.metric = metric
        self.scope = scope
        self.window = window
        self.warn = warn
        self.crit = crit
        self.minRequests = minRequests
        self.baselineWindows = baselineWindows
        self.renotifySeconds = renotifySeconds
    }

    public func severity(of value: Double) -> Severity {
        if let crit, crit.isMet(by: value) { return .critical }
        if let warn, warn.isMet(by: value) { return .warning }
        return .ok
    }

    static let knownKeys: Set<String> = ["name", "metric", "scope", "window", "warn", "crit", "min_requests",
                                         "baseline_windows", "renotify"]

    /// Validates the config's `alerts:` entries; every error names the rule's key path and line.
    public static func rules(from configuration: Configuration) throws -> (rules: [AlertRule], warnings: [ConfigWarning]) {
        var rules: [AlertRule] = []
        var warnings: [ConfigWarning] = []
        var names = Set<String>()
        for (index, section) in configuration.alerts.enumerated() {
            let at = section.location
            func fail(_ key: String, _ message: String) -> ConfigError {
                var location = at
                location.keyPath = "alerts[\(index)].\(key)"
                return ConfigError(location: location, message: message)
            }
            let values = section.values
            for key in values.keys.sorted() where !knownKeys.contains(key) {
                var location = at
                location.keyPath = "alerts[\(index)].\(key)"
                warnings.append(ConfigWarning(location: location, message: "unknown key (known here: \(knownKeys.sorted().joined(separator: ", ")))"))
            }
            let name = values["name"] ?? ""
            guard names.insert(name).inserted else { throw fail("name", "a second rule named \(name)") }
            guard let metric = AlertMetric(rawValue: values["metric"] ?? "") else {
                throw fail("metric", "unknown metric \"\(values["metric"] ?? "")\" (use \(AlertMetric.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var rule = AlertRule(name: name, metric: metric)
            if let scope = values["scope"] {
                guard let parsed = AlertScope(rawValue: scope) else {
                    throw fail("scope", "unknown scope \"\(scope)\" (use \(AlertScope.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                rule.scope = parsed
            }
            if let window = values["window"] {
                guard let parsed = AlertWindow(rawValue: window) else { throw fail("window", "window is hour or day") }
                rule.window = parsed
            }
            for key in ["warn", "crit"] {
                guard let text = values[key] else { continue }
                guard let threshold = Threshold.parse(text) else {
                    throw fail(key, "\"\(text)\" is not a threshold (write it as \"> 0.05\", \">= 20\", \"< 0.5\")")
                }
                if key == "warn" { rule.warn = threshold } else { rule.crit = threshold }
            }
            guard rule.warn != nil || rule.crit != nil else { throw fail("warn", "a rule needs warn, crit or both") }
            if let text = values["min_requests"] {
                guard let value = Int64(text), value >= 0 else { throw fail("min_requests", "must be a whole number ≥ 0") }
                rule.minRequests = value
            }
            if let text = values["baseline_windows"] {
                guard let value = Int(text), (1...90).contains(value) else { throw fail("baseline_windows", "must be between 1 and 90") }
                rule.baselineWindows = value
            }
            if let text = values["renotify"] {
                guard let seconds = parseDuration(text) else { throw fail("renotify", "\"\(text)\" is not a duration (30m, 12h, 1d)") }
                rule.renotifySeconds = seconds
            }
            if metric == .tenantQuotaPct && configuration.quotas.isEmpty {
                throw fail("metric", "tenant_quota_pct needs tenant quotas (a `quotas:` section)")
            }
            if metric == .routerFallbackRate && configuration.routers.allSatisfy({ $0.fallback == nil }) {
                warnings.append(ConfigWarning(location: at, message: "alerts[\(index)]: no router has a fallback model configured, so router_fallback_rate is never known"))
            }
            rules.append(rule)
        }
        return (rules, warnings)
    }

    /// `90s`, `30m`, `12h`, `1d`, `2w`; nil beyond what microseconds in an Int64 hold (~292,000 years),
    /// as the evaluator compares windows in microseconds.
    public static func parseDuration(_ text: String) -> Int64? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0 else { return nil }
        let unitSeconds: Int64
        switch unit {
        case "s": unitSeconds = 1
        case "m": unitSeconds = 60
        case "h": unitSeconds = 3600
        case "d": unitSeconds = 86_400
        case "w": unitSeconds = 604_800
        default: return nil
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: unitSeconds)
        guard !overflow, seconds <= Int64.max / 1_000_000 else { return nil }
        return seconds
    }
}
