import Foundation
import GRDB
import RouteLedgerTestSupport
import Testing

/// Real processes at once on one ledger: `ingest` takes `<ledger>.lock` for the whole run (a second one says it
/// waits, then runs; with `--lock-timeout` it gives up with exit 2); `report`, `query` and `alert` read (or
/// write briefly) alongside a running ingest; `nightly` holds `<ledger>.nightly.lock` (a second one exits 3 at
/// once) and its ingest queues behind an ingest's lock. Every final ledger is checked in full against the same
/// runs done one after the other. `ROUTELEDGER_CONCURRENCY_ROUNDS` (default 1) repeats the racing pairs.
@Suite(.serialized) struct ConcurrencyTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["ROUTELEDGER_CONCURRENCY_ROUNDS"] ?? "") ?? 1
    static let binary = TestPaths.builtExecutable.path

    static func ingest(_ corpus: String, _ ledger: String, _ extra: [String] = []) throws -> ProcessResult {
        try runProcess(binary, ["ingest", corpus, "--db", ledger, "--quiet"] + extra)
    }

    static func removeLedger(_ path: String) {
        for suffix in ["", "-wal", "-shm", ".lock", ".nightly.lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test func twoIngestsOfTheSameCorpusWaitAndDoNotDoubleCount() throws {
        let directory = try TemporaryDirectory("concurrent-same")
        let corpus = try FaultCorpus.make(directory, gzipFiles: 6, synthRecords: 400)
        let clean = directory.path("clean.sqlite")
        #expect(try Self.ingest(corpus, clean).status == 0)
        let expected = try LedgerSnapshot.read(clean)

        let shared = directory.path("shared.sqlite")
        for round in 0..<Self.rounds {
            Self.removeLedger(shared)
            let first = try BackgroundRun(["ingest", corpus, "--db", shared, "--jobs", "2"], in: directory, label: "first")
            usleep(UInt32.random(in: 0...150_000))
            let second = try BackgroundRun(["ingest", corpus, "--db", shared, "--lock-timeout", "120"], in: directory, label: "second")
            let (a, b) = (first.finish(), second.finish())
            #expect(a.status == 0 && b.status == 0, "round \(round): \(a.stderr)\(b.stderr)")
            // Whichever got the lock second says so, then finds every file unchanged.
            let waited = [a, b].filter { $0.stderr.contains("waiting for another process to release \(shared)") }
            #expect(waited.count == 1, "round \(round): \(a.stderr) | \(b.stderr)")
            #expect(waited.first?.stdout.contains(" read = 0 stored + ") == true, "\(waited.first?.stdout ?? "")")
            #expect(try LedgerSnapshot.runCount(shared) == 2)
            let actual = try LedgerSnapshot.read(shared)
            actual.expectEqual(to: expected, "(round \(round))")
        }

        // Not willing to wait: exit 2 at once, naming the ledger, and the running ingest is unharmed.
        Self.removeLedger(shared)
        let holder = try BackgroundRun(["ingest", corpus, "--db", shared, "--quiet"], in: directory, label: "holder")
        while holder.isRunning && !FileManager.default.fileExists(atPath: shared + "-wal") { usleep(5_000) }
        let impatient = try Self.ingest(corpus, shared, ["--lock-timeout", "0"])
        #expect(impatient.status == 2, "\(impatient.stderr)")
        #expect(impatient.stderr.contains("another routeledger process is writing \(shared); gave up waiting after 0 s"),
                "\(impatient.stderr)")
        #expect(holder.finish().status == 0)
        try LedgerSnapshot.read(shared).expectEqual(to: expected)
    }

    @Test func twoIngestsOfDifferentCorporaEqualTheSameRunsInSequence() throws {
        let directory = try TemporaryDirectory("concurrent-different")
        let one = try FaultCorpus.make(directory, name: "one", gzipFiles: 4, synthRecords: 300, seed: 1)
        let two = try FaultCorpus.make(directory, name: "two", gzipFiles: 4, synthRecords: 300, seed: 2)
        // The corpora share the checked-in fixtures, so which copy of a repeated record is stored depends on
        // the order; the ledger must equal the sequential runs in the order the lock was taken.
        var references: [String: LedgerSnapshot] = [:]
        for (label, order) in [("one-two", [one, two]), ("two-one", [two, one])] {
            let path = directory.path("\(label).sqlite")
            for corpus in order { #expect(try Self.ingest(corpus, path).status == 0) }
            references[label] = try LedgerSnapshot.read(path)
        }
        #expect(references["one-two"] != references["two-one"], "the corpora overlap, so the order shows")

        let shared = directory.path("shared.sqlite")
        for round in 0..<Self.rounds {
            Self.removeLedger(shared)
            let firstIsOne = round % 2 == 0
            let a = try BackgroundRun(["ingest", firstIsOne ? one : two, "--db", shared], in: directory, label: "a")
            usleep(UInt32.random(in: 0...100_000))
            let b = try BackgroundRun(["ingest", firstIsOne ? two : one, "--db", shared], in: directory, label: "b")
            let (ra, rb) = (a.finish(), b.finish())
            #expect(ra.status == 0 && rb.status == 0, "\(ra.stderr)\(rb.stderr)")
            let bWaited = rb.stderr.contains("waiting for another process")
            #expect(bWaited != ra.stderr.contains("waiting for another process"), "exactly one waits")
            let order = (firstIsOne != bWaited) ? "two-one" : "one-two"
            let actual = try LedgerSnapshot.read(shared)
            let expected = try #require(references[order])
            actual.expectEqual(to: expected, "(round \(round), \(order))")
        }
    }

    /// Reports, queries and alerts while an ingest writes: they all succeed, each sees a whole number of files
    /// (the invariants hold on what they read), and afterwards the report equals one from a quiet ledger.
    @Test func reportQueryAndAlertRunDuringAnIngest() throws {
        let directory = try TemporaryDirectory("concurrent-readers")
        let corpus = try FaultCorpus.make(directory, gzipFiles: 10, synthRecords: 600)
        let clean = directory.path("clean.sqlite")
        #expect(try Self.ingest(corpus, clean).status == 0)
        let config = directory.path("routeledger.yaml")
        try "version: 1\nalerts:\n  - {name: drift, metric: cost_drift_pct, window: day, baseline_windows: 3, warn: \"> 20\"}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)

        let shared = directory.path("shared.sqlite")
        let writer = try BackgroundRun(["ingest", corpus, "--db", shared, "--quiet"], in: directory, label: "writer")
        var readers = 0
        while writer.isRunning {
            guard FileManager.default.fileExists(atPath: shared) else { usleep(5_000); continue }
            readers += 1
            let report = try runProcess(Self.binary, ["report", "--db", shared, "--day", "2026-11-01", "--format", "json",
                                                      "--quiet", "--out", directory.path("during-\(readers)")])
            // A report started before the first commit finds no ledger tables yet: a clear error, exit 2.
            #expect(report.status == 0 || report.stderr.contains("not a RouteLedger ledger"), "\(report.stderr)")
            let query = try runProcess(Self.binary, ["query", "cost_vs_counterfactual_by_day", "--db", shared,
                                                     "--since", "2026-10-01", "--until", "2026-12-01", "--format", "csv"])
            #expect(query.status == 0 || query.stderr.contains("no such table"), "\(query.stderr)")
            let alert = try runProcess(Self.binary, ["alert", "--config", config, "--db", shared, "--day", "2026-11-01"])
            // 3 is also a finished run when a rule is UNKNOWN on the partial data (no baseline yet).
            #expect(alert.stdout.contains("notifications:") || alert.stderr.contains("not a RouteLedger ledger"),
                    "\(alert.status): \(alert.stdout)\(alert.stderr)")
            try LedgerSnapshot.check(shared)
        }
        #expect(writer.finish().status == 0)
        #expect(readers >= 1)
        var actual = try LedgerSnapshot.read(shared)
        actual.tables["alert_state"] = nil
        actual.tables["alert_notifications"] = nil
        var expected = try LedgerSnapshot.read(clean)
        expected.tables["alert_state"] = nil
        expected.tables["alert_notifications"] = nil
        actual.expectEqual(to: expected)
        for (name, db) in [("after", shared), ("clean", clean)] {
            #expect(try runProcess(Self.binary, ["report", "--db", db, "--day", "2026-11-01", "--format", "json", "--quiet",
                                                 "--out", directory.path(name)]).status == 0)
        }
        let after = FileManager.default.contents(atPath: directory.path("after/2026-11-01/report.json"))
        #expect(after != nil && after == FileManager.default.contents(atPath: directory.path("clean/2026-11-01/report.json")))
    }

    /// Another process committing to the ledger while an ingest runs (an `alert` saving its state, a
    /// `nightly` of another schedule): the ingest must not fail. The write here comes from this process, with
    /// a busy handler that retries every 0.2 ms so it lands between two of the ingest's files; then the same
    /// with a real `alert`. Before the fix the ingest's next `BEGIN IMMEDIATE` failed with SQLITE_BUSY_SNAPSHOT
    /// ("database is locked", exit 2): its writer connection kept a read snapshot open through statements left
    /// un-reset after their first row.
    @Test func aWriteBetweenTwoFilesOfAnIngestDoesNotMakeItFail() throws {
        let directory = try TemporaryDirectory("concurrent-write")
        let first = TestPaths.fixtures.appendingPathComponent("containers").path
        let loose = directory.path("loose")
        let synth = try runProcess(Self.binary, ["synth", "--records", "1500", "--seed", "5", "--no-bodies", "--out", loose,
                                                 "--summary-file", directory.path("loose-summary.json")])
        #expect(synth.status == 0, "\(synth.stderr)")
        let config = directory.path("routeledger.yaml")
        try "version: 1\nalerts:\n  - {name: drift, metric: cost_drift_pct, window: day, baseline_windows: 3, warn: \"> 20\"}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let reference = directory.path("reference.sqlite")
        for corpus in [first, loose] { #expect(try Self.ingest(corpus, reference).status == 0) }
        var expected = try LedgerSnapshot.read(reference)
        expected.tables["alert_state"] = nil

        let shared = directory.path("shared.sqlite")
        for round in 0..<(Self.rounds + 1) {
            Self.removeLedger(shared)
            #expect(try Self.ingest(first, shared).status == 0)
            let filesBefore = try LedgerSnapshot.open(shared).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sources") ?? 0 }
            let ingest = try BackgroundRun(["ingest", loose, "--db", shared, "--quiet"], in: directory, label: "ingest")
            while ingest.isRunning,
                  (try? LedgerSnapshot.open(shared).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sources") ?? 0 }) ?? 0 < filesBefore + 3 {
                usleep(2_000)
            }
            if round == 0 {
                var configuration = Configuration()
                configuration.busyMode = .callback { _ in usleep(200); return true }
                let other = try DatabaseQueue(path: shared, configuration: configuration)
                // A real change (SQLite writes nothing for an UPDATE to the same value); undone after the ingest.
                try other.write { try $0.execute(sql: "INSERT INTO ledger_state(key, value) VALUES ('other-process', 1)") }
                try other.close()
            } else {
                let alert = try runProcess(Self.binary, ["alert", "--config", config, "--db", shared, "--day", "2026-11-01"])
                #expect([0, 1, 2, 3].contains(alert.status) && alert.stdout.contains("notifications:"), "\(alert.stdout)\(alert.stderr)")
            }
            let wroteMidRun = ingest.isRunning
            let result = ingest.finish()
            if round == 0 {
                try DatabaseQueue(path: shared).write { try $0.execute(sql: "DELETE FROM ledger_state WHERE key = 'other-process'") }
            }
            #expect(result.status == 0, "round \(round) (write landed \(wroteMidRun ? "during" : "after") the ingest): \(result.stderr)")
            var actual = try LedgerSnapshot.read(shared)
            actual.tables["alert_state"] = nil
            actual.expectEqual(to: expected, "(round \(round))")
        }
    }

    /// `nightly` against an `ingest` and against another `nightly`.
    @Test func nightlyQueuesBehindAnIngestAndASecondNightlyExits3() throws {
        let directory = try TemporaryDirectory("concurrent-nightly")
        let corpus = try FaultCorpus.make(directory, gzipFiles: 8, synthRecords: 500)
        let nightlyInputs = directory.path("nightly-logs")
        try FileManager.default.createDirectory(atPath: nightlyInputs, withIntermediateDirectories: true)
        try FixtureRecords.write((0..<300).map { FixtureRecords.bedrock(id: "n-\($0)", time: "2026-11-03T0\($0 % 10):00:00Z") },
                                 to: nightlyInputs + "/day.jsonl")
        let config = directory.path("routeledger.yaml")
        try """
            version: 1
            ledger: shared.sqlite
            inputs: [nightly-logs]
            reports: {dir: reports, formats: [json]}
            alerts:
              - {name: drift, metric: cost_drift_pct, window: day, baseline_windows: 3, warn: "> 20"}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let nightly = ["nightly", "--config", config, "--day", "2026-11-03"]
        let shared = directory.path("shared.sqlite")

        // The sequential reference: the ingest, then the nightly.
        let reference = directory.path("reference.sqlite")
        #expect(try Self.ingest(corpus, reference).status == 0)
        let sequential = try runProcess(Self.binary, nightly + ["--db", reference])
        #expect([0, 1, 2].contains(sequential.status), "\(sequential.stdout)\(sequential.stderr)")
        let expected = try LedgerSnapshot.read(reference)

        for round in 0..<Self.rounds {
            Self.removeLedger(shared)
            try? FileManager.default.removeItem(atPath: directory.path("reports"))
            let ingest = try BackgroundRun(["ingest", corpus, "--db", shared, "--quiet"], in: directory, label: "ingest")
            while ingest.isRunning && !FileManager.default.fileExists(atPath: shared + "-wal") { usleep(5_000) }
            // The nightly's ingest waits for the lock; a second nightly meanwhile exits 3 at once.
            let first = try BackgroundRun(nightly, in: directory, label: "nightly-1")
            usleep(200_000)
            let second = try runProcess(Self.binary, nightly)
            #expect(second.status == 3, "round \(round): \(second.stdout)\(second.stderr)")
            #expect(second.stderr.contains("another nightly run is in progress (lock held on \(shared).nightly.lock); this run did nothing"),
                    "\(second.stderr)")
            #expect(ingest.finish().status == 0)
            let result = first.finish()
            #expect([0, 1, 2].contains(result.status), "round \(round): \(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("ingest: 1 files read"), "\(result.stdout)")
            #expect(FileManager.default.fileExists(atPath: directory.path("reports/2026-11-03/report.json")))
            let actual = try LedgerSnapshot.read(shared)
            actual.expectEqual(to: expected, "(round \(round))")
        }
    }
}
