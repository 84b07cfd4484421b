import Foundation
import GRDB
import RouteLedgerTestSupport
import Testing

/// A full disk and a read-only ledger, on real file systems: size-limited tmpfs mounts (root only; the suite is
/// skipped with the reason otherwise) and `chattr +i`.
@Suite(.serialized, .enabled(if: ScratchMount.available, Comment(rawValue: ScratchMount.unavailableReason ?? "")))
struct DiskFaultTests {
    static let binary = TestPaths.builtExecutable.path

    /// Runs the binary with a deadline: a hang is a failure (and is killed), not a stuck test run.
    static func run(_ arguments: [String], in directory: TemporaryDirectory, label: String, deadline: Double = 60,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> BackgroundRun.Result {
        let process = try BackgroundRun(arguments, in: directory, label: label)
        while process.isRunning && Date().timeIntervalSince(process.started) < deadline { usleep(20_000) }
        if process.killNow() {
            Issue.record("\(label): still running after \(Int(deadline)) s (hung), killed", sourceLocation: sourceLocation)
        }
        return process.finish()
    }

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// One gzip file of `count` records with prompts, for a ledger that does not fit.
    static func bigFile(_ directory: TemporaryDirectory, name: String, count: Int) throws -> String {
        let path = directory.path(name)
        try FixtureRecords.write((0..<count).map {
            FixtureRecords.bedrock(id: "\(name)-\($0)", time: "2026-11-02T1\($0 % 10):00:00Z", input: 10 + $0 % 90,
                                   prompt: "prompt \($0) " + String(repeating: "lorem ipsum dolor ", count: 12))
        }, to: path)
        try shell("gzip -n '\(path)'")
        return path + ".gz"
    }

    @Test func ingestThatDoesNotFitExits2AndKeepsTheLedgerWhole() throws {
        let directory = try TemporaryDirectory("diskfull")
        let small = directory.path("small")
        try shell("mkdir -p '\(small)' && cp -R '\(TestPaths.fixtures.path)/containers/.' '\(small)/'")
        let big = try Self.bigFile(directory, name: "big.jsonl", count: 20_000)
        let many = try FaultCorpus.make(directory, name: "many", gzipFiles: 8, recordsPerFile: 400, synthRecords: 600, seed: 3)

        // The reference: the same runs, in order, on the ordinary disk.
        let reference = directory.path("reference.sqlite")
        for corpus in [small, many] {
            #expect(try runProcess(Self.binary, ["ingest", corpus, "--db", reference, "--quiet", "--keep-bodies"]).status == 0)
        }

        let disk = try ScratchMount(size: "4m", in: directory)
        defer { disk.unmount() }
        let ledger = disk.path + "/ledger.sqlite"
        let first = try Self.run(["ingest", small, "--db", ledger, "--quiet", "--keep-bodies"], in: directory, label: "small")
        #expect(first.status == 0, "\(first.stderr)")
        let before = try LedgerSnapshot.read(ledger)
        let beforeBytes = try #require(Self.bytes(ledger))

        // One file whose rows do not fit: exit 2, the disk named, and the ledger byte for byte as it was.
        let full = try Self.run(["ingest", big, "--db", ledger, "--keep-bodies"], in: directory, label: "big")
        #expect(full.status == 2, "\(full.stdout)\(full.stderr)")
        #expect(full.stderr.contains("writing ledger \(ledger) failed: database or disk is full"), "\(full.stderr)")
        #expect(full.stderr.contains("rolled back"))
        #expect(Self.bytes(ledger) == beforeBytes, "the ledger file changed")
        #expect(!FileManager.default.fileExists(atPath: ledger + "-wal"), "a WAL was left behind")
        try LedgerSnapshot.read(ledger).expectEqual(to: before)

        // Many files, the disk fills part way: exit 2; what was stored is whole files only (the invariants),
        // and everything stored before is still there.
        let partial = try Self.run(["ingest", many, "--db", ledger, "--quiet", "--keep-bodies", "--jobs", "2"],
                                   in: directory, label: "many")
        #expect(partial.status == 2, "\(partial.stderr)")
        #expect(partial.stderr.contains("database or disk is full"), "\(partial.stderr)")
        let during = try LedgerSnapshot.read(ledger)
        #expect((during.tables["sources"]?.count ?? 0) > (before.tables["sources"]?.count ?? 0), "no file fitted before the disk was full")
        print("disk full part way: \((during.tables["sources"]?.count ?? 0) - (before.tables["sources"]?.count ?? 0)) sources stored whole")
        for (table, rows) in before.tables where table != "ledger_state" {
            #expect(Set(rows).isSubset(of: during.tables[table] ?? []), "\(table): rows stored before the full disk are gone")
        }

        // Room again: the same command finishes the job, and the ledger equals the runs on an ordinary disk.
        try disk.remount("size=64m")
        let resumed = try Self.run(["ingest", many, "--db", ledger, "--quiet", "--keep-bodies"], in: directory, label: "resumed")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = try LedgerSnapshot.read(ledger)
        let expected = try LedgerSnapshot.read(reference)
        after.expectEqual(to: expected)
    }

    @Test func reportIntoAFullDiskExits2AndLeavesThePreviousReport() throws {
        let directory = try TemporaryDirectory("reportfull")
        let ledger = directory.path("ledger.sqlite")
        let corpus = TestPaths.fixtures.appendingPathComponent("corpus").path
        #expect(try runProcess(Self.binary, ["ingest", corpus, "--db", ledger, "--quiet"]).status == 0)
        let report = ["report", "--db", ledger, "--day", "2026-11-01", "--format", "md,html,json,csv", "--quiet"]

        let disk = try ScratchMount(size: "1m", in: directory)
        defer { disk.unmount() }
        let out = disk.path + "/reports"
        let old = try Self.run(report + ["--out", out], in: directory, label: "old")
        #expect(old.status == 0, "\(old.stderr)")
        func files(_ root: String) throws -> [String: Data] {
            var found: [String: Data] = [:]
            let enumerator = FileManager.default.enumerator(atPath: root)
            while let name = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
                    found[name] = FileManager.default.contents(atPath: root + "/" + name)
                }
            }
            return found
        }
        let oldFiles = try files(out)
        #expect(oldFiles.count >= 4)

