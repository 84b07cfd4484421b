import Foundation
import GRDBSQLite
import RouteLedgerModel

/// One ledger row as plain integers, for column builders. String columns are ids into
/// `LedgerScanner.strings()` (0 = NULL); unknown numbers are -1 (tokens, latency, attempt) or NaN (cost).
public struct ScannedRow: Sendable {
    public var timestampMicros: Int64 = 0
    public var sourceKind: SourceKind = .bedrock
    public var account: Int32 = 0
    public var region: Int32 = 0
    public var inferenceRegion: Int32 = 0
    public var model: Int32 = 0
    public var router: Int32 = 0
    public var servedModel: Int32 = 0
    public var modelGroup: Int32 = 0
    public var deployment: Int32 = 0
    public var errorCode: Int32 = 0
    public var tenant: Int32 = 0
    public var originalModelGroup: Int32 = 0
    public var inputTokens: Int64 = -1
    public var outputTokens: Int64 = -1
    public var cacheReadTokens: Int64 = -1
    public var cacheWriteTokens: Int64 = -1
    public var latencyMs: Int64 = -1
    public var ttftMs: Int64 = -1
    public var failed = false
    public var fallbackAttempt: Int64 = -1
    public var loggedCostUSD: Double = .nan
    public var flags: Int64 = 0

    public init() {}
}

public struct ScanStatistics: Sendable, Equatable {
    /// Rows of the window handed to the sink.
    public var rows = 0
    /// LiteLLM spend-log rows left out because the same call's logging payload is in the ledger
    /// (both describe one call; the payload has more fields).
    public var shadowedSpendRows = 0
}

