import Foundation
import RouteLedgerSynth
import RouteLedgerTestSupport
import Testing

/// Opt-in throughput check: `SYNTH_BENCH_RECORDS=90000 swift test -c release --filter SynthBenchmark`
/// (optional `SYNTH_BENCH_DAYS`, `SYNTH_BENCH_THREADS`, `SYNTH_BENCH_BUNDLE`=none|tar|zip).
@Suite("SynthBenchmark")
struct SynthBenchmark {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["SYNTH_BENCH_RECORDS"] != nil))
    func throughput() throws {
        let env = Self.environment
        let records = Int(env["SYNTH_BENCH_RECORDS"] ?? "") ?? 90_000
        let days = Int(env["SYNTH_BENCH_DAYS"] ?? "") ?? 7
        let threads = Int(env["SYNTH_BENCH_THREADS"] ?? "") ?? 2
        let bundle = SynthBundle(rawValue: env["SYNTH_BENCH_BUNDLE"] ?? "none") ?? .none
        let directory = try TemporaryDirectory("synth-bench")
        let clock = ContinuousClock()
        var summary: SynthSummary?
        let elapsed = try clock.measure {
            summary = try Synthesizer.generate(SynthOptions(records: records, seed: 1, days: days,
                                                            outputDirectory: directory.url.path, bundle: bundle,
                                                            corruptRate: 0.01, threads: threads))
        }
        let s = try #require(summary)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let megabytes = Double(s.bytesUncompressed) / 1_000_000
        print("SynthBenchmark: \(records) records, \(s.files.count) files, \(String(format: "%.1f", megabytes)) MB uncompressed, "
              + "\(String(format: "%.1f", Double(s.bytesWritten) / 1_000_000)) MB written, \(String(format: "%.2f", seconds)) s, "
              + "\(String(format: "%.1f", megabytes / seconds)) MB/s (threads \(threads), bundle \(bundle.rawValue))")
    }
}
