import Foundation
import GRDB
import RouteLedgerTestSupport
import Testing

// Shared by the fault-injection suites (KillSafetyTests, DiskFaultTests, ConcurrencyTests,
// WebhookRecoveryTests): a corpus with every container kind, a full logical snapshot of a ledger,
// background processes of the real binary, and small tmpfs mounts (root only).

/// A corpus of several archives of different kinds, with bad lines, duplicates, conflicts and damaged members.
enum FaultCorpus {
    /// Writes the corpus into `<directory>/<name>` and returns its path.
    ///
    /// - `bedrock/…/f<n>.json.gz`: `gzipFiles` gzip files of `recordsPerFile` Bedrock records, each with a broken
    ///   line and a record whose id repeats one of file 0 with other content (a conflict); `multi.json.gz` is two
    ///   gzip members concatenated.
    /// - `bundle.tar.gz`: a tar.gz of four gzip members; `bundle.zip`: a zip of a JSONL and a .json.gz member
    ///   (the JSONL repeats records of file 1: exact duplicates); `part.jsonl.zst`: zstd.
    /// - `fixtures/`: the checked-in containers (array JSON, CloudWatch export, gz-in-tar, …), the damaged ones
    ///   (bad CRC, truncated gzip, a zip with unsafe names, a symlink and a bomb member) and the S3-layout corpus
    ///   (loose LiteLLM payload files, spend logs).
    /// - `synth-zip/bundle.zip` and `synth-tar/bundle.tar.gz`: `routeledger synth --bundle`, real layouts.
    static func make(_ directory: TemporaryDirectory, name: String = "corpus", gzipFiles: Int = 10, recordsPerFile: Int = 300,
                     synthRecords: Int = 800, seed: Int = 1) throws -> String {
        let root = directory.path(name)
        let bedrock = root + "/bedrock/AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/2026/11"
        for folder in [bedrock, root + "/tarred", root + "/zipped", root + "/fixtures"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let tag = "s\(seed)"
        func lines(_ file: Int, count: Int) -> [String] {
            var out = (0..<count).map { index in
                FixtureRecords.bedrock(id: "\(tag)-k\(file)-\(index)", time: "2026-11-0\(1 + file % 7)T1\(index % 10):00:00Z",
                                       model: index % 3 == 0 ? "us.anthropic.claude-3-5-haiku-20241022-v1:0" : "amazon.nova-pro-v1:0",
                                       input: 100 + index, output: index % 50, tenant: "t\(index % 5)",
                                       prompt: String(repeating: "lorem ipsum \(index) ", count: 8))
            }
            out.append("{ broken line \(file)")
            out.append(FixtureRecords.bedrock(id: "\(tag)-k0-\(file)"))   // same id as a record of file 0, other content
            return out
        }
        for file in 0..<gzipFiles {
            try FixtureRecords.write(lines(file, count: recordsPerFile), to: "\(bedrock)/f\(String(format: "%02d", file)).json")
        }
        try FixtureRecords.write(lines(100, count: recordsPerFile / 2), to: root + "/m1.json")
        try FixtureRecords.write(lines(101, count: recordsPerFile / 2), to: root + "/m2.json")
        for file in 0..<4 { try FixtureRecords.write(lines(200 + file, count: recordsPerFile / 2), to: "\(root)/tarred/t\(file).json") }
        try FixtureRecords.write(lines(300, count: recordsPerFile / 2), to: root + "/zipped/z.jsonl")
        try FixtureRecords.write(lines(301, count: recordsPerFile / 2), to: root + "/zipped/z.json")
        // Exact duplicates of file 1 inside the zip.
        try FixtureRecords.write(Array(lines(1, count: recordsPerFile).prefix(50)), to: root + "/zipped/copy.jsonl")
        try FixtureRecords.write(lines(400, count: recordsPerFile / 2), to: root + "/part.jsonl")
        let fixtures = TestPaths.fixtures.path
        let script = """
            set -e
            cd '\(bedrock)' && gzip -n *.json
            cd '\(root)' && gzip -n m1.json m2.json && cat m1.json.gz m2.json.gz > '\(bedrock)/multi.json.gz' && rm m1.json.gz m2.json.gz
            cd '\(root)/tarred' && gzip -n *.json && tar czf ../bundle.tar.gz *.gz
            cd '\(root)/zipped' && gzip -n z.json && zip -q ../bundle.zip z.jsonl z.json.gz copy.jsonl
            cd '\(root)' && rm -r tarred zipped && zstd -q --rm part.jsonl
            cp -R '\(fixtures)/containers' '\(fixtures)/corrupt' '\(fixtures)/corpus' '\(root)/fixtures/'
            """
        let built = try shell(script)
        guard built.status == 0 else { throw CorpusError(message: built.stderr) }
        let binary = TestPaths.builtExecutable.path
        for (bundle, extra) in [("zip", [String]()), ("tar", ["--no-bodies"])] {
            let synth = try runProcess(binary, ["synth", "--records", "\(synthRecords)", "--seed", "\(seed * 10 + bundle.count)",
                                                "--bundle", bundle, "--corrupt-rate", "0.01", "--out", "\(root)/synth-\(bundle)",
                                                "--summary-file", directory.path("\(name)-synth-\(bundle).json")] + extra)
            guard synth.status == 0 else { throw CorpusError(message: synth.stderr) }
        }
        return root
    }

    struct CorpusError: Error, CustomStringConvertible {
        var message: String
        var description: String { "building the corpus failed: \(message)" }
    }
}

/// The whole logical content of a ledger, with every row id replaced by what it points at (a source by its
/// path and member, an invocation by its source and line), so two ledgers built by different sequences of
/// runs are equal exactly when they hold the same data. Reading never writes: the connection is read-only.
struct LedgerSnapshot: Equatable {
    /// Table name → its rows rendered as text, sorted.
    var tables: [String: [String]]

