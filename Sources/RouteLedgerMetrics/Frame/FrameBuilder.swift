import RouteLedgerModel
import RouteLedgerStore

/// Which rows of a window to keep. Empty sets keep everything.
public struct FrameFilter: Sendable, Equatable {
    public var accounts: Set<String> = []
    public var regions: Set<String> = []
    public var tenants: Set<String> = []
    /// A router id matches the Bedrock router ARN or a LiteLLM model group (requested or served).
    public var routers: Set<String> = []

    public init(accounts: Set<String> = [], regions: Set<String> = [], tenants: Set<String> = [], routers: Set<String> = []) {
        self.accounts = accounts
        self.regions = regions
        self.tenants = tenants
        self.routers = routers
    }

    public var isEmpty: Bool { accounts.isEmpty && regions.isEmpty && tenants.isEmpty && routers.isEmpty }
}

/// Appends ledger rows to a `Frame`, dictionary-encoding strings and interning key combinations.
public struct FrameBuilder {
    private var frame: Frame
    private let ledgerStrings: [String]
    /// Ledger string id → frame dictionary code (0 = not yet assigned).
    private var codes: [UInt32]
    /// Code 0 is the placeholder for "absent", so real strings start at 1.
    private var dictionary = Interner<String>(first: "")
    private var keys = Interner<RowKey>()
    private var correlations = ByteStringTable()
    private let filter: FrameFilter
    private let allowed: (accounts: Set<Int32>, regions: Set<Int32>, tenants: Set<Int32>, routers: Set<Int32>)

    public init(since: Int64, until: Int64, ledgerStrings: [String], filter: FrameFilter = FrameFilter()) {
        frame = Frame(since: since, until: until)
        self.ledgerStrings = ledgerStrings
        codes = Array(repeating: 0, count: ledgerStrings.count)
        self.filter = filter
        func ids(_ values: Set<String>) -> Set<Int32> {
            Set(ledgerStrings.indices.filter { $0 > 0 && values.contains(ledgerStrings[$0]) }.map { Int32($0) })
        }
        allowed = (ids(filter.accounts), ids(filter.regions), ids(filter.tenants), ids(filter.routers))
    }

    /// Loads `[since, until)` of a ledger into a frame.
    public static func load(ledgerPath: String, since: Int64, until: Int64, filter: FrameFilter = FrameFilter()) throws -> Frame {
        let scanner = try LedgerScanner(path: ledgerPath)
        var builder = FrameBuilder(since: since, until: until, ledgerStrings: try scanner.strings(), filter: filter)
        let stats = try scanner.scan(since: since, until: until) { row, correlation in
            builder.append(row, correlation: correlation)
        }
        builder.frame.scan.shadowedSpendRows = stats.shadowedSpendRows
        builder.frame.scan.unmergedKeyRows = try scanner.unmergedKeyRows()
        return builder.build()
    }

    private mutating func code(_ ledgerID: Int32) -> UInt32 {
        guard ledgerID > 0, Int(ledgerID) < codes.count else { return 0 }
        let existing = codes[Int(ledgerID)]
        if existing != 0 { return existing }
        let assigned = dictionary.code(ledgerStrings[Int(ledgerID)])
        codes[Int(ledgerID)] = assigned
        return assigned
    }

    private func keeps(_ row: ScannedRow) -> Bool {
        if !filter.accounts.isEmpty, !allowed.accounts.contains(row.account) { return false }
        if !filter.regions.isEmpty, !allowed.regions.contains(row.region) { return false }
        if !filter.tenants.isEmpty, !allowed.tenants.contains(row.tenant) { return false }
        if !filter.routers.isEmpty, !allowed.routers.contains(row.router), !allowed.routers.contains(row.modelGroup),
           !allowed.routers.contains(row.originalModelGroup) { return false }
        return true
    }

    @inline(__always)
    private mutating func column(_ value: Int64) -> UInt32 {
        if value < 0 { return Frame.unknown }
        if value >= Int64(Frame.unknown) {
            frame.clampedValues += 1
            return Frame.unknown - 1
        }
        return UInt32(value)
    }

