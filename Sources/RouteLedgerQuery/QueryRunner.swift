import Foundation
import GRDBSQLite
import RouteLedgerConfig
import RouteLedgerModel

/// A value of a result cell, with SQLite's storage class preserved.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Int)
}

/// Receives a result as it is produced, so large results stream.
public protocol ResultSink {
    mutating func begin(columns: [String]) throws
    mutating func row(_ values: [SQLValue]) throws
    mutating func end() throws
}

/// Runs query files on a read-only connection to the ledger.
///
/// Safety is layered: the file is opened read-only, the connection is `query_only`, an authorizer
/// refuses every write, ATTACH, DETACH and PRAGMA (but a few read-only ones) at compile time, and a
/// statement that is not read-only is refused before it runs. Parameters are bound, never spliced.
public final class QueryRunner {
    public let ledgerPath: String
    private var connection: OpaquePointer?
    private let context: FunctionContext

    public init(ledgerPath: String, catalog: PriceCatalog, routers: [RouterDefinition] = []) throws {
        self.ledgerPath = ledgerPath
        context = FunctionContext(catalog: catalog, routers: routers)
        guard FileManager.default.fileExists(atPath: ledgerPath) else {
            throw QueryError(file: ledgerPath, message: "no such ledger (run `routeledger ingest` first)")
        }
        let opened = Self.openReadOnly(ledgerPath)
        connection = opened.connection
        guard opened.code == SQLITE_OK else {
            let reason = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(connection)
            connection = nil
            throw QueryError(file: ledgerPath, message: "cannot open the ledger: \(reason)")
        }
        sqlite3_busy_timeout(connection, 30_000)
        sqlite3_limit(connection, SQLITE_LIMIT_ATTACHED, 0)
        try SQLFunctions.register(on: connection!, context: context)
        try learnRouters()
        try execute(LedgerViews.requestsView)
        try execute("PRAGMA query_only = ON")
        sqlite3_set_authorizer(connection, authorize, Unmanaged.passUnretained(context).toOpaque())
    }

    deinit {
        sqlite3_close_v2(connection)
    }

    /// Opens the ledger read-only, also on read-only media (as `LedgerScanner.openReadOnly` in RouteLedgerStore,
    /// which this module does not depend on): a WAL ledger needs a `-shm` file beside it, which a read-only
    /// mount cannot get; with no `-wal` file either, the main file holds every commit and is opened as immutable.
    static func openReadOnly(_ path: String) -> (connection: OpaquePointer?, code: Int32) {
        var connection: OpaquePointer?
        let code = sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK else { return (connection, code) }
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

    /// What the report engine infers from traffic, learned once over the whole ledger: each router's most used
    /// strong and cheap served models (for routers without configured ones) and the LiteLLM model groups that
    /// route (their calls were served by both tiers).
    private func learnRouters() throws {
        func rows(_ sql: String) throws -> [(String, String, Int64)] {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(connection, sql, -1, &statement, nil) == SQLITE_OK else {
                defer { sqlite3_finalize(statement) }
                throw QueryError(file: ledgerPath, message: "cannot read the ledger: \(String(cString: sqlite3_errmsg(connection)))")
            }
            defer { sqlite3_finalize(statement) }
            var out: [(String, String, Int64)] = []
            while sqlite3_step(statement) == SQLITE_ROW {
                out.append((String(cString: sqlite3_column_text(statement, 0)), String(cString: sqlite3_column_text(statement, 1)),
                            sqlite3_column_int64(statement, 2)))
            }
            return out
        }
        var served: [String: [String: Int64]] = [:]
        for (router, model, count) in try rows("""
            SELECT router, served_model, count(*) FROM invocations_v
            WHERE router IS NOT NULL AND served_model IS NOT NULL AND status = 'success' GROUP BY 1, 2
            """) {
            served[router, default: [:]][model] = count
        }
        for (router, models) in served {
            func pick(_ tier: ModelTier) -> String? {
                models.filter { context.catalog.tier(of: $0.key) == tier }.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
            }
            context.inferredStrong[router] = pick(.strong)
            context.inferredCheap[router] = pick(.cheap)
        }
        var tiers: [String: Set<ModelTier>] = [:]
        for (group, model, _) in try rows("""
            SELECT model_group, COALESCE(served_model, model), count(*) FROM invocations_v
            WHERE source_kind != 'bedrock' AND model_group IS NOT NULL AND COALESCE(served_model, model) IS NOT NULL
              AND status = 'success' GROUP BY 1, 2
            """) {
            if let tier = context.catalog.tier(of: model) { tiers[group, default: []].insert(tier) }
        }
        context.routingGroups = Set(tiers.filter { $0.value.count == ModelTier.allCases.count }.keys).union(context.routers.keys)
    }

    private func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(connection, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw QueryError(file: ledgerPath, message: "cannot prepare the ledger views: \(text) (is this a RouteLedger ledger?)")
        }
    }

