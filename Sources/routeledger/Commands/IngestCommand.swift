import ArgumentParser
import Foundation
import RouteLedgerArchive
import RouteLedgerIngest
import RouteLedgerStore

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read invocation logs (files, folders, archives, or - for stdin) into the ledger.",
        discussion: """
            Containers are detected by content: plain JSON, gzip (multi-member too), tar, tar.gz, zip, zstd, and gzip
            files inside tar or zip members. Each input file is stored in one transaction: a kill leaves the ledger as
            if that file had never been started. Re-running on the same files is a no-op.
            """)

    @Argument(help: ArgumentHelp("Files, folders or - (stdin).", valueName: "path"))
    var paths: [String]

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var runOptions: RunOptions

    @Option(help: "Record format: auto, bedrock, litellm or litellm-spend.")
    var format: String = "auto"

    @Option(help: "Files decompressed and parsed in parallel.")
    var jobs: Int = 1

    @Flag(help: "Store prompt and response bodies (otherwise only their length and SHA-256 are kept).")
    var keepBodies = false

    @Option(help: ArgumentHelp("Tenant keys looked up in request metadata, in order (comma-separated).", valueName: "keys"))
    var tenantKeys: String = DecodeOptions.defaultTenantKeys.joined(separator: ",")

    @Option(help: ArgumentHelp("Request-metadata key that links retries and fallbacks.", valueName: "key"))
    var correlationKey: String = "trace_id"

    @Option(help: ArgumentHelp("JSON file mapping application-inference-profile ARNs (or ids) to model ids.", valueName: "file"))
    var profileMap: String?

    @Option(help: ArgumentHelp("Seconds to wait for another writer to release the ledger.", valueName: "seconds"))
    var lockTimeout: Double = 60

    @Option(help: ArgumentHelp("Largest uncompressed/compressed ratio accepted for one member.", valueName: "ratio"))
    var maxRatio: Double = 1000

    @Option(help: ArgumentHelp("Print the summary as text or json.", valueName: "format"))
    var summary: String = "text"

    func validate() throws {
        guard InputFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
        guard ["text", "json"].contains(summary) else { throw ValidationError("--summary must be text or json") }
        guard lockTimeout >= 0 else { throw ValidationError("--lock-timeout must not be negative") }
        guard maxRatio > 1 else { throw ValidationError("--max-ratio must be greater than 1") }
        guard paths.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("- (stdin) may be given once") }
    }

    /// Flags become an immutable plan before any work starts.
    func makePlan() throws -> IngestPlan {
        var profiles: [String: String] = [:]
        if let profileMap {
            guard let data = FileManager.default.contents(atPath: profileMap),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: String] else {
                throw ValidationError("--profile-map \(profileMap) must be a JSON object of strings")
            }
            profiles = object
        }
        let keys = tenantKeys.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let decode = DecodeOptions(format: InputFormat(rawValue: format)!, tenantKeys: keys, correlationKey: correlationKey,
                                   applicationProfiles: profiles, keepBodies: keepBodies)
        return IngestPlan(paths: paths, ledgerPath: ledger.resolvedPath, decode: decode, jobs: jobs,
                          limits: ExtractionLimits(maxExpansionRatio: maxRatio), lockTimeout: lockTimeout)
    }

    func run() throws {
        let plan = try makePlan()
        let showProgress = !runOptions.quiet && Terminal.stderrIsTerminal
        let result: IngestSummary
        do {
            result = try IngestRunner.run(plan, onWaitForLock: {
                if !runOptions.quiet { Terminal.error("waiting for another process to release \(plan.ledgerPath)…") }
            }, progress: showProgress ? { progress in
                let megabytes = Double(progress.uncompressedBytes) / 1_048_576
                let seconds = max(progress.seconds, 0.001)
                Terminal.status(String(format: "\r%d/%d files  %d records  %.0f records/s  %.1f MB/s   ",
                                       progress.filesDone, progress.filesTotal, progress.records,
                                       Double(progress.records) / seconds, megabytes / seconds))
            } : nil)
        } catch {
            if showProgress { Terminal.status("\n") }
            Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw ExitCodes.fatal
        }
        if showProgress { Terminal.status("\r\u{1B}[K") }
        if !runOptions.quiet {
            if summary == "json" {
                print(SummaryFormatter.json(result))
            } else {
                print(SummaryFormatter.text(result), terminator: "")
            }
        }
        if runOptions.strict, !result.warnings.isEmpty { throw ExitCodes.warnings }
    }
}
