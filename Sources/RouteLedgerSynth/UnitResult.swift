import RouteLedgerModel

/// A file produced by a work unit: its path relative to the output directory and the bytes to store.
struct OutputFile: Sendable {
    var path: String
    var data: [UInt8]
    var uncompressedSize: Int
    /// Bytes stored on disk; kept when `data` is released after a loose write.
    var storedSize: Int

    init(path: String, data: [UInt8], uncompressedSize: Int) {
        self.path = path
        self.data = data
        self.uncompressedSize = uncompressedSize
        storedSize = data.count
    }
}

/// Everything one work unit (one Bedrock object, or one LiteLLM hour) contributes to the corpus.
struct UnitResult: Sendable {
    var source: SourceKind
    var files: [OutputFile] = []
    var counts = ExpectedCounts()
    var spendCounts = ExpectedCounts()
    var spendJSONL: [UInt8] = []
    var spendCSV: [UInt8] = []
    var lines = 0
    var corrupt: [String: Int] = [:]
    var duplicate: SynthSummary.DuplicateInfo?
    var truncation: SynthSummary.TruncationInfo?
    var multiMember = false
    var delayed = 0
    var offloaded = 0
    /// Labels rows of this unit's prompt-router records (only when labels are on).
    var labels: [LabelRow] = []
}

enum CorruptKind: Int, CaseIterable {
    case truncatedJSON, notJSON, notLogRecord, missingRequestId, nonIntegerTokenCount

    var name: String {
        switch self {
        case .truncatedJSON: return "truncatedJSON"
        case .notJSON: return "notJSON"
        case .notLogRecord: return "notLogRecord"
        case .missingRequestId: return "missingRequestId"
        case .nonIntegerTokenCount: return "nonIntegerTokenCount"
        }
    }
}
