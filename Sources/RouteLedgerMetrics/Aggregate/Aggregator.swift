import RouteLedgerModel

/// Builds a `MetricsState` from rows of a frame in one pass (plus one over correlated rows).
///
/// Rows are in timestamp order, so sums are kept in dense per-combination arrays for the current
/// hour and flushed when the hour changes: no hashing per row.
public enum Aggregator {
    /// Dense latency range; larger values (over 65 s) go to a dictionary.
    static let denseLatencyLimit = 1 << 16

    /// - Parameters:
    ///   - keep: per key combination (index into `frame.keys`), whether its rows count; nil keeps all.
    ///   - detailRows: rows that also feed the latency histograms and per-minute tenant counts (default: all).
    ///     A report aggregates a week of history in the same pass but needs percentiles for its window only.
    public static func aggregate(_ frame: Frame, rows: Range<Int>? = nil, keep: [Bool]? = nil,
                                 detailRows: Range<Int>? = nil) -> MetricsState {
        let rows = rows ?? 0..<frame.count
        let detail = detailRows ?? rows
        var state = MetricsState()
        guard !rows.isEmpty else { return state }

        // Per key: its state dimensions, latency groups and logical-outcome flags.
        let keyCount = frame.keys.count
        var dimensionOf = [UInt32](repeating: 0, count: keyCount)
        var modelGroup = [Int32](repeating: -1, count: keyCount)
        var deploymentGroup = [Int32](repeating: -1, count: keyCount)
        var tenantOf = [Int32](repeating: 0, count: keyCount)
        var throttle = [Bool](repeating: false, count: keyCount)
        // How an uncorrelated row of this key ends as a logical request: its logged attempt number
        // (LiteLLM `attempted_fallbacks`) tells whether a fallback served or failed it.
        var standaloneOutcome = [UInt8](repeating: 0, count: keyCount)
        var groups: [LatencyGroup] = []
        var groupIndex: [LatencyGroup: Int32] = [:]
        var tenants: [String?] = []
        var tenantIndex: [String?: Int32] = [:]
        func group(_ g: LatencyGroup) -> Int32 {
            if let known = groupIndex[g] { return known }
            groups.append(g)
            groupIndex[g] = Int32(groups.count - 1)
            return Int32(groups.count - 1)
        }
        for (index, key) in frame.keys.enumerated() {
            let dims = dimensions(of: key, in: frame)
            dimensionOf[index] = state.index(of: dims)
            if !key.failed, let model = dims.effectiveModel {
                modelGroup[index] = group(.model(model, routed: dims.router != nil))
            }
            if !key.failed, let deployment = dims.deployment {
                deploymentGroup[index] = group(.deployment(group: dims.modelGroup ?? "", deployment: deployment))
            }
            if let known = tenantIndex[dims.tenant] {
                tenantOf[index] = known
            } else {
                tenants.append(dims.tenant)
                tenantIndex[dims.tenant] = Int32(tenants.count - 1)
                tenantOf[index] = Int32(tenants.count - 1)
            }
            throttle[index] = dims.isThrottle
            let fellBack = key.fallbackAttempt > 0 && key.fallbackAttempt != RowKey.unknownAttempt
            standaloneOutcome[index] = key.failed ? (fellBack ? 2 : 3) : (fellBack ? 1 : 0)
        }

        let tenantStateSlot = tenants.map { state.tenantSlot($0) }
        let latencyCounts = GroupCounts(groups: groups.count)
        let ttftCounts = GroupCounts(groups: groups.count)
        // The row loop works on raw buffers: ten million rows through Swift array accessors pay for a
        // uniqueness and bounds check on every field of every row.
        let hourCells = UnsafeMutablePointer<Cell>.allocate(capacity: max(keyCount, 1))
        hourCells.initialize(repeating: Cell(), count: max(keyCount, 1))
        defer { hourCells.deallocate() }
        let minuteRequests = UnsafeMutablePointer<Int64>.allocate(capacity: max(tenants.count, 1))
        minuteRequests.initialize(repeating: 0, count: max(tenants.count, 1))
        defer { minuteRequests.deallocate() }
        let minuteThrottled = UnsafeMutablePointer<Int64>.allocate(capacity: max(tenants.count, 1))
        minuteThrottled.initialize(repeating: 0, count: max(tenants.count, 1))
        defer { minuteThrottled.deallocate() }
        var touched: [Int] = []
        var touchedTenants: [Int] = []
        var currentHour = Int32.min
        var currentMinute = Int32.min
        let unknown = Frame.unknown

        frame.timestamp.withUnsafeBufferPointer { ts in
        frame.key.withUnsafeBufferPointer { keyColumn in
        frame.inputTokens.withUnsafeBufferPointer { inputColumn in
        frame.outputTokens.withUnsafeBufferPointer { outputColumn in
        frame.cacheReadTokens.withUnsafeBufferPointer { cacheReadColumn in
        frame.cacheWriteTokens.withUnsafeBufferPointer { cacheWriteColumn in
        frame.loggedCostUSD.withUnsafeBufferPointer { loggedColumn in
        frame.logical.withUnsafeBufferPointer { logicalColumn in
        frame.latencyMs.withUnsafeBufferPointer { latencyColumn in
        frame.ttftMs.withUnsafeBufferPointer { ttftColumn in
        standaloneOutcome.withUnsafeBufferPointer { outcomeOf in
            for row in rows {
                let k = Int(keyColumn[row])
                if let keep, !keep[k] { continue }
                let micros = ts[row]
                let hour = Int32(floorDivide(micros, CivilCalendar.microsPerHour))
                if hour != currentHour {
                    for t in touched {
                        state.cells.append(hour: currentHour, dimensions: dimensionOf[t], hourCells[t])
                        hourCells[t] = Cell()
                    }
                    touched.removeAll(keepingCapacity: true)
                    currentHour = hour
                }
                let cell = hourCells + k
                if cell.pointee.requests == 0 { touched.append(k) }
                cell.pointee.requests += 1
                let input = inputColumn[row], output = outputColumn[row]
                let cacheRead = cacheReadColumn[row], cacheWrite = cacheWriteColumn[row]
                if input != unknown { cell.pointee.tokens.input += Int64(input) }
                if output != unknown { cell.pointee.tokens.output += Int64(output) }
                if cacheRead != unknown { cell.pointee.tokens.cacheRead += Int64(cacheRead) }
                if cacheWrite != unknown { cell.pointee.tokens.cacheWrite += Int64(cacheWrite) }
                let logged = loggedColumn[row]
                if !logged.isNaN {
                    cell.pointee.loggedCostRows += 1
                    cell.pointee.loggedCostUSD += logged
                }
                if logicalColumn[row] == 0 {
                    cell.pointee.logicalRequests += 1
                    switch outcomeOf[k] {
                    case 1: cell.pointee.gatewayFallbacks += 1
                    case 2: cell.pointee.failedAfterFallback += 1
                    case 3: cell.pointee.failedWithoutFallback += 1
                    default: break
                    }
                }
                guard detail.contains(row) else { continue }
                let minute = Int32(floorDivide(micros, 60_000_000))
                if minute != currentMinute {
                    for t in touchedTenants {
                        state.addMinute(currentMinute, tenantSlot: tenantStateSlot[t], requests: minuteRequests[t], throttled: minuteThrottled[t])
                        minuteRequests[t] = 0
                        minuteThrottled[t] = 0
                    }
                    touchedTenants.removeAll(keepingCapacity: true)
                    currentMinute = minute
                }
                let t = Int(tenantOf[k])
                if minuteRequests[t] == 0 { touchedTenants.append(t) }
                minuteRequests[t] += 1
                if throttle[k] { minuteThrottled[t] += 1 }

                let latency = latencyColumn[row], ttft = ttftColumn[row]
                let model = modelGroup[k], deployment = deploymentGroup[k]
                if model >= 0 {
                    if latency != unknown { latencyCounts.add(latency, group: Int(model)) }
                    if ttft != unknown { ttftCounts.add(ttft, group: Int(model)) }
                }
                if deployment >= 0 {
                    if latency != unknown { latencyCounts.add(latency, group: Int(deployment)) }
                    if ttft != unknown { ttftCounts.add(ttft, group: Int(deployment)) }
                }
            }
        }}}}}}}}}}}
        for t in touched { state.cells.append(hour: currentHour, dimensions: dimensionOf[t], hourCells[t]) }
        for t in touchedTenants {
            state.addMinute(currentMinute, tenantSlot: tenantStateSlot[t], requests: minuteRequests[t], throttled: minuteThrottled[t])
        }
        for (index, g) in groups.enumerated() {
            if let histogram = latencyCounts.histogram(index) { state.latency[g] = histogram }
            if let histogram = ttftCounts.histogram(index) { state.ttft[g] = histogram }
        }
        resolveLogicalRequests(frame, rows: rows, keep: keep, dimensionOf: dimensionOf, into: &state)
        return state
    }

