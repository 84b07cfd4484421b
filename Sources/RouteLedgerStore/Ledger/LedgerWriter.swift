import Foundation
import GRDB
import GRDBSQLite
import RouteLedgerIngest
import RouteLedgerModel

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// The bulk-insert path: prepared statements with raw binds, one transaction per input file,
/// one savepoint per archive member (so a refused member leaves no trace).
final class LedgerWriter {
    enum InsertOutcome { case stored, duplicate, conflict }

    private let db: Database
    private let connection: OpaquePointer
    private let ledgerPath: String
    /// Prepared statements by the address of their SQL literal (hashing the text per row was measurable).
    private var statements: [UInt: OpaquePointer] = [:]
    private var stringIDs: [String: Int64] = [:]
    /// The last string and id bound per invocation column: consecutive records mostly repeat them.
    private var lastColumnValue: [(String, Int64)?] = Array(repeating: nil, count: 16)
    private var inTransaction = false

    init(db: Database, ledgerPath: String, pendingKeyLimit: Int = 1_000_000) {
        self.pendingKeyLimit = pendingKeyLimit
        self.db = db
        self.connection = db.sqliteConnection!
        self.ledgerPath = ledgerPath
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
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
        keysAddedInFile.removeAll(keepingCapacity: true)
    }

    func commitFile() throws {
        try exec("COMMIT")
        inTransaction = false
        keysAddedInFile.removeAll(keepingCapacity: true)
    }

    /// Undoes the whole file. String ids created inside the transaction vanish with it.
    func rollbackFile() {
        if inTransaction { _ = sqlite3_exec(connection, "ROLLBACK", nil, nil, nil) }
        inTransaction = false
        forgetStringIDs()
        forgetKeys(from: 0)
    }

    /// Ids created inside a rolled-back transaction or savepoint no longer exist.
    private func forgetStringIDs() {
        stringIDs.removeAll(keepingCapacity: true)
        for index in lastColumnValue.indices { lastColumnValue[index] = nil }
    }

    func beginMember() throws {
        try exec("SAVEPOINT member")
        keysAtMemberStart = keysAddedInFile.count
    }
    func releaseMember() throws { try exec("RELEASE member") }
    func discardMember() throws {
        try exec("ROLLBACK TO member")
        try exec("RELEASE member")
        forgetStringIDs()
        forgetKeys(from: keysAtMemberStart)
    }

    // MARK: Dimension strings

    private func stringID(_ value: String?, column: Int) throws -> Int64? {
        guard let value else { return nil }
        if let last = lastColumnValue[column], last.0 == value { return last.1 }
        let id = try stringID(value)
        lastColumnValue[column] = (value, id)
        return id
    }

    private func stringID(_ value: String) throws -> Int64 {
        if let id = stringIDs[value] { return id }
        let insert = try statement("INSERT INTO strings(value) VALUES (?) ON CONFLICT(value) DO NOTHING")
        bind(insert, 1, value)
        try step(insert)
        let select = try statement("SELECT id FROM strings WHERE value = ?")
        bind(select, 1, value)
        guard try step(select) == SQLITE_ROW else { throw failure(SQLITE_ERROR) }
        let id = sqlite3_column_int64(select, 0)
        stringIDs[value] = id
        return id
    }

    // MARK: Sources

    struct ExistingSource { var id: Int64; var size: Int64?; var mtime: Int64?; var sha256: String? }

