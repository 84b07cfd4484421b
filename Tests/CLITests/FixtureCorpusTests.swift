import Foundation
import RouteLedgerTestSupport
import Testing

/// The committed fixtures (fixtures/logs: every container kind, every corrupt kind, a small corpus in the
/// real layouts) against fixtures/expected.json, which fixtures/expected.py computes with Python's own
/// gzip, tar, zip, json and csv readers.
@Suite struct FixtureCorpusTests {
    @Test func ingestOfTheFixturesMatchesTheIndependentCount() throws {
        let expected = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: TestPaths.fixtures.appendingPathComponent("expected.json"))) as? [String: Any])
        let directory = try TemporaryDirectory()
        let result = try runProcess(TestPaths.builtExecutable.path, [
            "ingest", TestPaths.fixtures.appendingPathComponent("logs").path, "--db", directory.path("f.sqlite"),
            "--max-ratio", "100", "--summary", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["recordsRead"] as? Int == expected["read"] as? Int)
        #expect(summary["stored"] as? Int == expected["stored"] as? Int)
        #expect(summary["duplicates"] as? Int == expected["duplicates"] as? Int)
        #expect(summary["conflicts"] as? Int == expected["conflicts"] as? Int)
        #expect(summary["rejected"] as? Int == expected["rejected"] as? Int)
        #expect((summary["skipped"] as? [Any])?.count == expected["skipped"] as? Int)
        var issues: [String: Int] = [:]
        for issue in summary["issues"] as? [[String: Any]] ?? [] { issues[issue["reason"] as? String ?? "?", default: 0] += 1 }
        #expect(issues == expected["issues"] as? [String: Int])
    }

    /// The expected counts are recomputed when python3 is present, so a stale expected.json cannot hide a change.
    @Test func expectedCountsAreCurrent() throws {
        let script = TestPaths.fixtures.appendingPathComponent("expected.py").path
        let fresh = try shell("python3 '\(script)'")
        try #require(fresh.status == 0, "\(fresh.stderr)")
        let committed = try String(contentsOf: TestPaths.fixtures.appendingPathComponent("expected.json"), encoding: .utf8)
        #expect(fresh.stdout == committed)
    }
}
