import ArgumentParser
import Foundation
import RouteLedgerConfig
import RouteLedgerModel
import RouteLedgerQuery
import RouteLedgerReplay
import RouteLedgerStore

struct ReplayLimitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-limits",
        abstract: "Replay gateway traffic through a LiteLLM config's rate limits and fallbacks.",
        discussion: """
            FILE is a LiteLLM proxy config.yaml: model_list entries (model_name, litellm_params.model, rpm, tpm), \
            router_settings.routing_strategy (simple-shuffle or least-busy) and fallbacks, plus RouteLedger's \
            tenant_limits: (tenant → {rpm, tpm}) and default_tenant_limits:. The logical LiteLLM requests of the \
            ledger (one per user request: its first attempt's time, the model group first asked for, its tenant \
            and tokens) are replayed per fixed UTC minute; --arrivals replays a CSV of \
            ts,tenant,model_group,input_tokens,output_tokens instead (ts ISO-8601 or epoch ms). The output gives, \
            per deployment and per tenant, requests served, fallbacks, tenant-limited and failed requests and \
            cost, the latency penalty of each fallback path where the ledger knows it, and the smallest \
            per-deployment RPM and TPM of each group with fallbacks that keeps its fallback rate within \
            --target-fallback-rate.
            """)

    @Option(help: ArgumentHelp("LiteLLM proxy config (config.yaml).", valueName: "file"))
    var gateway: String

    @Option(help: ArgumentHelp("Replay this CSV (ts,tenant,model_group,input_tokens,output_tokens) instead of the ledger.", valueName: "file"))
    var arrivals: String?

    @Option(help: ArgumentHelp("Start of the window (ISO date or time, now-7d, today, yesterday); default: the ledger's first request.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("End of the window, exclusive; default: after the ledger's last request.", valueName: "time"))
    var until: String?

    @Option(name: .customLong("tenant-limit"),
            help: ArgumentHelp("Tenant quota per minute, over the config's (repeatable; tenant * sets the default).", valueName: "tenant=rpm[:tpm]"))
    var tenantLimits: [String] = []

    @Option(name: .customLong("target-fallback-rate"), help: ArgumentHelp("Fallback rate the recommendation keeps within (0 to <1).", valueName: "rate"))
    var targetFallbackRate: Double = 0.01

    @Option(help: ArgumentHelp("Seed of simple-shuffle's weighted picks.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Output: md or json.", valueName: "format"))
    var format: String = "md"

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var configOptions: ConfigOptions

    enum OutputFormat: String { case md, json }

    /// Everything the run needs, checked before any replay.
    struct Plan {
        var gateway: GatewayConfig
        /// nil: read the ledger.
        var arrivalsFile: String?
        var ledgerPath: String
        /// Read ledger latencies (always with the ledger; with --arrivals only when --db is given).
        var readLedger: Bool
        var since: Int64?
        var until: Int64?
        var target: Double
        var seed: UInt64
        var format: OutputFormat
        var catalog: PriceCatalog
        var configWarnings: [String]
    }

    func validate() throws {
        guard OutputFormat(rawValue: format) != nil else { throw ValidationError("--format must be md or json") }
        guard targetFallbackRate.isFinite, targetFallbackRate >= 0, targetFallbackRate < 1 else {
            throw ValidationError("--target-fallback-rate must be at least 0 and below 1 (0.01 = 1%)")
        }
        for text in tenantLimits { _ = try Self.parseTenantLimit(text) }
    }

    /// `tenant=rpm`, `tenant=rpm:tpm` or `tenant=:tpm`; the tenant `*` is the default for every tenant.
    static func parseTenantLimit(_ text: String) throws -> (tenant: String, limits: RateLimits) {
        guard let equals = text.lastIndex(of: "="), equals != text.startIndex else {
            throw ValidationError("--tenant-limit takes TENANT=RPM[:TPM], got \"\(text)\"")
        }
        let tenant = String(text[..<equals])
        let value = text[text.index(after: equals)...]
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !(parts.allSatisfy { $0.isEmpty }) else {
            throw ValidationError("--tenant-limit takes TENANT=RPM[:TPM], got \"\(text)\"")
        }
        func number(_ part: Substring, _ name: String) throws -> Int? {
            if part.isEmpty { return nil }
            guard let value = Int(part), value >= 0 else {
                throw ValidationError("--tenant-limit \(tenant): \(name) \"\(part)\" is not a non-negative whole number")
            }
            return value
        }
        return (tenant, RateLimits(rpm: try number(parts[0], "RPM"), tpm: parts.count == 2 ? try number(parts[1], "TPM") : nil))
    }

    func makePlan(now: Int64) throws -> Plan {
        var sinceMicros: Int64?, untilMicros: Int64?
        if let since {
            guard let value = TimeExpression.parse(since, nowMicros: now) else { throw ValidationError("--since: cannot read \"\(since)\" as a time") }
            sinceMicros = value
        }
        if let until {
            guard let value = TimeExpression.parse(until, nowMicros: now) else { throw ValidationError("--until: cannot read \"\(until)\" as a time") }
            untilMicros = value
        }
        if let sinceMicros, let untilMicros, untilMicros <= sinceMicros { throw ValidationError("--until must be after --since") }
        var gatewayConfig: GatewayConfig
        let configuration: Configuration
        let catalog: PriceCatalog
        do {
            gatewayConfig = try GatewayConfig.load(path: gateway)
            configuration = try configOptions.loadConfiguration()
            catalog = try configOptions.loadCatalog(configuration)
        } catch {
            throw ValidationError((error as? LocalizedError)?.errorDescription ?? "\(error)")
        }
        for text in tenantLimits {
            let (tenant, limits) = try Self.parseTenantLimit(text)
            if tenant == "*" { gatewayConfig.defaultTenantLimits = limits } else { gatewayConfig.tenantLimits[tenant] = limits }
        }
        if let arrivals, !FileManager.default.isReadableFile(atPath: arrivals) {
            throw ValidationError("--arrivals: cannot read \(arrivals)")
        }
        let ledgerPath = configOptions.ledgerPath(configuration, ledger)
        return Plan(gateway: gatewayConfig, arrivalsFile: arrivals, ledgerPath: ledgerPath,
                    readLedger: arrivals == nil || ledger.db != nil, since: sinceMicros, until: untilMicros,
                    target: targetFallbackRate, seed: seed, format: OutputFormat(rawValue: format)!, catalog: catalog,
                    configWarnings: configuration.warnings.map(\.description))
    }

    func run() throws {
        let plan = try makePlan(now: Int64(Date().timeIntervalSince1970 * 1_000_000))
        for warning in plan.configWarnings { Terminal.error("warning: \(warning)") }
        let output = FileDescriptorWriter()
        do {
            let report = try Self.replay(plan)
            try output.write(plan.format == .json ? report.json() : report.markdown())
            try output.flush()
        } catch is OutputClosed {
            return
        } catch let error as ValidationError {
            throw error
        } catch {
            try? output.flush()
            Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw ExitCodes.fatal
        }
    }

    static func replay(_ plan: Plan) throws -> LimitsReport {
        var arrivals: [Arrival]
        var source: LimitsTrafficSource
        var latency: LatencyProfile?
        if let file = plan.arrivalsFile {
            arrivals = try ArrivalsFile.load(path: file)
            if plan.since != nil || plan.until != nil {
                arrivals = arrivals.filter {
                    $0.timestampMicros >= (plan.since ?? .min) && $0.timestampMicros < (plan.until ?? .max)
                }
            }
            source = LimitsTrafficSource(kind: "arrivals", path: file, since: plan.since, until: plan.until)
            if plan.readLedger {
                latency = try readLedger(path: plan.ledgerPath, since: plan.since, until: plan.until).traffic.latency
            }
        } else {
            return try replayLedger(gateway: plan.gateway, ledgerPath: plan.ledgerPath, since: plan.since, until: plan.until,
                                    target: plan.target, seed: plan.seed, catalog: plan.catalog)
        }
        return LimitsReport.build(config: plan.gateway, arrivals: arrivals, source: source, seed: plan.seed,
                                  targetFallbackRate: plan.target, catalog: plan.catalog, latency: latency)
    }

    /// The ledger's gateway traffic of `[since, until)` (nil: from its first / past its last request) replayed
    /// through `gateway`: what `replay-limits` prints without `--arrivals`, and the report's rate-limit section.
    static func replayLedger(gateway: GatewayConfig, ledgerPath: String, since: Int64?, until: Int64?, target: Double,
                             seed: UInt64, catalog: PriceCatalog) throws -> LimitsReport {
        let (traffic, window) = try readLedger(path: ledgerPath, since: since, until: until)
        let source = LimitsTrafficSource(kind: "ledger", path: ledgerPath, since: window?.lowerBound, until: window?.upperBound,
                                         rows: traffic.rows, withoutModelGroup: traffic.withoutModelGroup)
        return LimitsReport.build(config: gateway, arrivals: traffic.arrivals, source: source, seed: seed,
                                  targetFallbackRate: target, catalog: catalog, latency: traffic.latency)
    }

    /// The ledger's LiteLLM rows of the window as logical requests (Bedrock rows are not gateway traffic).
    static func readLedger(path: String, since: Int64?, until: Int64?) throws -> (traffic: LedgerTraffic, window: Range<Int64>?) {
        let scanner = try LedgerScanner(path: path)
        guard let range = try scanner.timeRange() else { return (LedgerTraffic(), nil) }
        let start = since ?? range.lowerBound
        let end = until ?? (range.upperBound + 1)
        guard end > start else { return (LedgerTraffic(), start..<start) }
        let strings = try scanner.strings()
        func text(_ id: Int32) -> String? { id > 0 && Int(id) < strings.count ? strings[Int(id)] : nil }
        var collector = LogicalRequestCollector()
        try scanner.scan(since: start, until: end) { row, correlation in
            guard row.sourceKind != .bedrock else { return }
            let correlationText = correlation.flatMap { $0.isEmpty ? nil : String(decoding: $0, as: UTF8.self) }
            collector.append(GatewayLogRow(
                timestampMicros: row.timestampMicros, correlation: correlationText, tenant: text(row.tenant),
                modelGroup: text(row.modelGroup), originalModelGroup: text(row.originalModelGroup),
                servedModel: text(row.servedModel), inputTokens: row.inputTokens, outputTokens: row.outputTokens,
                cacheReadTokens: row.cacheReadTokens, cacheWriteTokens: row.cacheWriteTokens, latencyMs: row.latencyMs,
                failed: row.failed, fallbackAttempt: row.fallbackAttempt))
        }
        return (collector.finish(), start..<end)
    }
}
