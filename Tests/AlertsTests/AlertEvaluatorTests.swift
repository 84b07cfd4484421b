import Foundation
import RouteLedgerAlerts
import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerStore
import Testing

/// Rules, thresholds and state transitions on frames built by hand.
@Suite struct AlertEvaluatorTests {
    static let day: Int64 = 86_400_000_000

    /// `perDay[d]` = (requests, failures) on day d of November 2026, spread over the day's hours.
    static func frame(_ perDay: [Int: (Int, Int)], tenant: (Int) -> String = { _ in "t" }) -> Frame {
        let strings = ["", "m.model-v1", "ThrottlingException", "t", "a", "b", "us-east-1"]
        var rows: [ScannedRow] = []
        for (dayNumber, counts) in perDay.sorted(by: { $0.key < $1.key }) {
            let start = TimeExpression.parseISO(String(format: "2026-11-%02d", dayNumber))!
            for i in 0..<counts.0 {
                var r = ScannedRow()
                r.timestampMicros = start + Int64(i) * (day / Int64(counts.0))
                r.model = 1
                r.servedModel = 1
                r.region = 6
                r.tenant = Int32(strings.firstIndex(of: tenant(i))!)
                r.failed = i < counts.1
                r.errorCode = r.failed ? 2 : 0
                r.inputTokens = r.failed ? -1 : 100
                r.outputTokens = r.failed ? -1 : 10
                r.latencyMs = 100
                rows.append(r)
            }
        }
        rows.sort { $0.timestampMicros < $1.timestampMicros }
        var builder = FrameBuilder(since: 0, until: .max, ledgerStrings: strings)
        for r in rows { builder.append(r, correlation: nil) }
        return builder.build()
    }

    static let catalog = try! PriceCatalog.decode(Data("""
        {"schema": "routeledger.prices/1", "models": [{"model": "m.model-v1", "family": "m", "tier": "strong"}],
         "prices": [{"model": "m.model-v1", "effective_from": "2020-01-01", "input": 1, "output": 1}]}
        """.utf8), origin: "t")

    static func evaluate(_ rules: [AlertRule], _ frame: Frame, dayNumber: Int, states: [String: StoredAlertState] = [:],
                         quotas: [TenantQuota] = []) -> AlertEvaluator.Outcome {
        let evaluator = AlertEvaluator(calculator: MetricsCalculator(catalog: catalog, quotas: quotas))
        let end = TimeExpression.parseISO(String(format: "2026-11-%02d", dayNumber))! + day
        return evaluator.evaluate(rules, frame: frame, dayEnd: end, states: states)
    }

    static func states(_ outcome: AlertEvaluator.Outcome, _ previous: [String: StoredAlertState] = [:]) -> [String: StoredAlertState] {
        var merged = previous
        for state in outcome.states { merged[AlertStore.key(state.rule, state.scope)] = state }
        return merged
    }

