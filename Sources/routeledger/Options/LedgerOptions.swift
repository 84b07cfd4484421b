import ArgumentParser
import RouteLedgerStore

/// `--db`, shared by every command that reads or writes the ledger.
struct LedgerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Ledger SQLite file (default: $ROUTELEDGER_DB, else ./routeledger.sqlite).", valueName: "file"))
    var db: String?

    var resolvedPath: String { Ledger.resolvePath(db) }
}

/// `--strict` and `--quiet`, shared by commands that produce a run summary.
struct RunOptions: ParsableArguments {
    @Flag(name: .long, help: "Exit 1 when anything was rejected or any warning was raised.")
    var strict = false

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false
}
