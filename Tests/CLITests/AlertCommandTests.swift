import Foundation
import RouteLedgerTestSupport
import Testing

/// The alert command end to end: real binary, real ledger, real HTTP to a listener on 127.0.0.1.
///
/// History: 300 routed requests a day, each 1,000 input and 200 output tokens. Prices (test file): strong
/// $10 / $50 per million → $0.02 a request; cheap $1 / $5 → $0.002. The router's fallback is the strong model.
/// - 2026-11-01…07: 12 strong (4 %), 288 cheap → fallback rate 0.04, cost $0.816 a day.
/// - 2026-11-08: 60 strong (20 %), 240 cheap → fallback 0.20 (critical > 0.10), cost $1.68: drift
///   (1.68 − 0.816) / 0.816 = +105.9 % (critical > 50).
/// - 2026-11-09: back to the first pattern → both resolve. Drift vs the mean of 11-02…08
///   ((6 × 0.816 + 1.68) / 7 = 0.93943) is −13.1 %.
@Suite(.serialized) struct AlertCommandTests {
    static let router = "arn:aws:bedrock:us-east-1:111122223333:prompt-router/abc123"

    static func dayRecords(_ day: String, strong: Int, total: Int = 300) -> [String] {
        (0..<total).map { i in
            let minute = i * 4
            let time = "\(day)T\(String(format: "%02d", minute / 60)):\(String(format: "%02d", minute % 60)):00Z"
            return FixtureRecords.bedrock(id: "\(day)-\(i)", time: time, model: router, input: 1000, output: 200,
                                          tenant: "t\(i % 3)", servedModel: i < strong ? "test.strong-v1" : "test.cheap-v1")
        }
    }

    struct World {
        let directory: TemporaryDirectory
        let listener: HTTPListener
        var config: String { directory.path("routeledger.yaml") }
        var ledger: String { directory.path("ledger.sqlite") }

