import Foundation
import GRDB
import RouteLedgerTestSupport
import Testing

/// SIGKILL a real `routeledger ingest` at random moments, then run it again: the ledger must equal
/// one clean run, row for row, and pass `PRAGMA integrity_check`.
@Suite(.serialized) struct KillSafetyTests {
    static let cycles = Int(ProcessInfo.processInfo.environment["ROUTELEDGER_KILL_CYCLES"] ?? "") ?? 8

    /// Several gzip archives (one a tar.gz of gzip members) with a few bad lines, duplicates and a conflict.
    static func makeCorpus(_ directory: TemporaryDirectory) throws -> String {
        let root = directory.path("corpus")
        try FileManager.default.createDirectory(atPath: root + "/tarred", withIntermediateDirectories: true)
        for file in 0..<24 {
            var lines = (0..<400).map { index in
                FixtureRecords.bedrock(id: "k\(file)-\(index)", time: "2026-11-0\(1 + file % 7)T1\(index % 10):00:00Z",
                                       model: index % 3 == 0 ? "us.anthropic.claude-3-5-haiku-20241022-v1:0" : "amazon.nova-pro-v1:0",
                                       input: 100 + index, output: index % 50, tenant: "t\(index % 5)",
                                       prompt: String(repeating: "lorem ipsum \(index) ", count: 8))
            }
            lines.append("{ broken line \(file)")
            lines.append(FixtureRecords.bedrock(id: "k0-\(file)"))  // duplicate or conflict with file 0
            let folder = file < 20 ? root : root + "/tarred"
            try FixtureRecords.write(lines, to: "\(folder)/f\(file).jsonl")
        }
        try shell("cd \(root) && gzip f*.jsonl && cd tarred && gzip *.jsonl && tar czf ../bundle.tar.gz *.gz && cd .. && rm -r tarred")
        return root
    }

    static func ledgerRows(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            let integrity = try String.fetchOne(db, sql: "PRAGMA integrity_check")
            #expect(integrity == "ok")
            var rows = try String.fetchAll(db, sql: """
                SELECT source_kind || '|' || request_id || '|' || ts_us || '|' || ifnull(model, '') || '|' ||
                       ifnull(input_tokens, '') || '|' || ifnull(output_tokens, '') || '|' || ifnull(tenant, '') || '|' || line
                FROM invocations_v ORDER BY source_kind, request_id
                """)
            rows += try String.fetchAll(db, sql: "SELECT path || '|' || ifnull(member, '') || '|' || line || '|' || reason FROM rejects ORDER BY 1")
            rows += try String.fetchAll(db, sql: """
                SELECT path || '|' || member || '|' || records || '|' || stored || '|' || duplicates || '|' || rejected || '|' || ifnull(sha256, '')
                FROM sources ORDER BY path, member
                """)
            rows += try String.fetchAll(db, sql: "SELECT request_id || '|' || line FROM conflicts ORDER BY 1")
            return rows
        }
    }

    @Test func killedIngestsConvergeToOneCleanRun() throws {
        let directory = try TemporaryDirectory()
        let corpus = try Self.makeCorpus(directory)
        let binary = TestPaths.builtExecutable.path
        let clean = directory.path("clean.sqlite")
        let cleanStart = Date()
        let cleanRun = try runProcess(binary, ["ingest", corpus, "--db", clean, "--quiet"])
        // Kills land anywhere within one clean run's duration, so the first cycles always interrupt work.
        let cleanMicros = UInt32(max(50_000, Date().timeIntervalSince(cleanStart) * 1_000_000))
        #expect(cleanRun.status == 0, "\(cleanRun.stderr)")
        let expected = try Self.ledgerRows(clean)
        #expect(expected.count > 9000)

        let victim = directory.path("victim.sqlite")
        var generator = SystemRandomNumberGenerator()
        var killedMidRun = 0
        for cycle in 0..<Self.cycles {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["ingest", corpus, "--db", victim, "--quiet", "--jobs", cycle % 2 == 0 ? "1" : "2"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 5_000...(cleanMicros * 9 / 10), using: &generator))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killedMidRun += 1
                process.waitUntilExit()
            } else {
                // The run finished first: start the next cycle from an empty ledger so it has work to interrupt.
                process.waitUntilExit()
                #expect(process.terminationStatus == 0)
                #expect(try Self.ledgerRows(victim) == expected, "a run that survived its kill window converged")
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: victim + suffix) }
            }
        }
        #expect(killedMidRun * 4 >= Self.cycles, "too few kills landed while ingest was running (\(killedMidRun) of \(Self.cycles))")
        let finish = try runProcess(binary, ["ingest", corpus, "--db", victim, "--quiet"])
        #expect(finish.status == 0, "\(finish.stderr)")
        let actual = try Self.ledgerRows(victim)
        #expect(actual.count == expected.count)
        #expect(actual == expected)
    }
}

extension KillSafetyTests {
    /// Two real `ingest` processes on one ledger: the second waits for the first (and says so), both succeed,
    /// and the ledger equals one clean run.
    @Test func concurrentIngestsWaitAndDoNotDoubleCount() throws {
        let directory = try TemporaryDirectory()
        let corpus = try Self.makeCorpus(directory)
        let binary = TestPaths.builtExecutable.path
        let clean = directory.path("clean.sqlite")
        #expect(try runProcess(binary, ["ingest", corpus, "--db", clean, "--quiet"]).status == 0)

        let shared = directory.path("shared.sqlite")
        func start(_ name: String) throws -> (Process, URL) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["ingest", corpus, "--db", shared, "--lock-timeout", "120"]
            let log = directory.url.appendingPathComponent("\(name).err")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            return (process, log)
        }
        let (first, _) = try start("first")
        usleep(100_000)
        let (second, secondLog) = try start("second")
        first.waitUntilExit()
        second.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(second.terminationStatus == 0)
        let waited = try String(contentsOf: secondLog, encoding: .utf8)
        #expect(waited.contains("waiting for another process"), "the second run says why it waits")
        #expect(try Self.ledgerRows(shared) == (try Self.ledgerRows(clean)))
    }
}
