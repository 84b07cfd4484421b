import Foundation
import Synchronization

/// Deterministic synthetic corpus generator: Bedrock invocation logs (S3 layout) and LiteLLM logs.
///
/// Work is cut into units (one Bedrock object, or one LiteLLM hour) whose bytes depend only on the seed and
/// the unit's index, so units run on several threads and the output stays byte-identical for a seed.
public enum Synthesizer {
    static let ownedNames = ["AWSLogs", "litellm", "litellm-spend", "bundle.tar.gz", "bundle.zip", "synth-summary.json"]
    static let summaryName = "synth-summary.json"
    static let batchSize = 256

    enum Unit: Sendable {
        case bedrock(BedrockFileSpec)
        case litellm(LiteLLMChunkSpec)
    }

    public static func generate(_ options: SynthOptions) throws -> SynthSummary {
        guard options.records >= 0 else { throw SynthError.invalidOption("records must be >= 0") }
        guard options.days >= 1 else { throw SynthError.invalidOption("days must be >= 1") }
        guard (0...1).contains(options.corruptRate) else { throw SynthError.invalidOption("corruptRate must be in 0...1") }
        guard (0...1).contains(options.litellmShare) else { throw SynthError.invalidOption("litellmShare must be in 0...1") }
        guard options.threads >= 1 else { throw SynthError.invalidOption("threads must be >= 1") }
        guard !options.outputDirectory.isEmpty else { throw SynthError.invalidOption("outputDirectory is empty") }
        if let labelsPath = options.labelsPath {
            guard !labelsPath.isEmpty else { throw SynthError.invalidOption("labelsPath is empty") }
            try PromptLabels.checkOutside(labels: labelsPath, out: options.outputDirectory, overwrite: options.overwrite)
        }
        guard let startEpoch = CivilTime.parseDay(options.startDay) else {
            throw SynthError.invalidOption("startDay must be YYYY-MM-DD, got \(options.startDay)")
        }
        let out = URL(fileURLWithPath: options.outputDirectory)
        try prepareOutput(out, overwrite: options.overwrite)

        let litellmRecords = Int((Double(options.records) * options.litellmShare).rounded())
        let bedrockRecords = options.records - litellmRecords
        let units: [Unit] =
            Planner.bedrockFiles(records: bedrockRecords, seed: options.seed, startEpoch: startEpoch, days: options.days,
                                 corrupt: options.corruptRate > 0).map(Unit.bedrock)
            + Planner.litellmChunks(records: litellmRecords, seed: options.seed, startEpoch: startEpoch, days: options.days)
                .map(Unit.litellm)

        let sink = try Sink(out: out, bundle: options.bundle, mtime: startEpoch)
        var aggregate = Aggregate()
        let marker = "AWSLogs/\(Catalog.accounts[0].id)/BedrockModelInvocationLogs/amazon-bedrock-logs-permission-check"
        try sink.store([OutputFile(path: marker, data: [], uncompressedSize: 0)])
        aggregate.add(path: marker, stored: 0, uncompressed: 0)
        aggregate.fileCounts.permissionCheckFiles += 1

        var spendJSONL: [UInt8] = []
        var spendCSV = LiteLLMChunkGenerator.csvHeader
        var labels: [LabelRow] = []
        var batchStart = 0
        while batchStart < units.count {
            let batch = Array(units[batchStart..<min(units.count, batchStart + batchSize)])
            let results = try runParallel(batch, threads: options.threads, options: options, sink: sink)
            for result in results {
                if sink.bundleWriter != nil { try sink.store(result.files) }
                aggregate.add(result)
                spendJSONL.append(contentsOf: result.spendJSONL)
                spendCSV.append(contentsOf: result.spendCSV)
                labels.append(contentsOf: result.labels)
            }
            batchStart += batchSize
        }
        if litellmRecords > 0 {
            let spend = [OutputFile(path: "litellm-spend/spend_logs.jsonl", data: spendJSONL, uncompressedSize: spendJSONL.count),
                         OutputFile(path: "litellm-spend/spend_logs.csv", data: spendCSV, uncompressedSize: spendCSV.count)]
            try sink.store(spend)
            for file in spend { aggregate.add(path: file.path, stored: file.data.count, uncompressed: file.uncompressedSize) }
            aggregate.fileCounts.spendLogFiles += 2
        }
        let bundlePath = try sink.finish()
        if let bundlePath {
            let attributes = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(bundlePath).path)
            aggregate.bytesWritten = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        }

