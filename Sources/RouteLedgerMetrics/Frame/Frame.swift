import RouteLedgerModel

/// The low-cardinality dimensions of a row. Rows do not carry them one by one: each row holds the
/// index of its combination in `Frame.keys`, so every categorical column costs 4 bytes together.
public struct RowKey: Hashable, Sendable {
    public var sourceKind: SourceKind
    public var failed: Bool
    /// `RecordFlags` bits (all of them fit in a byte today).
    public var flags: UInt8
    /// LiteLLM `attempted_fallbacks`, capped at 254; 255 = not logged.
    public var fallbackAttempt: UInt8
    /// Bit 0: cache-read tokens > 0; bit 1: cache-write tokens > 0. Kept apart so a model without a cache
    /// price leaves only the rows that used the cache unpriced, not their whole hour.
    public var cacheUse: UInt8
    // Codes into `Frame.dictionary`; 0 = absent.
    public var account: UInt32
    public var region: UInt32
    public var inferenceRegion: UInt32
    /// Canonical model the caller asked for (nil code for a router or an unresolved profile).
    public var requestedModel: UInt32
    public var router: UInt32
    /// The model that served the request; absent when a router's choice is not in the log.
    public var servedModel: UInt32
    public var modelGroup: UInt32
    public var originalModelGroup: UInt32
    public var deployment: UInt32
    public var errorCode: UInt32
    public var tenant: UInt32

    public static let unknownAttempt: UInt8 = 255

    public var recordFlags: RecordFlags { RecordFlags(rawValue: Int64(flags)) }
}

/// A time window of the ledger in column arrays: 48 bytes a row.
///
/// Rows are in timestamp order. Unknown token counts and latencies are `UInt32.max`; an unknown
/// logged cost is NaN. Strings live once in `dictionary`; categorical values live once per
/// combination in `keys`.
public struct Frame: Sendable {
    public static let unknown = UInt32.max

    public var since: Int64
    public var until: Int64

    public var timestamp: [Int64] = []
    public var key: [UInt32] = []
    public var inputTokens: [UInt32] = []
    public var outputTokens: [UInt32] = []
    public var cacheReadTokens: [UInt32] = []
    public var cacheWriteTokens: [UInt32] = []
    public var latencyMs: [UInt32] = []
    public var ttftMs: [UInt32] = []
    /// Logical request (rows sharing a correlation id within a gateway), 0 = uncorrelated.
    public var logical: [UInt32] = []
    public var loggedCostUSD: [Double] = []

    public var keys: [RowKey] = []
    /// Code → string; code 0 is the empty placeholder for "absent".
    public var dictionary: [String] = [""]
    /// Number of distinct logical ids handed out (ids are 1...logicalCount).
    public var logicalCount: Int = 0

    /// Values clamped because they did not fit a column (a token count above 4 billion).
    public var clampedValues = 0
    public var scan = ScanSummary()

    public struct ScanSummary: Sendable, Equatable {
        public var rowsRead = 0
        public var rowsFiltered = 0
        public var shadowedSpendRows = 0
        public var unmergedKeyRows: Int64 = 0
        public init() {}
    }

    public init(since: Int64, until: Int64) {
        self.since = since
        self.until = until
    }

    public var count: Int { timestamp.count }

    /// Bytes of the per-row columns for one row (the dictionaries are shared and excluded).
    public static let bytesPerRow = MemoryLayout<Int64>.size + MemoryLayout<UInt32>.size * 8 + MemoryLayout<Double>.size

    /// Bytes held by the whole frame: the row columns plus the key and string dictionaries.
    public var totalBytes: Int {
        count * Self.bytesPerRow + keys.count * MemoryLayout<RowKey>.stride + dictionary.reduce(0) { $0 + $1.utf8.count + 16 }
    }

    public func string(_ code: UInt32) -> String? { code == 0 ? nil : dictionary[Int(code)] }

    /// Rows whose timestamp lies in `[since, until)` (binary search: rows are sorted).
    public func rows(from since: Int64, to until: Int64) -> Range<Int> {
        lowerBound(since)..<lowerBound(until)
    }

    func lowerBound(_ value: Int64) -> Int {
        var low = 0, high = timestamp.count
        while low < high {
            let mid = (low + high) / 2
            if timestamp[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
