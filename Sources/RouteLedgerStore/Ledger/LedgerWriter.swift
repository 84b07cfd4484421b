import Foundation
import GRDB
import GRDBSQLite
import RouteLedgerIngest
import RouteLedgerModel

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// An invocation row ready to write: ids decided by the coordinator, dimension strings resolved.
struct PreparedRow: Sendable {
    var record: InvocationRecord
    var line: Int
    var source: Int64
    var id: Int64
    /// `strings` ids of account, principal, region, inference region, operation, raw model, model, router,
    /// served model, model group, deployment, provider, error code, error class, tenant, original model
    /// group; 0 is NULL (ids start at 1). Inline storage: no allocation per row.
    var dimensions: Dimensions

    struct Dimensions: Sendable {
        var values: (Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64,
                     Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        subscript(column column: Int) -> Int64? {
            get {
                withUnsafeBytes(of: values) { $0.load(fromByteOffset: column * 8, as: Int64.self) }.nonZero
            }
            set {
                withUnsafeMutableBytes(of: &values) { $0.storeBytes(of: newValue ?? 0, toByteOffset: column * 8, as: Int64.self) }
            }
        }
    }
}

private extension Int64 {
    var nonZero: Int64? { self == 0 ? nil : self }
}

/// The SQL side of the bulk-insert path: prepared statements with raw binds, one transaction per input
/// file, one savepoint per archive member (so a refused member leaves no trace). Every id is decided by
/// the caller, so a whole file's writes can run on their own thread while the next file is prepared.
final class LedgerWriter {
    private let connection: OpaquePointer
    private let ledgerPath: String
    /// Prepared statements by the address of their SQL literal (hashing the text per row was measurable).
    private var statements: [UInt: OpaquePointer] = [:]
    private var inTransaction = false

    /// Opens a connection of its own for the bulk path. GRDB's connection installs commit hooks that must
    /// run on GRDB's queue, while these writes run on the executor's thread.
    init(ledgerPath: String, busyTimeout: Double) throws {
        self.ledgerPath = ledgerPath
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(ledgerPath, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let handle else {
            let reason = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw LedgerError.cannotOpen(path: ledgerPath, reason: reason)
        }
        connection = handle
        sqlite3_busy_timeout(connection, Int32(busyTimeout * 1000))
        // WAL was set when the ledger was created; NORMAL survives a killed process. Index pages are hot
        // during ingest; a small cache turns every insert into page reads. Per-file commits dirty the same
        // hot pages again and again: checkpointing every 4000 pages instead of 1000 copies them less often
        // while the WAL stays bounded (16 MiB).
        for pragma in ["PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -131072",
                       "PRAGMA temp_store = MEMORY", "PRAGMA wal_autocheckpoint = 4000"] {
            try exec(pragma)
        }
    }

    /// Checkpoints the WAL back into the database file and closes the connection.
    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        _ = sqlite3_exec(connection, "PRAGMA wal_checkpoint(TRUNCATE)", nil, nil, nil)
        sqlite3_close(connection)
        closed = true
    }
    private var closed = false

    deinit {
        if !closed { close() }
    }

    // MARK: Raw statement plumbing

