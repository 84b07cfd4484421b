import Foundation
import GRDB
import RouteLedgerArchive
import RouteLedgerTestSupport
import Testing
@testable import RouteLedgerStore

/// Dedupe across runs, across the in-memory / merged boundary, and through rolled-back members.
@Suite(.serialized) struct DedupeTests {
    func count(_ path: String, _ sql: String) throws -> Int {
        try Ledger(path: path).queue.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    @Test(arguments: [(1, 16_384), (2, 16_384), (1_000_000, 16_384), (1_000_000, 1), (1_000_000, 2)])
    func duplicatesAndConflictsAcrossRunsAndMerges(mergeEvery: Int, backgroundEvery: Int) throws {
        let directory = try TemporaryDirectory()
        let ledger = directory.path("l.sqlite")
        try FixtureRecords.write((1...4).map { FixtureRecords.bedrock(id: "R\($0)") }, to: directory.path("a.jsonl"))
        // b: R2 again (duplicate of run 1), R1 with other tokens (conflict), N1 new, N1 again (in-run duplicate),
        //    N2 new and N2 with other tokens (in-run conflict).
        try FixtureRecords.write([FixtureRecords.bedrock(id: "R2"), FixtureRecords.bedrock(id: "R1", input: 7),
                                  FixtureRecords.bedrock(id: "N1"), FixtureRecords.bedrock(id: "N1"),
                                  FixtureRecords.bedrock(id: "N2"), FixtureRecords.bedrock(id: "N2", output: 99)],
                                 to: directory.path("b.jsonl"))
        let first = try IngestRunner.run(IngestPlan(paths: [directory.path("a.jsonl")], ledgerPath: ledger,
                                                    keyMergeThreshold: mergeEvery, backgroundKeyMergeEvery: backgroundEvery))
        #expect(first.stored == 4)
        // b is split in three files so merges can happen between them.
        let lines = try String(contentsOfFile: directory.path("b.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
        try FixtureRecords.write(Array(lines[0..<2]), to: directory.path("b1.jsonl"))
        try FixtureRecords.write(Array(lines[2..<4]), to: directory.path("b2.jsonl"))
        try FixtureRecords.write(Array(lines[4..<6]), to: directory.path("b3.jsonl"))
        let second = try IngestRunner.run(IngestPlan(paths: ["b1", "b2", "b3"].map { directory.path("\($0).jsonl") },
                                                     ledgerPath: ledger, keyMergeThreshold: mergeEvery,
                                                     backgroundKeyMergeEvery: backgroundEvery))
        #expect(second.recordsRead == 6)
        #expect(second.stored == 2)
        #expect(second.duplicates == 4)
        #expect(second.conflicts == 2)
        #expect(try count(ledger, "SELECT count(*) FROM invocations") == 6)
        #expect(try count(ledger, "SELECT count(*) FROM request_keys") == 6, "every stored key is merged at the end of a run")
        #expect(try count(ledger, "SELECT value FROM ledger_state WHERE key = 'request_keys_through'")
                == (try count(ledger, "SELECT max(id) FROM invocations")))
        #expect(try count(ledger, "SELECT count(*) FROM conflicts WHERE request_id IN ('R1', 'N2')") == 2)
    }

    @Test func aRunKilledBeforeItsMergeStillDedupesNextTime() throws {
        let directory = try TemporaryDirectory()
        let ledger = directory.path("l.sqlite")
        try FixtureRecords.write([FixtureRecords.bedrock(id: "K1"), FixtureRecords.bedrock(id: "K2")], to: directory.path("a.jsonl"))
        _ = try IngestRunner.run(IngestPlan(paths: [directory.path("a.jsonl")], ledgerPath: ledger))
        // Simulate a kill between the last file commit and the final merge.
        try Ledger(path: ledger).queue.write { db in
            try db.execute(sql: "DELETE FROM request_keys; UPDATE ledger_state SET value = 0 WHERE key = 'request_keys_through'")
        }
        try FixtureRecords.write([FixtureRecords.bedrock(id: "K2"), FixtureRecords.bedrock(id: "K3")], to: directory.path("b.jsonl"))
        let next = try IngestRunner.run(IngestPlan(paths: [directory.path("b.jsonl")], ledgerPath: ledger))
        #expect(next.stored == 1)
        #expect(next.duplicates == 1)
        #expect(try count(ledger, "SELECT count(*) FROM request_keys") == 3)
    }

    @Test func aRefusedMemberTakesItsKeysWithIt() throws {
        let directory = try TemporaryDirectory()
        let record = FixtureRecords.bedrock(id: "B1")
        // Member 1 starts with B1, then inflates far beyond the ratio cap; member 2 holds B1 again.
        let script = """
            import zipfile
            z = zipfile.ZipFile('\(directory.path("bomb.zip"))', 'w', zipfile.ZIP_DEFLATED)
            z.writestr('1-bomb.json', '''\(record)\\n''' + ' ' * (8 * 1024 * 1024) + '\\n')
            z.writestr('2-good.json', '''\(record)\\n''')
            z.close()
            """
        try script.write(toFile: directory.path("make.py"), atomically: true, encoding: .utf8)
        #expect(try shell("python3 \(directory.path("make.py"))").status == 0)
        let plan = IngestPlan(paths: [directory.path("bomb.zip")], ledgerPath: directory.path("l.sqlite"),
                              limits: ExtractionLimits(maxExpansionRatio: 100, ratioCheckAfterBytes: 1 << 20))
        let summary = try IngestRunner.run(plan)
        #expect(summary.issues.map(\.reason) == [ContainerIssue.Kind.expansionRatio.rawValue])
        #expect(summary.stored == 1, "B1 from the good member is stored, not counted as a duplicate of the refused one")
        #expect(summary.duplicates == 0)
        #expect(summary.reconciles)
        #expect(try count(directory.path("l.sqlite"), "SELECT count(*) FROM sources WHERE member = '2-good.json' AND stored = 1") == 1)
    }
}

extension DedupeTests {
    /// Replacing the newest file keeps the dedupe index exact: the old rows' keys leave `request_keys`,
    /// the new rows' keys are merged, and a later copy of a new row is a duplicate.
    @Test func replacedNewestFileKeepsTheDedupeIndexComplete() throws {
        let directory = try TemporaryDirectory()
        let ledger = directory.path("l.sqlite")
        try FixtureRecords.write([FixtureRecords.bedrock(id: "A1")], to: directory.path("a.jsonl"))
        try FixtureRecords.write([FixtureRecords.bedrock(id: "B1"), FixtureRecords.bedrock(id: "B2")], to: directory.path("b.jsonl"))
        let plan = IngestPlan(paths: [directory.path("a.jsonl"), directory.path("b.jsonl")], ledgerPath: ledger)
        _ = try IngestRunner.run(plan)
        try FixtureRecords.write([FixtureRecords.bedrock(id: "B3"), FixtureRecords.bedrock(id: "B4")], to: directory.path("b.jsonl"))
        let replaced = try IngestRunner.run(plan)
        #expect(replaced.filesReplaced == 1 && replaced.stored == 2)
        #expect(try count(ledger, "SELECT count(*) FROM request_keys") == 3)
        #expect(try count(ledger, "SELECT count(*) FROM request_keys k JOIN invocations i ON i.id = k.invocation_id") == 3)
        try FixtureRecords.write([FixtureRecords.bedrock(id: "B3")], to: directory.path("c.jsonl"))
        let again = try IngestRunner.run(IngestPlan(paths: [directory.path("c.jsonl")], ledgerPath: ledger))
        #expect(again.duplicates == 1 && again.stored == 0)
    }
}

extension DedupeTests {
    /// After a background merge, a replaced newest file and a kill before the final merge, max(id) lies
    /// below the merge watermark; the next run's first merge resets it, so new rows' keys are merged.
    @Test func newRowsLandAboveTheWatermarkAfterTheNewestRowsWereDeleted() throws {
        let directory = try TemporaryDirectory()
        let ledger = directory.path("l.sqlite")
        try FixtureRecords.write([FixtureRecords.bedrock(id: "A1"), FixtureRecords.bedrock(id: "A2")], to: directory.path("a.jsonl"))
        _ = try IngestRunner.run(IngestPlan(paths: [directory.path("a.jsonl")], ledgerPath: ledger))
        // The state such a kill leaves: the newest row and its key gone, the watermark unchanged.
        try Ledger(path: ledger).queue.write { db in
            try db.execute(sql: """
                DELETE FROM request_keys WHERE request_id = 'A2';
                DELETE FROM invocations WHERE request_id = 'A2';
                """)
        }
        #expect(try count(ledger, "SELECT value FROM ledger_state WHERE key = 'request_keys_through'")
                > (try count(ledger, "SELECT max(id) FROM invocations")))
        try FixtureRecords.write([FixtureRecords.bedrock(id: "C1")], to: directory.path("c.jsonl"))
        _ = try IngestRunner.run(IngestPlan(paths: [directory.path("c.jsonl")], ledgerPath: ledger))
        #expect(try count(ledger, "SELECT count(*) FROM request_keys") == 2)
        #expect(try count(ledger, "SELECT count(*) FROM request_keys WHERE request_id = 'C1'") == 1)
    }
}
