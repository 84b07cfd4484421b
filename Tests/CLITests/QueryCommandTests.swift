import Foundation
import RouteLedgerTestSupport
import Testing

@Suite struct QueryCommandTests {
    static let query = """
        -- @title Requests by model
        -- @description Requests per model in a window.
        -- @param since: timestamp = 2026-11-01  -- start
        -- @param until: timestamp = 2026-11-02
        -- @param min_requests: integer = 1
        SELECT model, count(*) AS requests FROM requests
        WHERE ts_us >= :since AND ts_us < :until
        GROUP BY model HAVING count(*) >= :min_requests ORDER BY requests DESC, model
        """

    /// A working folder with a local `queries/` and a fixture ledger.
    static func workspace() throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path("queries"), withIntermediateDirectories: true)
        try query.write(toFile: directory.path("queries/by_model.sql"), atomically: true, encoding: .utf8)
        let ledger = directory.path("l.sqlite")
        let ingest = try runProcess(TestPaths.builtExecutable.path, [
            "ingest", TestPaths.fixtures.appendingPathComponent("logs").path, "--db", ledger, "--max-ratio", "100", "--quiet",
        ])
        try #require(ingest.status == 0)
        return (directory, ledger)
    }

    static func run(_ arguments: [String], in directory: TemporaryDirectory) throws -> ProcessResult {
        try runProcess(TestPaths.builtExecutable.path, ["query"] + arguments, currentDirectory: directory.url.path)
    }

    @Test func namedLocalQueryWithParameters() throws {
        let (directory, ledger) = try Self.workspace()
        let all = try Self.run(["by_model", "--db", ledger, "--format", "csv"], in: directory)
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\r\n")
        #expect(lines.first == "model,requests")
        #expect(lines.count > 4)
        let filtered = try Self.run(["by_model", "--db", ledger, "--format", "csv", "--param", "min_requests=50"], in: directory)
        #expect(filtered.status == 0)
        #expect(filtered.stdout.split(separator: "\r\n").count < lines.count)
        let empty = try Self.run(["by_model", "--db", ledger, "--format", "json", "--since", "2030-01-01", "--until", "2030-01-02"], in: directory)
        #expect(empty.stdout == "[]\n")
    }

    @Test func unknownMissingAndBadParametersListTheKnownOnes() throws {
        let (directory, ledger) = try Self.workspace()
        let unknown = try Self.run(["by_model", "--db", ledger, "--param", "tenant=x"], in: directory)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown parameter tenant"))
        #expect(unknown.stderr.contains("since: timestamp = 2026-11-01") && unknown.stderr.contains("min_requests: integer = 1"))
        let bad = try Self.run(["by_model", "--db", ledger, "--param", "min_requests=lots"], in: directory)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\"lots\" is not a integer") || bad.stderr.contains("is not a"))
        try "-- @param tenant: text\nSELECT :tenant".write(toFile: directory.path("queries/needs.sql"), atomically: true, encoding: .utf8)
        let missing = try Self.run(["needs", "--db", ledger], in: directory)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("needs.sql:1: parameter tenant is required"))
        let noSuch = try Self.run(["nope", "--db", ledger], in: directory)
        #expect(noSuch.status == 2)
        #expect(noSuch.stderr.contains("no query named nope") && noSuch.stderr.contains("by_model"))
    }

    @Test func listShowsTitlesAndParameters() throws {
        let (directory, _) = try Self.workspace()
        let list = try Self.run(["--list"], in: directory)
        #expect(list.status == 0)
        let line = try #require(list.stdout.split(separator: "\n").first { $0.hasPrefix("by_model ") })
        #expect(line.hasSuffix("Requests by model  [local]"))
        #expect(list.stdout.contains("--param min_requests: integer = 1"))
        #expect(list.stdout.contains("--param since: timestamp = 2026-11-01  start"))
    }

    @Test func aClosedPipeEndsTheProcessQuietly() throws {
        let (directory, ledger) = try Self.workspace()
        try "SELECT * FROM requests, (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3)".write(
            toFile: directory.path("queries/big.sql"), atomically: true, encoding: .utf8)
        // bash, for the producer's exit status (PIPESTATUS).
        let bash = try runProcess("/bin/bash", ["-c", "'\(TestPaths.builtExecutable.path)' query big --db '\(ledger)' --format csv | head -3; echo \"status=${PIPESTATUS[0]}\""],
                                  currentDirectory: directory.url.path)
        // Three CSV lines (CRLF) and the status line: count LF bytes ("\r\n" is one Character in Swift).
        #expect(bash.stdout.utf8.filter { $0 == 10 }.count == 4, "\(bash.stdout)")
        #expect(bash.stdout.hasSuffix("status=0\n"), "\(bash.stdout)")
        #expect(bash.stderr.isEmpty, "\(bash.stderr)")
    }

    @Test func aWriteAttemptIsAClearErrorAndExitsTwo() throws {
        let (directory, ledger) = try Self.workspace()
        try "DELETE FROM invocations".write(toFile: directory.path("queries/evil.sql"), atomically: true, encoding: .utf8)
        let result = try Self.run(["evil", "--db", ledger], in: directory)
        #expect(result.status == 2)
        #expect(result.stderr.contains("evil.sql: query files are read-only: DELETE is not allowed"))
    }
}
