import ArgumentParser
import Foundation
import RouteLedgerAlerts
import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel

/// Exit codes of `alert` and `nightly`, after the monitoring convention (Nagios, Icinga, Sensu).
enum MonitoringExit {
    static let ok = ExitCode(0)
    static let warning = ExitCode(1)
    static let critical = ExitCode(2)
    static let unknown = ExitCode(3)
}

struct AlertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert",
        abstract: "Evaluate the config's alert rules for a day, notify on transitions, print the rule states.",
        discussion: """
            State per (rule, scope) is kept in the ledger: a notification goes out when a rule starts firing, \
            escalates, de-escalates or resolves, and again after its re-notify interval while it stays firing; \
            evaluating the same day twice sends nothing new. Notifications that cannot be delivered stay queued \
            and are retried on the next run. Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a rule could \
            not be evaluated, or the run failed).
            """)

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var configOptions: ConfigOptions

    @Option(help: ArgumentHelp("UTC day to evaluate (default: yesterday).", valueName: "day"))
    var day: String?

    @Option(help: ArgumentHelp("Output: table or json.", valueName: "format"))
    var format: String = "table"

    @Option(help: ArgumentHelp("Also write a Prometheus textfile here (atomically).", valueName: "path"))
    var promFile: String?

    @Flag(help: "Evaluate and record state, but queue notifications without sending them.")
    var noNotify = false

    func validate() throws {
        guard ["table", "json"].contains(format) else { throw ValidationError("--format must be table or json") }
    }

    func run() throws {
        let plan: AlertPlan
        do {
            plan = try Self.makePlan(configOptions: configOptions, ledger: ledger, day: day, promFile: promFile, deliver: !noNotify,
                                     now: Int64(Date().timeIntervalSince1970 * 1_000_000))
        } catch {
            Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw MonitoringExit.unknown
        }
        let result: AlertRunResult
        do {
            result = try AlertRunner.run(plan, now: CivilCalendar.formatTimestamp(Int64(Date().timeIntervalSince1970 * 1_000_000)))
        } catch {
            Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw MonitoringExit.unknown
        }
        print(format == "json" ? AlertOutput.json(result, dayEnd: plan.dayEnd) : AlertOutput.table(result), terminator: "")
        throw ExitCode(result.exitCode)
    }

    /// Validated plan from flags and config: rules, notifiers (secrets expanded), the day and the calculator.
    static func makePlan(configOptions: ConfigOptions, ledger: LedgerOptions, day: String?, promFile: String?, deliver: Bool,
                         now: Int64) throws -> AlertPlan {
        let configuration = try configOptions.loadConfiguration()
        let (rules, _) = try AlertRule.rules(from: configuration)
        guard !rules.isEmpty else {
            throw ValidationError("no alert rules: add an `alerts:` section to the config (\(configOptions.resolvedConfigPath ?? "none found"))")
        }
        let notifiers = try NotifierConfig.notifiers(from: configuration)
        let offset = Int64(configuration.nightlyUTCOffsetHours) * CivilCalendar.microsPerHour
        let dayStart: Int64
        if let day {
            guard let start = TimeExpression.day(day, nowMicros: now) else {
                throw ValidationError("--day: \"\(day)\" is not a day (YYYY-MM-DD, today, yesterday)")
            }
            dayStart = start - offset
        } else {
            // The day that just ended in the configured offset from UTC.
            let localToday = (now + offset) / CivilCalendar.microsPerDay * CivilCalendar.microsPerDay
            dayStart = localToday - CivilCalendar.microsPerDay - offset
        }
        let catalog = try configOptions.loadCatalog(configuration)
        let label = CivilCalendar.formatDay(Int((dayStart + offset) / CivilCalendar.microsPerDay))
        return AlertPlan(ledgerPath: configOptions.ledgerPath(configuration, ledger),
                         dayEnd: dayStart + CivilCalendar.microsPerDay, rules: rules, notifiers: notifiers,
                         calculator: MetricsCalculator(catalog: catalog, routers: configuration.routers, quotas: configuration.quotas),
                         reportLink: configuration.reports.url.map { "\($0.hasSuffix("/") ? String($0.dropLast()) : $0)/\(label)/report.html" },
                         promFile: promFile, deliver: deliver)
    }
}

enum AlertOutput {
    static func number(_ value: Double?) -> String {
        value.map { NumberText.trimmed($0, decimals: 4) } ?? "-"
    }

    static func table(_ result: AlertRunResult) -> String {
        let header = ["RULE", "SCOPE", "METRIC", "VALUE", "WARN", "CRIT", "REQUESTS", "STATE", "CHANGE"]
        let rows = result.evaluations.map { e in
            [e.rule, e.scope.count > 60 ? String(e.scope.prefix(57)) + "…" : e.scope, e.metric, number(e.value),
             e.warn?.description ?? "-", e.crit?.description ?? "-", String(e.requests),
             e.status == .evaluated ? e.severity.rawValue.uppercased() : "\(e.status.rawValue) (\(e.severity.rawValue))",
             e.transition ?? "-"]
        }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
        let delivered = result.deliveries.filter(\.delivered).count
        out += "notifications: \(result.queued) queued, \(delivered) delivered, \(result.pendingAfter) pending\n"
        for failure in result.deliveries where !failure.delivered {
            out += "  not delivered (\(failure.notifier), \(failure.attempts) attempts): \(failure.reason ?? "unknown")\n"
        }
        return out
    }

    static func json(_ result: AlertRunResult, dayEnd: Int64) -> String {
        func value(_ v: Double?) -> Any { v.map { $0 as Any } ?? NSNull() }
        let object: [String: Any] = [
            "schema": "routeledger.alerts/1",
            "day": CivilCalendar.formatDay(Int((dayEnd - 1) / CivilCalendar.microsPerDay)),
            "exit_code": Int(result.exitCode),
            "evaluations": result.evaluations.map { e -> [String: Any] in
                [
                    "rule": e.rule, "scope": e.scope, "metric": e.metric, "value": value(e.value),
                    "warn": e.warn.map { $0.description as Any } ?? NSNull(), "crit": e.crit.map { $0.description as Any } ?? NSNull(),
                    "requests": e.requests, "status": e.status.rawValue, "severity": e.severity.rawValue,
                    "previous_severity": e.previousSeverity.rawValue, "transition": e.transition.map { $0 as Any } ?? NSNull(),
                    "window": ["start": CivilCalendar.formatTimestamp(e.windowStart), "end": CivilCalendar.formatTimestamp(e.windowEnd)],
                ]
            },
            "notifications": ["queued": result.queued, "delivered": result.deliveries.filter(\.delivered).count,
                              "pending": result.pendingAfter],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