        func ingest(_ days: [(String, Int)]) throws {
            for (day, strong) in days {
                try FixtureRecords.write(AlertCommandTests.dayRecords(day, strong: strong), to: directory.path("logs/\(day).jsonl"))
            }
            let result = try runProcess(TestPaths.builtExecutable.path, ["ingest", directory.path("logs"), "--db", ledger, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
        }

        func alert(_ day: String, _ extra: [String] = []) throws -> ProcessResult {
            try runProcess(TestPaths.builtExecutable.path, ["alert", "--config", config, "--day", day] + extra,
                           environment: ["ALERT_WEBHOOK_URL": listener.url(path: "/hooks/alerts?token=s3cr3t").absoluteString,
                                         "ALERT_SECRET": "hmac-key"])
        }
    }

    static func world() throws -> World {
        let directory = try TemporaryDirectory("alerts")
        try FileManager.default.createDirectory(atPath: directory.path("logs"), withIntermediateDirectories: true)
        try """
            {"schema": "routeledger.prices/1", "version": "alert-test",
             "families": {"test": {"strong": "test.strong-v1", "cheap": "test.cheap-v1"}},
             "models": [{"model": "test.strong-v1", "family": "test", "tier": "strong"},
                        {"model": "test.cheap-v1", "family": "test", "tier": "cheap"}],
             "prices": [{"model": "test.strong-v1", "effective_from": "2020-01-01", "input": 10, "output": 50},
                        {"model": "test.cheap-v1", "effective_from": "2020-01-01", "input": 1, "output": 5}]}
            """.write(toFile: directory.path("prices.json"), atomically: true, encoding: .utf8)
        try """
            version: 1
            ledger: ledger.sqlite
            prices: [prices.json]
            reports: {dir: reports, formats: [json], url: "https://reports.example.com/rl"}
            routers:
              - id: \(router)
                strong: test.strong-v1
                cheap: test.cheap-v1
                fallback: test.strong-v1
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
                secret: ${ALERT_SECRET}
                attempts: 2
                timeout: 5
            """.write(toFile: directory.path("routeledger.yaml"), atomically: true, encoding: .utf8)
        let world = World(directory: directory, listener: try HTTPListener())
        try world.ingest((1...8).map { (String(format: "2026-11-%02d", $0), $0 == 8 ? 60 : 12) })
        return world
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func firesOnceRetriesUntilDeliveredAndResolves() throws {
        let world = try Self.world()

        // A quiet day: both rules OK, nothing sent.
        let quiet = try world.alert("2026-11-07", ["--format", "json"])
        #expect(quiet.status == 0, "\(quiet.stdout)\(quiet.stderr)")
        let quietJSON = try Self.json(quiet.stdout)
        let quietEvaluations = try #require(quietJSON["evaluations"] as? [[String: Any]])
        #expect(quietEvaluations.map { $0["severity"] as? String } == ["ok", "ok"])
        #expect(abs((quietEvaluations.first { $0["rule"] as? String == "cost-drift" }?["value"] as? Double ?? 99)) < 1e-9)
        #expect(world.listener.requests.isEmpty)

        // The jump, with the receiver down (HTTP 500 on both attempts of both notifications).
        world.listener.enqueue(ScriptedResponse(status: 500), ScriptedResponse(status: 500),
                               ScriptedResponse(status: 500), ScriptedResponse(status: 500))
        let down = try world.alert("2026-11-08", ["--format", "json", "--prom-file", world.directory.path("rl.prom")])
        #expect(down.status == 2, "\(down.stdout)\(down.stderr)")
        let downJSON = try Self.json(down.stdout)
        let evaluations = try #require(downJSON["evaluations"] as? [[String: Any]])
        let drift = try #require(evaluations.first { $0["rule"] as? String == "cost-drift" })
        #expect(drift["severity"] as? String == "critical" && drift["transition"] as? String == "firing")
        #expect(abs((drift["value"] as? Double ?? 0) - (1.68 - 0.816) / 0.816 * 100) < 1e-6)
        let fallback = try #require(evaluations.first { $0["rule"] as? String == "router-fallback" })
        #expect(fallback["scope"] as? String == "router=\(Self.router)")
        #expect(abs((fallback["value"] as? Double ?? 0) - 0.2) < 1e-12)
        #expect(fallback["severity"] as? String == "critical")
        #expect((downJSON["notifications"] as? [String: Int]) == ["queued": 2, "delivered": 0, "pending": 2])
        #expect(world.listener.requests.count == 4)   // 2 notifications × 2 attempts
        let prom = try String(contentsOfFile: world.directory.path("rl.prom"), encoding: .utf8)
        #expect(prom.contains("routeledger_alert_severity{rule=\"cost-drift\",scope=\"overall\"} 2"))
        #expect(prom.contains("routeledger_router_fallback_ratio{day=\"2026-11-08\"} 0.2"))
        #expect(prom.contains("routeledger_notifications_pending 2"))
        #expect(prom.contains("routeledger_cost_usd{day=\"2026-11-08\"} 1.68"))

        // The same night again, receiver back: nothing new is queued; the two pending ones go out once.
        let again = try world.alert("2026-11-08", ["--format", "json"])
        #expect(again.status == 2)
        #expect((try Self.json(again.stdout)["notifications"] as? [String: Int]) == ["queued": 0, "delivered": 2, "pending": 0])
        let received = Array(world.listener.requests.suffix(2))
        #expect(world.listener.requests.count == 6)
        var rules: [String] = []
        for request in received {
            let body = try Self.json(String(decoding: request.body, as: UTF8.self))
            rules.append(body["rule"] as? String ?? "")
            #expect(body["severity"] as? String == "critical")
            #expect(body["state"] as? String == "firing")
            #expect(body["report_link"] as? String == "https://reports.example.com/rl/2026-11-08/report.html")
            #expect(request.path.hasPrefix("/hooks/alerts"))
            // The signature is HMAC-SHA256 of the body with the secret, checked with openssl itself.
            let signature = try #require(request.headers["x-routeledger-signature"])
            try request.body.write(to: world.directory.url.appendingPathComponent("body.json"))
            let openssl = try shell("openssl dgst -sha256 -hmac hmac-key -r '\(world.directory.path("body.json"))' | cut -d' ' -f1")
            #expect(signature == "sha256=" + openssl.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(rules.sorted() == ["cost-drift", "router-fallback"])
        // The retried requests carried the same notification ids as the first attempts.
        let ids = world.listener.requests.compactMap { $0.headers["x-routeledger-notification-id"] }
        #expect(Set(ids).count == 2 && ids.count == 6)

        // And once more: nothing at all.
        let third = try world.alert("2026-11-08")
        #expect(third.status == 2)
        #expect(world.listener.requests.count == 6)
        #expect(third.stdout.contains("notifications: 0 queued, 0 delivered, 0 pending"))
        #expect(!third.stdout.contains("s3cr3t") && !third.stderr.contains("s3cr3t"))

        // Back to normal: both resolve, one notification each.
        try world.ingest([("2026-11-09", 12)])
        let resolved = try world.alert("2026-11-09", ["--format", "json"])
        #expect(resolved.status == 0, "\(resolved.stdout)")
        let resolvedEvaluations = try #require(try Self.json(resolved.stdout)["evaluations"] as? [[String: Any]])
        #expect(resolvedEvaluations.map { $0["transition"] as? String } == ["resolved", "resolved"])
        let resolvedDrift = try #require(resolvedEvaluations.first { $0["rule"] as? String == "cost-drift" })
        #expect(abs((resolvedDrift["value"] as? Double ?? 0) - (0.816 - (6 * 0.816 + 1.68) / 7) / ((6 * 0.816 + 1.68) / 7) * 100) < 1e-6)
        #expect(world.listener.requests.count == 8)
        let states = try world.listener.requests.suffix(2).map { try Self.json(String(decoding: $0.body, as: UTF8.self))["state"] as? String }
        #expect(states == ["resolved", "resolved"])
    }

    @Test func unknownWhenTheLedgerIsMissingAndConfigErrorsNameTheKey() throws {
        let world = try Self.world()
        let missing = try runProcess(TestPaths.builtExecutable.path, ["alert", "--config", world.config, "--day", "2026-11-08",
                                                                       "--db", world.directory.path("none.sqlite")],
                                     environment: ["ALERT_WEBHOOK_URL": "http://127.0.0.1:1/x", "ALERT_SECRET": "k"])
        #expect(missing.status == 3)
        let noVariable = try runProcess(TestPaths.builtExecutable.path, ["alert", "--config", world.config, "--day", "2026-11-08"],
                                        environment: ["ALERT_WEBHOOK_URL": "", "ALERT_SECRET": "k"])
        #expect(noVariable.status == 3)
        #expect(noVariable.stderr.contains("notifiers[0].url: environment variable ALERT_WEBHOOK_URL is not set"))
        let check = try runProcess(TestPaths.builtExecutable.path, ["config", "check", "--config", world.config],
                                   environment: ["ALERT_WEBHOOK_URL": "https://hooks.example.com/services/T0/B0/XYZ", "ALERT_SECRET": "k"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("1 routers, 0 quotas, 2 alert rules, 1 notifiers"))
        let show = try runProcess(TestPaths.builtExecutable.path, ["config", "show", "--config", world.config],
                                  environment: ["ALERT_WEBHOOK_URL": "https://hooks.example.com/services/T0/B0/XYZ", "ALERT_SECRET": "k"])
        #expect(show.stdout.contains("url: ${ALERT_WEBHOOK_URL}"))
        #expect(!show.stdout.contains("XYZ"))
        #expect(show.stdout.contains("renotify: 86400s"))
    }

    @Test func nightlyIngestsReportsAlertsAndIsIdempotent() throws {
        let world = try Self.world()
        try FixtureRecords.write(Self.dayRecords("2026-11-09", strong: 60), to: world.directory.path("logs/2026-11-09.jsonl"))
        try (try String(contentsOfFile: world.config, encoding: .utf8)).replacingOccurrences(of: "ledger: ledger.sqlite", with: "ledger: ledger.sqlite\ninputs: [logs]")
            .write(toFile: world.config, atomically: true, encoding: .utf8)
        func nightly() throws -> ProcessResult {
            try runProcess(TestPaths.builtExecutable.path, ["nightly", "--config", world.config, "--day", "2026-11-09"],
                           environment: ["ALERT_WEBHOOK_URL": world.listener.url(path: "/n").absoluteString, "ALERT_SECRET": "k"])
        }
        let first = try nightly()
        #expect(first.status == 2, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("ingest: 1 files read"))
        #expect(first.stdout.contains("report 2026-11-09: 300 requests"))
        #expect(FileManager.default.fileExists(atPath: world.directory.path("reports/2026-11-09/report.json")))
        // Day 9 repeats day 8's jump: the fallback rule fires; drift vs a baseline that includes day 8 is +76.3 %.
        #expect(first.stdout.contains("notifications: 2 queued, 2 delivered, 0 pending"))
        let report = try Data(contentsOf: URL(fileURLWithPath: world.directory.path("reports/2026-11-09/report.json")))
        let second = try nightly()
        #expect(second.status == 2)
        #expect(second.stdout.contains("ingest: 0 files read"))
        #expect(second.stdout.contains("notifications: 0 queued, 0 delivered, 0 pending"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: world.directory.path("reports/2026-11-09/report.json"))) == report)
        #expect(world.listener.requests.count == 2)

        // A second nightly while one holds the lock exits 3 at once.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [world.ledger + ".nightly.lock", "sleep", "5"]
        try holder.run()
        Thread.sleep(forTimeInterval: 0.5)
        let blocked = try nightly()
        holder.terminate()
        holder.waitUntilExit()
        #expect(blocked.status == 3)
        #expect(blocked.stderr.contains("another nightly run is in progress"))
    }
}
