/// What the generator wrote and what a correct ingest must find, computed while writing.
///
/// Counts under `expected` cover only records an ingest can read: corrupt lines, the duplicate line and the
/// lines after the damage in the truncated file are excluded (and reported on their own).
public struct SynthSummary: Sendable, Codable, Equatable {
    public var seed: UInt64
    public var startDay: String
    public var days: Int
    public var requestedRecords: Int
    public var corruptRate: Double
    public var withBodies: Bool
    public var litellmShare: Double
    public var bundle: SynthBundle

    /// Every corpus file, relative to the output directory, sorted. In bundle mode these are the archive members.
    public var files: [String]
    /// The archive written in bundle mode (`bundle.tar.gz` / `bundle.zip`), else nil.
    public var bundlePath: String?
    public var fileCounts: FileCounts

    /// Readable records: `expected.bedrock.records + expected.litellm.records`.
    public var totalRecords: Int
    /// Readable records per source kind (`litellmSpend` rows repeat LiteLLM requests).
    public var perFormat: PerFormat

    /// Lines written to Bedrock log files, all of them (corrupt, duplicate, and those after the truncation).
    public var bedrockLines: Int
    /// Corrupt Bedrock lines by kind (`truncatedJSON`, `notJSON`, `notLogRecord`, `missingRequestId`,
    /// `nonIntegerTokenCount`).
    public var corruptLines: [String: Int]
    public var corruptLinesTotal: Int
    /// Exact copies of an earlier line (same file, later position).
    public var duplicateRecords: Int
    public var duplicate: DuplicateInfo?
    public var truncatedFile: TruncationInfo?
    /// Bedrock log files written as two concatenated gzip members.
    public var multiMemberFiles: Int
    /// Records whose timestamp hour differs from their folder hour (delivery delay).
    public var delayedRecords: Int
    /// Records whose input body went to a `data/<id>_input.json.gz` object.
    public var offloadedInputBodies: Int

    /// Uncompressed bytes of every corpus file (for `.json.gz`, the full content before any truncation).
    public var bytesUncompressed: Int64
    /// Bytes on disk: the loose files, or the archive in bundle mode (the summary file not included).
    public var bytesWritten: Int64

    public var expected: Expected

    /// Rows of the labels file (one per readable prompt-router record, = `expected.bedrock.routerRequests`);
    /// nil when no labels file was asked for.
    public var labelledPrompts: Int? = nil
    /// The labels file as given in the options; nil when none was written.
    public var labelsPath: String? = nil

    public struct FileCounts: Sendable, Codable, Equatable {
        public var bedrockLogFiles: Int
        public var bedrockOffloadFiles: Int
        public var permissionCheckFiles: Int
        public var litellmFiles: Int
        public var spendLogFiles: Int
    }

    public struct PerFormat: Sendable, Codable, Equatable {
        public var bedrock: Int
        public var litellm: Int
        public var litellmSpend: Int
    }

    public struct DuplicateInfo: Sendable, Codable, Equatable {
        public var file: String
        public var requestId: String
        /// 0-based line numbers of the original and of the copy.
        public var originalLine: Int
        public var duplicateLine: Int
    }

    public struct TruncationInfo: Sendable, Codable, Equatable {
        public var file: String
        /// Lines that decompress completely (newline included) before the damage.
        public var completeLinesBeforeDamage: Int
        /// Lines the file held before it was cut.
        public var linesBeforeTruncation: Int
        /// Readable records lost (all lines of this file are valid records).
        public var recordsLost: Int
        public var compressedBytesKept: Int
        public var compressedBytesOriginal: Int
    }

    public struct Expected: Sendable, Codable, Equatable {
        public var bedrock: ExpectedCounts
        public var litellm: ExpectedCounts
        public var litellmSpend: ExpectedCounts
    }
}

