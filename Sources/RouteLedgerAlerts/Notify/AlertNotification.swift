/// One alert state change, as sent to a webhook or Slack.
///
/// Built by the alert evaluator when a rule's severity changes for a scope and window; the
/// notifiers only render and deliver it. `id` is the receiver's dedupe key: it is sent in the
/// body and in the `X-RouteLedger-Notification-Id` header, identical on every retry.
public struct AlertNotification: Sendable, Equatable {
    /// Stable dedupe key, e.g. `"fallback-rate|router=arn:…|day 2026-11-03|firing"`.
    public var id: String
    /// Rule name from the config.
    public var rule: String
    /// Metric the rule watches, e.g. `"fallback_rate"` or `"cost_drift"`.
    public var metric: String
    /// `"overall"` or a dimension filter such as `"router=arn:…"`.
    public var scope: String
    /// Human window label, e.g. `"day 2026-11-03"`.
    public var window: String
    /// Window bounds, ISO 8601 UTC (`2026-11-03T00:00:00Z`).
    public var windowStart: String
    public var windowEnd: String
    /// Observed value; nil when the window had no data.
    public var value: Double?
    /// Limit that was compared against; nil for a resolved notification without one.
    public var threshold: Double?
    /// Comparison operator as written in the rule, e.g. `">"`.
    public var comparison: String
    /// `"ok"`, `"warning"` or `"critical"`.
    public var severity: String
    /// `"firing"` or `"resolved"`.
    public var state: String
    /// Severity before this change (`"ok"` for a first firing).
    public var previousSeverity: String
    /// Link to the rendered report for the window, when reports are published.
    public var reportLink: String?
    /// One human line, e.g. `"fallback rate 12.4% > 10% for router=… on 2026-11-03"`.
    public var message: String

    public init(id: String, rule: String, metric: String, scope: String, window: String,
                windowStart: String, windowEnd: String, value: Double?, threshold: Double?,
                comparison: String, severity: String, state: String, previousSeverity: String,
                reportLink: String?, message: String) {
        self.id = id
        self.rule = rule
        self.metric = metric
        self.scope = scope
        self.window = window
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.value = value
        self.threshold = threshold
        self.comparison = comparison
        self.severity = severity
        self.state = state
        self.previousSeverity = previousSeverity
        self.reportLink = reportLink
        self.message = message
    }
}