    /// Tables compared, each with the columns left out (ids, and times of day that differ between runs).
    static let queries: [(name: String, sql: String, skip: Set<String>)] = [
        ("invocations", """
            SELECT v.*, s.path AS source_path, s.member AS source_member, b.prompt AS body_prompt, b.response AS body_response
            FROM invocations_v v JOIN sources s ON s.id = v.source_id LEFT JOIN bodies b ON b.invocation_id = v.id
            """, ["id", "source_id"]),
        ("strings", "SELECT value FROM strings", []),
        ("sources", """
            SELECT s.*, p.path AS parent_path, p.member AS parent_member FROM sources s LEFT JOIN sources p ON p.id = s.parent_id
            """, ["id", "parent_id", "ingested_at"]),
        ("rejects", "SELECT r.*, s.path AS source_path, s.member AS source_member FROM rejects r JOIN sources s ON s.id = r.source_id",
         ["id", "source_id"]),
        ("conflicts", """
            SELECT c.*, s.path AS source_path, s.member AS source_member, e.source_kind AS existing_kind,
                   e.request_id AS existing_request_id, es.path AS existing_path, es.member AS existing_member, e.line AS existing_line
            FROM conflicts c JOIN sources s ON s.id = c.source_id
            LEFT JOIN invocations e ON e.id = c.existing_invocation_id LEFT JOIN sources es ON es.id = e.source_id
            """, ["id", "source_id", "existing_invocation_id"]),
        ("source_issues", """
            SELECT i.*, s.path AS source_path, s.member AS source_member FROM source_issues i JOIN sources s ON s.id = i.source_id
            """, ["id", "source_id"]),
        ("request_keys", """
            SELECT k.source_kind, k.request_id, k.content_hash, i.source_kind AS row_kind, i.request_id AS row_request_id,
                   i.content_hash AS row_hash, s.path AS source_path, s.member AS source_member, i.line AS row_line
            FROM request_keys k LEFT JOIN invocations i ON i.id = k.invocation_id LEFT JOIN sources s ON s.id = i.source_id
            """, []),
        ("ledger_state", """
            SELECT key, CASE key WHEN 'request_keys_through' THEN value = (SELECT ifnull(max(id), 0) FROM invocations)
                                 ELSE value END AS value FROM ledger_state
            """, []),
        ("alert_state", "SELECT * FROM alert_state", ["updated_at"]),
        ("alert_notifications", "SELECT * FROM alert_notifications", ["id", "created_at", "delivered_at", "attempts", "last_error"]),
    ]