    func existingSource(path: String) throws -> ExistingSource? {
        let select = try statement("SELECT id, size, mtime_us, sha256 FROM sources WHERE path = ? AND member = ''")
        bind(select, 1, path)
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
            // Deleting the newest rows lets SQLite hand their ids out again; pull the merge watermark back
            // so the rows that reuse them are merged into request_keys too.
            """
            UPDATE ledger_state SET value = min(value, (SELECT ifnull(max(id), 0) FROM invocations))
            WHERE key = 'request_keys_through' AND ?1 IS NOT NULL
            """,
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

    func insertSource(path: String, member: String, parent: Int64?, ingestedAt: String) throws -> Int64 {
        let insert = try statement("INSERT INTO sources(path, member, parent_id, ingested_at) VALUES (?, ?, ?, ?)")
        bind(insert, 1, path)
        bind(insert, 2, member)
        bind(insert, 3, parent)
        bind(insert, 4, ingestedAt)
        try step(insert)
        return sqlite3_last_insert_rowid(connection)
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

    func insert(_ record: InvocationRecord, line: Int, source: Int64) throws -> InsertOutcome {
        let insert = try statement("""
            INSERT INTO invocations(source_kind, request_id, ts_us, account_id, principal_id, region_id,
                inference_region_id, operation_id, raw_model_id, model_id, router_id, served_model_id, model_group_id,
                deployment_id, provider_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                latency_ms, ttft_ms, status, error_code_id, error_class_id, tenant_id, correlation_id, fallback_attempt,
                original_model_group_id, logged_cost_usd, prompt_chars, prompt_sha256, flags, content_hash, source_id, line)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let key = RequestKey(kind: record.sourceKind, id: record.requestId)
        if let existing = try existingInvocation(key) {
            if existing.contentHash == record.contentHash { return .duplicate }
            try recordConflict(record, line: line, source: source, existingID: existing.id)
            return .conflict
        }
        // Dimension ids may run other statements; a bound statement is not disturbed by that.
        bind(insert, 1, record.sourceKind.rawValue)
        bind(insert, 2, record.requestId)
        bind(insert, 3, record.timestampMicros)
        bind(insert, 4, try stringID(record.accountId, column: 0))
        bind(insert, 5, try stringID(record.principal, column: 1))
        bind(insert, 6, try stringID(record.region, column: 2))
        bind(insert, 7, try stringID(record.inferenceRegion, column: 3))
        bind(insert, 8, try stringID(record.operation, column: 4))
        bind(insert, 9, try stringID(record.rawModelId, column: 5))
        bind(insert, 10, try stringID(record.canonicalModel, column: 6))
        bind(insert, 11, try stringID(record.routerId, column: 7))
        bind(insert, 12, try stringID(record.servedModel, column: 8))
        bind(insert, 13, try stringID(record.modelGroup, column: 9))
        bind(insert, 14, try stringID(record.deployment, column: 10))
        bind(insert, 15, try stringID(record.provider, column: 11))
        let errorCode = try stringID(record.errorCode, column: 12)
        let errorClass = try stringID(record.errorClass, column: 13)
        let tenant = try stringID(record.tenant, column: 14)
        let originalGroup = try stringID(record.originalModelGroup, column: 15)
        bind(insert, 16, record.inputTokens)
        bind(insert, 17, record.outputTokens)
        bind(insert, 18, record.cacheReadTokens)
        bind(insert, 19, record.cacheWriteTokens)
        bind(insert, 20, record.latencyMs)
        bind(insert, 21, record.ttftMs)
        bind(insert, 22, record.status.rawValue)
        bind(insert, 23, errorCode)
        bind(insert, 24, errorClass)
        bind(insert, 25, tenant)
        bind(insert, 26, record.correlationId)
        bind(insert, 27, record.fallbackAttempt)
        bind(insert, 28, originalGroup)
        bind(insert, 29, record.loggedCostUSD)
        bind(insert, 30, record.promptChars)
        bind(insert, 31, record.promptSHA256)
        bind(insert, 32, record.flags.rawValue)
        bind(insert, 33, record.contentHash)
        bind(insert, 34, source)
        bind(insert, 35, Int64(line))
        try step(insert)
        let rowID = sqlite3_last_insert_rowid(connection)
        pendingKeys[key] = (rowID, record.contentHash)
        keysAddedInFile.append(key)
        if record.promptBody != nil || record.responseBody != nil {
            let body = try statement("INSERT INTO bodies(invocation_id, prompt, response) VALUES (?, ?, ?)")
            bind(body, 1, rowID)
            bind(body, 2, record.promptBody)
            bind(body, 3, record.responseBody)
            try step(body)
        }
        return .stored
    }

    private func recordConflict(_ record: InvocationRecord, line: Int, source: Int64, existingID: Int64) throws {
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

    struct RequestKey: Hashable {
        var kind: SourceKind
        var id: String
    }

    /// Keys stored by this run and not yet merged into `request_keys`: id and content hash.
    private var pendingKeys: [RequestKey: (id: Int64, contentHash: Int64)] = Dictionary(minimumCapacity: 1 << 16)
    private var requestKeysEmpty = false
    /// Keys added by the open file, in order, with the count at the open member's savepoint: a rolled-back
    /// file or member takes its keys with it.
    private var keysAddedInFile: [RequestKey] = []
    private var keysAtMemberStart = 0
    /// Merge into `request_keys` once this many keys are pending, so a huge run stays within memory.
    let pendingKeyLimit: Int

    private func existingInvocation(_ key: RequestKey) throws -> (id: Int64, contentHash: Int64)? {
        if let pending = pendingKeys[key] { return pending }
        // Nothing merged yet (a new ledger): every probe would miss.
        if requestKeysEmpty { return nil }
        let probe = try statement("""
            SELECT invocation_id, content_hash FROM request_keys WHERE source_kind = ? AND request_id = ?
            """)
        bind(probe, 1, key.kind.rawValue)
        bind(probe, 2, key.id)
        guard try step(probe) == SQLITE_ROW else { return nil }
        return (sqlite3_column_int64(probe, 0), sqlite3_column_int64(probe, 1))
    }

    private func forgetKeys(from start: Int) {
        for key in keysAddedInFile[start...] { pendingKeys[key] = nil }
        keysAddedInFile.removeSubrange(start...)
    }

    var needsKeyMerge: Bool { pendingKeys.count >= pendingKeyLimit }

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
        pendingKeys.removeAll(keepingCapacity: true)
        let probe = try statement("SELECT NOT EXISTS (SELECT 1 FROM request_keys)")
        requestKeysEmpty = try step(probe) == SQLITE_ROW && sqlite3_column_int(probe, 0) == 1
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