    /// Runs `file` with `parameters` (already converted), streaming rows into `sink`; returns the row count.
    @discardableResult
    public func run<Sink: ResultSink>(_ file: QueryFile, parameters: [String: BoundValue], timeout: Double? = nil,
                                      into sink: inout Sink) throws -> Int {
        context.denied = nil
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let status = file.text.withCString { sql -> Int32 in
            let result = sqlite3_prepare_v3(connection, sql, -1, 0, &statement, &tail)
            if result == SQLITE_OK, let tail {
                // One statement per file: anything after it but comments, blanks and semicolons is an error.
                let rest = String(cString: tail)
                if !SQLText.isOnlyTrivia(rest) {
                    let offset = sql.distance(to: tail)
                    sqlite3_finalize(statement)
                    statement = nil
                    context.pendingError = (offset, "a query file holds one statement; found more after it")
                    return SQLITE_ERROR
                }
            }
            return result
        }
        guard status == SQLITE_OK, let statement else {
            throw compileError(file)
        }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_stmt_readonly(statement) != 0 else {
            throw QueryError(file: file.path, line: 1, message: "query files are read-only: this statement would change the ledger")
        }
        guard sqlite3_column_count(statement) > 0 else {
            throw QueryError(file: file.path, message: "the statement returns no columns (a query file must be a SELECT)")
        }
        try bind(file, parameters, statement)

        let deadline = timeout.map { DispatchTime.now().uptimeNanoseconds + UInt64($0 * 1e9) }
        context.deadline = deadline
        sqlite3_progress_handler(connection, 10_000, progress, Unmanaged.passUnretained(context).toOpaque())
        defer { sqlite3_progress_handler(connection, 0, nil, nil) }

        let columnCount = sqlite3_column_count(statement)
        let columns = (0..<columnCount).map { String(cString: sqlite3_column_name(statement, $0)) }
        try sink.begin(columns: columns)
        var rows = 0
        var values = [SQLValue](repeating: .null, count: Int(columnCount))
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                if step == SQLITE_INTERRUPT, let timeout {
                    throw QueryError(file: file.path, message: "stopped after \(Self.seconds(timeout)) (--timeout); no partial result is valid")
                }
                throw QueryError(file: file.path, message: String(cString: sqlite3_errmsg(connection)))
            }
            for column in 0..<columnCount {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: values[Int(column)] = .integer(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: values[Int(column)] = .real(sqlite3_column_double(statement, column))
                case SQLITE_TEXT: values[Int(column)] = .text(String(cString: sqlite3_column_text(statement, column)))
                case SQLITE_BLOB: values[Int(column)] = .blob(Int(sqlite3_column_bytes(statement, column)))
                default: values[Int(column)] = .null
                }
            }
            try sink.row(values)
            rows += 1
        }
        try sink.end()
        return rows
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    private func bind(_ file: QueryFile, _ parameters: [String: BoundValue], _ statement: OpaquePointer) throws {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let declared = Set(file.parameters.map(\.name))
        for index in 1...max(1, sqlite3_bind_parameter_count(statement)) where sqlite3_bind_parameter_count(statement) > 0 {
            guard let rawName = sqlite3_bind_parameter_name(statement, index) else {
                throw QueryError(file: file.path, message: "positional parameters (?) are not supported; name them (:since) and declare them with @param")
            }
            let name = String(String(cString: rawName).dropFirst())
            guard declared.contains(name) else {
                throw QueryError(file: file.path, message: "the SQL uses :\(name), which the header does not declare "
                    + "(declared: \(declared.sorted().map { ":" + $0 }.joined(separator: ", ")))")
            }
            switch parameters[name] ?? .null {
            case .integer(let value): sqlite3_bind_int64(statement, index, value)
            case .real(let value): sqlite3_bind_double(statement, index, value)
            case .text(let value): sqlite3_bind_text(statement, index, value, -1, transient)
            case .null: sqlite3_bind_null(statement, index)
            }
        }
    }

    /// The compile error at its file line and column (SQLite reports a byte offset into the text).
    private func compileError(_ file: QueryFile) -> QueryError {
        if let denied = context.denied {
            return QueryError(file: file.path, message: "query files are read-only: \(denied) is not allowed")
        }
        let offset: Int
        let message: String
        if let pending = context.pendingError {
            context.pendingError = nil
            (offset, message) = pending
        } else {
            offset = Int(sqlite3_error_offset(connection))
            message = String(cString: sqlite3_errmsg(connection))
        }
        let position = offset >= 0 ? offset : SQLText.offsetOfName(in: message, within: file.text)
        guard let position else { return QueryError(file: file.path, message: message) }
        let (line, column) = SQLText.lineAndColumn(of: position, in: file.text)
        return QueryError(file: file.path, line: line, column: column, message: message)
    }
}

