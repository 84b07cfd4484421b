import ArgumentParser
import Foundation
import RouteLedgerSynth

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic corpus of Bedrock and LiteLLM logs in their real formats and layouts.",
        discussion: """
            Same seed, same bytes. The folder also gets synth-summary.json: the counts an ingest of it must reproduce.
            """)

    @Option(help: "Logical requests to generate (Bedrock records plus LiteLLM payloads).")
    var records: Int

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Days of traffic.")
    var days: Int = 1

    @Option(help: ArgumentHelp("First day (UTC).", valueName: "YYYY-MM-DD"))
    var startDay: String = "2026-11-01"

    @Option(help: ArgumentHelp("Output folder.", valueName: "dir"))
    var out: String

    @Option(help: "Package as none (loose files), tar (bundle.tar.gz) or zip (bundle.zip).")
    var bundle: String = "none"

    @Option(help: "Share of Bedrock lines replaced by corrupt ones (also adds a duplicate and a truncated file).")
    var corruptRate: Double = 0

    @Option(help: "Share of requests that are LiteLLM payloads.")
    var litellmShare: Double = 0.2

    @Flag(help: "Leave request and response bodies out (text delivery off).")
    var noBodies = false

    @Option(help: ArgumentHelp("Where to put synth-summary.json (default: inside --out, where an ingest of --out would also read it).", valueName: "file"))
    var summaryFile: String?

    @Option(help: "Generator threads (the output does not depend on it).")
    var threads: Int = 2

    @Option(help: ArgumentHelp("Also write labelled pairs (pairs.csv columns) for the prompt-router requests, for `replay`. "
                               + "Must be outside --out; the logs stay byte-identical.", valueName: "file"))
    var labels: String?

    func validate() throws {
        guard records > 0 else { throw ValidationError("--records must be positive") }
        guard days > 0 else { throw ValidationError("--days must be positive") }
        guard SynthBundle(rawValue: bundle) != nil else { throw ValidationError("--bundle must be none, tar or zip") }
        guard (0...1).contains(corruptRate) else { throw ValidationError("--corrupt-rate must be within 0…1") }
        guard (0...1).contains(litellmShare) else { throw ValidationError("--litellm-share must be within 0…1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let labels, let summaryFile,
           URL(fileURLWithPath: labels).standardizedFileURL == URL(fileURLWithPath: summaryFile).standardizedFileURL {
            throw ValidationError("--labels and --summary-file must be different files")
        }
    }

    func run() throws {
        let options = SynthOptions(records: records, seed: seed, days: days, outputDirectory: out,
                                   bundle: SynthBundle(rawValue: bundle)!, corruptRate: corruptRate, startDay: startDay,
                                   withBodies: !noBodies, litellmShare: litellmShare, overwrite: true, threads: threads,
                                   labelsPath: labels)
        let summary: SynthSummary
        do {
            summary = try Synthesizer.generate(options)
        } catch {
            Terminal.error("\(error)")
            throw ExitCodes.fatal
        }
        if let summaryFile {
            let written = URL(fileURLWithPath: out).appendingPathComponent("synth-summary.json").path
            try? FileManager.default.removeItem(atPath: summaryFile)
            do {
                try FileManager.default.moveItem(atPath: written, toPath: summaryFile)
            } catch {
                Terminal.error("cannot move the summary to \(summaryFile): \(error.localizedDescription)")
                throw ExitCodes.fatal
            }
        }
        print("wrote \(summary.files.count) files, \(summary.totalRecords) records "
              + "(\(summary.perFormat.bedrock) bedrock, \(summary.perFormat.litellm) litellm, "
              + "\(summary.perFormat.litellmSpend) spend-log rows), "
              + String(format: "%.1f MB uncompressed", Double(summary.bytesUncompressed) / 1_000_000)
              + " → \(out)")
        if let labels, let count = summary.labelledPrompts {
            print("wrote \(count) labelled prompt-router requests → \(labels)")
        }
    }
}