    public mutating func append(_ row: ScannedRow, correlation: UnsafeRawBufferPointer?) {
        frame.scan.rowsRead += 1
        if !filter.isEmpty, !keeps(row) {
            frame.scan.rowsFiltered += 1
            return
        }
        let key = RowKey(
            sourceKind: row.sourceKind, failed: row.failed, flags: UInt8(truncatingIfNeeded: row.flags & 0xFF),
            fallbackAttempt: row.fallbackAttempt < 0 ? RowKey.unknownAttempt : UInt8(min(row.fallbackAttempt, 254)),
            cacheUse: (row.cacheReadTokens > 0 ? 1 : 0) | (row.cacheWriteTokens > 0 ? 2 : 0),
            account: code(row.account), region: code(row.region), inferenceRegion: code(row.inferenceRegion),
            requestedModel: code(row.model), router: code(row.router), servedModel: code(row.servedModel),
            modelGroup: code(row.modelGroup), originalModelGroup: code(row.originalModelGroup),
            deployment: code(row.deployment), errorCode: code(row.errorCode), tenant: code(row.tenant))
        frame.timestamp.append(row.timestampMicros)
        frame.key.append(keys.code(key))
        frame.inputTokens.append(column(row.inputTokens))
        frame.outputTokens.append(column(row.outputTokens))
        frame.cacheReadTokens.append(column(row.cacheReadTokens))
        frame.cacheWriteTokens.append(column(row.cacheWriteTokens))
        frame.latencyMs.append(column(row.latencyMs))
        frame.ttftMs.append(column(row.ttftMs))
        frame.loggedCostUSD.append(row.loggedCostUSD)
        if let correlation, correlation.count > 0 {
            // Bedrock and gateway logs are separate worlds: the same trace id in both is not one request.
            let gateway: UInt8 = row.sourceKind == .bedrock ? 0 : 1
            frame.logical.append(correlations.intern(correlation, prefix: gateway))
        } else {
            frame.logical.append(0)
        }
    }

    public mutating func build() -> Frame {
        frame.dictionary = dictionary.values
        frame.keys = keys.values
        frame.logicalCount = correlations.count
        return frame
    }
}

/// Dense codes for distinct values, in order of first appearance.
struct Interner<Value: Hashable> {
    private(set) var values: [Value] = []
    private var codes: [Value: UInt32] = [:]

    init() {}

    init(first: Value) { _ = code(first) }

    mutating func code(_ value: Value) -> UInt32 {
        if let known = codes[value] { return known }
        let code = UInt32(values.count)
        values.append(value)
        codes[value] = code
        return code
    }
}

/// Interns byte strings to dense ids 1…n without creating a `String` per row.
struct ByteStringTable {
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]
    private var slots: [UInt32] = Array(repeating: 0, count: 1 << 12)
    private var hashes: [UInt64] = [0]
    private(set) var count = 0

    mutating func intern(_ bytes: UnsafeRawBufferPointer, prefix: UInt8) -> UInt32 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(prefix)
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash ^= hash >> 31
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let id = slots[slot]
            if id == 0 { break }
            if hashes[Int(id)] == hash, equals(Int(id), bytes, prefix) { return id }
            slot = (slot + 1) & mask
        }
        count += 1
        arena.append(prefix)
        arena.append(contentsOf: bytes)
        offsets.append(arena.count)
        hashes.append(hash)
        slots[slot] = UInt32(count)
        return UInt32(count)
    }

    private func equals(_ id: Int, _ bytes: UnsafeRawBufferPointer, _ prefix: UInt8) -> Bool {
        let start = offsets[id - 1], end = offsets[id]
        guard end - start == bytes.count + 1, arena[start] == prefix else { return false }
        var index = 0
        while index < bytes.count {
            if arena[start + 1 + index] != bytes[index] { return false }
            index += 1
        }
        return true
    }

    private mutating func grow() {
        var bigger = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for id in 1...max(count, 1) where count > 0 {
            var slot = Int(truncatingIfNeeded: hashes[id]) & mask
            while bigger[slot] != 0 { slot = (slot + 1) & mask }
            bigger[slot] = UInt32(id)
        }
        slots = bigger
    }
}
