import Foundation
import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerStore

/// Everything an alert run needs, validated before any work.
public struct AlertPlan: Sendable {
    public var ledgerPath: String
    /// End of the evaluated UTC day (exclusive).
    public var dayEnd: Int64
    public var rules: [AlertRule]
    public var notifiers: [ConfiguredNotifier]
    public var calculator: MetricsCalculator
    public var reportLink: String?
    public var promFile: String?
    /// Send notifications (queued ones are kept either way).
    public var deliver: Bool

    public init(ledgerPath: String, dayEnd: Int64, rules: [AlertRule], notifiers: [ConfiguredNotifier],
                calculator: MetricsCalculator, reportLink: String? = nil, promFile: String? = nil, deliver: Bool = true) {
        self.ledgerPath = ledgerPath
        self.dayEnd = dayEnd
        self.rules = rules
        self.notifiers = notifiers
        self.calculator = calculator
        self.reportLink = reportLink
        self.promFile = promFile
        self.deliver = deliver
    }
}

public struct DeliveryRecord: Sendable, Equatable {
    public var notificationID: String
    public var notifier: String
    public var delivered: Bool
    public var attempts: Int
    public var reason: String?
}

public struct AlertRunResult: Sendable {
    public var evaluations: [AlertEvaluation]
    public var queued: Int
    public var deliveries: [DeliveryRecord]
    public var pendingAfter: Int
    public var overall: WindowMetrics

    /// Monitoring convention: 2 CRITICAL, 1 WARNING, 3 UNKNOWN (a rule could not be evaluated), else 0.
    public var exitCode: Int32 {
        if evaluations.contains(where: { $0.status == .evaluated && $0.severity == .critical }) { return 2 }
        if evaluations.contains(where: { $0.status == .evaluated && $0.severity == .warning }) { return 1 }
        if evaluations.contains(where: { $0.status == .unknown }) { return 3 }
        return 0
    }
}

public enum AlertRunner {
    /// Evaluates, commits states and queued notifications together, then delivers everything pending
    /// (this run's and earlier undelivered ones), recording each outcome.
    public static func run(_ plan: AlertPlan, now: String, transport: HTTPTransport = URLSessionTransport(),
                           sleep: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) throws -> AlertRunResult {
        let frame = try FrameBuilder.load(ledgerPath: plan.ledgerPath,
                                          since: AlertEvaluator.frameStart(rules: plan.rules, dayEnd: plan.dayEnd),
                                          until: plan.dayEnd)
        let ledger = try Ledger(path: plan.ledgerPath)
        let store = AlertStore(ledger: ledger)
        let evaluator = AlertEvaluator(calculator: plan.calculator, reportLink: plan.reportLink)
        let outcome = evaluator.evaluate(plan.rules, frame: frame, dayEnd: plan.dayEnd, states: try store.states())
        let queued = try store.commit(states: outcome.states,
                                      notifications: outcome.notifications.map { ($0.id, String(decoding: NotificationBody.webhook($0), as: UTF8.self)) },
                                      notifiers: plan.notifiers.map(\.label), now: now)
        var deliveries: [DeliveryRecord] = []
        if plan.deliver {
            // One process delivers at a time and reads the outbox only once it has the lock: two runs at once
            // (an `alert` beside the `nightly`) would otherwise both send what is pending.
            let deliveryLock = DeliveryLock(ledgerPath: plan.ledgerPath)
            defer { withExtendedLifetime(deliveryLock) {} }
            let byLabel = Dictionary(plan.notifiers.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
            for pending in try store.pending() {
                guard let configured = byLabel[pending.notifier] else { continue }   // notifier removed: stays queued
                guard let notification = AlertNotification(webhookJSON: Data(pending.payloadJSON.utf8)) else {
                    try store.record(pending.rowID, delivered: false, attempts: 0, error: "stored payload unreadable", now: now)
                    continue
                }
                let result = Notifier(settings: configured.settings, transport: transport, sleep: sleep).deliver(notification)
                switch result {
                case .delivered(_, let attempts):
                    try store.record(pending.rowID, delivered: true, attempts: attempts, error: nil, now: now)
                    deliveries.append(DeliveryRecord(notificationID: pending.notificationID, notifier: pending.notifier,
                                                     delivered: true, attempts: attempts, reason: nil))
                case .failed(let reason, let attempts, _):
                    try store.record(pending.rowID, delivered: false, attempts: attempts, error: reason, now: now)
                    deliveries.append(DeliveryRecord(notificationID: pending.notificationID, notifier: pending.notifier,
                                                     delivered: false, attempts: attempts, reason: reason))
                }
            }
        }
        let dayStart = plan.dayEnd - AlertWindow.day.micros
        let overall = plan.calculator.compute(Aggregator.aggregate(frame, rows: frame.rows(from: dayStart, to: plan.dayEnd)),
                                              since: dayStart, until: plan.dayEnd)
        let result = AlertRunResult(evaluations: outcome.evaluations, queued: queued, deliveries: deliveries,
                                    pendingAfter: try store.pending().count, overall: overall)
        if let promFile = plan.promFile {
            try PrometheusTextfile.write(result, to: promFile)
        }
        return result
    }
}

/// `<ledger>.notify.lock`, held while delivering; a second run waits for the first (deliveries are bounded by
/// attempts × timeout). Without a writable folder there is no lock, and nothing could be recorded either.
final class DeliveryLock {
    private let descriptor: Int32

