import Foundation
import GRDB
import RouteLedgerTestSupport
import Testing

/// SIGKILL a real `routeledger ingest` at random moments, run it again, and again: after every completed
/// re-run the ledger equals one clean run in full (every column of every invocation, bodies, strings,
/// sources and their counts, rejects, conflicts, member issues, dedupe keys), and at every kill it passes
/// `PRAGMA integrity_check` and its counts reconcile (see `LedgerSnapshot.invariantViolations`).
///
/// `ROUTELEDGER_KILL_CYCLES` (default 4) sets the cycles; each cycle starts from an empty ledger, kills one to
/// three runs in a row (each resuming what the previous one left) and then lets one finish. Kill times are
/// uniform over a clean run's duration; one kill in three instead waits until every file is committed and lands within the next few tens of milliseconds, where the final merge of the
/// dedupe keys, the run record and the closing checkpoint happen. Each kill is classified by what the ledger
/// shows afterwards, and the tally is printed.
@Suite(.serialized) struct KillSafetyTests {
    static let cycles = Int(ProcessInfo.processInfo.environment["ROUTELEDGER_KILL_CYCLES"] ?? "") ?? 4

    /// Where in the run a kill landed, judged from the ledger it left.
    enum Phase: String, CaseIterable {
        case beforeFirstCommit = "before this run committed a file (start, start-of-run key merge, first file)"
        case betweenFiles = "after some files were committed"
        case beforeFinalMerge = "after the last file, before or during the final key merge"
        case beforeRunRecord = "after the final key merge, before the run record"
        case afterRunRecord = "after the run record (closing checkpoint, exit)"
    }

    struct Progress: Equatable {
        var files = 0
        var merged = true
        var runs = 0

        static func read(_ path: String) throws -> Progress {
            guard FileManager.default.fileExists(atPath: path) else { return Progress() }
            return try LedgerSnapshot.open(path).read { db in
                guard try db.tableExists("sources") else { return Progress() }
                return Progress(
                    files: try Int.fetchOne(db, sql: "SELECT count(*) FROM sources WHERE parent_id IS NULL") ?? 0,
                    merged: try Bool.fetchOne(db, sql: """
                        SELECT value = (SELECT ifnull(max(id), 0) FROM invocations) FROM ledger_state WHERE key = 'request_keys_through'
                        """) ?? true,
                    runs: try Int.fetchOne(db, sql: "SELECT count(*) FROM ingest_runs") ?? 0)
            }
        }
    }

    static func phase(before: Progress, after: Progress, totalFiles: Int) -> Phase {
        if after.runs > before.runs { return .afterRunRecord }
        if after.files == totalFiles && (after.files > before.files || !before.merged) {
            return after.merged ? .beforeRunRecord : .beforeFinalMerge
        }
        return after.files > before.files ? .betweenFiles : .beforeFirstCommit
    }

    static func removeLedger(_ path: String) {
        for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test func killedIngestsConvergeToOneCleanRun() throws {
        let started = Date()
        let directory = try TemporaryDirectory("kill")
        let corpus = try FaultCorpus.make(directory)
        let binary = TestPaths.builtExecutable.path
        let clean = directory.path("clean.sqlite")
        let cleanStart = Date()
        let cleanRun = try runProcess(binary, ["ingest", corpus, "--db", clean, "--quiet", "--keep-bodies"])
        let cleanSeconds = Date().timeIntervalSince(cleanStart)
        #expect(cleanRun.status == 0, "\(cleanRun.stderr)")
        let expected = try LedgerSnapshot.read(clean)
        let totalFiles = try Progress.read(clean).files
        #expect((expected.tables["invocations"]?.count ?? 0) > 6000)
        #expect((expected.tables["conflicts"]?.count ?? 0) >= 10)
        #expect((expected.tables["rejects"]?.count ?? 0) >= 10)
        #expect((expected.tables["source_issues"]?.count ?? 0) >= 3)
        #expect(totalFiles > 100)

        let victim = directory.path("victim.sqlite")
        var generator = SystemRandomNumberGenerator()
        var tally: [Phase: Int] = [:]
        var kills = 0, runsFinished = 0, launches = 0, missed = 0
        for cycle in 0..<Self.cycles {
            Self.removeLedger(victim)
            let killsThisCycle = Int.random(in: 1...3, using: &generator)
            var killed = 0
            while true {
                let before = try Progress.read(victim)
                launches += 1
                let run = try BackgroundRun(["ingest", corpus, "--db", victim, "--quiet", "--keep-bodies",
                                             "--jobs", launches % 2 == 0 ? "1" : "2"],
                                            in: directory, label: "victim")
                if killed < killsThisCycle {
                    if launches % 3 == 0 {
                        // Aim at the end of the run: wait for the last file's commit, then a random few ms.
                        while run.isRunning, (try? Progress.read(victim).files) ?? 0 < totalFiles { usleep(2_000) }
                        usleep(UInt32.random(in: 0...12_000, using: &generator))
                    } else {
                        // The first kill of a cycle hits a run from scratch, so it must land before a clean run's end.
                        let window = cleanSeconds * (killed == 0 ? 0.9 : 1.0)
                        usleep(UInt32.random(in: 0...UInt32(window * 1_000_000), using: &generator))
                    }
                    if run.killNow() {
                        killed += 1
                        kills += 1
                        let after = try Progress.read(victim)
                        tally[Self.phase(before: before, after: after, totalFiles: totalFiles), default: 0] += 1
                        // The killed state itself: intact, and every committed file complete.
                        try LedgerSnapshot.check(victim)
                        continue
                    }
                }
                let result = run.finish()
                #expect(result.status == 0, "cycle \(cycle): \(result.stderr)")
                runsFinished += 1
                let actual = try LedgerSnapshot.read(victim)
                actual.expectEqual(to: expected, "(cycle \(cycle) after \(killed) kill(s))")
                // A busy machine can finish a run before its kill: start the cycle again from an empty ledger.
                if killed == 0 && missed < Self.cycles {
                    missed += 1
                    Self.removeLedger(victim)
                    continue
                }
                break
            }
        }
        let seconds = Date().timeIntervalSince(started)
        let lines = Phase.allCases.map { "  \(tally[$0, default: 0])  \($0.rawValue)" }
        print("kill safety: \(Self.cycles) cycles, \(kills) SIGKILLs, \(runsFinished) completed runs (\(missed) finished before "
              + "their kill and were started again), each equal to one clean run "
              + "(\(totalFiles) files; rows: " + expected.tables.sorted { $0.key < $1.key }.map { "\($0.value.count) \($0.key)" }.joined(separator: ", ")
            + "; clean run \(String(format: "%.2f", cleanSeconds)) s); "
              + "\(String(format: "%.0f", seconds)) s in all. Kills by phase:\n" + lines.joined(separator: "\n"))
        #expect(kills >= Self.cycles, "every cycle kills at least one run")
        #expect(runsFinished == Self.cycles + missed)
    }
}
