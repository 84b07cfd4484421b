import ArgumentParser
import Foundation
import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the routing and cost report for a day or a time range.",
        discussion: """
            Writes <out>/<day or range>/report.md, report.html, report.json and csv/*.csv. Without --day or \
            --since/--until the report covers yesterday (UTC). Costs come from the built-in price catalog, \
            laid over by the config's price files and --prices; requests without a price are listed as \
            unpriced and left out of every total, never counted as $0.
            """)

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var runOptions: RunOptions

    @Option(help: ArgumentHelp("UTC day to report (YYYY-MM-DD, today, yesterday).", valueName: "day"))
    var day: String?

    @Option(help: ArgumentHelp("Start of the window (ISO date or time, now-7d, today, yesterday).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("End of the window, exclusive.", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Folder the report folder goes in (default: the config's reports.dir, else reports).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Comma-separated formats: md, html, json, csv.", valueName: "list"))
    var format: String?

    @Option(help: ArgumentHelp("Only this AWS account (repeatable).", valueName: "id"))
    var account: [String] = []

    @Option(help: ArgumentHelp("Only this source Region (repeatable).", valueName: "region"))
    var region: [String] = []

    @Option(help: ArgumentHelp("Only this tenant (repeatable).", valueName: "tenant"))
    var tenant: [String] = []

    @Option(help: ArgumentHelp("Only this router: prompt-router ARN or LiteLLM model group (repeatable).", valueName: "id"))
    var router: [String] = []

    @Flag(help: "Print load and metrics timings to stderr.")
    var timings = false

    /// Everything the run needs, validated before any work.
    struct Plan {
        var ledgerPath: String
        var since: Int64
        var until: Int64
        var label: String
        var writer: ReportWriter
        var builder: ReportBuilder
        var configWarnings: [String]
        var configuration: Configuration
        var catalog: PriceCatalog
    }

    func validate() throws {
        if day != nil && (since != nil || until != nil) { throw ValidationError("give --day or --since/--until, not both") }
        if (since == nil) != (until == nil) { throw ValidationError("--since and --until go together") }
    }

    func makePlan(now: Int64) throws -> Plan {
        let window: (Int64, Int64, String)
        if let since, let until {
            guard let start = TimeExpression.parse(since, nowMicros: now) else { throw ValidationError("--since: cannot read \"\(since)\" as a time") }
            guard let end = TimeExpression.parse(until, nowMicros: now) else { throw ValidationError("--until: cannot read \"\(until)\" as a time") }
            guard end > start else { throw ValidationError("--until must be after --since") }
            window = (start, end, Self.rangeLabel(start, end))
        } else {
            let text = day ?? "yesterday"
            guard let start = TimeExpression.day(text, nowMicros: now) else {
                throw ValidationError("--day: \"\(text)\" is not a day (YYYY-MM-DD, today, yesterday)")
            }
            window = (start, start + CivilCalendar.microsPerDay, CivilCalendar.formatDay(Int(start / CivilCalendar.microsPerDay)))
        }
        let configuration: Configuration
        let catalog: PriceCatalog
        do {
            configuration = try configOptions.loadConfiguration()
            catalog = try configOptions.loadCatalog(configuration)
        } catch {
            throw ValidationError((error as? LocalizedError)?.errorDescription ?? "\(error)")
        }
        var formats = configuration.reports.formats
        if let format {
            formats = try format.split(separator: ",").map { name in
                guard let f = ReportFormat(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                    throw ValidationError("--format: unknown format \"\(name)\" (use md, html, json, csv)")
                }
                return f
            }
        }
        let filter = FrameFilter(accounts: Set(account), regions: Set(region), tenants: Set(tenant), routers: Set(router))
        let calculator = MetricsCalculator(catalog: catalog, routers: configuration.routers, quotas: configuration.quotas)
        return Plan(ledgerPath: configOptions.ledgerPath(configuration, ledger),
                    since: window.0, until: window.1, label: window.2,
                    writer: ReportWriter(directory: out ?? configuration.reports.directory, formats: formats),
                    builder: ReportBuilder(calculator: calculator, filter: filter),
                    configWarnings: configuration.warnings.map(\.description),
                    configuration: configuration, catalog: catalog)
    }

    /// `2026-11-01_2026-11-08` for whole days, else compact timestamps.
    static func rangeLabel(_ since: Int64, _ until: Int64) -> String {
        func part(_ micros: Int64) -> String {
            micros % CivilCalendar.microsPerDay == 0
                ? CivilCalendar.formatDay(Int(micros / CivilCalendar.microsPerDay))
                : CivilCalendar.formatTimestamp(micros).replacingOccurrences(of: ":", with: "")
        }
        return "\(part(since))_\(part(until))"
    }

    func run() throws {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let plan = try makePlan(now: now)
        for warning in plan.configWarnings where !runOptions.quiet { Terminal.error("warning: \(warning)") }
        var timing = ReportTimings()
        let document: ReportDocument
        let paths: [String]
        do {
            var built = try plan.builder.build(ledgerPath: plan.ledgerPath, since: plan.since, until: plan.until,
                                               label: plan.label, timings: &timing)
            let replay = ReplaySection.compute(plan.configuration, catalog: plan.catalog, ledgerPath: plan.ledgerPath,
                                               since: plan.since, until: plan.until)
            built.replay = replay.result
            if let warning = replay.warning { built.warnings.append(warning) }
            let limits = LimitsSection.compute(plan.configuration, catalog: plan.catalog, ledgerPath: plan.ledgerPath,
                                               since: plan.since, until: plan.until)
            built.limits = limits.result
            if let warning = limits.warning { built.warnings.append(warning) }
            document = built
            paths = try plan.writer.write(document)
        } catch {
            Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw ExitCodes.fatal
        }
        if timings {
            Terminal.error(String(format: "frame: %d rows, %d bytes/row, load %.3f s, metrics %.3f s (aggregate %.3f s, compute %.3f s)",
                                  timing.rows, timing.bytesPerRow, timing.loadSeconds, timing.metricsSeconds,
                                  timing.aggregateSeconds, timing.computeSeconds))
        }
        let totals = document.current.totals
        if !runOptions.quiet {
            print("report \(plan.label): \(Formatting.grouped(totals.requests)) requests, cost \(Formatting.usd(totals.costUSD))"
                + (totals.unpricedRequests > 0 ? " (\(Formatting.grouped(totals.unpricedRequests)) unpriced requests excluded)" : ""))
            for warning in document.warnings { print("warning: \(warning)") }
            for path in paths { print("wrote \(path)") }
        }
        if runOptions.strict, !(document.warnings.isEmpty && plan.configWarnings.isEmpty) { throw ExitCodes.warnings }
    }
}
