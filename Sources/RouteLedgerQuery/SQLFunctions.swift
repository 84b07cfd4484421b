import Foundation
import GRDBSQLite
import RouteLedgerModel

/// Functions registered on every query connection:
/// - `cost_usd(model, region, ts_us, input, output, cache_read, cache_write)`: USD from the price catalog in
///   force at `ts_us` in the (source) Region, NULL when unpriced; NULL token counts count as 0.
/// - `strong_cost_usd(router, model, region, ts_us, input, output, cache_read, cache_write)` and `cheap_cost_usd(…)`:
///   the same tokens priced on the router's strong (cheap) model — configured, else its most used one in the
///   ledger — else on the family's (NULL when unknown). The report engine picks the same models.
/// - `routing_group(group)`: the group when it is a configured router or a LiteLLM group served by both tiers.
/// - `model_family(model)`, `model_tier(model)`: from the catalog (family falls back to the provider prefix).
/// - `router_fallback_model(router)`: the configured fallback model of a router, or NULL.
/// - `percentile(x, p)`: aggregate, exact nearest-rank percentile of the non-NULL x, p in 0…100.
enum SQLFunctions {
    static func register(on connection: OpaquePointer, context: FunctionContext) throws {
        let user = Unmanaged.passUnretained(context).toOpaque()
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC
        func add(_ name: String, _ arguments: Int32, _ function: @escaping @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void) throws {
            guard sqlite3_create_function_v2(connection, name, arguments, flags, user, function, nil, nil, nil) == SQLITE_OK else {
                throw QueryError(file: name, message: "cannot register SQL function \(name)")
            }
        }
        try add("cost_usd", 7, costFunction)
        try add("strong_cost_usd", 8, strongCostFunction)
        try add("cheap_cost_usd", 8, cheapCostFunction)
        try add("routing_group", 1, routingGroupFunction)
        try add("model_family", 1, familyFunction)
        try add("model_tier", 1, tierFunction)
        try add("router_fallback_model", 1, fallbackFunction)
        guard sqlite3_create_function_v2(connection, "percentile", 2, flags, nil, nil, percentileStep, percentileFinal, nil) == SQLITE_OK else {
            throw QueryError(file: "percentile", message: "cannot register SQL function percentile")
        }
    }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

private func context(_ ctx: OpaquePointer?) -> FunctionContext {
    Unmanaged<FunctionContext>.fromOpaque(sqlite3_user_data(ctx)!).takeUnretainedValue()
}

private func text(_ argv: UnsafeMutablePointer<OpaquePointer?>?, _ index: Int) -> String? {
    guard let value = argv?[index], sqlite3_value_type(value) != SQLITE_NULL, let bytes = sqlite3_value_text(value) else { return nil }
    return String(cString: bytes)
}

private func integer(_ argv: UnsafeMutablePointer<OpaquePointer?>?, _ index: Int) -> Int64? {
    guard let value = argv?[index], sqlite3_value_type(value) != SQLITE_NULL else { return nil }
    return sqlite3_value_int64(value)
}

private func resultText(_ ctx: OpaquePointer?, _ value: String?) {
    if let value { sqlite3_result_text(ctx, value, -1, transient) } else { sqlite3_result_null(ctx) }
}

private func tokens(_ argv: UnsafeMutablePointer<OpaquePointer?>?, from first: Int) -> TokenCounts {
    TokenCounts(input: integer(argv, first) ?? 0, output: integer(argv, first + 1) ?? 0,
                cacheRead: integer(argv, first + 2) ?? 0, cacheWrite: integer(argv, first + 3) ?? 0)
}

private func price(_ catalog: PriceCatalog, _ model: String?, _ region: String?, _ ts: Int64?, _ tokens: TokenCounts) -> Double? {
    guard let model, let ts, let entry = catalog.entry(model: model, region: region, atMicros: ts) else { return nil }
    return entry.prices.cost(of: tokens)
}

private let costFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { ctx, _, argv in
    let cost = price(context(ctx).catalog, text(argv, 0), text(argv, 1), integer(argv, 2), tokens(argv, from: 3))
    if let cost { sqlite3_result_double(ctx, cost) } else { sqlite3_result_null(ctx) }
}

/// The counterpart of `tier` for a request: the router's configured model, its most used one, the family's,
/// or the model itself when it already is of that tier.
private func counterpart(_ state: FunctionContext, router: String?, model: String?, tier: ModelTier) -> String? {
    if let router {
        let configured = tier == .strong ? state.routers[router]?.strong : state.routers[router]?.cheap
        if let configured { return configured }
        if let inferred = tier == .strong ? state.inferredStrong[router] : state.inferredCheap[router] { return inferred }
    }
    guard let model else { return nil }
    if let family = state.catalog.family(of: model), let pair = state.catalog.families[family] {
        return tier == .strong ? pair.strong : pair.cheap
    }
    return state.catalog.tier(of: model) == tier ? model : nil
}

private func counterfactualCost(_ ctx: OpaquePointer?, _ argv: UnsafeMutablePointer<OpaquePointer?>?, tier: ModelTier) {
    let state = context(ctx)
    let model = counterpart(state, router: text(argv, 0), model: text(argv, 1), tier: tier)
    let cost = price(state.catalog, model, text(argv, 2), integer(argv, 3), tokens(argv, from: 4))
    if let cost { sqlite3_result_double(ctx, cost) } else { sqlite3_result_null(ctx) }
}

private let strongCostFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { ctx, _, argv in
    counterfactualCost(ctx, argv, tier: .strong)
}

private let cheapCostFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { ctx, _, argv in
    counterfactualCost(ctx, argv, tier: .cheap)
}

private let routingGroupFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { ctx, _, argv in
    resultText(ctx, text(argv, 0).flatMap { context(ctx).routingGroups.contains($0) ? $0 : nil })
}

private let familyFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { ctx, _, argv in
    resultText(ctx, text(argv, 0).flatMap { context(ctx).catalog.family(of: $0) })
}

private let tierFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { ctx, _, argv in
    resultText(ctx, text(argv, 0).flatMap { context(ctx).catalog.tier(of: $0)?.rawValue })
}

private let fallbackFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { ctx, _, argv in
    resultText(ctx, text(argv, 0).flatMap { context(ctx).routers[$0]?.fallback })
}

/// Values collected by one `percentile` group.
private final class PercentileState {
    var values: [Double] = []
    var percent: Double?
}

/// The aggregate context holds one pointer to a retained `PercentileState`.
private func percentileState(_ ctx: OpaquePointer?, create: Bool) -> PercentileState? {
    let size = Int32(MemoryLayout<UnsafeMutableRawPointer?>.size)
    guard let slot = sqlite3_aggregate_context(ctx, create ? size : 0)?.assumingMemoryBound(to: UnsafeMutableRawPointer?.self) else {
        return nil
    }
    if slot.pointee == nil {
        guard create else { return nil }
        slot.pointee = Unmanaged.passRetained(PercentileState()).toOpaque()
    }
    return Unmanaged<PercentileState>.fromOpaque(slot.pointee!).takeUnretainedValue()
}

private let percentileStep: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { ctx, _, argv in
    guard let state = percentileState(ctx, create: true) else { return sqlite3_result_error_nomem(ctx) }
    if let p = argv?[1], sqlite3_value_type(p) != SQLITE_NULL, state.percent == nil {
        let percent = sqlite3_value_double(p)
        guard percent >= 0, percent <= 100 else {
            return sqlite3_result_error(ctx, "percentile(x, p): p must be between 0 and 100", -1)
        }
        state.percent = percent
    }
    if let x = argv?[0], sqlite3_value_type(x) != SQLITE_NULL {
        state.values.append(sqlite3_value_double(x))
    }
}

private let percentileFinal: @convention(c) (OpaquePointer?) -> Void = { ctx in
    let size = Int32(MemoryLayout<UnsafeMutableRawPointer?>.size)
    guard let slot = sqlite3_aggregate_context(ctx, 0)?.assumingMemoryBound(to: UnsafeMutableRawPointer?.self),
          let pointer = slot.pointee else {
        _ = size
        return sqlite3_result_null(ctx)
    }
    let state = Unmanaged<PercentileState>.fromOpaque(pointer).takeRetainedValue()
    slot.pointee = nil
    guard !state.values.isEmpty, let percent = state.percent else { return sqlite3_result_null(ctx) }
    let sorted = state.values.sorted()
    // Nearest rank: the smallest value with at least ⌈n·p/100⌉ values at or below it.
    let rank = max(1, Int((Double(sorted.count) * percent / 100).rounded(.up)))
    let value = sorted[min(rank, sorted.count) - 1]
    if value == value.rounded(), abs(value) < 9e15 {
        sqlite3_result_int64(ctx, Int64(value))
    } else {
        sqlite3_result_double(ctx, value)
    }
}
