import Foundation
import RouteLedgerConfig
import RouteLedgerModel
import RouteLedgerReplay
import RouteLedgerStore

/// Reads one router's real traffic mix out of the ledger: which models its two tiers are, their mean tokens
/// per call, the split it actually made, and what that cost. Replay prices labelled prompts at this mix.
enum RouterTraffic {
    /// The routers in a window with their call counts (for "which router?" messages).
    static func routers(ledgerPath: String, since: Int64, until: Int64) throws -> [String: Int] {
        let scanner = try LedgerScanner(path: ledgerPath)
        let strings = try scanner.strings()
        var counts: [String: Int] = [:]
        try scanner.scan(since: since, until: until) { row, _ in
            if row.router > 0 { counts[strings[Int(row.router)], default: 0] += 1 }
        }
        return counts
    }

    /// Resolves `--router` against the ledger's routers: the exact id, else a unique suffix (`x4m1yq0dx0kq`).
    static func resolve(_ given: String, among known: [String]) throws -> String {
        if known.contains(given) { return given }
        let matches = known.filter { $0.hasSuffix("/" + given) || $0.hasSuffix(given) }
        if matches.count == 1 { return matches[0] }
        let listing = known.sorted().joined(separator: "\n  ")
        if matches.isEmpty { throw ReplayError("no router \"\(given)\" in the window; routers seen:\n  \(listing)") }
        throw ReplayError("\"\(given)\" matches several routers:\n  \(matches.sorted().joined(separator: "\n  "))")
    }

    static func mix(ledgerPath: String, router: String, since: Int64, until: Int64, catalog: PriceCatalog,
                    definition: RouterDefinition?) throws -> TrafficMix {
        let scanner = try LedgerScanner(path: ledgerPath)
        let strings = try scanner.strings()
        struct Sums { var calls = 0; var input = 0.0; var output = 0.0; var cacheRead = 0.0; var cacheWrite = 0.0; var regions: [String: Int] = [:] }
        var byModel: [String: Sums] = [:]
        var requests = 0, pricedCalls = 0
        var pricedCost = 0.0
        try scanner.scan(since: since, until: until) { row, _ in
            guard row.router > 0, strings[Int(row.router)] == router else { return }
            requests += 1
            guard row.servedModel > 0 else { return }
            let model = strings[Int(row.servedModel)]
            let region = row.region > 0 ? strings[Int(row.region)] : nil
            var sums = byModel[model, default: Sums()]
            sums.calls += 1
            sums.input += Double(max(row.inputTokens, 0))
            sums.output += Double(max(row.outputTokens, 0))
            sums.cacheRead += Double(max(row.cacheReadTokens, 0))
            sums.cacheWrite += Double(max(row.cacheWriteTokens, 0))
            if let region { sums.regions[region, default: 0] += 1 }
            byModel[model] = sums
            let tokens = TokenCounts(input: max(row.inputTokens, 0), output: max(row.outputTokens, 0),
                                     cacheRead: max(row.cacheReadTokens, 0), cacheWrite: max(row.cacheWriteTokens, 0))
            if row.inputTokens >= 0, let entry = catalog.entry(model: model, region: region, atMicros: row.timestampMicros),
               let cost = entry.prices.cost(of: tokens) {
                pricedCalls += 1
                pricedCost += cost
            }
        }
        guard !byModel.isEmpty else { throw ReplayError("router \(router) has no calls with a resolved model in the window") }
        func pick(_ tier: ModelTier, configured: String?) -> String? {
            if let configured { return configured }
            return byModel.filter { catalog.tier(of: $0.key) == tier }.max { ($0.value.calls, $1.key) < ($1.value.calls, $0.key) }?.key
        }
        guard let strongModel = pick(.strong, configured: definition?.strong), let cheapModel = pick(.cheap, configured: definition?.cheap) else {
            throw ReplayError("cannot tell router \(router)'s strong and cheap models apart (models seen: \(byModel.keys.sorted().joined(separator: ", "))); "
                              + "set them under routers: in the config")
        }
        func tier(_ model: String) -> TierMix {
            let sums = byModel[model] ?? Sums()
            let region = sums.regions.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
            let calls = Double(max(sums.calls, 1))
            let entry = catalog.entry(model: model, region: region, atMicros: until - 1)
            return TierMix(model: model, region: region, calls: sums.calls, meanInputTokens: sums.input / calls,
                           meanOutputTokens: sums.output / calls, meanCacheReadTokens: sums.cacheRead / calls,
                           meanCacheWriteTokens: sums.cacheWrite / calls, prices: entry?.prices)
        }
        var strong = tier(strongModel), cheap = tier(cheapModel)
        // A tier the window never used borrows the other tier's token means: same prompts, other model.
        if strong.calls == 0 { strong = TierMix(model: strongModel, region: cheap.region, calls: 0, meanInputTokens: cheap.meanInputTokens,
                                                 meanOutputTokens: cheap.meanOutputTokens, meanCacheReadTokens: cheap.meanCacheReadTokens,
                                                 meanCacheWriteTokens: cheap.meanCacheWriteTokens,
                                                 prices: catalog.entry(model: strongModel, region: cheap.region, atMicros: until - 1)?.prices) }
        if cheap.calls == 0 { cheap = TierMix(model: cheapModel, region: strong.region, calls: 0, meanInputTokens: strong.meanInputTokens,
                                               meanOutputTokens: strong.meanOutputTokens, meanCacheReadTokens: strong.meanCacheReadTokens,
                                               meanCacheWriteTokens: strong.meanCacheWriteTokens,
                                               prices: catalog.entry(model: cheapModel, region: strong.region, atMicros: until - 1)?.prices) }
        let resolved = strong.calls + cheap.calls
        return TrafficMix(router: router, strong: strong, cheap: cheap,
                          observedStrongShare: resolved > 0 ? Double(strong.calls) / Double(resolved) : nil,
                          observedCostPer1k: pricedCalls > 0 ? pricedCost / Double(pricedCalls) * 1000 : nil,
                          requests: requests)
    }

    /// The router's requests with their prompt text (when kept at ingest) and tokens, for re-deciding them.
    static func requests(ledgerPath: String, router: String, since: Int64, until: Int64, mix: TrafficMix) throws -> [TrafficRequest] {
        let scanner = try LedgerScanner(path: ledgerPath)
        return try scanner.routerPrompts(router: router, since: since, until: until).compactMap { row in
            guard row.inputTokens >= 0 else { return nil }
            let served: Bool? = row.servedModel.flatMap { $0 == mix.strong.model ? true : ($0 == mix.cheap.model ? false : nil) }
            return TrafficRequest(id: row.requestID, servedStrong: served,
                                  tokens: TokenCounts(input: row.inputTokens, output: max(row.outputTokens, 0),
                                                      cacheRead: max(row.cacheReadTokens, 0), cacheWrite: max(row.cacheWriteTokens, 0)),
                                  text: row.promptBody.map(PromptText.extract(fromBody:)))
        }
    }
}