    /// Outcome of each correlated logical request, counted in the cell of its first attempt.
    static func resolveLogicalRequests(_ frame: Frame, rows: Range<Int>, keep: [Bool]?, dimensionOf: [UInt32],
                                       into state: inout MetricsState) {
        guard frame.logicalCount > 0 else { return }
        let none = Int32(-1)
        var first = [Int32](repeating: none, count: frame.logicalCount + 1)
        var firstSuccess = [Int32](repeating: none, count: frame.logicalCount + 1)
        var sawFailureBeforeSuccess = [Bool](repeating: false, count: frame.logicalCount + 1)
        var triedFallback = [Bool](repeating: false, count: frame.logicalCount + 1)
        var order: [UInt32] = []
        for row in rows {
            let l = Int(frame.logical[row])
            guard l != 0, keep?[Int(frame.key[row])] ?? true else { continue }
            let key = frame.keys[Int(frame.key[row])]
            if first[l] == none {
                first[l] = Int32(row)
                order.append(UInt32(l))
            } else if target(key) != target(frame.keys[Int(frame.key[Int(first[l])])]) {
                triedFallback[l] = true
            }
            if key.fallbackAttempt > 0 && key.fallbackAttempt != RowKey.unknownAttempt { triedFallback[l] = true }
            if key.failed {
                if firstSuccess[l] == none { sawFailureBeforeSuccess[l] = true }
            } else if firstSuccess[l] == none {
                firstSuccess[l] = Int32(row)
            }
        }
        for l in order.map(Int.init) {
            let firstRow = Int(first[l])
            var cell = Cell()
            cell.logicalRequests = 1
            if firstSuccess[l] != none {
                let success = frame.keys[Int(frame.key[Int(firstSuccess[l])])]
                let servedByFallback = (success.fallbackAttempt > 0 && success.fallbackAttempt != RowKey.unknownAttempt)
                    || (sawFailureBeforeSuccess[l] && target(success) != target(frame.keys[Int(frame.key[firstRow])]))
                if servedByFallback {
                    cell.gatewayFallbacks += 1
                } else if sawFailureBeforeSuccess[l] {
                    cell.retriedSuccesses += 1
                }
            } else if triedFallback[l] {
                cell.failedAfterFallback += 1
            } else {
                cell.failedWithoutFallback += 1
            }
            // An outcome-only cell (no requests, no money) in the hour and combination of the first attempt.
            state.cells.append(hour: Int32(floorDivide(frame.timestamp[firstRow], CivilCalendar.microsPerHour)),
                               dimensions: dimensionOf[Int(frame.key[firstRow])], cell)
        }
    }

