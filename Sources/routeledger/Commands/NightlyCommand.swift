import ArgumentParser
import Foundation
import RouteLedgerAlerts
import RouteLedgerConfig
import RouteLedgerIngest
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerReport
import RouteLedgerStore

struct NightlyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightly",
        abstract: "The scheduled job: ingest new archives, write the report of the day that ended, evaluate alerts, notify.",
        discussion: """
            Everything comes from the config file (inputs, ledger, reports, routers, quotas, alerts, notifiers); \
            input paths are relative to the config file. A lock beside the ledger (<ledger>.nightly.lock) keeps two \
            runs from overlapping: the second one exits 3 at once. Running the same night twice ingests nothing \
            new, rewrites the same report bytes and sends no notification twice. Exit codes follow `alert`: \
            0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (including a failed ingest or report).
            """)

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var ledger: LedgerOptions

    @Option(help: ArgumentHelp("Day to report and evaluate instead of the one that just ended.", valueName: "day"))
    var day: String?

    @Option(help: ArgumentHelp("Also write a Prometheus textfile here (atomically).", valueName: "path"))
    var promFile: String?

    @Option(help: ArgumentHelp("Files decompressed and parsed in parallel during ingest.", valueName: "n"))
    var jobs: Int = 2

    func run() throws {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let configuration: Configuration
        let alertPlan: AlertPlan
        do {
            configuration = try configOptions.loadConfiguration()
            guard configuration.file != nil else {
                throw ValidationError("nightly needs a config file (--config, ROUTELEDGER_CONFIG or ./routeledger.yaml)")
            }
            alertPlan = try AlertCommand.makePlan(configOptions: configOptions, ledger: ledger, day: day, promFile: promFile,
                                                  deliver: true, now: now)
        } catch {
            Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw MonitoringExit.unknown
        }
        let ledgerPath = alertPlan.ledgerPath
        let lock: NightlyLock
        do {
            lock = try NightlyLock(ledgerPath: ledgerPath)
        } catch {
            Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw MonitoringExit.unknown
        }
        defer { withExtendedLifetime(lock) {} }

        var lines: [String] = []
        let resolve = configuration.resolvedPath

        // 1. Ingest.
        let inputs = configuration.inputs.map(resolve)
        if inputs.isEmpty {
            lines.append("ingest: no inputs configured")
        } else {
            var decode = DecodeOptions()
            if !configuration.tenantKeys.isEmpty { decode.tenantKeys = configuration.tenantKeys }
            if let key = configuration.correlationKey { decode.correlationKey = key }
            do {
                let summary = try IngestRunner.run(IngestPlan(paths: inputs, ledgerPath: ledgerPath, decode: decode, jobs: jobs))
                lines.append("ingest: \(summary.filesRead) files read (\(summary.filesUnchanged) unchanged), \(summary.recordsRead) records: "
                    + "\(summary.stored) stored, \(summary.duplicates) duplicates, \(summary.rejected) rejected")
            } catch {
                Terminal.error("ingest failed: " + ((error as? LocalizedError)?.errorDescription ?? "\(error)"))
                throw MonitoringExit.unknown
            }
        }

        // 2. Report of the day.
        let dayStart = alertPlan.dayEnd - CivilCalendar.microsPerDay
        let label = CivilCalendar.formatDay(Int((dayStart + Int64(configuration.nightlyUTCOffsetHours) * CivilCalendar.microsPerHour)
                                                / CivilCalendar.microsPerDay))
        do {
            let builder = ReportBuilder(calculator: alertPlan.calculator)
            var timings = ReportTimings()
            var document = try builder.build(ledgerPath: ledgerPath, since: dayStart, until: alertPlan.dayEnd, label: label, timings: &timings)
            let replay = ReplaySection.compute(configuration, catalog: alertPlan.calculator.catalog, ledgerPath: ledgerPath,
                                               since: dayStart, until: alertPlan.dayEnd)
            document.replay = replay.result
            if let warning = replay.warning { document.warnings.append(warning) }
            let limits = LimitsSection.compute(configuration, catalog: alertPlan.calculator.catalog, ledgerPath: ledgerPath,
                                               since: dayStart, until: alertPlan.dayEnd)
            document.limits = limits.result
            if let warning = limits.warning { document.warnings.append(warning) }
            let writer = ReportWriter(directory: resolve(configuration.reports.directory), formats: configuration.reports.formats)
            let paths = try writer.write(document)
            let m = document.current
            lines.append("report \(label): \(Formatting.grouped(m.totals.requests)) requests, cost \(Formatting.usd(m.totals.costUSD))"
                + (m.totals.unpricedRequests > 0 ? " (\(m.totals.unpricedRequests) unpriced excluded)" : "")
                + ", savings vs all-strong \(m.counterfactual.savingsPct.map { Formatting.fixed($0, 1) + "%" } ?? "–")"
                + ", haiku ratio \(Formatting.percent(m.haiku.ratio))"
                + ", router fallback \(Formatting.percent(m.fallback.routerFallbackRate))"
                + ", gateway fallback \(Formatting.percent(m.fallback.gatewayFallbackRate))")
            lines.append("  → \(paths.first.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "(no files)")")
        } catch {
            Terminal.error("report failed: " + ((error as? LocalizedError)?.errorDescription ?? "\(error)"))
            throw MonitoringExit.unknown
        }

        // 3. Alerts and notifications.
        let result: AlertRunResult
        do {
            result = try AlertRunner.run(alertPlan, now: CivilCalendar.formatTimestamp(now))
        } catch {
            Terminal.error("alerts failed: " + ((error as? LocalizedError)?.errorDescription ?? "\(error)"))
            throw MonitoringExit.unknown
        }
        let firing = result.evaluations.filter { $0.severity != .ok }
        lines.append("alerts: \(result.evaluations.count) evaluated, \(firing.count) firing")
        for e in firing.prefix(12) {
            lines.append("  \(e.severity.rawValue.uppercased()) \(e.rule) \(e.scope): \(e.metric) = \(AlertOutput.number(e.value))"
                + (e.transition.map { " (\($0))" } ?? ""))
        }
        if firing.count > 12 { lines.append("  … \(firing.count - 12) more (routeledger alert --day \(label))") }
        let delivered = result.deliveries.filter(\.delivered).count
        lines.append("notifications: \(result.queued) queued, \(delivered) delivered, \(result.pendingAfter) pending")
        print(lines.joined(separator: "\n"))
        throw ExitCode(result.exitCode)
    }
}

/// `<ledger>.nightly.lock`, held for the whole run; a second run fails at once instead of queueing behind.
final class NightlyLock {
    private let descriptor: Int32

    struct Held: LocalizedError {
        var path: String
        var errorDescription: String? { "another nightly run is in progress (lock held on \(path)); this run did nothing" }
    }

    init(ledgerPath: String) throws {
        let path = ledgerPath + ".nightly.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LedgerError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw Held(path: path)
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