/// Ground-truth counts for one source kind.
public struct ExpectedCounts: Sendable, Codable, Equatable {
    public var records = 0
    public var successes = 0
    public var failures = 0
    /// Bedrock `errorCode` / LiteLLM `error_information.error_code`.
    public var failuresByErrorCode: [String: Int] = [:]
    public var operations: [String: Int] = [:]
    public var accounts: [String: Int] = [:]
    public var regions: [String: Int] = [:]
    /// Records whose modelId is a prompt router ARN.
    public var routerRequests = 0
    /// Router records whose served model is in the log (success with an output body).
    public var routerRequestsServedModelResolvable = 0
    public var routerRequestsByRouter: [String: Int] = [:]
    /// Resolvable router records by canonical served model.
    public var routerServedModels: [String: Int] = [:]
    /// All records whose served model is known, by canonical model id (direct calls, resolvable router calls;
    /// LiteLLM: the deployment's model).
    public var servedModels: [String: Int] = [:]
    /// Records that used a cross-Region inference profile (`inferenceRegion` present).
    public var crossRegion = 0
    public var inferenceRegions: [String: Int] = [:]
    public var streaming = 0
    public var withRequestMetadata = 0
    /// Bedrock `requestMetadata.tenant_id`; LiteLLM `metadata.spend_logs_metadata.tenant_id`.
    public var tenants: [String: Int] = [:]
    /// Successes whose bodies are absent (text delivery off).
    public var successesWithoutBodies = 0
    /// Successes whose log carries a latency (Converse metrics, stream invocation metrics, LiteLLM times).
    public var successesWithLatency = 0
    /// Failures followed (same trace id, later timestamp) by a successful retry.
    public var failuresRetriedLater = 0
    /// Sums over successes.
    public var inputTokens: Int64 = 0
    public var outputTokens: Int64 = 0
    public var cacheReadTokens: Int64 = 0
    public var cacheWriteTokens: Int64 = 0
    /// LiteLLM only.
    public var modelGroups: [String: Int] = [:]
    public var teams: [String: Int] = [:]
    /// Successes with `attempted_fallbacks > 0`.
    public var fallbacks = 0
    /// Sum of `response_cost` / `spend` (rounded to 1e-9).
    public var costUSD: Double = 0

    public init() {}

    mutating func merge(_ other: ExpectedCounts) {
        records += other.records
        successes += other.successes
        failures += other.failures
        failuresByErrorCode.merge(other.failuresByErrorCode, uniquingKeysWith: +)
        operations.merge(other.operations, uniquingKeysWith: +)
        accounts.merge(other.accounts, uniquingKeysWith: +)
        regions.merge(other.regions, uniquingKeysWith: +)
        routerRequests += other.routerRequests
        routerRequestsServedModelResolvable += other.routerRequestsServedModelResolvable
        routerRequestsByRouter.merge(other.routerRequestsByRouter, uniquingKeysWith: +)
        routerServedModels.merge(other.routerServedModels, uniquingKeysWith: +)
        servedModels.merge(other.servedModels, uniquingKeysWith: +)
        crossRegion += other.crossRegion
        inferenceRegions.merge(other.inferenceRegions, uniquingKeysWith: +)
        streaming += other.streaming
        withRequestMetadata += other.withRequestMetadata
        tenants.merge(other.tenants, uniquingKeysWith: +)
        successesWithoutBodies += other.successesWithoutBodies
        successesWithLatency += other.successesWithLatency
        failuresRetriedLater += other.failuresRetriedLater
        inputTokens += other.inputTokens
        outputTokens += other.outputTokens
        cacheReadTokens += other.cacheReadTokens
        cacheWriteTokens += other.cacheWriteTokens
        modelGroups.merge(other.modelGroups, uniquingKeysWith: +)
        teams.merge(other.teams, uniquingKeysWith: +)
        fallbacks += other.fallbacks
        costUSD += other.costUSD
    }
}

extension Dictionary where Value == Int {
    @inline(__always)
    mutating func bump(_ key: Key, by n: Int = 1) { self[key, default: 0] += n }
}
