import Foundation
import RouteLedgerArchive
import RouteLedgerIngest

/// A validated, immutable description of one ingest run, built before any work starts.
public struct IngestPlan: Sendable {
    public var paths: [String]
    public var ledgerPath: String
    public var decode: DecodeOptions
    public var jobs: Int
    public var limits: ExtractionLimits
    public var lockTimeout: Double
    public var maxRecordBytes: Int
    /// Dedupe keys kept in memory before they are merged into `request_keys` between files.
    public var keyMergeThreshold: Int
    /// New keys after which a merge is queued without waiting, so the final merge stays short.
    public var backgroundKeyMergeEvery: Int

    public init(paths: [String], ledgerPath: String, decode: DecodeOptions = .init(), jobs: Int = 1,
                limits: ExtractionLimits = .init(), lockTimeout: Double = 60, maxRecordBytes: Int = 64 << 20,
                keyMergeThreshold: Int = 1_000_000, backgroundKeyMergeEvery: Int = 16_384) {
        self.paths = paths
        self.ledgerPath = ledgerPath
        self.decode = decode
        self.jobs = max(1, jobs)
        self.limits = limits
        self.lockTimeout = lockTimeout
        self.maxRecordBytes = maxRecordBytes
        self.keyMergeThreshold = max(1, keyMergeThreshold)
        self.backgroundKeyMergeEvery = max(1, backgroundKeyMergeEvery)
    }
}

/// What an ingest run did. Counts reconcile: `recordsRead == stored + duplicates + rejected`.
public struct IngestSummary: Codable, Sendable, Equatable {
    public struct Located: Codable, Sendable, Equatable, Comparable {
        public var path: String
        public var member: String?
        public var line: Int?
        public var reason: String
        public var detail: String

        public static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.path, lhs.member ?? "", lhs.line ?? 0, lhs.reason) < (rhs.path, rhs.member ?? "", rhs.line ?? 0, rhs.reason)
        }
    }

    public var ledger: String = ""
    public var filesSeen = 0
    public var filesRead = 0
    public var filesUnchanged = 0
    public var filesReplaced = 0
    public var filesFailed = 0
    public var membersRead = 0
    public var recordsRead = 0
    public var stored = 0
    public var duplicates = 0
    /// Duplicates whose content differed from the stored record (a subset of `duplicates`).
    public var conflicts = 0
    public var rejected = 0
    public var rejectedByReason: [String: Int] = [:]
    public var skipped: [Located] = []
    public var issues: [Located] = []
    /// The first rejections, located by file, member and line (all are in the ledger's `rejects` table).
    public var rejections: [Located] = []
    public var routerRequests = 0
    public var unresolvedRouterRequests = 0
    public var tokensMissing = 0
    /// Stored records stamped before 2020 or more than a day after the ingest (flag 64).
    public var timestampSuspect = 0
    public var compressedBytes: Int64 = 0
    public var uncompressedBytes: Int64 = 0
    public var seconds = 0.0
    /// Warnings that `--strict` turns into failure.
    public var warnings: [String] = []

    public var reconciles: Bool { recordsRead == stored + duplicates + rejected }

    public static let rejectionListLimit = 50
}
