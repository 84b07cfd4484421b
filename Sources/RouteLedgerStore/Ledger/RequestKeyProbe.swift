import Foundation
import GRDBSQLite
import RouteLedgerModel

/// Looks up merged dedupe keys on a read-only connection of its own, so the coordinator can decide
/// duplicates while the writer thread holds the write transaction (WAL readers never block the writer).
final class RequestKeyProbe {
    private var connection: OpaquePointer?
    private var lookup: OpaquePointer?

    init(ledgerPath: String) throws {
        guard sqlite3_open_v2(ledgerPath, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
              sqlite3_prepare_v3(connection, "SELECT invocation_id, content_hash FROM request_keys WHERE source_kind = ? AND request_id = ?",
                                 -1, UInt32(SQLITE_PREPARE_PERSISTENT), &lookup, nil) == SQLITE_OK
        else {
            let reason = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(connection)
            throw LedgerError.cannotOpen(path: ledgerPath, reason: reason)
        }
        sqlite3_busy_timeout(connection, 30_000)
    }

    deinit {
        sqlite3_finalize(lookup)
        sqlite3_close(connection)
    }

    /// The merged keys of a source and its members (used when that source is about to be replaced).
    func keys(ofSource source: Int64) throws -> [(kind: String, requestID: String)] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(connection, """
            SELECT k.source_kind, k.request_id FROM request_keys k JOIN invocations i ON i.id = k.invocation_id
            WHERE i.source_id IN (SELECT id FROM sources WHERE id = ?1 OR parent_id = ?1)
            """, -1, &statement, nil) == SQLITE_OK else {
            throw LedgerError.cannotOpen(path: "request_keys", reason: String(cString: sqlite3_errmsg(connection)))
        }
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_int64(statement, 1, source)
        var keys: [(kind: String, requestID: String)] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            keys.append((String(cString: sqlite3_column_text(statement, 0)), String(cString: sqlite3_column_text(statement, 1))))
        }
        return keys
    }

    func find(kind: SourceKind, requestID: String) throws -> (id: Int64, contentHash: Int64)? {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        sqlite3_reset(lookup)
        sqlite3_bind_text(lookup, 1, kind.rawValue, -1, transient)
        sqlite3_bind_text(lookup, 2, requestID, -1, transient)
        switch sqlite3_step(lookup) {
        case SQLITE_ROW: return (sqlite3_column_int64(lookup, 0), sqlite3_column_int64(lookup, 1))
        case SQLITE_DONE: return nil
        default: throw LedgerError.cannotOpen(path: "request_keys", reason: String(cString: sqlite3_errmsg(connection)))
        }
    }
}