    /// What an attempt was aimed at: the gateway model group, else the model.
    static func target(_ key: RowKey) -> UInt32 {
        if key.modelGroup != 0 { return key.modelGroup }
        return key.servedModel != 0 ? key.servedModel : key.requestedModel
    }

    public static func dimensions(of key: RowKey, in frame: Frame) -> Dimensions {
        var dims = Dimensions(sourceKind: key.sourceKind, failed: key.failed, flags: key.recordFlags,
                   fallbackAttempt: key.fallbackAttempt == RowKey.unknownAttempt ? nil : Int(key.fallbackAttempt),
                   account: frame.string(key.account), region: frame.string(key.region),
                   inferenceRegion: frame.string(key.inferenceRegion), requestedModel: frame.string(key.requestedModel),
                   router: frame.string(key.router), servedModel: frame.string(key.servedModel),
                   modelGroup: frame.string(key.modelGroup), originalModelGroup: frame.string(key.originalModelGroup),
                   deployment: frame.string(key.deployment), errorCode: frame.string(key.errorCode),
                   tenant: frame.string(key.tenant))
        dims.cacheUse = key.cacheUse
        return dims
    }
}

/// Millisecond counts per latency group: one flat dense block below `denseLatencyLimit` (no per-row
/// array checks), a dictionary above it.
final class GroupCounts {
    let groups: Int
    let dense: UnsafeMutablePointer<UInt32>
    var overflow: [[UInt32: Int64]]

    init(groups: Int) {
        self.groups = groups
        let count = max(groups, 1) * Aggregator.denseLatencyLimit
        dense = UnsafeMutablePointer<UInt32>.allocate(capacity: count)
        dense.initialize(repeating: 0, count: count)
        overflow = Array(repeating: [:], count: groups)
    }

    deinit { dense.deallocate() }

    @inline(__always)
    func add(_ value: UInt32, group: Int) {
        if Int(value) < Aggregator.denseLatencyLimit {
            dense[group &* Aggregator.denseLatencyLimit &+ Int(value)] &+= 1
        } else {
            overflow[group][value, default: 0] += 1
        }
    }

    func histogram(_ group: Int) -> ExactHistogram? {
        let slice = UnsafeBufferPointer(start: dense + group * Aggregator.denseLatencyLimit, count: Aggregator.denseLatencyLimit)
        let histogram = ExactHistogram(dense: slice, overflow: overflow[group])
        return histogram.total > 0 ? histogram : nil
    }
}

@inline(__always)
func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    value >= 0 ? value / divisor : (value - divisor + 1) / divisor
}
