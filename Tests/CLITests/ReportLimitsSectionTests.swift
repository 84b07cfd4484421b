import Foundation
import RouteLedgerTestSupport
import Testing

/// `replay_limits:` in the config adds the rate-limit replay to the report: the same numbers as
/// `routeledger replay-limits` over the report window, in every format; a replay that cannot run is a warning.
@Suite(.serialized) struct ReportLimitsSectionTests {
    static let day = "2026-11-01"

    /// A synthetic day of traffic (LiteLLM and Bedrock) ingested into a fresh ledger.
    static func ledger(in directory: TemporaryDirectory) throws -> String {
        let binary = TestPaths.builtExecutable.path
        let synth = try runProcess(binary, ["synth", "--records", "3000", "--seed", "11", "--days", "1", "--litellm-share", "0.6",
                                            "--out", directory.path("logs"), "--summary-file", directory.path("summary.json")])
        try #require(synth.status == 0, "\(synth.stderr)")
        let db = directory.path("ledger.sqlite")
        let ingest = try runProcess(binary, ["ingest", directory.path("logs"), "--db", db, "--quiet"])
        try #require(ingest.status == 0, "\(ingest.stderr)")
        return db
    }

    /// Writes `routeledger.yaml` with the given `replay_limits:` body (the gateway path relative to the config).
    static func config(in directory: TemporaryDirectory, _ section: String) throws -> String {
        let path = directory.path("config/routeledger.yaml")
        try FileManager.default.createDirectory(atPath: directory.path("config"), withIntermediateDirectories: true)
        try "version: 1\nreplay_limits:\n\(section)".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func report(db: String, config: String, out: String) throws -> ProcessResult {
        try runProcess(TestPaths.builtExecutable.path, ["report", "--db", db, "--day", day, "--out", out, "--config", config],
                       environment: ["ROUTELEDGER_CONFIG": ""])
    }

    @Test func reportCarriesTheRateLimitReplayInEveryFormat() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.ledger(in: directory)
        try FileManager.default.createDirectory(atPath: directory.path("config/gateway"), withIntermediateDirectories: true)
        let gateway = TestPaths.fixtures.appendingPathComponent("gateway/synth-gateway.yaml").path
        try FileManager.default.copyItem(atPath: gateway, toPath: directory.path("config/gateway/litellm.yaml"))
        let config = try Self.config(in: directory, """
              gateway: gateway/litellm.yaml
              target_fallback_rate: 0.02
              seed: 7
              tenant_limits:
                t-acme: {rpm: 3}

            """)
        let out = directory.path("reports")
        let result = try Self.report(db: db, config: config, out: out)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("warning: replay_limits"), "\(result.stdout)")
        let folder = URL(fileURLWithPath: out).appendingPathComponent(Self.day)

