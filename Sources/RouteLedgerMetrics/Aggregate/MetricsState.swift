import RouteLedgerModel

/// The categorical values of a row combination as strings, so states built from frames with
/// different dictionaries (shards) merge exactly.
public struct Dimensions: Hashable, Sendable {
    public var sourceKind: SourceKind
    public var failed: Bool
    public var flags: RecordFlags
    /// nil = not logged.
    public var fallbackAttempt: Int?
    /// The rows of this combination have cache-read (bit 0) / cache-write (bit 1) tokens.
    public var cacheUse: UInt8 = 0
    public var account: String?
    public var region: String?
    public var inferenceRegion: String?
    public var requestedModel: String?
    public var router: String?
    public var servedModel: String?
    public var modelGroup: String?
    public var originalModelGroup: String?
    public var deployment: String?
    public var errorCode: String?
    public var tenant: String?

    public init(sourceKind: SourceKind, failed: Bool, flags: RecordFlags = [], fallbackAttempt: Int? = nil,
                account: String? = nil, region: String? = nil, inferenceRegion: String? = nil,
                requestedModel: String? = nil, router: String? = nil, servedModel: String? = nil,
                modelGroup: String? = nil, originalModelGroup: String? = nil, deployment: String? = nil,
                errorCode: String? = nil, tenant: String? = nil) {
        self.sourceKind = sourceKind
        self.failed = failed
        self.flags = flags
        self.fallbackAttempt = fallbackAttempt
        self.account = account
        self.region = region
        self.inferenceRegion = inferenceRegion
        self.requestedModel = requestedModel
        self.router = router
        self.servedModel = servedModel
        self.modelGroup = modelGroup
        self.originalModelGroup = originalModelGroup
        self.deployment = deployment
        self.errorCode = errorCode
        self.tenant = tenant
    }

    /// The model whose price applies: the served model, or the requested one when nothing routed it.
    public var effectiveModel: String? {
        if let servedModel { return servedModel }
        return router == nil ? requestedModel : nil
    }

    /// Throttling as Bedrock (`ThrottlingException`) and gateways (HTTP 429, `RateLimitError`) log it.
    public var isThrottle: Bool {
        guard failed, let code = errorCode else { return false }
        return Dimensions.throttleCodes.contains(code)
    }

    public static let throttleCodes: Set<String> = [
        "ThrottlingException", "TooManyRequestsException", "429", "RateLimitError", "rate_limit_error",
    ]
}

/// Sums of one (hour, dimensions) cell. Every field adds when shards merge.
public struct Cell: Sendable, Equatable {
    public var requests: Int64 = 0
    public var tokens = TokenCounts()
    /// Rows whose log carried a cost (LiteLLM), and the sum of those costs.
    public var loggedCostRows: Int64 = 0
    public var loggedCostUSD: Double = 0
    /// Logical requests whose first attempt falls in this cell, and how they ended.
    public var logicalRequests: Int64 = 0
    /// Succeeded only on a fallback model (or deployment group) after an error.
    public var gatewayFallbacks: Int64 = 0
    /// Succeeded on the same model after an error (a retry, not a fallback).
    public var retriedSuccesses: Int64 = 0
    /// Failed after at least one fallback was tried.
    public var failedAfterFallback: Int64 = 0
    /// Failed with no fallback tried.
    public var failedWithoutFallback: Int64 = 0

    public init() {}
}

/// Cells as columns: one entry per (hour, dimensions) flushed by the aggregator. The same (hour, dimensions)
/// may appear more than once (logical-request outcomes, merged shards): every consumer only adds, so a
/// multiset is exact, and appending is what keeps ten million rows fast.
public struct CellColumns: Sendable, Equatable {
    public private(set) var hour: [Int32] = []
    public private(set) var dimensions: [UInt32] = []
    public private(set) var requests: [Int64] = []
    public private(set) var input: [Int64] = []
    public private(set) var output: [Int64] = []
    public private(set) var cacheRead: [Int64] = []
    public private(set) var cacheWrite: [Int64] = []
    public private(set) var loggedCostRows: [Int64] = []
    public private(set) var loggedCostUSD: [Double] = []
    public private(set) var logicalRequests: [Int64] = []
    public private(set) var gatewayFallbacks: [Int64] = []
    public private(set) var retriedSuccesses: [Int64] = []
    public private(set) var failedAfterFallback: [Int64] = []
    public private(set) var failedWithoutFallback: [Int64] = []

    public init() {}

    public var count: Int { hour.count }

    public mutating func append(hour: Int32, dimensions: UInt32, _ cell: Cell) {
        self.hour.append(hour)
        self.dimensions.append(dimensions)
        requests.append(cell.requests)
        input.append(cell.tokens.input)
        output.append(cell.tokens.output)
        cacheRead.append(cell.tokens.cacheRead)
        cacheWrite.append(cell.tokens.cacheWrite)
        loggedCostRows.append(cell.loggedCostRows)
        loggedCostUSD.append(cell.loggedCostUSD)
        logicalRequests.append(cell.logicalRequests)
        gatewayFallbacks.append(cell.gatewayFallbacks)
        retriedSuccesses.append(cell.retriedSuccesses)
        failedAfterFallback.append(cell.failedAfterFallback)
        failedWithoutFallback.append(cell.failedWithoutFallback)
    }

