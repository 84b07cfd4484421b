import Foundation
import GRDB
import RouteLedgerTestSupport
import Testing

@Suite struct ReplayLimitsCommandTests {
    static func fixture(_ name: String) -> String { TestPaths.fixtures.appendingPathComponent("gateway/\(name)").path }

    /// Runs `replay-limits` in an empty folder (no routeledger.yaml around).
    static func run(_ arguments: [String]) throws -> (ProcessResult, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        let result = try runProcess(TestPaths.builtExecutable.path, ["replay-limits"] + arguments,
                                    environment: ["ROUTELEDGER_CONFIG": "", "ROUTELEDGER_DB": directory.path("none.sqlite")],
                                    currentDirectory: directory.url.path)
        return (result, directory)
    }

    static func json(_ arguments: [String]) throws -> [String: Any] {
        let (result, _) = try run(arguments + ["--format", "json"])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    static func deploymentsServed(_ object: [String: Any]) -> [Int] {
        (object["deployments"] as? [[String: Any]] ?? []).map { $0["served"] as? Int ?? -1 }
    }

    @Test func tenSimultaneousRequestsDemo() throws {
        let object = try Self.json(["--gateway", Self.fixture("demo-fallback.yaml"), "--arrivals", Self.fixture("demo-simultaneous.csv")])
        #expect(object["schema"] as? String == "routeledger.replay-limits/1")
        let totals = try #require(object["totals"] as? [String: Any])
        #expect(totals["requests"] as? Int == 10)
        #expect(totals["served"] as? Int == 10)
        #expect(totals["served_primary"] as? Int == 3)
        #expect(totals["served_by_fallback"] as? Int == 7)
        #expect(totals["failed"] as? Int == 0)
        #expect(totals["fallback_rate"] as? Double == 0.7)
        #expect(totals["unpriced_requests"] as? Int == 0)
        #expect((totals["cost_usd"] as? Double ?? 0) > 0)
        #expect(Self.deploymentsServed(object) == [3, 7])
        let deployments = try #require(object["deployments"] as? [[String: Any]])
        #expect(deployments.map { $0["id"] as? String } == ["claude-sonnet#1", "claude-haiku#1"])
        #expect(deployments[1]["served_as_fallback"] as? Int == 7)
        let gateway = try #require(object["gateway"] as? [String: Any])
        #expect(gateway["num_retries"] as? Int == 2)
        let paths = try #require(object["fallback_paths"] as? [[String: Any]])
        #expect(paths.count == 1)
        #expect(paths.first?["requests"] as? Int == 7)
        #expect(paths.first?["latency_penalty_ms"] is NSNull, "no ledger: latency penalty unknown")
        let recommendation = try #require(object["recommendation"] as? [String: Any])
        let group = try #require((recommendation["groups"] as? [[String: Any]])?.first)
        #expect(group["group"] as? String == "claude-sonnet")
        let rpm = try #require(group["rpm"] as? [String: Any])
        #expect(rpm["value"] as? Int == 10)
        #expect(rpm["fallback_rate_at_value_minus_1"] as? Double == 0.1)
        let tpm = try #require(group["tpm"] as? [String: Any])
        #expect(tpm["value"] as? Int == 10_801)
    }

    @Test(arguments: ["1", "2", "31337"])
    func twoPrimariesDemoServesThreeThreeFour(seed: String) throws {
        let object = try Self.json(["--gateway", Self.fixture("demo-two-primaries.yaml"), "--arrivals", Self.fixture("demo-simultaneous.csv"),
                                    "--seed", seed])
        #expect(Self.deploymentsServed(object) == [3, 3, 4])
        let deployments = try #require(object["deployments"] as? [[String: Any]])
        #expect(deployments.map { $0["id"] as? String } == ["sonnet-east", "sonnet-west", "haiku-east"])
    }

    @Test func noisyTenantDemoWithAndWithoutTenantQuotas() throws {
        func tenants(_ arguments: [String]) throws -> [String: [String: Any]] {
            let object = try Self.json(arguments + ["--arrivals", Self.fixture("demo-noisy-tenant.csv")])
            let list = try #require(object["tenants"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: list.map { ($0["tenant"] as? String ?? "", $0) })
        }
        let limited = try tenants(["--gateway", Self.fixture("demo-noisy-tenant.yaml")])
        #expect(limited["t-noisy"]?["served"] as? Int == 10)
        #expect(limited["t-noisy"]?["tenant_limited"] as? Int == 90)
        #expect(limited["t-quiet"]?["served"] as? Int == 5)
        #expect(limited["t-quiet"]?["failed"] as? Int == 0)

        let free = try tenants(["--gateway", Self.fixture("demo-noisy-tenant-unlimited.yaml")])
        #expect(free["t-noisy"]?["served"] as? Int == 20)
        #expect(free["t-quiet"]?["served"] as? Int == 0)
        #expect(free["t-quiet"]?["failed"] as? Int == 5)

        // The same quota from the command line.
        let flag = try tenants(["--gateway", Self.fixture("demo-noisy-tenant-unlimited.yaml"), "--tenant-limit", "*=10"])
        #expect(flag["t-noisy"]?["served"] as? Int == 10)
        #expect(flag["t-quiet"]?["served"] as? Int == 5)
        let own = try tenants(["--gateway", Self.fixture("demo-noisy-tenant.yaml"), "--tenant-limit", "t-noisy=3:100000"])
        #expect(own["t-noisy"]?["served"] as? Int == 3)
        #expect((own["t-noisy"]?["limits"] as? [String: Any])?["tpm"] as? Int == 100_000)
    }

    @Test func markdownIsTheDefault() throws {
        let (result, _) = try Self.run(["--gateway", Self.fixture("demo-fallback.yaml"), "--arrivals", Self.fixture("demo-simultaneous.csv")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("# Rate-limit replay\n"))
        #expect(result.stdout.contains("| claude-sonnet#1 | claude-sonnet | bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0 | 3 | - | 3 | 0 |"))
        #expect(result.stdout.contains("| claude-haiku#1 | claude-haiku | bedrock/anthropic.claude-3-5-haiku-20241022-v1:0 | 25 | - | 7 | 7 |"))
        #expect(result.stdout.contains("## Recommendation (fallback rate ≤ 1%)"))
        #expect(result.stdout.contains("| claude-sonnet | claude-haiku | 7 | unknown |"))
    }

    @Test func badFlagsAndFilesExitTwoWithAClearMessage() throws {
        let gateway = Self.fixture("demo-fallback.yaml"), arrivals = Self.fixture("demo-simultaneous.csv")
        let cases: [([String], String)] = [
            (["--gateway", gateway, "--arrivals", arrivals, "--format", "xml"], "--format must be md or json"),
            (["--gateway", gateway, "--arrivals", arrivals, "--target-fallback-rate", "1.5"], "--target-fallback-rate"),
            (["--gateway", gateway, "--arrivals", arrivals, "--tenant-limit", "acme"], "TENANT=RPM[:TPM]"),
            (["--gateway", gateway, "--arrivals", arrivals, "--tenant-limit", "acme=ten"], "RPM \"ten\""),
            (["--gateway", gateway, "--arrivals", arrivals, "--since", "someday"], "--since: cannot read"),
            (["--gateway", "/nonexistent/config.yaml", "--arrivals", arrivals], "/nonexistent/config.yaml: cannot read the gateway config"),
            (["--gateway", gateway, "--arrivals", "/nonexistent/a.csv"], "--arrivals: cannot read"),
            (["--arrivals", arrivals], "--gateway"),
        ]
        for (arguments, message) in cases {
            let (result, _) = try Self.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }

        let directory = try TemporaryDirectory()
        let badGateway = directory.path("bad.yaml")
        try "model_list:\n  - model_name: a\n    litellm_params: {model: m, rpm: many}\n".write(toFile: badGateway, atomically: true, encoding: .utf8)
        let (gatewayError, _) = try Self.run(["--gateway", badGateway, "--arrivals", arrivals])
        #expect(gatewayError.status == 2)
        #expect(gatewayError.stderr.contains("bad.yaml:3: model_list[0].litellm_params.rpm must be a non-negative whole number"), "\(gatewayError.stderr)")

        let badArrivals = directory.path("bad.csv")
        try "ts,tenant,model_group\n2026-11-03T10:00:00Z,t,a\nyesterday-ish,t,a\n".write(toFile: badArrivals, atomically: true, encoding: .utf8)
        let (arrivalsError, _) = try Self.run(["--gateway", gateway, "--arrivals", badArrivals])
        #expect(arrivalsError.status == 2)
        #expect(arrivalsError.stderr.contains("bad.csv:3: ts \"yesterday-ish\""), "\(arrivalsError.stderr)")

        let (noLedger, _) = try Self.run(["--gateway", gateway, "--db", directory.path("missing.sqlite")])
        #expect(noLedger.status == 2)
        #expect(noLedger.stderr.contains("missing.sqlite"))
    }

    /// A synthetic ledger: the replay accounts for every logical LiteLLM request exactly once.
    @Test func synthLedgerReconciles() throws {
        let directory = try TemporaryDirectory()
        let binary = TestPaths.builtExecutable.path
        let synth = try runProcess(binary, ["synth", "--records", "4000", "--seed", "5", "--days", "1", "--litellm-share", "0.6",
                                            "--out", directory.path("logs"), "--summary-file", directory.path("summary.json")])
        try #require(synth.status == 0, "\(synth.stderr)")
        let db = directory.path("ledger.sqlite")
        let ingest = try runProcess(binary, ["ingest", directory.path("logs"), "--db", db, "--quiet"])
        try #require(ingest.status == 0, "\(ingest.stderr)")

        let arguments = ["--gateway", Self.fixture("synth-gateway.yaml"), "--db", db]
        let object = try Self.json(arguments)
        let totals = try #require(object["totals"] as? [String: Any])
        func number(_ key: String) -> Int { totals[key] as? Int ?? -1 }
        #expect(number("served") + number("tenant_limited") + number("failed") == number("requests"))
        #expect(number("served_primary") + number("served_by_fallback") == number("served"))
        #expect(number("routed") + number("tenant_limited") == number("requests"))
        #expect(number("failed_unknown_group") == 0, "the gateway config has every synth model group")
        #expect(number("served_by_fallback") > 0)
        #expect(number("tenant_limited") > 0)

        // The logical requests replayed are the ledger's LiteLLM requests: one per correlation id, plus every
        // uncorrelated row (spend-log rows that shadow a payload row are the same call).
        let queue = try DatabaseQueue(path: db)
        let logical = try queue.read { db -> Int in
            let visible = """
                source_kind <> 'bedrock' AND NOT (source_kind = 'litellm-spend' AND EXISTS (
                    SELECT 1 FROM request_keys k WHERE k.source_kind = 'litellm' AND k.request_id = i.request_id))
                """
            let correlated = try Int.fetchOne(db, sql: """
                SELECT count(DISTINCT correlation_id) FROM invocations i WHERE \(visible) AND correlation_id IS NOT NULL AND correlation_id <> ''
                """) ?? -1
            let alone = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM invocations i WHERE \(visible) AND (correlation_id IS NULL OR correlation_id = '')
                """) ?? -1
            return correlated + alone
        }
        #expect(number("requests") == logical)
        let traffic = try #require(object["traffic"] as? [String: Any])
        #expect(traffic["source"] as? String == "ledger")
        #expect(traffic["requests_without_model_group"] as? Int == 0)

        // Per-deployment and per-tenant tallies add up to the totals.
        let deployments = try #require(object["deployments"] as? [[String: Any]])
        #expect(deployments.reduce(0) { $0 + ($1["served"] as? Int ?? 0) } == number("served"))
        let tenants = try #require(object["tenants"] as? [[String: Any]])
        #expect(tenants.reduce(0) { $0 + ($1["requests"] as? Int ?? 0) } == number("requests"))
        #expect(tenants.reduce(0) { $0 + ($1["tenant_limited"] as? Int ?? 0) } == number("tenant_limited"))

        // The ledger knows the latencies of every synth model: penalties are numbers.
        let paths = try #require(object["fallback_paths"] as? [[String: Any]])
        #expect(!paths.isEmpty)
        #expect(paths.allSatisfy { $0["latency_penalty_ms"] is Double }, "\(paths)")
        #expect(object["latency_known"] as? Bool == true)

        // Deterministic, and a window replays a part.
        let (first, _) = try Self.run(arguments + ["--format", "json"])
        let (second, _) = try Self.run(arguments + ["--format", "json"])
        #expect(first.stdout == second.stdout)
        let window = try Self.json(arguments + ["--since", "2026-11-01T06:00:00Z", "--until", "2026-11-01T12:00:00Z"])
        let windowRequests = (window["totals"] as? [String: Any])?["requests"] as? Int ?? -1
        #expect(windowRequests > 0 && windowRequests < number("requests"))
    }
}