        // Markdown: the replay's own document, one heading level down.
        let markdown = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("\n## Rate-limit replay\n"))
        #expect(markdown.contains("\n### Totals\n"))
        #expect(markdown.contains("\n### Recommendation (fallback rate ≤ 2%)\n"))
        #expect(!markdown.contains("\n# Rate-limit replay"))

        // JSON: the routeledger.replay-limits/1 document, equal to the command's for the same window.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("report.json"))) as? [String: Any])
        #expect(json["schema"] as? String == "routeledger.report/1")
        let limits = try #require(json["replay_limits"] as? [String: Any])
        #expect(limits["schema"] as? String == "routeledger.replay-limits/1")
        let totals = try #require(limits["totals"] as? [String: Any])
        let gatewaySettings = try #require(limits["gateway"] as? [String: Any])
        #expect(gatewaySettings["seed"] as? Int == 7)
        #expect((limits["recommendation"] as? [String: Any])?["target_fallback_rate"] as? Double == 0.02)
        let acme = (limits["tenants"] as? [[String: Any]])?.first { $0["tenant"] as? String == "t-acme" }
        #expect((acme?["limits"] as? [String: Any])?["rpm"] as? Int == 3, "the config's tenant limit goes over the gateway file's")

        let command = try runProcess(TestPaths.builtExecutable.path, [
            "replay-limits", "--gateway", directory.path("config/gateway/litellm.yaml"), "--db", db,
            "--since", "\(Self.day)T00:00:00Z", "--until", "2026-11-02T00:00:00Z", "--seed", "7",
            "--target-fallback-rate", "0.02", "--tenant-limit", "t-acme=3", "--format", "json",
        ], environment: ["ROUTELEDGER_CONFIG": ""])
        try #require(command.status == 0, "\(command.stderr)")
        let standalone = try #require(try JSONSerialization.jsonObject(with: Data(command.stdout.utf8)) as? [String: Any])
        let standaloneTotals = try #require(standalone["totals"] as? [String: Any])
        #expect((totals["requests"] as? Int ?? -1) > 0)
        for key in ["requests", "served", "served_by_fallback", "tenant_limited", "failed", "routed"] {
            #expect(totals[key] as? Int == standaloneTotals[key] as? Int, "totals.\(key)")
        }
        let reportGroups = ((limits["recommendation"] as? [String: Any])?["groups"] as? [[String: Any]]) ?? []
        let commandGroups = ((standalone["recommendation"] as? [String: Any])?["groups"] as? [[String: Any]]) ?? []
        #expect(!reportGroups.isEmpty)
        #expect(reportGroups.map { ($0["rpm"] as? [String: Any])?["value"] as? Int }
                == commandGroups.map { ($0["rpm"] as? [String: Any])?["value"] as? Int })

        // HTML: its own section, linked from the table of contents.
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<section id=\"replay-limits\">\n<h2>Rate-limit replay</h2>"))
        #expect(html.contains("<a href=\"#replay-limits\">Rate-limit replay</a>"))
        #expect(html.contains("Recommended RPM"))

        // CSV: one row per group with a recommendation.
        let csv = try String(contentsOf: folder.appendingPathComponent("csv/replay_limits_groups.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\r\n")
        #expect(lines.first?.hasPrefix("group,deployments,routed,current_rpm,current_tpm,current_fallback_rate,recommended_rpm") == true)
        #expect(lines.count == reportGroups.count + 1)

        // Deterministic: the same ledger and config give the same bytes.
        let again = directory.path("reports-again")
        #expect(try Self.report(db: db, config: config, out: again).status == 0)
        for name in ["report.md", "report.json", "report.html", "csv/replay_limits_groups.csv"] {
            let second = URL(fileURLWithPath: again).appendingPathComponent(Self.day).appendingPathComponent(name)
            #expect(try Data(contentsOf: folder.appendingPathComponent(name)) == Data(contentsOf: second), "\(name)")
        }
    }

    @Test func missingGatewayFileIsAWarningNotAFailedReport() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.ledger(in: directory)
        let config = try Self.config(in: directory, "  gateway: missing/litellm.yaml\n")
        let out = directory.path("reports")
        let result = try Self.report(db: db, config: config, out: out)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("warning: replay_limits ("), "\(result.stdout)")
        #expect(result.stdout.contains("missing/litellm.yaml: cannot read the gateway config"), "\(result.stdout)")
        let folder = URL(fileURLWithPath: out).appendingPathComponent(Self.day)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("report.json"))) as? [String: Any])
        #expect(json["replay_limits"] == nil)
        #expect((json["warnings"] as? [String] ?? []).contains { $0.contains("cannot read the gateway config") })
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("csv/replay_limits_groups.csv").path))
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(!html.contains("id=\"replay-limits\""))

        // --strict turns the warning into exit 1, like every other report warning.
        let strict = try runProcess(TestPaths.builtExecutable.path, ["report", "--db", db, "--day", Self.day, "--out", out,
                                                                      "--config", config, "--strict"], environment: ["ROUTELEDGER_CONFIG": ""])
        #expect(strict.status == 1)
    }
}
