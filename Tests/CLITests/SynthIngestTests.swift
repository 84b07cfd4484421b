import Foundation
import GRDB
import RouteLedgerTestSupport
import Testing

/// End to end: the generator's own independently recounted summary (see SynthTests) against what
/// `routeledger ingest` stores, for loose files and both bundle kinds.
@Suite(.serialized) struct SynthIngestTests {
    @Test(arguments: ["none", "tar", "zip"])
    func ingestReproducesTheGeneratorsCounts(bundle: String) throws {
        let directory = try TemporaryDirectory()
        let binary = TestPaths.builtExecutable.path
        let out = directory.path("corpus")
        let summaryPath = directory.path("summary.json")
        let synth = try runProcess(binary, ["synth", "--records", "1500", "--seed", "7", "--days", "2", "--out", out,
                                            "--bundle", bundle, "--corrupt-rate", "0.01", "--summary-file", summaryPath])
        #expect(synth.status == 0, "\(synth.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as? [String: Any])
        let expected = try #require(summary["expected"] as? [String: [String: Any]])
        func number(_ kind: String, _ key: String) -> Int { expected[kind]?[key] as? Int ?? -1 }
        func map(_ kind: String, _ key: String) -> [String: Int] { expected[kind]?[key] as? [String: Int] ?? [:] }

        let db = directory.path("ledger.sqlite")
        let ingest = try runProcess(binary, ["ingest", out, "--db", db, "--jobs", "2", "--summary", "json"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(ingest.stdout.utf8)) as? [String: Any])

        // Second method for the cut file: does gzip itself leave a partial last line?
        var partialLines = 0
        if let truncated = summary["truncatedFile"] as? [String: Any], let file = truncated["file"] as? String, bundle == "none" {
            let text = try shell("gzip -dc '\(out)/\(file)' 2>/dev/null; true").stdout
            partialLines = text.isEmpty || text.hasSuffix("\n") ? 0 : 1
        } else if summary["truncatedFile"] is [String: Any] {
            partialLines = (result["rejectedByReason"] as? [String: Int])?["truncated"] ?? 0
            #expect(partialLines <= 1)
        }
        let spendCopies = ((summary["fileCounts"] as? [String: Int])?["spendLogFiles"] ?? 0) == 2 ? number("litellmSpend", "records") : 0

        #expect(result["stored"] as? Int == number("bedrock", "records") + number("litellm", "records") + number("litellmSpend", "records"))
        #expect(result["duplicates"] as? Int == (summary["duplicateRecords"] as? Int ?? -1) + spendCopies)
        #expect(result["rejected"] as? Int == (summary["corruptLinesTotal"] as? Int ?? -1) + partialLines)
        #expect(result["conflicts"] as? Int == 0, "the CSV and JSON spend exports are the same rows")
        #expect(result["routerRequests"] as? Int == number("bedrock", "routerRequests"))

        let queue = try DatabaseQueue(path: db)
        try queue.read { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? -1 }
            func grouped(_ sql: String) throws -> [String: Int] {
                Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: sql).map { ($0[0] as String, $0[1] as Int) })
            }
            for (kind, key) in [("bedrock", "bedrock"), ("litellm", "litellm"), ("litellm-spend", "litellmSpend")] {
                #expect(try count("SELECT count(*) FROM invocations WHERE source_kind = '\(kind)'") == number(key, "records"), "\(kind)")
                #expect(try count("SELECT count(*) FROM invocations WHERE source_kind = '\(kind)' AND status = 'failure'") == number(key, "failures"))
                #expect(try count("SELECT ifnull(sum(input_tokens), 0) FROM invocations WHERE source_kind = '\(kind)'") == number(key, "inputTokens"))
                #expect(try count("SELECT ifnull(sum(output_tokens), 0) FROM invocations WHERE source_kind = '\(kind)'") == number(key, "outputTokens"))
                #expect(try count("SELECT ifnull(sum(cache_read_tokens), 0) FROM invocations WHERE source_kind = '\(kind)'") == number(key, "cacheReadTokens"))
                #expect(try count("SELECT ifnull(sum(cache_write_tokens), 0) FROM invocations WHERE source_kind = '\(kind)'") == number(key, "cacheWriteTokens"))
                #expect(try grouped("SELECT served_model, count(*) FROM invocations_v WHERE source_kind = '\(kind)' AND served_model IS NOT NULL GROUP BY 1") == map(key, "servedModels"))
                #expect(try count("SELECT count(*) FROM invocations WHERE source_kind = '\(kind)' AND status = 'success' AND fallback_attempt > 0") == number(key, "fallbacks"))
            }
            #expect(try grouped("SELECT error_code, count(*) FROM invocations_v WHERE source_kind = 'bedrock' AND status = 'failure' GROUP BY 1")
                    == map("bedrock", "failuresByErrorCode"))
            #expect(try grouped("SELECT served_model, count(*) FROM invocations_v WHERE router IS NOT NULL AND served_model IS NOT NULL GROUP BY 1")
                    == map("bedrock", "routerServedModels"))
            #expect(try grouped("SELECT inference_region, count(*) FROM invocations_v WHERE inference_region IS NOT NULL GROUP BY 1")
                    == map("bedrock", "inferenceRegions"))
            #expect(try grouped("SELECT tenant, count(*) FROM invocations_v WHERE source_kind = 'bedrock' AND tenant LIKE 't-%' GROUP BY 1")
                    == map("bedrock", "tenants"))
            let loggedCost = try Double.fetchOne(db, sql: "SELECT sum(logged_cost_usd) FROM invocations WHERE source_kind = 'litellm'") ?? -1
            #expect(abs(loggedCost - (expected["litellm"]?["costUSD"] as? Double ?? 0)) < 1e-6)
            #expect(try count("SELECT count(*) FROM rejects") == result["rejected"] as? Int)
        }
    }
}
