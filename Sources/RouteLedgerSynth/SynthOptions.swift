/// How to package the corpus.
public enum SynthBundle: String, Sendable, Codable, CaseIterable {
    /// Loose files under the output directory.
    case none
    /// One `bundle.tar.gz` (pax tar, gzip filter) holding every file; no loose files.
    case tar
    /// One `bundle.zip` holding every file; no loose files.
    case zip
}

/// Parameters of one synthetic corpus. The same options always produce byte-identical output.
public struct SynthOptions: Sendable {
    /// Logical requests to generate: Bedrock log records plus LiteLLM payloads (retries and fallbacks included).
    public var records: Int
    public var seed: UInt64
    /// Days of traffic starting at `startDay` (UTC).
    public var days: Int
    public var outputDirectory: String
    public var bundle: SynthBundle
    /// Share (0...1) of Bedrock lines replaced by a corrupt line. When > 0 a duplicate line and a truncated
    /// `.json.gz` are added as well.
    public var corruptRate: Double
    /// First day, `YYYY-MM-DD`, UTC.
    public var startDay: String
    /// When false no record carries request/response bodies (text delivery off everywhere).
    public var withBodies: Bool
    /// Share (0...1) of `records` that are LiteLLM payloads.
    public var litellmShare: Double
    /// Remove earlier generator output (`AWSLogs`, `litellm`, `litellm-spend`, bundles, summary) first.
    public var overwrite: Bool
    /// Worker threads; the output does not depend on it.
    public var threads: Int
    /// Also write a labelled-pairs file (`pairs.csv` columns) for the prompt-router records here. Must lie outside
    /// `outputDirectory` (an ingest of that folder must not read it). Does not change any log byte.
    public var labelsPath: String?

    public init(records: Int, seed: UInt64, days: Int, outputDirectory: String, bundle: SynthBundle = .none,
                corruptRate: Double = 0, startDay: String = "2026-11-01", withBodies: Bool = true,
                litellmShare: Double = 0.2, overwrite: Bool = false, threads: Int = 2, labelsPath: String? = nil) {
        self.records = records
        self.seed = seed
        self.days = days
        self.outputDirectory = outputDirectory
        self.bundle = bundle
        self.corruptRate = corruptRate
        self.startDay = startDay
        self.withBodies = withBodies
        self.litellmShare = litellmShare
        self.overwrite = overwrite
        self.threads = threads
        self.labelsPath = labelsPath
    }
}

public enum SynthError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case outputExists(String)
    case io(String)
    case compression(String)
    case archive(String)

    public var description: String {
        switch self {
        case .invalidOption(let m): return "invalid option: \(m)"
        case .outputExists(let p): return "output already exists: \(p) (use overwrite)"
        case .io(let m): return "I/O error: \(m)"
        case .compression(let m): return "compression error: \(m)"
        case .archive(let m): return "archive error: \(m)"
        }
    }
}