    public subscript(index: Int) -> Cell {
        var cell = Cell()
        cell.requests = requests[index]
        cell.tokens = TokenCounts(input: input[index], output: output[index], cacheRead: cacheRead[index], cacheWrite: cacheWrite[index])
        cell.loggedCostRows = loggedCostRows[index]
        cell.loggedCostUSD = loggedCostUSD[index]
        cell.logicalRequests = logicalRequests[index]
        cell.gatewayFallbacks = gatewayFallbacks[index]
        cell.retriedSuccesses = retriedSuccesses[index]
        cell.failedAfterFallback = failedAfterFallback[index]
        cell.failedWithoutFallback = failedWithoutFallback[index]
        return cell
    }
}

/// Latency groups: per model (routed or direct) and per LiteLLM deployment.
public enum LatencyGroup: Hashable, Sendable {
    case model(String, routed: Bool)
    case deployment(group: String, deployment: String)
}

public struct TenantMinute: Hashable, Sendable {
    /// Minutes since the Unix epoch.
    public var minute: Int32
    public var tenant: String?
}

public struct MinuteColumns: Sendable, Equatable {
    public var minute: [Int32] = []
    public var tenant: [Int32] = []
    public var requests: [Int64] = []
    public var throttled: [Int64] = []
}

public struct MinuteCounts: Sendable, Equatable {
    public var requests: Int64 = 0
    public var throttled: Int64 = 0
}

/// Mergeable aggregates of a set of rows: sums per (hour, dimensions), exact latency histograms, and
/// per-minute tenant counts (for noisy neighbours). Everything a report shows is derived from this.
///
/// Merging the states of shards gives exactly the state of the whole, provided a logical request
/// (rows sharing a correlation id) lies entirely in one shard: cut shards at quiet times, or by gateway.
public struct MetricsState: Sendable {
    public private(set) var dimensions: [Dimensions] = []
    private var dimensionIndex: [Dimensions: UInt32] = [:]
    public var cells = CellColumns()
    public var latency: [LatencyGroup: ExactHistogram] = [:]
    public var ttft: [LatencyGroup: ExactHistogram] = [:]
    /// Tenants of `minutes`, by slot.
    public private(set) var tenantNames: [String?] = []
    private var tenantSlots: [String?: Int32] = [:]
    /// Requests and throttles per (minute, tenant slot), appended a minute at a time: a multiset, like the cells.
    public private(set) var minutes = MinuteColumns()

    public init() {}

    public mutating func index(of dimensions: Dimensions) -> UInt32 {
        if let known = dimensionIndex[dimensions] { return known }
        let index = UInt32(self.dimensions.count)
        self.dimensions.append(dimensions)
        dimensionIndex[dimensions] = index
        return index
    }

    public mutating func tenantSlot(_ tenant: String?) -> Int32 {
        if let known = tenantSlots[tenant] { return known }
        tenantNames.append(tenant)
        tenantSlots[tenant] = Int32(tenantNames.count - 1)
        return Int32(tenantNames.count - 1)
    }

    public mutating func addMinute(_ minute: Int32, tenantSlot: Int32, requests: Int64, throttled: Int64) {
        minutes.minute.append(minute)
        minutes.tenant.append(tenantSlot)
        minutes.requests.append(requests)
        minutes.throttled.append(throttled)
    }

    /// The per-minute counts summed by (minute, tenant name): what two states are compared on.
    public var tenantMinutes: [TenantMinute: MinuteCounts] {
        var totals: [TenantMinute: MinuteCounts] = [:]
        for i in 0..<minutes.minute.count {
            let key = TenantMinute(minute: minutes.minute[i], tenant: tenantNames[Int(minutes.tenant[i])])
            totals[key, default: MinuteCounts()].requests += minutes.requests[i]
            totals[key, default: MinuteCounts()].throttled += minutes.throttled[i]
        }
        return totals
    }

    public mutating func merge(_ other: MetricsState) {
        let mapping = other.dimensions.map { index(of: $0) }
        for i in 0..<other.cells.count {
            cells.append(hour: other.cells.hour[i], dimensions: mapping[Int(other.cells.dimensions[i])], other.cells[i])
        }
        for (group, histogram) in other.latency { latency[group, default: ExactHistogram()].merge(histogram) }
        for (group, histogram) in other.ttft { ttft[group, default: ExactHistogram()].merge(histogram) }
        let tenantMapping = other.tenantNames.map { tenantSlot($0) }
        for i in 0..<other.minutes.minute.count {
            addMinute(other.minutes.minute[i], tenantSlot: tenantMapping[Int(other.minutes.tenant[i])],
                      requests: other.minutes.requests[i], throttled: other.minutes.throttled[i])
        }
    }

    /// Every cell as (dimensions, hour, sums), in the order they were added.
    public func forEachCell(hours: Range<Int32>? = nil, _ body: (Dimensions, Int32, Cell) -> Void) {
        for i in 0..<cells.count where hours?.contains(cells.hour[i]) ?? true {
            body(dimensions[Int(cells.dimensions[i])], cells.hour[i], cells[i])
        }
    }
}
