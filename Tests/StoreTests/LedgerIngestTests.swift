import Foundation
import GRDB
import RouteLedgerArchive
import RouteLedgerIngest
import RouteLedgerTestSupport
import Testing
@testable import RouteLedgerStore

/// Ingest into a real SQLite file from real archives made by gzip, tar, zip and zstd.
@Suite(.serialized) struct LedgerIngestTests {
    /// A corpus whose counts are known by construction:
    /// - plain.jsonl: A1…A5 (5 records) + 1 broken line
    /// - multi.json.gz: two gzip members, B1…B3 and B4…B6 (6)
    /// - bundle.tar.gz: logs/c.json.gz (C1…C4, gzip inside tar) and logs/d.jsonl (D1, D2, plus A1 again = duplicate)
    /// - bundle.zip: e.json (E1…E3) and dup.json (A2 with different tokens = conflict)
    /// - f.json.zst: F1…F2
    /// - data/x_input.json.gz and the permission-check marker: skipped
    static func makeCorpus(in directory: TemporaryDirectory) throws -> (read: Int, stored: Int, duplicates: Int, conflicts: Int, rejected: Int) {
        let root = directory.path("corpus")
        try FileManager.default.createDirectory(atPath: root + "/work/logs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        func ids(_ prefix: String, _ range: ClosedRange<Int>) -> [String] { range.map { FixtureRecords.bedrock(id: "\(prefix)\($0)") } }
        try FixtureRecords.write(ids("A", 1...5) + ["{\"broken\": "], to: root + "/plain.jsonl")
        try FixtureRecords.write(ids("B", 1...3), to: root + "/work/b1.jsonl")
        try FixtureRecords.write(ids("B", 4...6), to: root + "/work/b2.jsonl")
        try FixtureRecords.write(ids("C", 1...4), to: root + "/work/logs/c.json")
        try FixtureRecords.write(ids("D", 1...2) + [FixtureRecords.bedrock(id: "A1")], to: root + "/work/logs/d.jsonl")
        try FixtureRecords.write(ids("E", 1...3), to: root + "/work/e.json")
        try FixtureRecords.write([FixtureRecords.bedrock(id: "A2", input: 999)], to: root + "/work/dup.json")
        try FixtureRecords.write(ids("F", 1...2), to: root + "/work/f.json")
        try FixtureRecords.write(ids("Z", 1...2), to: root + "/data/x_input.json")
        let script = """
            set -e
            cd \(root)/work
            gzip -c b1.jsonl > ../multi.json.gz && gzip -c b2.jsonl >> ../multi.json.gz
            gzip logs/c.json
            tar czf ../bundle.tar.gz logs/c.json.gz logs/d.jsonl
            zip -q ../bundle.zip e.json dup.json
            zstd -q f.json -o ../f.json.zst
            cd .. && gzip data/x_input.json && echo ok > amazon-bedrock-logs-permission-check
            rm -rf work
            """
        let result = try shell(script)
        #expect(result.status == 0, "\(result.stderr)")
        // read 5+1 + 6 + 4+3 + 3+1 + 2 = 25; rejected 1; duplicates 2 (A1 exact, A2 conflict); stored 22.
        return (read: 25, stored: 22, duplicates: 2, conflicts: 1, rejected: 1)
    }

    func rowCount(_ ledger: Ledger, _ sql: String) throws -> Int {
        try ledger.queue.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    @Test func ingestReconcilesAndSecondRunIsANoOp() throws {
        let directory = try TemporaryDirectory()
        let expected = try Self.makeCorpus(in: directory)
        let plan = IngestPlan(paths: [directory.path("corpus")], ledgerPath: directory.path("ledger.sqlite"), jobs: 2)
        let summary = try IngestRunner.run(plan)
        #expect(summary.recordsRead == expected.read)
        #expect(summary.stored == expected.stored)
        #expect(summary.duplicates == expected.duplicates)
        #expect(summary.conflicts == expected.conflicts)
        #expect(summary.rejected == expected.rejected)
        #expect(summary.reconciles)
        #expect(summary.filesRead == 5)
        #expect(Set(summary.skipped.map(\.reason)) == [SkipReason.bedrockBodyOffload.rawValue, SkipReason.permissionCheck.rawValue])
        #expect(summary.rejections.first?.path.hasSuffix("plain.jsonl") == true)
        #expect(summary.rejections.first?.line == 6)

        let ledger = try Ledger(path: plan.ledgerPath)
        #expect(try rowCount(ledger, "SELECT count(*) FROM invocations") == expected.stored)
        #expect(try rowCount(ledger, "SELECT count(*) FROM rejects") == expected.rejected)
        #expect(try rowCount(ledger, "SELECT count(*) FROM conflicts") == expected.conflicts)
        #expect(try rowCount(ledger, "SELECT sum(records) FROM sources WHERE member = ''") == expected.read)
        #expect(try rowCount(ledger, "SELECT count(*) FROM sources WHERE member = 'logs/c.json.gz' AND containers = 'gzip+tar+gzip'") == 1)
        // Files are committed in path order, so bundle.zip's A2 (input 999) is stored first and
        // plain.jsonl's A2 (input 10) is the conflict, whatever the number of jobs.
        #expect(try rowCount(ledger, "SELECT input_tokens FROM invocations WHERE request_id = 'A2'") == 999)
        #expect(try rowCount(ledger, """
            SELECT count(*) FROM conflicts c JOIN sources s ON s.id = c.source_id
            WHERE c.request_id = 'A2' AND s.path LIKE '%plain.jsonl' AND c.line = 2
            """) == 1)
        #expect(try rowCount(ledger, "SELECT count(*) FROM invocations_v WHERE model = 'amazon.nova-lite-v1:0' AND day = '2026-11-01'") == expected.stored)

        let again = try IngestRunner.run(plan)
        #expect(again.filesUnchanged == 5)
        #expect(again.filesRead == 0)
        #expect(again.recordsRead == 0)
        #expect(try rowCount(ledger, "SELECT count(*) FROM invocations") == expected.stored)
        #expect(try rowCount(ledger, "SELECT count(*) FROM ingest_runs") == 2)
    }

    @Test func aChangedFileIsReadAgainWithoutDoubleCounting() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("one.jsonl")
        try FixtureRecords.write((1...3).map { FixtureRecords.bedrock(id: "R\($0)") }, to: path)
        let plan = IngestPlan(paths: [path], ledgerPath: directory.path("ledger.sqlite"))
        #expect(try IngestRunner.run(plan).stored == 3)

        // Same content, new modification time: recognised by its SHA-256 and not read again.
        try shell("touch -d '2030-01-01' \(path)")
        let touched = try IngestRunner.run(plan)
        #expect(touched.filesUnchanged == 1 && touched.recordsRead == 0)

        // Real change: R3 removed, R4 and R5 added. The old rows of this file are replaced.
        try FixtureRecords.write((1...2).map { FixtureRecords.bedrock(id: "R\($0)") } + (4...5).map { FixtureRecords.bedrock(id: "R\($0)") }, to: path)
        let changed = try IngestRunner.run(plan)
        #expect(changed.filesReplaced == 1)
        #expect(changed.stored == 4)
        #expect(changed.duplicates == 0)
        let ledger = try Ledger(path: plan.ledgerPath)
        let ids = try ledger.queue.read { db in try String.fetchAll(db, sql: "SELECT request_id FROM invocations ORDER BY request_id") }
        #expect(ids == ["R1", "R2", "R4", "R5"])
        #expect(try rowCount(ledger, "SELECT count(*) FROM sources") == 1)
    }

    @Test func truncatedGzipKeepsTheRecordsBeforeTheDamage() throws {
        let directory = try TemporaryDirectory()
        let lines = (1...400).map { FixtureRecords.bedrock(id: "T\($0)", prompt: String(repeating: "word\($0) ", count: 20)) }
        try FixtureRecords.write(lines, to: directory.path("full.jsonl"))
        try shell("cd \(directory.url.path) && gzip -c full.jsonl > full.json.gz && head -c $(( $(stat -c %s full.json.gz) / 2 )) full.json.gz > cut.json.gz")
        // Second method: what gzip itself recovers from the cut file.
        let recovered = try shell("gzip -dc \(directory.path("cut.json.gz")) 2>/dev/null; true").stdout
        let completeLines = recovered.split(separator: "\n", omittingEmptySubsequences: false).dropLast().count
        let partialTail = !recovered.hasSuffix("\n")
        #expect(completeLines > 10)

        let summary = try IngestRunner.run(IngestPlan(paths: [directory.path("cut.json.gz")], ledgerPath: directory.path("l.sqlite")))
        #expect(summary.stored == completeLines)
        #expect(summary.rejected == (partialTail ? 1 : 0))
        #expect(summary.issues.map(\.reason) == [ContainerIssue.Kind.truncated.rawValue])
        #expect(summary.reconciles)
    }

    @Test func hostileZipEntriesAreRefusedAndReported() throws {
        let directory = try TemporaryDirectory()
        let good = FixtureRecords.bedrock(id: "G1")
        let script = """
            import zipfile
            z = zipfile.ZipFile('\(directory.path("evil.zip"))', 'w')
            z.writestr('good.json', '''\(good)\\n''')
            z.writestr('../escape.json', '''\(FixtureRecords.bedrock(id: "X1"))\\n''')
            z.writestr('/abs.json', '''\(FixtureRecords.bedrock(id: "X2"))\\n''')
            link = zipfile.ZipInfo('link.json')
            link.external_attr = 0o120777 << 16
            z.writestr(link, '/etc/passwd')
            z.close()
            """
        try script.write(toFile: directory.path("make.py"), atomically: true, encoding: .utf8)
        #expect(try shell("python3 \(directory.path("make.py"))").status == 0)
        let summary = try IngestRunner.run(IngestPlan(paths: [directory.path("evil.zip")], ledgerPath: directory.path("l.sqlite")))
        #expect(summary.stored == 1)
        #expect(summary.issues.map(\.reason).sorted() == ["symlink-entry", "unsafe-path", "unsafe-path"])
        let ledger = try Ledger(path: directory.path("l.sqlite"))
        #expect(try rowCount(ledger, "SELECT count(*) FROM source_issues") == 3)
        #expect(try rowCount(ledger, "SELECT count(*) FROM invocations WHERE request_id LIKE 'X%'") == 0)
    }

    @Test func oneAndTwoJobsBuildTheSameLedger() throws {
        let directory = try TemporaryDirectory()
        _ = try Self.makeCorpus(in: directory)
        func contents(_ jobs: Int) throws -> [String] {
            let path = directory.path("ledger-\(jobs).sqlite")
            _ = try IngestRunner.run(IngestPlan(paths: [directory.path("corpus")], ledgerPath: path, jobs: jobs))
            return try Ledger(path: path).queue.read { db in
                try String.fetchAll(db, sql: """
                    SELECT source_kind || '|' || request_id || '|' || ts_us || '|' || ifnull(model, '') || '|' ||
                           ifnull(input_tokens, '') || '|' || ifnull(output_tokens, '') || '|' || line
                    FROM invocations_v ORDER BY source_kind, request_id
                    """)
            }
        }
        let single = try contents(1)
        #expect(single.count == 22)
        #expect(single == (try contents(2)))
    }

    @Test func aSecondWriterWaitsForTheLockThenFailsClearly() throws {
        let directory = try TemporaryDirectory()
        try FixtureRecords.write([FixtureRecords.bedrock(id: "L1")], to: directory.path("l.jsonl"))
        let ledgerPath = directory.path("l.sqlite")
        let holder = try LedgerWriteLock(ledgerPath: ledgerPath, timeout: 1)
        let plan = IngestPlan(paths: [directory.path("l.jsonl")], ledgerPath: ledgerPath, lockTimeout: 0.3)
        #expect(throws: LedgerError.lockTimeout(path: ledgerPath, seconds: 0.3)) { try IngestRunner.run(plan) }
        withExtendedLifetime(holder) {}
    }

    @Test func bodiesAreKeptOnlyWhenAsked() throws {
        let directory = try TemporaryDirectory()
        try FixtureRecords.write([FixtureRecords.bedrock(id: "K1", prompt: "secret prompt")], to: directory.path("k.jsonl"))
        var options = DecodeOptions()
        _ = try IngestRunner.run(IngestPlan(paths: [directory.path("k.jsonl")], ledgerPath: directory.path("a.sqlite"), decode: options))
        options.keepBodies = true
        _ = try IngestRunner.run(IngestPlan(paths: [directory.path("k.jsonl")], ledgerPath: directory.path("b.sqlite"), decode: options))
        let without = try Ledger(path: directory.path("a.sqlite"))
        let with = try Ledger(path: directory.path("b.sqlite"))
        #expect(try rowCount(without, "SELECT count(*) FROM bodies") == 0)
        #expect(try rowCount(with, "SELECT count(*) FROM bodies WHERE prompt LIKE '%secret prompt%'") == 1)
        // The prompt's length and hash are kept either way.
        #expect(try rowCount(without, "SELECT count(*) FROM invocations WHERE prompt_chars > 0 AND length(prompt_sha256) = 64") == 1)
    }

    @Test func migrationsAreNamedAndApplied() throws {
        let directory = try TemporaryDirectory()
        let ledger = try Ledger(path: directory.path("m.sqlite"))
        #expect(try ledger.appliedMigrations() == ["2026-11-22-ledger-v1", "2026-11-22-alerts-v1"])
        let mode = try ledger.queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }
}
