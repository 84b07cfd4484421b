import RouteLedgerReplay
import RouteLedgerMetrics
import RouteLedgerModel

/// A headline number compared with the previous window of the same length.
public struct Change: Sendable, Equatable {
    public var metric: String
    public var current: Double?
    public var previous: Double?
    /// `usd`, `ratio` (0…1), `pct` (already ×100), `count` or `ms`: tells renderers how to print it.
    public var unit: String
    public var delta: Double? {
        guard let current, let previous else { return nil }
        return current - previous
    }
    /// Relative change in percent, nil when the previous value is zero or unknown.
    public var relativePct: Double? {
        guard let current, let previous, previous != 0 else { return nil }
        return (current - previous) / abs(previous) * 100
    }

    public init(metric: String, current: Double?, previous: Double?, unit: String) {
        self.metric = metric
        self.current = current
        self.previous = previous
        self.unit = unit
    }
}

/// Everything one report shows: the window's metrics, the previous window for comparison, and the
/// daily history leading up to it (for the per-day charts). Renderers only format this.
public struct ReportDocument: Sendable, Equatable {
    public static let schema = "routeledger.report/1"

    /// `2026-11-03` for a day, `2026-11-01_2026-11-08` for a range: the output folder name.
    public var label: String
    public var current: WindowMetrics
    public var previous: WindowMetrics?
    /// Daily points from up to seven days before the window through its end.
    public var history: [SeriesPoint]
    public var changes: [Change]
    public var priceCatalog: String
    public var configuredRouters: Int
    public var warnings: [String]
    /// The routing replay of the config's `replay:` section, when configured.
    public var replay: ReplayResult?
    /// The rate-limit replay of the config's `replay_limits:` section, when configured.
    public var limits: LimitsReport?

    public init(label: String, current: WindowMetrics, previous: WindowMetrics?, history: [SeriesPoint],
                changes: [Change], priceCatalog: String, configuredRouters: Int, warnings: [String]) {
        self.label = label
        self.current = current
        self.previous = previous
        self.history = history
        self.changes = changes
        self.priceCatalog = priceCatalog
        self.configuredRouters = configuredRouters
        self.warnings = warnings
    }
}
