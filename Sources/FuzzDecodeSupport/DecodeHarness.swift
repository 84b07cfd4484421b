import RouteLedgerArchive
import RouteLedgerIngest

/// The decoder harness shared by `fuzz-bedrock`, `fuzz-litellm-payload` and `fuzz-litellm-spend`.
///
/// Each input is one archive member's decompressed bytes, decoded by `MemberDecoding` exactly as
/// ingest decodes a member (layout detection, NDJSON / array / CloudWatch export / CSV scanning,
/// Logs Insights wrappers, the record decoders). It is decoded twice:
///  1. in one read, bodies dropped (ingest's default);
///  2. in small reads, so records straddle buffer refills, with bodies kept (`--keep-bodies`).
/// The two runs must agree on what was read (records by line and request id, rejections by line and
/// reason): a difference means the scanner depends on read boundaries, and is reported as a crash.
public enum DecodeHarness {
    /// Decoders re-parse an unfinished record after every refill; reads below this make a large
    /// record quadratic (slow units, not findings).
    static let smallestChunk = 251

    public static func run(_ bytes: [UInt8], format: InputFormat) {
        let options = DecodeOptions(format: format, tenantKeys: DecodeOptions.defaultTenantKeys, correlationKey: "trace_id",
                                    applicationProfiles: ["arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123":
                                                            "anthropic.claude-3-haiku-20240307-v1:0"],
                                    keepBodies: false, futureLimitMicros: fuzzNow)
        let whole = MemberDecoding.decode(bytes, options: options)
        var keeping = options
        keeping.keepBodies = true
        let chunked = MemberDecoding.decode(bytes, options: keeping, chunkSize: smallestChunk + bytes.count % 509)
        let a = summary(whole), b = summary(chunked)
        if a != b {
            // Counts and positions only: never the content of a record.
            fatalError("read boundaries changed the outcome: whole read \(a.records.count) records / \(a.rejections.count) rejections, "
                       + "small reads \(b.records.count) / \(b.rejections.count); first difference "
                       + "\(firstDifference(a, b))")
        }
    }

    struct Summary: Equatable {
        var records: [Int]
        var requestIds: [String]
        var rejections: [String]
        var layout: String
    }

    static func summary(_ member: DecodedMember) -> Summary {
        Summary(records: member.records.map(\.line), requestIds: member.records.map { $0.record.requestId },
                rejections: member.rejections.map { "\($0.line):\($0.reason.rawValue)" }, layout: member.layout.rawValue)
    }

    static func firstDifference(_ a: Summary, _ b: Summary) -> String {
        if a.layout != b.layout { return "layout \(a.layout) vs \(b.layout)" }
        if a.records != b.records { return "record lines \(a.records.prefix(8)) vs \(b.records.prefix(8))" }
        if a.requestIds != b.requestIds { return "request ids differ" }
        return "rejections \(a.rejections.prefix(8)) vs \(b.rejections.prefix(8))"
    }

    /// 2026-11-04T00:00:00Z, so the future-timestamp flag does not depend on the clock.
    public static let fuzzNow: Int64 = 1_793_750_400_000_000
}
