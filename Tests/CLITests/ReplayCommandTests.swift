import Foundation
import RouteLedgerTestSupport
import Testing

@Suite struct ReplayCommandTests {
    static func run(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(TestPaths.builtExecutable.path, ["replay"] + arguments)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// A pairs file whose `router_score` column is the true gain: the replay must reproduce the oracle.
    static func oracleLabels(in directory: TemporaryDirectory) throws -> String {
        var csv = "prompt_id,prompt_text,input_tokens_est,strong_model,weak_model,strong_score,weak_score,router_score\n"
        // 40 prompts: strong wins on 12, weak on 4, ties on 24; lengths vary so per-dollar differs from per-call.
        for i in 0..<40 {
            let (strong, weak): (Double, Double) = i < 12 ? (1, 0) : (i < 16 ? (0, 1) : (i % 2 == 0 ? (1, 1) : (0, 0)))
            csv += "p\(i),\"Prompt \(i), with a comma\",\(10 + (i * 37) % 90),s,w,\(strong),\(weak),\(strong - weak)\n"
        }
        let path = directory.path("oracle.csv")
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func scoreColumnWithTheTrueGainIsTheOracle() throws {
        let directory = try TemporaryDirectory()
        let labels = try Self.oracleLabels(in: directory)
        let result = try Self.run(["--labels", labels, "--score-column", "router_score", "--format", "json", "--bootstrap", "200"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try Self.json(result.stdout)
        #expect(document["schema"] as? String == "routeledger.replay/1")
        let metrics = try #require(document["metrics"] as? [String: Any])
        let perCall = try #require(metrics["per_call"] as? [String: Any])
        for key in ["apgr", "apgr_deciles", "cpt50", "cpt80", "aiq", "arqgc"] { #expect(perCall.keys.contains(key), "\(key)") }
        #expect(try #require(metrics["per_dollar"] as? [String: Any]).keys.contains("arqgc"))
        // all-weak 16/40 = .4, all-strong 24/40 = .6; oracle: +1 ×12 over x∈[0,.3], flat ×24 to .9, −1 ×4 to 1:
        // area = .4 + [.3·.3/2 + .6·.3 + .1·(.3 − .05)] = .4 + .045 + .18 + .025 = .65 → APGR (.65 − .4)/.2 = 1.25
        #expect(abs((perCall["apgr"] as? Double ?? 0) - 1.25) < 1e-6)
        #expect(abs((perCall["arqgc"] as? Double ?? 0) - 1.0) < 1e-6)
        let frontier = try #require(document["frontier"] as? [[String: Any]])
        #expect(frontier.count == 101)
        let recommendation = try #require(document["recommendation"] as? [String: Any])
        let bedrock = try #require(recommendation["bedrock"] as? [[String: Any]])
        #expect(bedrock.count == 2)
        // A score column gives no per-model predictions: Bedrock's relative knob is not derivable and says why.
        #expect(bedrock.allSatisfy { $0["response_quality_difference"] is NSNull })

        let again = try Self.run(["--labels", labels, "--score-column", "router_score", "--format", "json", "--bootstrap", "200"])
        #expect(again.stdout == result.stdout, "same input, same bytes")
    }

    @Test func csvListsEveryDistinctThreshold() throws {
        let directory = try TemporaryDirectory()
        let labels = try Self.oracleLabels(in: directory)
        let result = try Self.run(["--labels", labels, "--score-column", "router_score", "--format", "csv"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\r\n")
        // header + the "nothing strong" row + one row per distinct score (−1, 0, 1)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("threshold,strong_calls,"))
    }

    @Test func errorsNameTheFileAndExit2() throws {
        let missing = try Self.run(["--labels", "/nonexistent/pairs.csv"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/pairs.csv"))
        let directory = try TemporaryDirectory()
        let labels = try Self.oracleLabels(in: directory)
        let badColumn = try Self.run(["--labels", labels, "--score-column", "nope"])
        #expect(badColumn.status == 2)
        #expect(badColumn.stderr.contains("nope"))
        let badTarget = try Self.run(["--labels", labels, "--target", "quality=2"])
        #expect(badTarget.status == 2)
        #expect(badTarget.stderr.contains("--target"))
    }

    /// Synth writes labels for its router traffic; replay joins them to the ingested ledger end to end:
    /// priced at the router's real mix, and the router's real requests (prompts kept) re-decided.
    @Test func synthLabelsReplayEndToEnd() throws {
        let directory = try TemporaryDirectory()
        let logs = directory.path("logs"), labels = directory.path("labels.csv"), ledger = directory.path("l.sqlite")
        let synth = try runProcess(TestPaths.builtExecutable.path, ["synth", "--records", "4000", "--seed", "5", "--days", "1",
                                                                   "--out", logs, "--labels", labels])
        try #require(synth.status == 0, "\(synth.stderr)")
        let ingest = try runProcess(TestPaths.builtExecutable.path, ["ingest", logs, "--db", ledger, "--keep-bodies", "--quiet"])
        try #require(ingest.status == 0, "\(ingest.stderr)")
        let routers = try shell("sqlite3 \(ledger) \"SELECT s.value, count(*) FROM invocations i JOIN strings s ON s.id = i.router_id GROUP BY 1 ORDER BY 2 DESC LIMIT 1\"")
        let router = try #require(routers.stdout.split(separator: "|").first.map(String.init))
        let result = try Self.run(["--labels", labels, "--router", router, "--db", ledger, "--format", "json", "--bootstrap", "100"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try Self.json(result.stdout)
        #expect((document["cost"] as? [String: Any])?["basis"] as? String == "usd")
        let traffic = try #require(document["traffic"] as? [String: Any])
        #expect(traffic["router"] as? String == router)
        let share = try #require(traffic["observed_strong_share"] as? Double)
        #expect(share > 0 && share < 1)
        // The labels are the router's own requests: the observed point is its logged choices on them.
        let current = try #require(document["current"] as? [String: Any])
        #expect((document["current_basis"] as? String ?? "").contains("own logged choices"))
        let currentShare = try #require(current["strong_share_calls"] as? Double)
        #expect(abs(currentShare - share) < 0.05)
        let replayed = try #require(document["traffic_replay"] as? [String: Any])
        #expect((replayed["replayed"] as? Int ?? 0) > 0)
        let perCall = try #require((document["metrics"] as? [String: Any])?["per_call"] as? [String: Any])
        // the synthetic prompts reveal their difficulty: the built-in predictor must beat random
        #expect((perCall["apgr"] as? Double ?? 0) > 0.55)
    }
}