    /// A read-only connection: reading a killed run's ledger must not checkpoint or otherwise repair it.
    static func open(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Reads every compared table and checks the ledger's invariants (see ``invariantViolations(_:)``),
    /// recording an issue for each violation.
    static func read(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> LedgerSnapshot {
        try open(path).read { db in
            for violation in try invariantViolations(db) {
                Issue.record("\(path): \(violation)", sourceLocation: sourceLocation)
            }
            var tables: [String: [String]] = [:]
            // A run killed while creating the ledger leaves no tables, or only the first migration's.
            for query in queries where try db.tableExists(query.name) {
                // Rendered by SQLite itself (quote() for text and blobs, 17 digits for reals): fast in a debug build.
                let probe: String = "SELECT * FROM (\(query.sql)) LIMIT 0"
                let columns = try db.makeStatement(sql: probe).columnNames
                    .filter { !query.skip.contains($0) }
                let rendered: String = columns.map { (name: String) -> String in
                    let column = "\"\(name)\""
                    return "'\(name)=' || CASE typeof(\(column)) WHEN 'real' THEN printf('%!.17g', \(column)) ELSE quote(\(column)) END"
                }.joined(separator: " || '|' || ")
                let select: String = "SELECT \(rendered) FROM (\(query.sql)) ORDER BY 1"
                tables[query.name] = try String.fetchAll(db, sql: select)
            }
            return LedgerSnapshot(tables: tables)
        }
    }

    /// Only the invariants (integrity, reconciling counts): for the state a killed run left.
    static func check(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        for violation in try open(path).read({ try invariantViolations($0) }) {
            Issue.record("\(path): \(violation)", sourceLocation: sourceLocation)
        }
    }

    /// `PRAGMA integrity_check` and `foreign_key_check`, and the counts that must reconcile in any ledger, even
    /// one whose writer was killed: each recorded run read = stored + duplicates + rejected and saw every file
    /// once; each source's counts equal the rows it (and its members) hold; a file with members sums them; every
    /// merged dedupe key points at its own row, and every row at or below the merge watermark has its key.
    static func invariantViolations(_ db: Database) throws -> [String] {
        var violations: [String] = []
        let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
        if integrity != ["ok"] { violations.append("integrity_check: \(integrity.prefix(5))") }
        let foreignKeys = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
        if !foreignKeys.isEmpty { violations.append("foreign_key_check: \(foreignKeys.prefix(5))") }
        // Each migration commits whole: a ledger has all of the first one's tables or none.
        let ledgerTables = ["strings", "sources", "invocations", "request_keys", "ledger_state", "bodies", "rejects",
                            "conflicts", "source_issues", "ingest_runs"]
        let present = try ledgerTables.filter { try db.tableExists($0) }
        guard present.count == ledgerTables.count else {
            if !present.isEmpty { violations.append("half a schema: only \(present)") }
            return violations
        }
        for json in try String.fetchAll(db, sql: "SELECT summary_json FROM ingest_runs") {
            guard let run = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
                violations.append("unreadable run summary"); continue
            }
            func n(_ key: String) -> Int { run[key] as? Int ?? -1 }
            if n("recordsRead") != n("stored") + n("duplicates") + n("rejected") {
                violations.append("run does not reconcile: read \(n("recordsRead")) != stored \(n("stored")) + duplicates \(n("duplicates")) + rejected \(n("rejected"))")
            }
            if n("filesSeen") != n("filesRead") + n("filesUnchanged") + n("filesFailed") {
                violations.append("run does not account for every file: \(json.prefix(200))")
            }
        }
        let checks: [(String, String)] = [
            ("source records != stored + duplicates + rejected", "SELECT path || ' ' || member FROM sources WHERE records != stored + duplicates + rejected"),
            ("source stored != its invocation rows", """
                SELECT s.path || ' ' || s.member FROM sources s WHERE s.stored != (SELECT count(*) FROM invocations i
                WHERE i.source_id = s.id OR i.source_id IN (SELECT c.id FROM sources c WHERE c.parent_id = s.id))
                """),
            ("source rejected != its reject rows", """
                SELECT s.path || ' ' || s.member FROM sources s WHERE s.rejected != (SELECT count(*) FROM rejects r
                WHERE r.source_id = s.id OR r.source_id IN (SELECT c.id FROM sources c WHERE c.parent_id = s.id))
                """),
            ("source conflicts != its conflict rows", """
                SELECT s.path || ' ' || s.member FROM sources s WHERE s.conflicts != (SELECT count(*) FROM conflicts r
                WHERE r.source_id = s.id OR r.source_id IN (SELECT c.id FROM sources c WHERE c.parent_id = s.id))
                """),
            ("file totals != sum of its members", """
                SELECT p.path FROM sources p JOIN sources c ON c.parent_id = p.id GROUP BY p.id
                HAVING p.records != sum(c.records) OR p.stored != sum(c.stored) OR p.duplicates != sum(c.duplicates)
                    OR p.rejected != sum(c.rejected) OR p.conflicts != sum(c.conflicts)
                """),
            ("dedupe key points at another row", """
                SELECT k.request_id FROM request_keys k LEFT JOIN invocations i ON i.id = k.invocation_id
                WHERE i.id IS NULL OR i.source_kind != k.source_kind OR i.request_id != k.request_id OR i.content_hash != k.content_hash
                """),
            ("merged row without its dedupe key", """
                SELECT i.request_id FROM invocations i WHERE i.id <= (SELECT value FROM ledger_state WHERE key = 'request_keys_through')
                AND NOT EXISTS (SELECT 1 FROM request_keys k
                    WHERE k.source_kind = i.source_kind AND k.request_id = i.request_id AND k.invocation_id = i.id)
                """),
            ("request id stored twice", """
                SELECT source_kind || ' ' || request_id FROM invocations GROUP BY source_kind, request_id HAVING count(*) > 1
                """),
            ("file counted without being finished", "SELECT path FROM sources WHERE member = '' AND parent_id IS NULL AND sha256 IS NULL AND size IS NULL"),
        ]
        for (label, sql) in checks {
            let offenders = try String.fetchAll(db, sql: sql + " LIMIT 5")
            if !offenders.isEmpty { violations.append("\(label): \(offenders)") }
        }
        return violations
    }

    /// The first differing rows per table, for failure messages.
    func difference(from other: LedgerSnapshot) -> String {
        var out: [String] = []
        for name in Set(tables.keys).union(other.tables.keys).sorted() {
            let mine = tables[name] ?? [], theirs = other.tables[name] ?? []
            guard mine != theirs else { continue }
            let onlyMine = Set(mine).subtracting(theirs), onlyTheirs = Set(theirs).subtracting(mine)
            out.append("\(name): \(mine.count) vs \(theirs.count) rows; only here: \(onlyMine.sorted().prefix(2)); only there: \(onlyTheirs.sorted().prefix(2))")
        }
        return out.isEmpty ? "equal" : out.joined(separator: "\n")
    }

    /// Records one issue naming the differing rows (not both whole ledgers) when the snapshots differ.
    func expectEqual(to expected: LedgerSnapshot, _ context: @autoclosure () -> String = "",
                     sourceLocation: SourceLocation = #_sourceLocation) {
        guard self != expected else { return }
        Issue.record("ledger differs from the expected one \(context()):\n\(difference(from: expected))", sourceLocation: sourceLocation)
    }

    var rowCount: Int { tables.values.reduce(0) { $0 + $1.count } }

    /// Ingest runs recorded in a ledger.
    static func runCount(_ path: String) throws -> Int {
        try open(path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM ingest_runs") ?? 0 }
    }
}

/// The built binary started in the background, its output going to files.
final class BackgroundRun: @unchecked Sendable {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String
    let started = Date()

    init(_ arguments: [String], in directory: TemporaryDirectory, label: String, environment: [String: String]? = nil) throws {
        stdoutPath = directory.path("\(label).out")
        stderrPath = directory.path("\(label).err")
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = TestPaths.builtExecutable
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// SIGKILL if still running; true when the signal was sent to a live process.
    @discardableResult
    func killNow() -> Bool {
        guard process.isRunning else { return false }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    /// Waits for the exit; the result carries the captured output.
    func finish() -> Result {
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "",
                      seconds: Date().timeIntervalSince(started))
    }
}

/// A size-limited tmpfs mounted on a fresh folder, for disk-full and read-only faults. Needs root (or
/// CAP_SYS_ADMIN); `available` says whether mounting works here, and why not.
final class ScratchMount {
    let path: String
    private var mounted = true

    init(size: String, in directory: TemporaryDirectory, name: String = "mnt") throws {
        path = directory.path(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0755", "tmpfs", path])
        guard result.status == 0 else { mounted = false; throw MountError(message: result.stderr) }
    }

    /// Remounts with new options (`ro`, `rw`, `size=…`).
    func remount(_ options: String) throws {
        let result = try runProcess("/bin/mount", ["-o", "remount,\(options)", path])
        guard result.status == 0 else { throw MountError(message: result.stderr) }
    }

    func unmount() {
        guard mounted else { return }
        mounted = false
        if (try? runProcess("/bin/umount", [path]))?.status != 0 { _ = try? runProcess("/bin/umount", ["-l", path]) }
    }

    deinit { unmount() }

    struct MountError: Error, CustomStringConvertible {
        var message: String
        var description: String { "mount failed: \(message)" }
    }

    /// Why mounting a tmpfs does not work here, or nil when it does (checked once, by mounting a small one).
    static let unavailableReason: String? = {
        guard getuid() == 0 else { return "not root: mounting a size-limited tmpfs needs root" }
        guard FileManager.default.isExecutableFile(atPath: "/bin/mount") else { return "no /bin/mount" }
        do {
            let directory = try TemporaryDirectory("mount-probe")
            let probe = try ScratchMount(size: "64k", in: directory)
            try probe.remount("ro")
            probe.unmount()
            return nil
        } catch {
            return "cannot mount a tmpfs here (unprivileged container?): \(error)"
        }
    }()

    static var available: Bool { unavailableReason == nil }
}