        var expected = aggregate.expected
        expected.litellm.costUSD = (expected.litellm.costUSD * 1e9).rounded() / 1e9
        expected.litellmSpend.costUSD = (expected.litellmSpend.costUSD * 1e9).rounded() / 1e9
        if let labelsPath = options.labelsPath { try PromptLabels.write(labels, to: labelsPath) }
        var summary = SynthSummary(
            seed: options.seed, startDay: options.startDay, days: options.days, requestedRecords: options.records,
            corruptRate: options.corruptRate, withBodies: options.withBodies, litellmShare: options.litellmShare,
            bundle: options.bundle, files: aggregate.files.sorted(), bundlePath: bundlePath, fileCounts: aggregate.fileCounts,
            totalRecords: expected.bedrock.records + expected.litellm.records,
            perFormat: .init(bedrock: expected.bedrock.records, litellm: expected.litellm.records,
                             litellmSpend: expected.litellmSpend.records),
            bedrockLines: aggregate.bedrockLines, corruptLines: aggregate.corrupt,
            corruptLinesTotal: aggregate.corrupt.values.reduce(0, +),
            duplicateRecords: aggregate.duplicate == nil ? 0 : 1, duplicate: aggregate.duplicate,
            truncatedFile: aggregate.truncation, multiMemberFiles: aggregate.multiMember,
            delayedRecords: aggregate.delayed, offloadedInputBodies: aggregate.offloaded,
            bytesUncompressed: aggregate.bytesUncompressed, bytesWritten: aggregate.bytesWritten, expected: expected)
        if options.labelsPath != nil {
            summary.labelledPrompts = labels.count
            summary.labelsPath = options.labelsPath
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(summary)
        data.append(0x0A)
        do {
            try data.write(to: out.appendingPathComponent(summaryName))
        } catch {
            throw SynthError.io("cannot write \(summaryName): \(error)")
        }
        return summary
    }

    // MARK: output directory

    static func prepareOutput(_ out: URL, overwrite: Bool) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: out, withIntermediateDirectories: true)
        } catch {
            throw SynthError.io("cannot create \(out.path): \(error)")
        }
        for name in ownedNames {
            let path = out.appendingPathComponent(name).path
            guard fm.fileExists(atPath: path) else { continue }
            guard overwrite else { throw SynthError.outputExists(path) }
            do { try fm.removeItem(atPath: path) } catch { throw SynthError.io("cannot remove \(path): \(error)") }
        }
    }

    // MARK: parallel units

    static func runParallel(_ batch: [Unit], threads: Int, options: SynthOptions, sink: Sink) throws -> [UnitResult] {
        let slots = Mutex<[UnitResult?]>(Array(repeating: nil, count: batch.count))
        let failure = Mutex<Error?>(nil)
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(threads, batch.count)) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < batch.count else { return }
                do {
                    var result = try run(batch[i], options: options)
                    if sink.bundleWriter == nil {
                        try sink.store(result.files)
                        for k in result.files.indices { result.files[k].data = [] }   // keep sizes, drop bytes
                    }
                    slots.withLock { $0[i] = result }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                    return
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return slots.withLock { $0.map { $0! } }
    }

    static func run(_ unit: Unit, options: SynthOptions) throws -> UnitResult {
        switch unit {
        case .bedrock(let spec):
            let withLabels = options.labelsPath != nil
            var generator = BedrockFileGenerator(spec: spec, corruptRate: options.corruptRate, withBodies: options.withBodies,
                                                 withLabels: withLabels)
            var result = try generator.generate()
            if let truncation = result.truncation {
                // Count only what an ingest can salvage: re-run the same file, tallying the complete lines.
                var again = BedrockFileGenerator(spec: spec, corruptRate: options.corruptRate, withBodies: options.withBodies,
                                                 withLabels: withLabels, lineLimit: truncation.completeLinesBeforeDamage)
                let salvaged = try again.generate()
                result.counts = salvaged.counts
                result.delayed = salvaged.delayed
                result.offloaded = salvaged.offloaded
                result.labels = salvaged.labels
            }
            return result
        case .litellm(let spec):
            var generator = LiteLLMChunkGenerator(spec: spec, withBodies: options.withBodies)
            return generator.generate()
        }
    }
}