    init(ledgerPath: String) {
        descriptor = open(ledgerPath + ".notify.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor >= 0 {
            while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        }
    }

    deinit {
        if descriptor >= 0 {
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
    }
}

extension AlertNotification {
    /// Reads back the webhook body stored in the outbox.
    public init?(webhookJSON data: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let id = object["id"] as? String, let rule = object["rule"] as? String else { return nil }
        let window = object["window"] as? [String: Any] ?? [:]
        func number(_ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }
        self.init(id: id, rule: rule, metric: object["metric"] as? String ?? "", scope: object["scope"] as? String ?? "",
                  window: window["label"] as? String ?? "", windowStart: window["start"] as? String ?? "",
                  windowEnd: window["end"] as? String ?? "", value: number("value"), threshold: number("threshold"),
                  comparison: object["comparison"] as? String ?? "", severity: object["severity"] as? String ?? "",
                  state: object["state"] as? String ?? "", previousSeverity: object["previous_severity"] as? String ?? "",
                  reportLink: object["report_link"] as? String, message: object["message"] as? String ?? "")
    }
}

/// The Prometheus node-exporter textfile: headline metrics of the evaluated day and alert states,
/// written to a temporary file and renamed so the collector never reads half of it.
public enum PrometheusTextfile {
    public static func render(_ result: AlertRunResult) -> String {
        var lines: [String] = []
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: Double?)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            for sample in samples {
                guard let value = sample.value else { continue }
                lines.append("\(name)\(sample.labels.isEmpty ? "" : "{\(sample.labels)}") \(Formatting.number(value))")
            }
        }
        let m = result.overall
        let day = "day=\"\(Formatting.iso(m.since).prefix(10))\""
        gauge("routeledger_requests", "Requests in the evaluated UTC day.", [(day, Double(m.totals.requests))])
        gauge("routeledger_cost_usd", "Priced cost of the evaluated day in USD (unpriced requests excluded).", [(day, m.totals.costUSD)])
        gauge("routeledger_unpriced_requests", "Requests whose cost is unknown.", [(day, Double(m.totals.unpricedRequests))])
        gauge("routeledger_savings_ratio", "1 - actual / all-strong cost.", [(day, m.counterfactual.savingsPct.map { $0 / 100 })])
        gauge("routeledger_haiku_ratio", "Share of successful Claude requests served by Haiku.", [(day, m.haiku.ratio)])
        gauge("routeledger_router_fallback_ratio", "Share of routed requests served by the configured fallback model.",
              [(day, m.fallback.routerFallbackRate)])
        gauge("routeledger_gateway_fallback_ratio", "Share of logical requests that succeeded only on a fallback.",
              [(day, m.fallback.gatewayFallbackRate)])
        gauge("routeledger_throttle_ratio", "Throttled requests / requests.",
              [(day, m.totals.requests > 0 ? Double(m.totals.throttled) / Double(m.totals.requests) : nil)])
        let evaluations = result.evaluations.sorted { ($0.rule, $0.scope) < ($1.rule, $1.scope) }
        gauge("routeledger_alert_severity", "Alert state per rule and scope: 0 ok, 1 warning, 2 critical.",
              evaluations.map { (labels(rule: $0.rule, scope: $0.scope), Double($0.severity == .critical ? 2 : $0.severity == .warning ? 1 : 0)) })
        gauge("routeledger_alert_value", "The watched metric's value per rule and scope.",
              evaluations.map { (labels(rule: $0.rule, scope: $0.scope), $0.value) })
        gauge("routeledger_notifications_pending", "Notifications queued but not delivered yet.", [("", Double(result.pendingAfter))])
        return lines.joined(separator: "\n") + "\n"
    }

    static func labels(rule: String, scope: String) -> String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        }
        return "rule=\"\(escape(rule))\",scope=\"\(escape(scope))\""
    }

    public static func write(_ result: AlertRunResult, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        do {
            try Data(render(result).utf8).write(to: URL(fileURLWithPath: temporary))
        } catch {
            // A full disk leaves a partly written file: never leave it beside the collector's files.
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw LedgerError.writeFailed(path: path, reason: reason)
        }
    }
}
