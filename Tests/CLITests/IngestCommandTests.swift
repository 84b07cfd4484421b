import Foundation
import GRDB
import RouteLedgerTestSupport
import Testing

private func routeledger(_ arguments: [String], stdin: Data? = nil, in directory: String? = nil) throws -> ProcessResult {
    try runProcess(TestPaths.builtExecutable.path, arguments, stdin: stdin, currentDirectory: directory)
}

private func summaryJSON(_ result: ProcessResult) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
}

/// The built `routeledger` binary, run as users run it.
@Suite(.serialized) struct IngestCommandTests {
    @Test func ingestPrintsAReconcilingSummaryAndExitCodesFollowTheContract() throws {
        let directory = try TemporaryDirectory()
        try FixtureRecords.write([FixtureRecords.bedrock(id: "A"), FixtureRecords.bedrock(id: "B"), "not json"],
                                 to: directory.path("a.jsonl"))
        let db = directory.path("l.sqlite")
        let result = try routeledger(["ingest", directory.path("a.jsonl"), "--db", db, "--summary", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try summaryJSON(result)
        #expect(summary["recordsRead"] as? Int == 3)
        #expect(summary["stored"] as? Int == 2)
        #expect(summary["rejected"] as? Int == 1)

        // --strict turns the rejection into exit 1 (the file is unchanged, so re-read a copy).
        try shell("cp \(directory.path("a.jsonl")) \(directory.path("b.jsonl"))")
        let strict = try routeledger(["ingest", directory.path("b.jsonl"), "--db", db, "--strict"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("b.jsonl:3: invalid-json"), "the rejection is located by file and line")
        #expect(!strict.stdout.contains("not json"), "record content is never printed")

        #expect(try routeledger(["ingest", directory.path("missing"), "--db", db]).status == 2)
        #expect(try routeledger(["ingest", directory.path("a.jsonl"), "--db", db, "--jobs", "0"]).status == 2)
        #expect(try routeledger(["ingest", directory.path("a.jsonl"), "--db", db, "--format", "xml"]).status == 2)
    }

    @Test func standardInputIsAnInput() throws {
        let directory = try TemporaryDirectory()
        let text = [FixtureRecords.litellm(id: "s1"), FixtureRecords.litellm(id: "s2", fallbacks: 1, originalGroup: "claude-sonnet")]
            .joined(separator: "\n")
        let gzipped = try shell("printf '%s\\n' '\(text)' | gzip -c | base64 -w0").stdout
        let data = try #require(Data(base64Encoded: gzipped))
        let result = try routeledger(["ingest", "-", "--db", directory.path("s.sqlite"), "--summary", "json"], stdin: data)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try summaryJSON(result)["stored"] as? Int == 2)
        let queue = try DatabaseQueue(path: directory.path("s.sqlite"))
        let fallbacks = try queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM invocations_v WHERE fallback_attempt > 0 AND original_model_group = 'claude-sonnet'")
        }
        #expect(fallbacks == 1)
    }
}