/// Where finished files go: loose files (written by the worker that made them) or one archive (in unit order).
final class Sink: @unchecked Sendable {
    let out: URL
    let bundleWriter: BundleWriter?
    let bundleName: String?
    private let createdDirectories = Mutex<Set<String>>([])

    init(out: URL, bundle: SynthBundle, mtime: Int64) throws {
        self.out = out
        switch bundle {
        case .none:
            bundleWriter = nil
            bundleName = nil
        case .tar, .zip:
            let name = bundle == .tar ? "bundle.tar.gz" : "bundle.zip"
            bundleName = name
            bundleWriter = try BundleWriter(path: out.appendingPathComponent(name).path, format: bundle, mtime: mtime)
        }
    }

    func store(_ files: [OutputFile]) throws {
        if let bundleWriter {
            for file in files { try bundleWriter.add(path: file.path, data: file.data) }
            return
        }
        for file in files {
            let url = out.appendingPathComponent(file.path)
            let directory = url.deletingLastPathComponent().path
            if !createdDirectories.withLock({ $0.contains(directory) }) {
                do {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                } catch {
                    throw SynthError.io("cannot create \(directory): \(error)")
                }
                _ = createdDirectories.withLock { $0.insert(directory) }
            }
            try Self.write(file.data, to: url.path)
        }
    }

    static func write(_ data: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw SynthError.io("cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        var offset = 0
        try data.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                guard n > 0 else { throw SynthError.io("cannot write \(path): errno \(errno)") }
                offset += n
            }
        }
    }

    /// Closes the archive; returns its name in bundle mode.
    func finish() throws -> String? {
        try bundleWriter?.close()
        return bundleName
    }
}

/// Sums of unit results, in unit order.
struct Aggregate {
    var files: [String] = []
    var fileCounts = SynthSummary.FileCounts(bedrockLogFiles: 0, bedrockOffloadFiles: 0, permissionCheckFiles: 0,
                                             litellmFiles: 0, spendLogFiles: 0)
    var expected = SynthSummary.Expected(bedrock: ExpectedCounts(), litellm: ExpectedCounts(), litellmSpend: ExpectedCounts())
    var bedrockLines = 0
    var corrupt: [String: Int] = [:]
    var duplicate: SynthSummary.DuplicateInfo?
    var truncation: SynthSummary.TruncationInfo?
    var multiMember = 0
    var delayed = 0
    var offloaded = 0
    var bytesUncompressed: Int64 = 0
    var bytesWritten: Int64 = 0

    mutating func add(path: String, stored: Int, uncompressed: Int) {
        files.append(path)
        bytesWritten += Int64(stored)
        bytesUncompressed += Int64(uncompressed)
    }

    mutating func add(_ r: UnitResult) {
        for file in r.files {
            add(path: file.path, stored: file.storedSize, uncompressed: file.uncompressedSize)
            if file.path.contains("/data/") { fileCounts.bedrockOffloadFiles += 1 }
            else if file.path.hasPrefix("AWSLogs/") { fileCounts.bedrockLogFiles += 1 }
            else { fileCounts.litellmFiles += 1 }
        }
        if r.source == .bedrock {
            expected.bedrock.merge(r.counts)
            bedrockLines += r.lines
        } else {
            expected.litellm.merge(r.counts)
            expected.litellmSpend.merge(r.spendCounts)
        }
        corrupt.merge(r.corrupt, uniquingKeysWith: +)
        if let d = r.duplicate { duplicate = d }
        if let t = r.truncation { truncation = t }
        if r.multiMember { multiMember += 1 }
        delayed += r.delayed
        offloaded += r.offloaded
    }
}