/// Streams a time window of the ledger in timestamp order on a read-only connection of its own.
///
/// Raw sqlite3 calls rather than GRDB rows: ten million rows through `Row` cost seconds of allocation.
public final class LedgerScanner {
    public let path: String
    private var connection: OpaquePointer?

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw LedgerError.cannotOpen(path: path, reason: "no such file (run `routeledger ingest` first)")
        }
        let opened = Self.openReadOnly(path)
        connection = opened.connection
        guard opened.code == SQLITE_OK else {
            let reason = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(connection)
            connection = nil
            throw LedgerError.cannotOpen(path: path, reason: reason)
        }
        sqlite3_busy_timeout(connection, 30_000)
        // One read transaction for the strings and the rows: a concurrent ingest cannot split them.
        try execute("BEGIN")
        guard try tableExists("invocations") else {
            throw LedgerError.cannotOpen(path: path, reason: "not a RouteLedger ledger (no invocations table)")
        }
    }

    deinit {
        sqlite3_exec(connection, "COMMIT", nil, nil, nil)
        sqlite3_close(connection)
    }

    /// Opens a ledger read-only, also on read-only media.
    ///
    /// A ledger is in WAL mode, and SQLite reads a WAL database through a `-shm` file it creates beside it: on a
    /// read-only mount (or in a folder this user may not write) that fails, and every read says "unable to open
    /// database file". When there is no `-wal` file either, the last writer closed cleanly and the main file holds
    /// every commit; the ledger is then opened again as immutable (no locks, no `-shm`), which is what it is
    /// while nothing can write where it lies.
    static func openReadOnly(_ path: String) -> (connection: OpaquePointer?, code: Int32) {
        var connection: OpaquePointer?
        let code = sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK else { return (connection, code) }
        // Reading the schema is the first access to the WAL index.
        let probe = sqlite3_exec(connection, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard probe == SQLITE_CANTOPEN, access(folder, W_OK) != 0,
              !FileManager.default.fileExists(atPath: path + "-wal") else { return (connection, SQLITE_OK) }
        sqlite3_close(connection)
        connection = nil
        let uri = URL(fileURLWithPath: path).standardizedFileURL.absoluteString + "?immutable=1"
        let reopened = sqlite3_open_v2(uri, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nil)
        return (connection, reopened)
    }

    private func failure() -> LedgerError {
        .cannotOpen(path: path, reason: String(cString: sqlite3_errmsg(connection)))
    }

    private func execute(_ sql: String) throws {
        guard sqlite3_exec(connection, sql, nil, nil, nil) == SQLITE_OK else { throw failure() }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(connection, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw failure() }
        return statement
    }

    private func tableExists(_ name: String) throws -> Bool {
        let statement = try prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_text(statement, 1, name, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        return sqlite3_step(statement) == SQLITE_ROW
    }

    /// Every dimension string, indexed by its ledger id (index 0 is unused: 0 means NULL).
    public func strings() throws -> [String] {
        let statement = try prepare("SELECT id, value FROM strings ORDER BY id")
        defer { sqlite3_finalize(statement) }
        var values = [""]
        while sqlite3_step(statement) == SQLITE_ROW {
            let id = Int(sqlite3_column_int64(statement, 0))
            if id >= values.count { values.append(contentsOf: repeatElement("", count: id - values.count + 1)) }
            values[id] = String(cString: sqlite3_column_text(statement, 1))
        }
        return values
    }

    /// Dedupe keys of rows that a killed ingest wrote but has not merged yet; while any exist a LiteLLM
    /// spend row may not be matched to its payload, so reports say so.
    public func unmergedKeyRows() throws -> Int64 {
        let statement = try prepare("""
            SELECT count(*) FROM invocations
            WHERE id > (SELECT value FROM ledger_state WHERE key = 'request_keys_through')
            """)
        defer { sqlite3_finalize(statement) }
        return sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : 0
    }

    /// One request of a prompt router with the prompt body kept at ingest (`--keep-bodies`).
    public struct RouterPrompt: Sendable {
        public var requestID: String
        public var timestampMicros: Int64
        public var servedModel: String?
        public var region: String?
        public var inputTokens: Int64
        public var outputTokens: Int64
        public var cacheReadTokens: Int64
        public var cacheWriteTokens: Int64
        /// The stored prompt body (the request JSON for Bedrock), or nil when bodies were not kept.
        public var promptBody: String?
    }

    /// The router's requests in `since <= ts < until`, in timestamp order, with their kept prompt bodies.
    public func routerPrompts(router: String, since: Int64, until: Int64) throws -> [RouterPrompt] {
        let statement = try prepare("""
            SELECT i.request_id, i.ts_us, served.value, region.value, i.input_tokens, i.output_tokens,
                   i.cache_read_tokens, i.cache_write_tokens, b.prompt
            FROM invocations i
            JOIN strings r ON r.id = i.router_id AND r.value = ?
            LEFT JOIN strings served ON served.id = i.served_model_id
            LEFT JOIN strings region ON region.id = i.region_id
            LEFT JOIN bodies b ON b.invocation_id = i.id
            WHERE i.ts_us >= ? AND i.ts_us < ?
            ORDER BY i.ts_us, i.id
            """)
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_text(statement, 1, router, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        sqlite3_bind_int64(statement, 2, since)
        sqlite3_bind_int64(statement, 3, until)
        func text(_ column: Int32) -> String? {
            sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : String(cString: sqlite3_column_text(statement, column))
        }
        func count(_ column: Int32) -> Int64 {
            sqlite3_column_type(statement, column) == SQLITE_NULL ? -1 : sqlite3_column_int64(statement, column)
        }
        var rows: [RouterPrompt] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw failure() }
            rows.append(RouterPrompt(requestID: text(0) ?? "", timestampMicros: sqlite3_column_int64(statement, 1),
                                     servedModel: text(2), region: text(3), inputTokens: count(4), outputTokens: count(5),
                                     cacheReadTokens: count(6), cacheWriteTokens: count(7), promptBody: text(8)))
        }
        return rows
    }

    /// Earliest and latest timestamp in the ledger, or nil when it is empty.
    public func timeRange() throws -> ClosedRange<Int64>? {
        let statement = try prepare("SELECT min(ts_us), max(ts_us) FROM invocations")
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW, sqlite3_column_type(statement, 0) != SQLITE_NULL else { return nil }
        return sqlite3_column_int64(statement, 0)...sqlite3_column_int64(statement, 1)
    }

    /// Calls `body` for every row with `since <= ts < until`, ordered by timestamp then id. The
    /// correlation id bytes are valid only during the call.
    @discardableResult
    public func scan(since: Int64, until: Int64,
                     _ body: (inout ScannedRow, UnsafeRawBufferPointer?) throws -> Void) throws -> ScanStatistics {
        let statement = try prepare("""
            SELECT i.ts_us,
                   CASE i.source_kind WHEN 'bedrock' THEN 0 WHEN 'litellm' THEN 1 ELSE 2 END,
                   i.account_id, i.region_id, i.inference_region_id, i.model_id, i.router_id, i.served_model_id,
                   i.model_group_id, i.deployment_id, i.error_code_id, i.tenant_id, i.original_model_group_id,
                   i.input_tokens, i.output_tokens, i.cache_read_tokens, i.cache_write_tokens,
                   i.latency_ms, i.ttft_ms, i.status = 'failure', i.fallback_attempt, i.logged_cost_usd, i.flags,
                   i.correlation_id,
                   i.source_kind = 'litellm-spend' AND EXISTS (
                       SELECT 1 FROM request_keys k WHERE k.source_kind = 'litellm' AND k.request_id = i.request_id)
            FROM invocations i
            WHERE i.ts_us >= ?1 AND i.ts_us < ?2
            ORDER BY i.ts_us, i.id
            """)
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_int64(statement, 1, since)
        sqlite3_bind_int64(statement, 2, until)
        var stats = ScanStatistics()
        var row = ScannedRow()
        @inline(__always) func optionalInt(_ column: Int32) -> Int64 {
            sqlite3_column_type(statement, column) == SQLITE_NULL ? -1 : sqlite3_column_int64(statement, column)
        }
        @inline(__always) func id(_ column: Int32) -> Int32 { Int32(truncatingIfNeeded: sqlite3_column_int64(statement, column)) }
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw failure() }
            if sqlite3_column_int(statement, 24) != 0 {
                stats.shadowedSpendRows += 1
                continue
            }
            row.timestampMicros = sqlite3_column_int64(statement, 0)
            switch sqlite3_column_int(statement, 1) {
            case 0: row.sourceKind = .bedrock
            case 1: row.sourceKind = .litellm
            default: row.sourceKind = .litellmSpend
            }
            row.account = id(2); row.region = id(3); row.inferenceRegion = id(4); row.model = id(5)
            row.router = id(6); row.servedModel = id(7); row.modelGroup = id(8); row.deployment = id(9)
            row.errorCode = id(10); row.tenant = id(11); row.originalModelGroup = id(12)
            row.inputTokens = optionalInt(13); row.outputTokens = optionalInt(14)
            row.cacheReadTokens = optionalInt(15); row.cacheWriteTokens = optionalInt(16)
            row.latencyMs = optionalInt(17); row.ttftMs = optionalInt(18)
            row.failed = sqlite3_column_int(statement, 19) != 0
            row.fallbackAttempt = optionalInt(20)
            row.loggedCostUSD = sqlite3_column_type(statement, 21) == SQLITE_NULL ? .nan : sqlite3_column_double(statement, 21)
            row.flags = sqlite3_column_int64(statement, 22)
            stats.rows += 1
            if let text = sqlite3_column_text(statement, 23) {
                let count = Int(sqlite3_column_bytes(statement, 23))
                try body(&row, UnsafeRawBufferPointer(start: text, count: count))
            } else {
                try body(&row, nil)
            }
        }
        return stats
    }
}