    @Test func thresholdsParseAndCompare() {
        #expect(Threshold.parse("> 0.05") == Threshold(comparison: .greater, value: 0.05))
        #expect(Threshold.parse(">=20") == Threshold(comparison: .greaterOrEqual, value: 20))
        #expect(Threshold.parse("< 0.5")?.isMet(by: 0.4) == true)
        #expect(Threshold.parse("<= 10")?.isMet(by: 10) == true)
        #expect(Threshold.parse("> 0.05")?.isMet(by: 0.05) == false)
        for bad in ["0.05", "> x", "=> 1", "", "> inf"] { #expect(Threshold.parse(bad) == nil, "\(bad)") }
        let rule = AlertRule(name: "r", metric: .errorRate, warn: Threshold.parse("> 0.05"), crit: Threshold.parse("> 0.1"))
        #expect(rule.severity(of: 0.05) == .ok && rule.severity(of: 0.06) == .warning && rule.severity(of: 0.11) == .critical)
    }

    @Test func rulesFromConfigNameTheirKeys() throws {
        let config = try ConfigLoader.parse("""
            version: 1
            alerts:
              - {name: a, metric: error_rate, warn: "> 0.1", renotify: 12h, window: hour, scope: tenant, min_requests: 5}
              - {name: b, metric: nope, warn: "> 1"}
            """, file: "c.yaml")
        #expect(throws: ConfigError.self) { try AlertRule.rules(from: config) }
        do {
            _ = try AlertRule.rules(from: config)
        } catch let error as ConfigError {
            #expect(error.location.keyPath == "alerts[1].metric")
            #expect(error.location.line == 4)
            #expect(error.message.contains("unknown metric \"nope\""))
        }
        let good = try ConfigLoader.parse("""
            version: 1
            alerts:
              - {name: a, metric: error_rate, warn: "> 0.1", renotify: 12h, window: hour, scope: tenant, min_requests: 5, colour: red}
            """, file: "c.yaml")
        let (rules, warnings) = try AlertRule.rules(from: good)
        #expect(rules == [AlertRule(name: "a", metric: .errorRate, scope: .tenant, window: .hour, warn: Threshold.parse("> 0.1"),
                                    minRequests: 5, renotifySeconds: 43_200)])
        #expect(warnings.map(\.location.keyPath) == ["alerts[0].colour"])
        for (yaml, key) in [("{name: a, metric: error_rate}", "warn"), ("{name: a, metric: error_rate, warn: '0.1'}", "warn"),
                            ("{name: a, metric: tenant_quota_pct, warn: '> 1'}", "metric"),
                            ("{name: a, metric: error_rate, warn: '> 1', renotify: soon}", "renotify")] {
            let parsed = try ConfigLoader.parse("version: 1\nalerts:\n  - \(yaml)\n", file: "c.yaml")
            do {
                _ = try AlertRule.rules(from: parsed)
                Issue.record("accepted \(yaml)")
            } catch let error as ConfigError {
                #expect(error.location.keyPath == "alerts[0].\(key)", "\(yaml): \(error)")
            }
        }
    }

    @Test func firesEscalatesRemindsDeEscalatesAndResolves() throws {
        // Error rate: 3 % (ok), 8 % (warning), 20 % (critical) per day, 100 requests a day.
        let frame = Self.frame([1: (100, 3), 2: (100, 8), 3: (100, 20), 4: (100, 20), 5: (100, 20), 6: (100, 8), 7: (100, 1)])
        let rule = AlertRule(name: "errors", metric: .errorRate, warn: Threshold.parse("> 0.05"), crit: Threshold.parse("> 0.1"),
                             renotifySeconds: 2 * 86_400)
        var states: [String: StoredAlertState] = [:]
        var transitions: [String?] = []
        var severities: [Severity] = []
        for dayNumber in 1...7 {
            let outcome = Self.evaluate([rule], frame, dayNumber: dayNumber, states: states)
            transitions.append(outcome.evaluations[0].transition)
            severities.append(outcome.evaluations[0].severity)
            #expect(outcome.notifications.count == (outcome.evaluations[0].transition == nil ? 0 : 1))
            states = Self.states(outcome, states)
        }
        #expect(severities == [.ok, .warning, .critical, .critical, .critical, .warning, .ok])
        // Day 5 is two days after the day-3 notification: a reminder. Day 4 is within the interval.
        #expect(transitions == [nil, "firing", "escalated", nil, "reminder", "de-escalated", "resolved"])
        // Evaluating a day again changes nothing and sends nothing.
        let again = Self.evaluate([rule], frame, dayNumber: 7, states: states)
        #expect(again.evaluations[0].transition == nil && again.notifications.isEmpty)
    }

    @Test func quietBelowMinimumAndUnknownWithoutBaseline() {
        let frame = Self.frame([1: (10, 5), 2: (300, 0)])
        let quiet = AlertRule(name: "q", metric: .errorRate, warn: Threshold.parse("> 0.05"), minRequests: 50)
        let outcome = Self.evaluate([quiet], frame, dayNumber: 1)
        #expect(outcome.evaluations[0].status == .quiet)
        #expect(outcome.states.isEmpty && outcome.notifications.isEmpty)
        // Drift on the first day with data has no baseline: unknown, exit code 3 territory.
        let drift = AlertRule(name: "d", metric: .costDriftPct, warn: Threshold.parse("> 20"), baselineWindows: 3)
        #expect(Self.evaluate([drift], frame, dayNumber: 1).evaluations[0].status == .unknown)
        // Day 2 against day 1: 300 × (100 + 10) tokens × $1/M = $0.033 vs 5 × 110 × $1/M = $0.00055.
        let second = Self.evaluate([drift], frame, dayNumber: 2).evaluations[0]
        #expect(second.status == .evaluated)
        #expect(abs((second.value ?? 0) - (0.033 - 0.00055) / 0.00055 * 100) < 1e-6)
    }

    @Test func hourRulesTakeTheWorstHourAndScopesSplit() throws {
        // Day 1: 240 requests, 10 an hour; tenant a gets every other request; the first 12 requests fail (hours 0 and 1).
        let frame = Self.frame([1: (240, 12)], tenant: { $0 % 2 == 0 ? "a" : "b" })
        let rule = AlertRule(name: "h", metric: .errorRate, scope: .tenant, window: .hour, warn: Threshold.parse("> 0.5"))
        let outcome = Self.evaluate([rule], frame, dayNumber: 1)
        #expect(outcome.evaluations.map(\.scope) == ["tenant=a", "tenant=b"])
        // Hour 0 holds requests 0…9: all failed, 5 each for a and b → error rate 1.0 for both in that hour.
        #expect(outcome.evaluations.map(\.value) == [1.0, 1.0])
        #expect(outcome.evaluations.allSatisfy { $0.windowEnd - $0.windowStart == 3_600_000_000 && $0.requests == 5 })
        #expect(outcome.notifications.map(\.window).allSatisfy { $0 == "hour 2026-11-01T00:00:00Z" })
    }

    @Test func tenantQuotaPercent() {
        let frame = Self.frame([1: (100, 0)])
        let rule = AlertRule(name: "quota", metric: .tenantQuotaPct, scope: .tenant, warn: Threshold.parse("> 80"))
        let outcome = Self.evaluate([rule], frame, dayNumber: 1, quotas: [TenantQuota(tenant: "t", dailyRequests: 120)])
        #expect(abs((outcome.evaluations[0].value ?? 0) - 100.0 / 120 * 100) < 1e-9)
        #expect(outcome.evaluations[0].severity == .warning)
    }
}