/// State the C callbacks reach through their user-data pointer.
final class FunctionContext: @unchecked Sendable {
    let catalog: PriceCatalog
    let routers: [String: RouterDefinition]
    var inferredStrong: [String: String] = [:]
    var inferredCheap: [String: String] = [:]
    var routingGroups = Set<String>()
    var denied: String?
    var pendingError: (Int, String)?
    var deadline: UInt64?

    init(catalog: PriceCatalog, routers: [RouterDefinition]) {
        self.catalog = catalog
        self.routers = Dictionary(routers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }
}

private let progress: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { pointer in
    guard let pointer else { return 0 }
    let context = Unmanaged<FunctionContext>.fromOpaque(pointer).takeUnretainedValue()
    guard let deadline = context.deadline else { return 0 }
    return DispatchTime.now().uptimeNanoseconds >= deadline ? 1 : 0
}

/// PRAGMAs a query may read; everything else (writable_schema, journal_mode=…, anything with a value) is refused.
private let readablePragmas: Set<String> = ["table_info", "table_xinfo", "index_list", "index_info", "foreign_key_list",
                                             "function_list", "collation_list", "database_list"]

/// Names of the DDL actions, for the refusal message.
private let definitionActions: [Int32: String] = [
    SQLITE_CREATE_INDEX: "CREATE INDEX", SQLITE_CREATE_TABLE: "CREATE TABLE", SQLITE_CREATE_TEMP_INDEX: "CREATE INDEX",
    SQLITE_CREATE_TEMP_TABLE: "CREATE TABLE", SQLITE_CREATE_TEMP_TRIGGER: "CREATE TRIGGER", SQLITE_CREATE_TEMP_VIEW: "CREATE VIEW",
    SQLITE_CREATE_TRIGGER: "CREATE TRIGGER", SQLITE_CREATE_VIEW: "CREATE VIEW", SQLITE_DROP_INDEX: "DROP INDEX",
    SQLITE_DROP_TABLE: "DROP TABLE", SQLITE_DROP_TEMP_INDEX: "DROP INDEX", SQLITE_DROP_TEMP_TABLE: "DROP TABLE",
    SQLITE_DROP_TEMP_TRIGGER: "DROP TRIGGER", SQLITE_DROP_TEMP_VIEW: "DROP VIEW", SQLITE_DROP_TRIGGER: "DROP TRIGGER",
    SQLITE_DROP_VIEW: "DROP VIEW", SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE", SQLITE_DROP_VTABLE: "DROP VIRTUAL TABLE",
]

private let authorize: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
                                       UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32 = { pointer, action, first, _, _, _ in
    guard let pointer else { return SQLITE_DENY }
    let context = Unmanaged<FunctionContext>.fromOpaque(pointer).takeUnretainedValue()
    let subject = first.map { String(cString: $0) } ?? ""
    func deny(_ what: String, overriding: Bool = false) -> Int32 {
        if context.denied == nil || overriding { context.denied = what }
        return SQLITE_DENY
    }
    switch action {
    case SQLITE_SELECT, SQLITE_READ, SQLITE_FUNCTION, SQLITE_RECURSIVE:
        return SQLITE_OK
    case SQLITE_PRAGMA:
        // Reading pragmas (table_info(x) and friends) are allowed; anything else, with or without a value, is not.
        let name = subject.lowercased()
        return readablePragmas.contains(name) ? SQLITE_OK : deny("PRAGMA \(name)")
    case SQLITE_ATTACH: return deny("ATTACH")
    case SQLITE_DETACH: return deny("DETACH")
    case SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE:
        // DDL writes the schema table first (and stops there): report it as what it is.
        if subject.hasPrefix("sqlite_") { return deny("a schema change (CREATE or DROP)") }
        return deny(action == SQLITE_INSERT ? "INSERT" : action == SQLITE_UPDATE ? "UPDATE" : "DELETE")
    case SQLITE_TRANSACTION, SQLITE_SAVEPOINT: return deny("a transaction statement")
    case SQLITE_ANALYZE: return deny("ANALYZE")
    case SQLITE_REINDEX: return deny("REINDEX")
    case SQLITE_ALTER_TABLE: return deny("ALTER TABLE")
    default:
        return deny(definitionActions[action] ?? "this statement", overriding: definitionActions[action] != nil)
    }
}

enum SQLText {
    /// 1-based line and column (in characters) of a UTF-8 byte offset.
    static func lineAndColumn(of offset: Int, in text: String) -> (Int, Int) {
        var line = 1, column = 1, consumed = 0
        for character in text {
            if consumed >= offset { break }
            consumed += character.utf8.count
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    /// Some errors ("no such table: x", "no such column: y") come without an offset: find the name they
    /// quote in the SQL, outside the header comments, as a whole word.
    static func offsetOfName(in message: String, within text: String) -> Int? {
        guard let colon = message.range(of: ": ", options: .backwards) else { return nil }
        let name = message[colon.upperBound...].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, let last = name.split(separator: ".").last else { return nil }
        let bytes = Array(text.utf8), needle = Array(last.utf8)
        func isWord(_ b: UInt8) -> Bool { b == 95 || (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) }
        var index = 0, lineStart = true, inComment = false
        while index + needle.count <= bytes.count {
            let byte = bytes[index]
            if byte == 10 { lineStart = true; inComment = false; index += 1; continue }
            if lineStart, byte == 45, index + 1 < bytes.count, bytes[index + 1] == 45 { inComment = true }
            if !(byte == 32 || byte == 9) { lineStart = false }
            if !inComment, Array(bytes[index..<(index + needle.count)]) == needle,
               index == 0 || !isWord(bytes[index - 1]),
               index + needle.count == bytes.count || !isWord(bytes[index + needle.count]) {
                return index
            }
            index += 1
        }
        return nil
    }

    /// True when `text` holds nothing but whitespace, `;` and SQL comments.
    static func isOnlyTrivia(_ text: String) -> Bool {
        var rest = Substring(text)
        while let first = rest.first {
            if first.isWhitespace || first == ";" {
                rest = rest.dropFirst()
            } else if rest.hasPrefix("--") {
                rest = rest.drop { $0 != "\n" }
            } else if rest.hasPrefix("/*") {
                guard let end = rest.range(of: "*/") else { return true }
                rest = rest[end.upperBound...]
            } else {
                return false
            }
        }
        return true
    }
}