        // More data for the day, so the new report differs; then fill the disk but for a few kilobytes.
        let more = directory.path("more.jsonl")
        try FixtureRecords.write((0..<200).map { FixtureRecords.bedrock(id: "more-\($0)", time: "2026-11-01T12:00:00Z") }, to: more)
        #expect(try runProcess(Self.binary, ["ingest", more, "--db", ledger, "--quiet"]).status == 0)
        let newReference = directory.path("reference")
        #expect(try runProcess(Self.binary, report + ["--out", newReference]).status == 0)
        let newFiles = try files(newReference)
        #expect(newFiles.keys.sorted() == oldFiles.keys.sorted() && newFiles != oldFiles)
        let free = try #require(try FileManager.default.attributesOfFileSystem(forPath: disk.path)[.systemFreeSize] as? NSNumber)
        let filler = free.intValue - 24 * 1024
        #expect(try shell("head -c \(filler) /dev/zero > '\(disk.path)/filler'").status == 0)

        let full = try Self.run(report + ["--out", out], in: directory, label: "full")
        #expect(full.status == 2, "\(full.stderr)")
        #expect(full.stderr.contains("cannot write report file \(out)/2026-11-01/"), "\(full.stderr)")
        #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
        // Nothing half written, not even a temporary file: the previous report, byte for byte.
        #expect(try files(out) == oldFiles)
        // The alert's Prometheus textfile on the same disk: exit 3 (UNKNOWN), and no partial file left.
        let config = directory.path("alerts.yaml")
        try "version: 1\nalerts:\n  - {name: drift, metric: cost_drift_pct, window: day, warn: \"> 20\"}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        try shell("cat /dev/zero >> '\(disk.path)/filler' 2>/dev/null; true")   // not a byte left
        let prom = try Self.run(["alert", "--config", config, "--db", ledger, "--day", "2026-11-01", "--prom-file", disk.path + "/rl.prom"],
                                in: directory, label: "prom")
        #expect(prom.status == 3, "\(prom.stdout)\(prom.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path).sorted() == ["filler", "reports"])

