import ArgumentParser
import Foundation
import RouteLedgerAlerts
import RouteLedgerConfig
import RouteLedgerModel
import RouteLedgerReplay

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Validate or print the configuration.",
        subcommands: [Check.self, Show.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the config file: keys, routers, quotas, alert rules, notifiers and their environment variables.",
            discussion: "Exit 0 when valid, 1 with --strict and warnings (unknown keys), 2 when invalid.")

        @OptionGroup var configOptions: ConfigOptions
        @OptionGroup var runOptions: RunOptions

        func run() throws {
            guard let path = configOptions.resolvedConfigPath else {
                Terminal.error("no config file (give --config, set ROUTELEDGER_CONFIG, or create ./routeledger.yaml)")
                throw ExitCodes.fatal
            }
            var warnings: [String] = []
            do {
                let configuration = try configOptions.loadConfiguration()
                warnings += configuration.warnings.map(\.description)
                let (rules, ruleWarnings) = try AlertRule.rules(from: configuration)
                warnings += ruleWarnings.map(\.description)
                let notifiers = try NotifierConfig.notifiers(from: configuration)
                let catalog = try configOptions.loadCatalog(configuration)
                for router in configuration.routers {
                    for model in router.models where !catalog.isKnown(model: model) {
                        warnings.append("\(path): routers: \(model) (router \(router.id)) has no price in the catalog; its traffic will be unpriced")
                    }
                }
                // The replay sections' files must exist and read cleanly now, not at 3 a.m.
                if let replay = configuration.replay {
                    let labels: LabelSet
                    do {
                        labels = try LabelReader.read(path: configuration.resolvedPath(replay.labels), scoreColumn: replay.scoreColumn)
                        _ = try RecommendationTarget.parse(replay.target)
                    } catch {
                        throw ReplayError("\(replay.location): " + ((error as? LocalizedError)?.errorDescription ?? "\(error)"))
                    }
                    if labels.prompts.isEmpty { warnings.append("\(replay.location): replay: no usable labelled prompts in \(replay.labels)") }
                    if !labels.rejected.isEmpty {
                        warnings.append("\(replay.location): replay: \(labels.rejected.count) labels rows rejected (first: \(labels.rejected[0]))")
                    }
                }
                if let limits = configuration.replayLimits {
                    let gateway: GatewayConfig
                    do { gateway = try GatewayConfig.load(path: configuration.resolvedPath(limits.gateway)) } catch {
                        throw ReplayError("\(limits.location): " + ((error as? LocalizedError)?.errorDescription ?? "\(error)"))
                    }
                    warnings += gateway.warnings.map { "\(limits.location): replay_limits: \($0)" }
                }
                for warning in warnings { Terminal.error("warning: \(warning)") }
                if !runOptions.quiet {
                    print("\(path): ok (\(configuration.routers.count) routers, \(configuration.quotas.count) quotas, "
                        + "\(rules.count) alert rules, \(notifiers.count) notifiers, \(warnings.count) warnings)")
                }
            } catch {
                Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
                throw ExitCodes.fatal
            }
            if runOptions.strict && !warnings.isEmpty { throw ExitCodes.warnings }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration (defaults filled in; secrets shown as their ${VARIABLE}, never their value).")

        @OptionGroup var configOptions: ConfigOptions
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let configuration: Configuration
            let catalog: PriceCatalog
            do {
                configuration = try configOptions.loadConfiguration()
                catalog = try configOptions.loadCatalog(configuration)
            } catch {
                Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
                throw ExitCodes.fatal
            }
            print(Self.render(configuration, catalog: catalog,
                              ledgerPath: configOptions.ledgerPath(configuration, ledger)),
                  terminator: "")
        }

        static func quote(_ text: String) -> String {
            let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./:@".contains($0) } && !text.isEmpty
            return plain ? text : "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }

        /// A secret-bearing value: `${VAR}` references are shown as written; a literal URL keeps only scheme and host.
        static func redact(_ text: String) -> String {
            if text.contains("${") { return text }
            guard let url = URL(string: text), let scheme = url.scheme, let host = url.host else { return "<redacted>" }
            return "\(scheme)://\(host)/<redacted>"
        }

        static func render(_ c: Configuration, catalog: PriceCatalog, ledgerPath: String) -> String {
            var out: [String] = ["# effective configuration\(c.file.map { " from \($0)" } ?? " (no config file: defaults)")"]
            out.append("version: \(c.version)")
            out.append("ledger: \(quote(ledgerPath))")
            out.append("inputs: [\(c.inputs.map(quote).joined(separator: ", "))]")
            out.append("prices: [\(c.prices.map(quote).joined(separator: ", "))]  # catalog in effect: \(catalog.origins.joined(separator: " + "))")
            out.append("reports: {dir: \(quote(c.reports.directory)), formats: [\(c.reports.formats.map(\.rawValue).joined(separator: ", "))]"
                + (c.reports.url.map { ", url: \(quote($0))" } ?? "") + "}")
            out.append("tenant_keys: [\(c.tenantKeys.map(quote).joined(separator: ", "))]")
            if let key = c.correlationKey { out.append("correlation_key: \(quote(key))") }
            out.append("nightly: {utc_offset_hours: \(c.nightlyUTCOffsetHours)}")
            out.append(c.routers.isEmpty ? "routers: []" : "routers:")
            for r in c.routers {
                out.append("  - id: \(quote(r.id))")
                if let strong = r.strong { out.append("    strong: \(quote(strong))") }
                if let cheap = r.cheap { out.append("    cheap: \(quote(cheap))") }
                if let fallback = r.fallback { out.append("    fallback: \(quote(fallback))") }
                out.append("    models: [\(r.models.map(quote).joined(separator: ", "))]")
            }
            out.append(c.quotas.isEmpty ? "quotas: []" : "quotas:")
            for q in c.quotas {
                var parts = ["tenant: \(quote(q.tenant))"]
                if let v = q.dailyRequests { parts.append("daily_requests: \(v)") }
                if let v = q.dailyTokens { parts.append("daily_tokens: \(v)") }
                if let v = q.dailyUSD { parts.append("daily_usd: \(v)") }
                out.append("  - {\(parts.joined(separator: ", "))}")
            }
            let rules = (try? AlertRule.rules(from: c).rules) ?? []
            out.append(rules.isEmpty ? "alerts: []" : "alerts:")
            for r in rules {
                out.append("  - name: \(quote(r.name))")
                out.append("    metric: \(r.metric.rawValue)")
                out.append("    scope: \(r.scope.rawValue)")
                out.append("    window: \(r.window.rawValue)")
                if let warn = r.warn { out.append("    warn: \"\(warn)\"") }
                if let crit = r.crit { out.append("    crit: \"\(crit)\"") }
                out.append("    min_requests: \(r.minRequests)")
                out.append("    baseline_windows: \(r.baselineWindows)")
                out.append("    renotify: \(r.renotifySeconds)s")
            }
            if let r = c.replay {
                out.append("replay:")
                out.append("  labels: \(quote(r.labels))  # \(c.resolvedPath(r.labels))")
                if let router = r.router { out.append("  router: \(quote(router))") }
                out.append("  target: \(quote(r.target))")
                if let column = r.scoreColumn { out.append("  score_column: \(quote(column))") } else { out.append("  folds: \(r.folds)") }
                out.append("  seed: \(r.seed)")
            }
            if let l = c.replayLimits {
                out.append("replay_limits:")
                out.append("  gateway: \(quote(l.gateway))  # \(c.resolvedPath(l.gateway))")
                out.append("  target_fallback_rate: \(l.targetFallbackRate)")
                out.append("  seed: \(l.seed)")
                if !l.tenantLimits.isEmpty {
                    out.append("  tenant_limits:")
                    for tenant in l.tenantLimits.keys.sorted() {
                        let limit = l.tenantLimits[tenant]!
                        let parts = [limit.rpm.map { "rpm: \($0)" }, limit.tpm.map { "tpm: \($0)" }].compactMap { $0 }
                        out.append("    \(quote(tenant)): {\(parts.joined(separator: ", "))}")
                    }
                }
            }
            out.append(c.notifiers.isEmpty ? "notifiers: []" : "notifiers:")
            for n in c.notifiers {
                out.append("  - kind: \(n.values["kind"] ?? "?")")
                for key in n.values.keys.sorted() where key != "kind" {
                    let value = n.values[key]!
                    out.append("    \(key): \(["url", "secret"].contains(key) ? redact(value) : quote(value))")
                }
            }
            return out.joined(separator: "\n") + "\n"
        }
    }
}
