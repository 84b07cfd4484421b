import ArgumentParser

/// Published exit codes (also in the README).
enum ExitCodes {
    /// `--strict` and the run had rejections, issues or other warnings.
    static let warnings = ExitCode(1)
    /// Usage error or a fatal error (ledger locked, read-only, disk full, bad path).
    static let fatal = ExitCode(2)
}