        // Room again: the new report, whole.
        try FileManager.default.removeItem(atPath: disk.path + "/filler")
        let again = try Self.run(report + ["--out", out], in: directory, label: "again")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try files(out) == newFiles)
    }

    @Test func readOnlyLedgerRefusesIngestAndStillReportsAndAnswersQueries() throws {
        let directory = try TemporaryDirectory("readonly")
        let corpus = TestPaths.fixtures.appendingPathComponent("corpus").path
        let more = TestPaths.fixtures.appendingPathComponent("containers").path
        let disk = try ScratchMount(size: "8m", in: directory)
        defer { disk.unmount() }
        let ledger = disk.path + "/ledger.sqlite"
        #expect(try runProcess(Self.binary, ["ingest", corpus, "--db", ledger, "--quiet"]).status == 0)
        let copy = directory.path("copy.sqlite")
        try FileManager.default.copyItem(atPath: ledger, toPath: copy)
        let before = try #require(Self.bytes(ledger))
        try disk.remount("ro")

        func check(_ ledger: String, label: String) throws {
            let ingest = try Self.run(["ingest", more, "--db", ledger], in: directory, label: "\(label)-ingest")
            #expect(ingest.status == 2, "\(label): \(ingest.stderr)")
            #expect(ingest.stderr.contains("ledger \(ledger) is read-only; nothing was changed"), "\(label): \(ingest.stderr)")

            // Reading commands work, and see what a writable copy shows.
            for (name, db) in [("ro", ledger), ("rw", copy)] {
                let report = try Self.run(["report", "--db", db, "--day", "2026-11-01", "--format", "json,csv", "--quiet",
                                           "--out", directory.path("\(label)-\(name)")], in: directory, label: "\(label)-report-\(name)")
                #expect(report.status == 0, "\(label) \(name): \(report.stderr)")
            }
            let reportRO = Self.bytes(directory.path("\(label)-ro/2026-11-01/report.json"))
            #expect(reportRO != nil && reportRO == Self.bytes(directory.path("\(label)-rw/2026-11-01/report.json")))
            let queries = try ["ro", "rw"].map { name in
                try Self.run(["query", "cost_vs_counterfactual_by_day", "--db", name == "ro" ? ledger : copy,
                              "--since", "2026-10-01", "--until", "2026-12-01", "--format", "csv"],
                             in: directory, label: "\(label)-query-\(name)")
            }
            #expect(queries[0].status == 0, "\(label): \(queries[0].stderr)")
            #expect(queries[0].stdout == queries[1].stdout && queries[0].stdout.contains("2026-11-01,"))

            // alert keeps state in the ledger: it cannot run, and says why.
            let config = directory.path("alerts.yaml")
            try "version: 1\nalerts:\n  - {name: drift, metric: cost_drift_pct, window: day, warn: \"> 20\"}\n"
                .write(toFile: config, atomically: true, encoding: .utf8)
            let alert = try Self.run(["alert", "--config", config, "--db", ledger, "--day", "2026-11-01"],
                                     in: directory, label: "\(label)-alert")
            #expect(alert.status == 3, "\(label): \(alert.stdout)\(alert.stderr)")
            #expect(alert.stderr.contains("is read-only"), "\(label): \(alert.stderr)")
        }

        try check(ledger, label: "mount")
        #expect(Self.bytes(ledger) == before)

        // chattr +i on an ordinary file system: even root cannot write the file.
        let immutable = directory.path("immutable.sqlite")
        try FileManager.default.copyItem(atPath: copy, toPath: immutable)
        guard try shell("chattr +i '\(immutable)'").status == 0 else {
            print("chattr +i not supported on \(directory.url.path); the immutable-file case was skipped")
            return
        }
        defer { _ = try? shell("chattr -i '\(immutable)'") }
        let immutableBefore = Self.bytes(immutable)
        let ingest = try Self.run(["ingest", more, "--db", immutable], in: directory, label: "immutable-ingest")
        #expect(ingest.status == 2, "\(ingest.stderr)")
        #expect(ingest.stderr.contains("ledger \(immutable) is read-only; nothing was changed"), "\(ingest.stderr)")
        #expect(Self.bytes(immutable) == immutableBefore)
        try LedgerSnapshot.read(immutable).expectEqual(to: try LedgerSnapshot.read(copy))
    }
}
