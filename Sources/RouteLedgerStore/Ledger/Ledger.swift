import Foundation
import GRDB

/// Errors of the Store layer. Each names the ledger file it concerns.
public enum LedgerError: Error, LocalizedError, Equatable {
    case cannotOpen(path: String, reason: String)
    case lockTimeout(path: String, seconds: Double)
    case readOnly(path: String)
    case writeFailed(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open ledger \(path): \(reason)"
        case .lockTimeout(let path, let seconds):
            return "another routeledger process is writing \(path); gave up waiting after \(Int(seconds)) s (use --lock-timeout to wait longer)"
        case .readOnly(let path): return "ledger \(path) is read-only; nothing was changed"
        case .writeFailed(let path, let reason): return "writing ledger \(path) failed: \(reason); the current file was rolled back"
        }
    }
}

/// The SQLite ledger file: opening, migrations, and the writer lock.
public final class Ledger: @unchecked Sendable {
    public let path: String
    public let queue: DatabaseQueue

    public static let defaultPath = "routeledger.sqlite"

    /// Resolves `--db`, then `ROUTELEDGER_DB`, then the default.
    public static func resolvePath(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        explicit ?? environment["ROUTELEDGER_DB"] ?? defaultPath
    }

    public init(path: String, readOnly: Bool = false, busyTimeout: Double = 30) throws {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.label = "routeledger"
        configuration.prepareDatabase { db in
            if !readOnly {
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                // NORMAL in WAL mode survives a killed process; only power loss can drop the last commits.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // Index pages are hot during ingest; a small cache turns every insert into page reads.
                try db.execute(sql: "PRAGMA cache_size = -131072")
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            if !readOnly { try LedgerSchema.migrator.migrate(queue) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
            throw LedgerError.readOnly(path: path)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN && Self.isOnReadOnlyMedia(path) {
            // An existing ledger on a read-only mount: SQLite cannot create its -shm file and says "unable to open".
            throw LedgerError.readOnly(path: path)
        } catch let error as DatabaseError {
            throw LedgerError.cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        }
    }

    /// The ledger exists but nothing may be written beside it (a read-only mount, a folder this user cannot write).
    static func isOnReadOnlyMedia(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path) && access(URL(fileURLWithPath: path).deletingLastPathComponent().path, W_OK) != 0
    }

    /// Names of the migrations applied, in order.
    public func appliedMigrations() throws -> [String] {
        try queue.read { db in try LedgerSchema.migrator.appliedMigrations(db) }
    }
}

/// An exclusive advisory lock beside the ledger (`<ledger>.lock`), held for a whole ingest run so
/// two writers never interleave; the second waits up to a timeout and then fails clearly.
public final class LedgerWriteLock {
    private let descriptor: Int32
    public let path: String

    public init(ledgerPath: String, timeout: Double, onWait: (() -> Void)? = nil) throws {
        path = ledgerPath + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            if errno == EROFS || errno == EACCES { throw LedgerError.readOnly(path: ledgerPath) }
            throw LedgerError.cannotOpen(path: ledgerPath, reason: String(cString: strerror(errno)))
        }
        let deadline = Date().addingTimeInterval(timeout)
        var warned = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if Date() >= deadline {
                close(descriptor)
                throw LedgerError.lockTimeout(path: ledgerPath, seconds: timeout)
            }
            if !warned { onWait?(); warned = true }
            usleep(50_000)
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
