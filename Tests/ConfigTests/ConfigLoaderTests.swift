import RouteLedgerConfig
import Testing

@Suite struct ConfigLoaderTests {
    /// The shape the alerts issue requires, as written there.
    static let issueExample = """
        version: 1
        ledger: routeledger.sqlite
        inputs: [logs/]
        reports: {dir: reports, formats: [md, html, json]}
        routers:
          - id: arn:aws:bedrock:us-east-1:111122223333:prompt-router/abc123
            strong: anthropic.claude-3-5-sonnet-20241022-v2:0
            cheap: anthropic.claude-3-5-haiku-20241022-v1:0
            fallback: anthropic.claude-3-5-haiku-20241022-v1:0
        alerts:
          - name: router-fallback
            metric: router_fallback_rate
            scope: router
            window: day
            warn: "> 0.05"
            crit: "> 0.10"
            min_requests: 200
          - name: cost-drift
            metric: cost_drift_pct
            baseline_windows: 7
            window: day
            warn: "> 20"
            crit: "> 50"
        notifiers:
          - kind: webhook
            url: ${ALERT_WEBHOOK_URL}
          - kind: slack
            url: ${SLACK_WEBHOOK_URL}
        """

    @Test func acceptsTheDocumentedShape() throws {
        let config = try ConfigLoader.parse(Self.issueExample, file: "routeledger.yaml")
        #expect(config.warnings.isEmpty, "\(config.warnings)")
        #expect(config.ledger == "routeledger.sqlite")
        #expect(config.inputs == ["logs/"])
        #expect(config.reports == ReportSettings(directory: "reports", formats: [.md, .html, .json]))
        #expect(config.routers == [RouterDefinition(id: "arn:aws:bedrock:us-east-1:111122223333:prompt-router/abc123",
                                                    strong: "anthropic.claude-3-5-sonnet-20241022-v2:0",
                                                    cheap: "anthropic.claude-3-5-haiku-20241022-v1:0",
                                                    fallback: "anthropic.claude-3-5-haiku-20241022-v1:0")])
        #expect(config.routers[0].models.count == 2)
        #expect(config.alerts.map { $0.values["name"] } == ["router-fallback", "cost-drift"])
        #expect(config.alerts[1].values["baseline_windows"] == "7")
        #expect(config.notifiers.map { $0.values["kind"] } == ["webhook", "slack"])
        // Secrets stay as written until a notifier uses them: the loader never expands or prints them.
        #expect(config.notifiers[0].values["url"] == "${ALERT_WEBHOOK_URL}")
    }

    @Test func quotasAndTenantKeys() throws {
        let config = try ConfigLoader.parse("""
            version: 1
            tenant_keys: [tenant_id, team_alias]
            quotas:
              - {tenant: t-acme, daily_requests: 10_000, daily_usd: 25.5}
            """, file: "c.yaml")
        #expect(config.tenantKeys == ["tenant_id", "team_alias"])
        #expect(config.quotas == [TenantQuota(tenant: "t-acme", dailyRequests: 10_000, dailyUSD: 25.5)])
    }

    @Test func unknownKeysWarnWithTheirPlace() throws {
        let config = try ConfigLoader.parse("""
            version: 1
            reprots: {dir: x}
            routers:
              - id: r1
                strong: a
                stronk: b
            """, file: "c.yaml")
        #expect(config.warnings.map(\.location.keyPath) == ["reprots", "routers[0].stronk"])
        #expect(config.warnings.map(\.location.line) == [2, 6])
        #expect(config.warnings[0].description.hasPrefix("c.yaml:2:1: reprots: unknown key"))
    }

    @Test func replayLimitsSection() throws {
        let config = try ConfigLoader.parse("""
            version: 1
            replay_limits:
              gateway: litellm/config.yaml
              target_fallback_rate: 0.05
              seed: 9
              tenant_limits:
                t-acme: {rpm: 60, tpm: 200_000}
                "*": {tpm: 5000}
            """, file: "c.yaml")
        #expect(config.warnings.isEmpty, "\(config.warnings)")
        let settings = try #require(config.replayLimits)
        #expect(settings.gateway == "litellm/config.yaml")
        #expect(settings.targetFallbackRate == 0.05)
        #expect(settings.seed == 9)
        #expect(settings.tenantLimits == ["t-acme": TenantRateLimit(rpm: 60, tpm: 200_000), "*": TenantRateLimit(tpm: 5000)])
        #expect(settings.location.line == 3)

        let defaults = try #require(try ConfigLoader.parse("version: 1\nreplay_limits: {gateway: g.yaml}\n", file: "c.yaml").replayLimits)
        #expect(defaults.targetFallbackRate == 0.01)
        #expect(defaults.seed == 1, "the same default as replay-limits --seed")
        #expect(defaults.tenantLimits.isEmpty)
        #expect(try ConfigLoader.parse("version: 1\n", file: "c.yaml").replayLimits == nil)
    }

    @Test(arguments: [
        ("version: 2\n", "version", 1, "unsupported config version 2"),
        ("version: 1\nreplay_limits:\n  seed: 1\n", "replay_limits", 3, "needs gateway"),
        ("version: 1\nreplay_limits:\n  gateway: g.yaml\n  target_fallback_rate: 1.5\n", "replay_limits.target_fallback_rate", 4, "below 1"),
        ("version: 1\nreplay_limits:\n  gateway: g.yaml\n  target_fallback_rate: -0.1\n", "replay_limits.target_fallback_rate", 4, "non-negative"),
        ("version: 1\nreplay_limits:\n  gateway: g.yaml\n  tenant_limits:\n    t-a: {rpm: many}\n", "replay_limits.tenant_limits.t-a.rpm", 5, "non-negative whole number"),
        ("version: 1\nreplay_limits:\n  gateway: g.yaml\n  tenant_limits:\n    t-a: {}\n", "replay_limits.tenant_limits.t-a", 5, "needs rpm or tpm"),
        ("version: 1\nreplay_limits:\n  gateway: g.yaml\n  tenant_limits: [t-a=5]\n", "replay_limits.tenant_limits", 4, "tenant → {rpm, tpm}"),
        ("version: 1\nrouters:\n  - strong: a\n", "routers[0].id", 3, "needs an id"),
        ("version: 1\nrouters:\n  - {id: r, strong: a, cheap: b, fallback: c}\n", "routers[0].fallback", 3, "must be one of"),
        ("version: 1\nrouters:\n  - {id: r}\n  - {id: r}\n", "routers[1].id", 4, "defined twice"),
        ("version: 1\nreports:\n  formats: [md, pdf]\n", "reports.formats", 3, "unknown format \"pdf\""),
        ("version: 1\nquotas:\n  - {tenant: a, daily_requests: -5}\n", "quotas[0].daily_requests", 3, "non-negative"),
        ("version: 1\nquotas:\n  - {tenant: a}\n", "quotas[0]", 3, "needs daily_requests"),
        ("version: 1\ninputs: {a: 1}\n", "inputs", 2, "list of strings"),
        ("version: 1\nalerts:\n  - {metric: x}\n", "alerts[0].name", 3, "missing"),
    ])
    func errorsNameKeyLineAndColumn(_ text: String, _ keyPath: String, _ line: Int, _ fragment: String) {
        do {
            _ = try ConfigLoader.parse(text, file: "c.yaml")
            Issue.record("accepted: \(text)")
        } catch let error as ConfigError {
            #expect(error.location.keyPath == keyPath)
            #expect(error.location.line == line)
            #expect(error.location.column >= 1)
            #expect(error.message.contains(fragment), "\(error.message)")
            #expect(error.errorDescription?.hasPrefix("c.yaml:\(line):") == true)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func yamlSyntaxErrorsPointAtTheLine() {
        do {
            _ = try ConfigLoader.parse("version: 1\nrouters: [\n  - id: x\n", file: "c.yaml")
            Issue.record("accepted broken YAML")
        } catch let error as ConfigError {
            #expect(error.location.line >= 2)
            #expect(error.message.hasPrefix("not valid YAML"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: "/nonexistent/routeledger.yaml") }
    }
}