    private func statement(_ sql: StaticString) throws -> OpaquePointer {
        let key = UInt(bitPattern: sql.utf8Start)
        if let cached = statements[key] {
            sqlite3_reset(cached)
            sqlite3_clear_bindings(cached)
            return cached
        }
        var prepared: OpaquePointer?
        let code = sql.withUTF8Buffer { text in
            text.withMemoryRebound(to: CChar.self) {
                sqlite3_prepare_v3(connection, $0.baseAddress, Int32($0.count), UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            }
        }
        guard code == SQLITE_OK, let prepared else { throw failure(code) }
        statements[key] = prepared
        return prepared
    }

    private func failure(_ code: Int32) -> Error {
        if code == SQLITE_READONLY { return LedgerError.readOnly(path: ledgerPath) }
        return LedgerError.writeFailed(path: ledgerPath, reason: String(cString: sqlite3_errmsg(connection)))
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: String?) {
        if let value { sqlite3_bind_text(statement, index, value, -1, transient) } else { sqlite3_bind_null(statement, index) }
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, blob: [UInt8]) {
        blob.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), transient)
        }
    }

    @discardableResult
    private func step(_ statement: OpaquePointer) throws -> Int32 {
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw failure(code) }
        return code
    }

    private func exec(_ sql: String) throws {
        let code = sqlite3_exec(connection, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw failure(code) }
    }

    // MARK: Transactions

    func beginFile() throws {
        try exec("BEGIN IMMEDIATE")
        inTransaction = true
    }

    func commitFile() throws {
        try exec("COMMIT")
        inTransaction = false
    }

    /// Undoes the whole file. String ids created inside the transaction vanish with it.
    func rollbackFile() {
        if inTransaction { _ = sqlite3_exec(connection, "ROLLBACK", nil, nil, nil) }
        inTransaction = false
    }

    func beginMember() throws { try exec("SAVEPOINT member") }
    func releaseMember() throws { try exec("RELEASE member") }
    func discardMember() throws {
        try exec("ROLLBACK TO member")
        try exec("RELEASE member")
    }

    // MARK: Dimension strings

    func insertStrings(_ strings: [(id: Int64, value: String)]) throws {
        let insert = try statement("INSERT INTO strings(id, value) VALUES (?, ?)")
        for string in strings {
            sqlite3_reset(insert)
            bind(insert, 1, string.id)
            bind(insert, 2, string.value)
            try step(insert)
        }
    }

    /// What the coordinator needs before the first file: the next free ids, every known string, and
    /// whether the dedupe index holds anything yet.
    struct StartState {
        var nextRowID: Int64
        var nextSourceID: Int64
        var nextStringID: Int64
        var strings: [String: Int64]
        var requestKeysEmpty: Bool
    }

    func startState() throws -> StartState {
        func single(_ sql: StaticString) throws -> Int64 {
            let query = try statement(sql)
            // Reset at once: a statement left on its row keeps a read snapshot open, and once another process
            // commits (an `alert` saving its state) the next BEGIN IMMEDIATE fails with SQLITE_BUSY_SNAPSHOT.
            defer { sqlite3_reset(query) }
            guard try step(query) == SQLITE_ROW else { throw failure(SQLITE_ERROR) }
            return sqlite3_column_int64(query, 0)
        }
        // Called after the start-of-run merge, which sets the watermark to max(id): new rows land above it.
        let nextRow = try single("SELECT ifnull(max(id), 0) + 1 FROM invocations")
        let nextSource = try single("SELECT ifnull(max(id), 0) + 1 FROM sources")
        let nextString = try single("SELECT ifnull(max(id), 0) + 1 FROM strings")
        let empty = try single("SELECT NOT EXISTS (SELECT 1 FROM request_keys)") == 1
        var strings: [String: Int64] = [:]
        let all = try statement("SELECT id, value FROM strings")
        defer { sqlite3_reset(all) }
        while try step(all) == SQLITE_ROW {
            strings[String(cString: sqlite3_column_text(all, 1))] = sqlite3_column_int64(all, 0)
        }
        return StartState(nextRowID: nextRow, nextSourceID: nextSource, nextStringID: nextString,
                          strings: strings, requestKeysEmpty: empty)
    }

    // MARK: Sources

    struct ExistingSource { var id: Int64; var size: Int64?; var mtime: Int64?; var sha256: String? }

    func existingSource(path: String) throws -> ExistingSource? {
        let select = try statement("SELECT id, size, mtime_us, sha256 FROM sources WHERE path = ? AND member = ''")
        bind(select, 1, path)
        defer { sqlite3_reset(select) }   // no read snapshot left open (see startState)
        guard try step(select) == SQLITE_ROW else { return nil }
        func optionalInt(_ column: Int32) -> Int64? {
            sqlite3_column_type(select, column) == SQLITE_NULL ? nil : sqlite3_column_int64(select, column)
        }
        let sha = sqlite3_column_type(select, 3) == SQLITE_NULL ? nil : String(cString: sqlite3_column_text(select, 3))
        return ExistingSource(id: sqlite3_column_int64(select, 0), size: optionalInt(1), mtime: optionalInt(2), sha256: sha)
    }

    /// Removes a source and everything read from it (used when a file changed and is read again).
    func deleteSource(id: Int64) throws {
        let deletions: [StaticString] = [
            """
            DELETE FROM request_keys WHERE (source_kind, request_id, invocation_id) IN (
                SELECT source_kind, request_id, id FROM invocations
                WHERE source_id IN (SELECT id FROM sources WHERE id = ?1 OR parent_id = ?1))
            """,
            "DELETE FROM invocations WHERE source_id IN (SELECT id FROM sources WHERE id = ?1 OR parent_id = ?1)",
            "DELETE FROM sources WHERE id = ?1 OR parent_id = ?1",
        ]
        for sql in deletions {
            let delete = try statement(sql)
            bind(delete, 1, id)
            try step(delete)
        }
    }

    func touchSource(id: Int64, mtime: Int64) throws {
        let update = try statement("UPDATE sources SET mtime_us = ? WHERE id = ?")
        bind(update, 1, mtime)
        bind(update, 2, id)
        try step(update)
    }

    func insertSource(id: Int64, path: String, member: String, parent: Int64?, ingestedAt: String) throws {
        let insert = try statement("INSERT INTO sources(id, path, member, parent_id, ingested_at) VALUES (?, ?, ?, ?, ?)")
        bind(insert, 1, id)
        bind(insert, 2, path)
        bind(insert, 3, member)
        bind(insert, 4, parent)
        bind(insert, 5, ingestedAt)
        try step(insert)
    }

    struct SourceTotals { var records = 0, stored = 0, duplicates = 0, conflicts = 0, rejected = 0 }

    func finishSource(id: Int64, size: Int64?, mtime: Int64?, sha256: String?, containers: String?, layout: String?,
                      totals: SourceTotals) throws {
        let update = try statement("""
            UPDATE sources SET size = ?, mtime_us = ?, sha256 = ?, containers = ?, layout = ?,
                records = ?, stored = ?, duplicates = ?, conflicts = ?, rejected = ? WHERE id = ?
            """)
        bind(update, 1, size)
        bind(update, 2, mtime)
        bind(update, 3, sha256)
        bind(update, 4, containers)
        bind(update, 5, layout)
        bind(update, 6, Int64(totals.records))
        bind(update, 7, Int64(totals.stored))
        bind(update, 8, Int64(totals.duplicates))
        bind(update, 9, Int64(totals.conflicts))
        bind(update, 10, Int64(totals.rejected))
        bind(update, 11, id)
        try step(update)
    }

    func insertIssue(source: Int64, path: String, member: String?, kind: String, detail: String) throws {
        let insert = try statement("INSERT INTO source_issues(source_id, path, member, kind, detail) VALUES (?, ?, ?, ?, ?)")
        bind(insert, 1, source)
        bind(insert, 2, path)
        bind(insert, 3, member)
        bind(insert, 4, kind)
        bind(insert, 5, detail)
        try step(insert)
    }

    func insertReject(source: Int64, path: String, member: String?, rejection: Rejection) throws {
        let insert = try statement("""
            INSERT INTO rejects(source_id, path, member, line, reason, detail, snippet) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        bind(insert, 1, source)
        bind(insert, 2, path)
        bind(insert, 3, member)
        bind(insert, 4, Int64(rejection.line))
        bind(insert, 5, rejection.reason.rawValue)
        bind(insert, 6, rejection.detail)
        bind(insert, 7, blob: Array(rejection.snippet.prefix(RecordScanner.snippetLimit)))
        try step(insert)
    }

    // MARK: Invocations

    func insertRows(_ rows: [PreparedRow]) throws {
        let insert = try statement("""
            INSERT INTO invocations(id, source_kind, request_id, ts_us, account_id, principal_id, region_id,
                inference_region_id, operation_id, raw_model_id, model_id, router_id, served_model_id, model_group_id,
                deployment_id, provider_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                latency_ms, ttft_ms, status, error_code_id, error_class_id, tenant_id, correlation_id, fallback_attempt,
                original_model_group_id, logged_cost_usd, prompt_chars, prompt_sha256, flags, content_hash, source_id, line)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for row in rows {
            let record = row.record
            sqlite3_reset(insert)
            bind(insert, 1, row.id)
            bind(insert, 2, record.sourceKind.rawValue)
            bind(insert, 3, record.requestId)
            bind(insert, 4, record.timestampMicros)
            for column in 0..<12 { bind(insert, Int32(5 + column), row.dimensions[column: column]) }
            bind(insert, 17, record.inputTokens)
            bind(insert, 18, record.outputTokens)
            bind(insert, 19, record.cacheReadTokens)
            bind(insert, 20, record.cacheWriteTokens)
            bind(insert, 21, record.latencyMs)
            bind(insert, 22, record.ttftMs)
            bind(insert, 23, record.status.rawValue)
            bind(insert, 24, row.dimensions[column: 12])
            bind(insert, 25, row.dimensions[column: 13])
            bind(insert, 26, row.dimensions[column: 14])
            bind(insert, 27, record.correlationId)
            bind(insert, 28, record.fallbackAttempt)
            bind(insert, 29, row.dimensions[column: 15])
            bind(insert, 30, record.loggedCostUSD)
            bind(insert, 31, record.promptChars)
            bind(insert, 32, record.promptSHA256)
            bind(insert, 33, record.flags.rawValue)
            bind(insert, 34, record.contentHash)
            bind(insert, 35, row.source)
            bind(insert, 36, Int64(row.line))
            try step(insert)
            if record.promptBody != nil || record.responseBody != nil {
                let body = try statement("INSERT INTO bodies(invocation_id, prompt, response) VALUES (?, ?, ?)")
                bind(body, 1, row.id)
                bind(body, 2, record.promptBody)
                bind(body, 3, record.responseBody)
                try step(body)
            }
        }
    }

    func insertConflict(_ record: InvocationRecord, line: Int, source: Int64, existingID: Int64) throws {
        let conflict = try statement("""
            INSERT INTO conflicts(source_id, line, source_kind, request_id, existing_invocation_id, content_hash)
            VALUES (?, ?, ?, ?, ?, ?)
            """)
        bind(conflict, 1, source)
        bind(conflict, 2, Int64(line))
        bind(conflict, 3, record.sourceKind.rawValue)
        bind(conflict, 4, record.requestId)
        bind(conflict, 5, existingID)
        bind(conflict, 6, record.contentHash)
        try step(conflict)
    }

    // MARK: Dedupe keys

    /// Moves every invocation newer than the watermark into `request_keys`, in key order, in one
    /// transaction; called between files and at the start and end of each run.
    func mergeRequestKeys() throws {
        try exec("BEGIN IMMEDIATE")
        do {
            try exec("""
                INSERT INTO request_keys(source_kind, request_id, invocation_id, content_hash)
                SELECT source_kind, request_id, id, content_hash FROM invocations
                WHERE id > (SELECT value FROM ledger_state WHERE key = 'request_keys_through')
                ORDER BY source_kind, request_id
                """)
            try exec("""
                UPDATE ledger_state SET value = (SELECT ifnull(max(id), 0) FROM invocations)
                WHERE key = 'request_keys_through'
                """)
            try exec("COMMIT")
        } catch {
            _ = sqlite3_exec(connection, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    func recordRun(startedAt: String, finishedAt: String, summaryJSON: String) throws {
        try exec("BEGIN IMMEDIATE")
        let insert = try statement("INSERT INTO ingest_runs(started_at, finished_at, summary_json) VALUES (?, ?, ?)")
        bind(insert, 1, startedAt)
        bind(insert, 2, finishedAt)
        bind(insert, 3, summaryJSON)
        do { try step(insert); try exec("COMMIT") } catch { _ = sqlite3_exec(connection, "ROLLBACK", nil, nil, nil); throw error }
    }
}
