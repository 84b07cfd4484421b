import RouteLedgerConfig
import RouteLedgerModel

/// Turns a `MetricsState` into the numbers of a report: prices cells, rolls them up by model, router,
/// Region, account and tenant, and derives ratios. No I/O; everything comes from the state.
public struct MetricsCalculator: Sendable {
    public var catalog: PriceCatalog
    public var routers: [RouterDefinition]
    public var quotas: [TenantQuota]

    public init(catalog: PriceCatalog, routers: [RouterDefinition] = [], quotas: [TenantQuota] = []) {
        self.catalog = catalog
        self.routers = routers
        self.quotas = quotas
    }

    /// Why a cell's cost cannot be known.
    enum Unpriced: String {
        case tokensMissing = "tokens-missing"
        case servedModelUnresolved = "served-model-unresolved"
        case profileUnresolved = "profile-unresolved"
        case noPrice = "no-price"
        case noPriceForTokenKind = "no-price-for-token-kind"
    }

    /// A cell with everything derived from its dimensions resolved once.
    struct Priced {
        var dims: Dimensions
        var hour: Int32
        var cell: Cell
        var model: String?
        var router: String?
        var cost: Double?
        var unpriced: Unpriced?
        var strongCost: Double?
        var cheapCost: Double?
        var family: String?
        var tier: ModelTier?
        var succeeded: Int64 { dims.failed ? 0 : cell.requests }
    }

    /// Router id of a row as configured: the Bedrock prompt router, or a configured LiteLLM model group.
    public func routerID(of dims: Dimensions) -> String? {
        routerID(dims, configured: Set(routers.map(\.id)))
    }

    /// Router id of a row: the Bedrock prompt router, or a configured LiteLLM model group.
    func routerID(_ dims: Dimensions, configured: Set<String>) -> String? {
        if let router = dims.router { return router }
        if let group = dims.originalModelGroup, configured.contains(group) { return group }
        if let group = dims.modelGroup, configured.contains(group) { return group }
        return nil
    }

    /// LiteLLM model groups that route: their calls were served by models of both tiers of a family.
    /// (A group whose deployments all serve one model only load-balances.)
    func routingGroups(_ state: MetricsState, hours: Range<Int32>) -> Set<String> {
        var tiers: [String: Set<ModelTier>] = [:]
        state.forEachCell(hours: hours) { dims, _, _ in
            guard dims.sourceKind != .bedrock, !dims.failed, let group = dims.modelGroup, let model = dims.effectiveModel,
                  let tier = catalog.tier(of: model) else { return }
            tiers[group, default: []].insert(tier)
        }
        return Set(tiers.filter { $0.value.count == ModelTier.allCases.count }.keys)
    }

    public func compute(_ state: MetricsState, since: Int64, until: Int64) -> WindowMetrics {
        var metrics = WindowMetrics(since: since, until: until)
        let hours = Int32(floorDivide(since, CivilCalendar.microsPerHour))..<Int32(floorDivide(until + CivilCalendar.microsPerHour - 1, CivilCalendar.microsPerHour))
        let configured = Set(routers.map(\.id)).union(routingGroups(state, hours: hours))
        let definitions = Dictionary(routers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

        // Pass 1: which models each router served, to infer strong/cheap where not configured.
        var servedByRouter: [String: [String: Int64]] = [:]
        state.forEachCell(hours: hours) { dims, _, cell in
            guard !dims.failed, let router = routerID(dims, configured: configured), let model = dims.effectiveModel else { return }
            servedByRouter[router, default: [:]][model, default: 0] += cell.requests
        }
        var counterparts: [String: (strong: String?, cheap: String?)] = [:]
        for (router, served) in servedByRouter {
            func pick(_ tier: ModelTier) -> String? {
                served.filter { catalog.tier(of: $0.key) == tier }.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
            }
            counterparts[router] = (definitions[router]?.strong ?? pick(.strong), definitions[router]?.cheap ?? pick(.cheap))
        }
        for definition in routers where counterparts[definition.id] == nil {
            counterparts[definition.id] = (definition.strong, definition.cheap)
        }

        // Pass 2: price every cell.
        var priced: [Priced] = []
        state.forEachCell(hours: hours) { dims, hour, cell in
            let router = routerID(dims, configured: configured)
            let model = dims.effectiveModel
            let at = Int64(hour) * CivilCalendar.microsPerHour
            var item = Priced(dims: dims, hour: hour, cell: cell, model: model, router: router)
            item.family = model.flatMap { catalog.family(of: $0) }
            item.tier = model.flatMap { catalog.tier(of: $0) }
            if dims.failed && cell.tokens.total == 0 {
                item.cost = 0   // a failed call with no tokens is not billed, whatever the model
            } else if dims.flags.contains(.tokensMissing) {
                item.unpriced = .tokensMissing
            } else if let model {
                if let entry = catalog.entry(model: model, region: dims.region, atMicros: at) {
                    item.cost = entry.prices.cost(of: cell.tokens)
                    if item.cost == nil { item.unpriced = .noPriceForTokenKind }
                } else {
                    item.unpriced = .noPrice
                }
            } else {
                item.unpriced = dims.flags.contains(.profileUnresolved) ? .profileUnresolved : .servedModelUnresolved
            }
            if !dims.failed, item.cost != nil, let model {
                let pair = router.flatMap { counterparts[$0] }
                let family = item.family.flatMap { catalog.families[$0] }
                let strong = pair?.strong ?? family?.strong ?? (item.tier == .strong ? model : nil)
                let cheap = pair?.cheap ?? family?.cheap ?? (item.tier == .cheap ? model : nil)
                func reprice(_ other: String?) -> Double? {
                    guard let other else { return nil }
                    if other == model { return item.cost }
                    return catalog.entry(model: other, region: dims.region, atMicros: at)?.prices.cost(of: cell.tokens)
                }
                item.strongCost = reprice(strong)
                item.cheapCost = reprice(cheap)
            }
            priced.append(item)
        }

        metrics.totals = totals(priced)
        metrics.unpricedModels = unpricedModels(priced)
        metrics.models = models(priced, state: state)
        metrics.routers = routerMetrics(priced, counterparts: counterparts, definitions: definitions, servedByRouter: servedByRouter)
        metrics.haiku = haikuRatio(priced)
        metrics.cheapRatioByFamily = cheapRatios(priced)
        metrics.fallback = fallback(priced, definitions: definitions)
        metrics.counterfactual = counterfactual(priced)
        metrics.routingOverhead = routingOverhead(state)
        (metrics.regions, metrics.accountRegions) = regionFlows(priced)
        metrics.accounts = breakdown(priced, totalCost: metrics.totals.costUSD) { $0.dims.account }
        metrics.tenants = tenantBreakdown(priced, state: state, hours: hours, totalCost: metrics.totals.costUSD,
                                          days: max(1, Double(until - since) / Double(CivilCalendar.microsPerDay)))
        metrics.deployments = deployments(priced, state: state)
        metrics.litellmCost = loggedCost(priced)
        metrics.hourly = series(priced, bucket: CivilCalendar.microsPerHour, definitions: definitions)
        metrics.daily = series(priced, bucket: CivilCalendar.microsPerDay, definitions: definitions)
        return metrics
    }

    // MARK: Roll-ups

    func totals(_ priced: [Priced]) -> Totals {
        var totals = Totals()
        var byCode: [String: Int64] = [:]
        var byReason: [String: Int64] = [:]
        var cost = 0.0
        for item in priced {
            totals.requests += item.cell.requests
            if item.dims.failed {
                totals.failed += item.cell.requests
                byCode[item.dims.errorCode ?? "unknown", default: 0] += item.cell.requests
                if item.dims.isThrottle { totals.throttled += item.cell.requests }
            } else {
                totals.succeeded += item.cell.requests
            }
            totals.tokens += item.cell.tokens
            if let value = item.cost {
                cost += value
                totals.pricedRequests += item.cell.requests
            } else {
                totals.unpricedRequests += item.cell.requests
                byReason[item.unpriced?.rawValue ?? "unknown", default: 0] += item.cell.requests
            }
        }
        totals.costUSD = totals.pricedRequests > 0 || totals.requests == 0 ? cost : nil
        totals.failedByCode = sortedCounts(byCode)
        totals.unpricedByReason = sortedCounts(byReason)
        return totals
    }

    func unpricedModels(_ priced: [Priced]) -> [UnpricedModel] {
        struct Key: Hashable { var model: String; var region: String?; var reason: String }
        var counts: [Key: Int64] = [:]
        for item in priced where item.cost == nil {
            let model = item.model ?? item.router.map { "(unresolved) \($0)" } ?? item.dims.requestedModel ?? "(unknown)"
            counts[Key(model: model, region: item.dims.region, reason: item.unpriced?.rawValue ?? "unknown"), default: 0] += item.cell.requests
        }
        return counts.map { UnpricedModel(model: $0.key.model, region: $0.key.region, reason: $0.key.reason, requests: $0.value) }
            .sorted { ($1.requests, $0.model, $0.region ?? "", $0.reason) < ($0.requests, $1.model, $1.region ?? "", $1.reason) }
    }

    static let unresolvedModel = "(unresolved)"

    func models(_ priced: [Priced], state: MetricsState) -> [ModelMetrics] {
        var rows: [String: ModelMetrics] = [:]
        var costKnown: [String: Bool] = [:]
        for item in priced {
            let name = item.model ?? Self.unresolvedModel
            var row = rows[name] ?? ModelMetrics(model: name, family: item.family, tier: item.tier)
            row.requests += item.cell.requests
            if item.dims.failed { row.failed += item.cell.requests }
            row.tokens += item.cell.tokens
            if let cost = item.cost {
                row.costUSD = (row.costUSD ?? 0) + cost
            } else {
                row.unpricedRequests += item.cell.requests
            }
            costKnown[name] = (costKnown[name] ?? false) || item.cost != nil
            rows[name] = row
        }
        for (name, var row) in rows {
            var latency = ExactHistogram(), ttft = ExactHistogram()
            for routed in [false, true] {
                if let h = state.latency[.model(name, routed: routed)] { latency.merge(h) }
                if let h = state.ttft[.model(name, routed: routed)] { ttft.merge(h) }
            }
            row.latency = percentiles(latency)
            row.ttft = percentiles(ttft)
            rows[name] = row
        }
        return rows.values.sorted { ($1.requests, $0.model) < ($0.requests, $1.model) }
    }

    func percentiles(_ histogram: ExactHistogram) -> Percentiles {
        Percentiles(p50: histogram.percentile(50), p90: histogram.percentile(90), p99: histogram.percentile(99),
                    samples: histogram.total)
    }

    func routerMetrics(_ priced: [Priced], counterparts: [String: (strong: String?, cheap: String?)],
                       definitions: [String: RouterDefinition], servedByRouter: [String: [String: Int64]]) -> [RouterMetrics] {
        struct Served { var requests: Int64 = 0; var tokens: Int64 = 0; var cost: Double = 0; var costKnown = true }
        var routers: [String: RouterMetrics] = [:]
        var served: [String: [String: Served]] = [:]
        var cf: [String: (actual: Double, strong: Double, cheap: Double, any: Bool)] = [:]
        var haiku: [String: (haiku: Int64, claude: Int64)] = [:]
        for item in priced {
            guard let id = item.router else { continue }
            var router = routers[id] ?? RouterMetrics(
                router: id, kind: item.dims.router != nil ? "bedrock" : "litellm", configured: definitions[id] != nil,
                strongModel: counterparts[id]?.strong, cheapModel: counterparts[id]?.cheap,
                fallbackModel: definitions[id]?.fallback)
            router.requests += item.cell.requests
            if let cost = item.cost { router.costUSD = (router.costUSD ?? 0) + cost }
            if !item.dims.failed {
                if let model = item.model {
                    var s = served[id, default: [:]][model, default: Served()]
                    s.requests += item.cell.requests
                    s.tokens += item.cell.tokens.total
                    if let cost = item.cost { s.cost += cost } else { s.costKnown = false }
                    served[id, default: [:]][model] = s
                    if item.family == "anthropic" {
                        haiku[id, default: (0, 0)].claude += item.cell.requests
                        if PriceCatalog.isHaiku(model) { haiku[id, default: (0, 0)].haiku += item.cell.requests }
                    }
                } else {
                    router.unresolved += item.cell.requests
                }
                if let actual = item.cost, let strong = item.strongCost, let cheap = item.cheapCost {
                    var c = cf[id] ?? (0, 0, 0, false)
                    c.actual += actual; c.strong += strong; c.cheap += cheap; c.any = true
                    cf[id] = c
                }
            }
            routers[id] = router
        }
        for definition in definitions.values where routers[definition.id] == nil {
            routers[definition.id] = RouterMetrics(router: definition.id, kind: definition.id.contains("prompt-router/") ? "bedrock" : "litellm",
                                                   configured: true, strongModel: definition.strong, cheapModel: definition.cheap,
                                                   fallbackModel: definition.fallback)
        }
        for (id, var router) in routers {
            let shares = served[id] ?? [:]
            let resolved = shares.values.reduce(0) { $0 + $1.requests }
            let tokens = shares.values.reduce(0) { $0 + $1.tokens }
            let allCostKnown = shares.values.allSatisfy(\.costKnown)
            let cost = shares.values.reduce(0.0) { $0 + $1.cost }
            router.served = shares.map { model, s in
                ServedShare(model: model, tier: catalog.tier(of: model), requests: s.requests,
                            share: ratio(s.requests, resolved) ?? 0,
                            tokenShare: tokens > 0 ? Double(s.tokens) / Double(tokens) : nil,
                            costShare: allCostKnown && cost > 0 ? s.cost / cost : nil)
            }.sorted { ($1.requests, $0.model) < ($0.requests, $1.model) }
            let tiered = shares.filter { catalog.tier(of: $0.key) != nil }
            let cheap = tiered.filter { catalog.tier(of: $0.key) == .cheap }.values.reduce(0) { $0 + $1.requests }
            router.cheapRatio = ratio(cheap, tiered.values.reduce(0) { $0 + $1.requests })
            if let fallback = definitions[id]?.fallback {
                router.fallbackRate = ratio(shares[fallback]?.requests ?? 0, resolved)
            }
            if let c = cf[id], c.any {
                router.counterfactualStrongUSD = c.strong
                router.counterfactualCheapUSD = c.cheap
                router.savingsPct = c.strong > 0 ? (1 - c.actual / c.strong) * 100 : nil
            }
            if let h = haiku[id] { router.haikuRatio = ratio(h.haiku, h.claude) }
            routers[id] = router
        }
        return routers.values.sorted { ($1.requests, $0.router) < ($0.requests, $1.router) }
    }

    func haikuRatio(_ priced: [Priced]) -> HaikuRatio {
        var result = HaikuRatio()
        for item in priced where !item.dims.failed && item.family == "anthropic" {
            result.claudeRequests += item.cell.requests
            if let model = item.model, PriceCatalog.isHaiku(model) { result.haikuRequests += item.cell.requests }
        }
        result.ratio = ratio(result.haikuRequests, result.claudeRequests)
        return result
    }

    func cheapRatios(_ priced: [Priced]) -> [FamilyCheapRatio] {
        var counts: [String: (cheap: Int64, tiered: Int64)] = [:]
        for item in priced where !item.dims.failed {
            guard let family = item.family, let tier = item.tier else { continue }
            counts[family, default: (0, 0)].tiered += item.cell.requests
            if tier == .cheap { counts[family, default: (0, 0)].cheap += item.cell.requests }
        }
        return counts.keys.sorted().map { family in
            let c = counts[family]!
            return FamilyCheapRatio(family: family, cheapRequests: c.cheap, tieredRequests: c.tiered, ratio: ratio(c.cheap, c.tiered))
        }
    }

    func fallback(_ priced: [Priced], definitions: [String: RouterDefinition]) -> FallbackMetrics {
        var result = FallbackMetrics()
        for item in priced {
            result.logicalRequests += item.cell.logicalRequests
            result.gatewayFallbacks += item.cell.gatewayFallbacks
            result.retriedSuccesses += item.cell.retriedSuccesses
            result.failedAfterFallback += item.cell.failedAfterFallback
            result.failedWithoutFallback += item.cell.failedWithoutFallback
            guard !item.dims.failed, let router = item.router, let fallback = definitions[router]?.fallback,
                  let model = item.model else { continue }
            result.routerResolvedRequests += item.cell.requests
            if model == fallback { result.routerFallbacks += item.cell.requests }
        }
        result.routerFallbackRate = ratio(result.routerFallbacks, result.routerResolvedRequests)
        result.gatewayFallbackRate = ratio(result.gatewayFallbacks, result.logicalRequests)
        return result
    }

    func counterfactual(_ priced: [Priced]) -> Counterfactual {
        var result = Counterfactual()
        var actual = 0.0, strong = 0.0, cheap = 0.0
        for item in priced where !item.dims.failed {
            if let a = item.cost, let s = item.strongCost, let c = item.cheapCost {
                actual += a; strong += s; cheap += c
                result.requests += item.cell.requests
            } else {
                result.excludedRequests += item.cell.requests
            }
        }
        if result.requests > 0 {
            result.actualUSD = actual
            result.allStrongUSD = strong
            result.allCheapUSD = cheap
            result.savingsUSD = strong - actual
            result.savingsPct = strong > 0 ? (1 - actual / strong) * 100 : nil
        }
        return result
    }

    func routingOverhead(_ state: MetricsState) -> [RoutingOverhead] {
        var models = Set<String>()
        for group in state.latency.keys { if case let .model(name, routed: true) = group { models.insert(name) } }
        return models.sorted().compactMap { model in
            guard let routed = state.latency[.model(model, routed: true)],
                  let direct = state.latency[.model(model, routed: false)] else { return nil }
            func diff(_ p: Int) -> Int64? {
                guard let a = routed.percentile(p), let b = direct.percentile(p) else { return nil }
                return Int64(a) - Int64(b)
            }
            return RoutingOverhead(model: model, routedSamples: routed.total, directSamples: direct.total,
                                   p50DifferenceMs: diff(50), p90DifferenceMs: diff(90))
        }
    }

    func regionFlows(_ priced: [Priced]) -> ([RegionFlow], [RegionFlow]) {
        struct Key: Hashable { var account: String?; var source: String; var inference: String }
        var overall: [Key: Int64] = [:], perAccount: [Key: Int64] = [:]
        for item in priced where item.dims.sourceKind == .bedrock {
            guard let source = item.dims.region else { continue }
            // A failed call has no inference Region; it is counted where it was sent.
            let inference = item.dims.inferenceRegion ?? source
            overall[Key(account: nil, source: source, inference: inference), default: 0] += item.cell.requests
            perAccount[Key(account: item.dims.account ?? "(none)", source: source, inference: inference), default: 0] += item.cell.requests
        }
        func flows(_ counts: [Key: Int64]) -> [RegionFlow] {
            var bySource: [String: Int64] = [:]
            for (key, n) in counts { bySource["\(key.account ?? "")\u{1}\(key.source)", default: 0] += n }
            return counts.map { key, n in
                RegionFlow(account: key.account, sourceRegion: key.source, inferenceRegion: key.inference, requests: n,
                           share: ratio(n, bySource["\(key.account ?? "")\u{1}\(key.source)"]!) ?? 0)
            }.sorted {
                ($0.account ?? "", $0.sourceRegion, $1.requests, $0.inferenceRegion) < ($1.account ?? "", $1.sourceRegion, $0.requests, $1.inferenceRegion)
            }
        }
        return (flows(overall), flows(perAccount))
    }

    func breakdown(_ priced: [Priced], totalCost: Double?, by name: (Priced) -> String?) -> [Breakdown] {
        var rows: [String: Breakdown] = [:]
        for item in priced {
            guard let key = name(item) else { continue }
            var row = rows[key] ?? Breakdown(name: key)
            row.requests += item.cell.requests
            if item.dims.failed { row.failed += item.cell.requests }
            if item.dims.isThrottle { row.throttled += item.cell.requests }
            row.tokens += item.cell.tokens
            if let cost = item.cost { row.costUSD = (row.costUSD ?? 0) + cost } else { row.unpricedRequests += item.cell.requests }
            rows[key] = row
        }
        let totalRequests = rows.values.reduce(0) { $0 + $1.requests }
        return rows.values.map { row in
            var row = row
            row.throttleRate = ratio(row.throttled, row.requests)
            row.requestShare = ratio(row.requests, totalRequests)
            if let cost = row.costUSD, let totalCost, totalCost > 0 { row.costShare = cost / totalCost }
            return row
        }.sorted { (($1.costUSD ?? -1), $1.requests, $0.name) < (($0.costUSD ?? -1), $0.requests, $1.name) }
    }

    static let noTenant = "(no tenant)"

    /// Tenants, with noisy neighbours: a tenant whose share of the requests made in minutes with
    /// throttling is at least twice its share of all requests (and at least 10 %, over 20 requests).
    func tenantBreakdown(_ priced: [Priced], state: MetricsState, hours: Range<Int32>, totalCost: Double?, days: Double) -> [Breakdown] {
        var rows = breakdown(priced, totalCost: totalCost) { $0.dims.tenant ?? Self.noTenant }
        let minutes = (hours.lowerBound * 60)..<(hours.upperBound * 60)
        var throttledMinutes = Set<Int32>()
        for (key, counts) in state.tenantMinutes where counts.throttled > 0 && minutes.contains(key.minute) {
            throttledMinutes.insert(key.minute)
        }
        var inThrottled: [String: Int64] = [:]
        var allInThrottled: Int64 = 0
        for (key, counts) in state.tenantMinutes where throttledMinutes.contains(key.minute) {
            inThrottled[key.tenant ?? Self.noTenant, default: 0] += counts.requests
            allInThrottled += counts.requests
        }
        let quotaByTenant = Dictionary(quotas.map { ($0.tenant, $0) }, uniquingKeysWith: { a, _ in a })
        for index in rows.indices {
            let name = rows[index].name
            if allInThrottled > 0 {
                let share = Double(inThrottled[name] ?? 0) / Double(allInThrottled)
                rows[index].throttledMinuteShare = share
                if let overall = rows[index].requestShare, share >= 0.10, (inThrottled[name] ?? 0) >= 20, share >= 2 * overall {
                    rows[index].noisyNeighbour = true
                }
            }
            if let quota = quotaByTenant[name] {
                var use = QuotaUse()
                if let limit = quota.dailyRequests, limit > 0 { use.requestsPct = Double(rows[index].requests) / (Double(limit) * days) * 100 }
                if let limit = quota.dailyTokens, limit > 0 { use.tokensPct = Double(rows[index].tokens.total) / (Double(limit) * days) * 100 }
                if let limit = quota.dailyUSD, limit > 0, let cost = rows[index].costUSD { use.costPct = cost / (limit * days) * 100 }
                use.maxPct = [use.requestsPct, use.tokensPct, use.costPct].compactMap { $0 }.max()
                rows[index].quota = use
            }
        }
        return rows
    }

    func deployments(_ priced: [Priced], state: MetricsState) -> [DeploymentShare] {
        struct Key: Hashable { var group: String; var deployment: String }
        var counts: [Key: (requests: Int64, failed: Int64)] = [:]
        for item in priced where item.dims.sourceKind != .bedrock {
            guard let deployment = item.dims.deployment else { continue }
            let key = Key(group: item.dims.modelGroup ?? "", deployment: deployment)
            counts[key, default: (0, 0)].requests += item.cell.requests
            if item.dims.failed { counts[key, default: (0, 0)].failed += item.cell.requests }
        }
        var groupTotals: [String: Int64] = [:]
        for (key, c) in counts { groupTotals[key.group, default: 0] += c.requests }
        return counts.map { key, c in
            DeploymentShare(modelGroup: key.group, deployment: key.deployment, requests: c.requests,
                            share: ratio(c.requests, groupTotals[key.group]!) ?? 0, failed: c.failed,
                            latencyP50: state.latency[.deployment(group: key.group, deployment: key.deployment)]?.percentile(50))
        }.sorted { ($0.modelGroup, $1.requests, $0.deployment) < ($1.modelGroup, $0.requests, $1.deployment) }
    }

    /// LiteLLM's own cost next to the catalog's, over the cells where every row logged a cost.
    func loggedCost(_ priced: [Priced]) -> LoggedCostComparison {
        var result = LoggedCostComparison()
        var catalogSum = 0.0, loggedComparable = 0.0
        var allKnown = true
        for item in priced where item.cell.loggedCostRows > 0 {
            result.requests += item.cell.loggedCostRows
            result.loggedUSD += item.cell.loggedCostUSD
            if item.cell.loggedCostRows == item.cell.requests, let cost = item.cost {
                result.comparableRequests += item.cell.requests
                catalogSum += cost
                loggedComparable += item.cell.loggedCostUSD
            } else {
                allKnown = false
            }
        }
        if result.comparableRequests > 0 {
            result.catalogUSD = catalogSum
            result.differenceUSD = loggedComparable - catalogSum
        }
        _ = allKnown
        return result
    }

    func series(_ priced: [Priced], bucket: Int64, definitions: [String: RouterDefinition]) -> [SeriesPoint] {
        var groups: [Int64: [Priced]] = [:]
        for item in priced {
            let start = floorDivide(Int64(item.hour) * CivilCalendar.microsPerHour, bucket) * bucket
            groups[start, default: []].append(item)
        }
        return groups.keys.sorted().map { start in
            let items = groups[start]!
            var point = SeriesPoint(start: start)
            var cost = 0.0, costRequests: Int64 = 0, strong = 0.0, strongRequests: Int64 = 0, throttled: Int64 = 0
            for item in items {
                point.requests += item.cell.requests
                if let c = item.cost { cost += c; costRequests += item.cell.requests }
                if !item.dims.failed, item.cost != nil, let s = item.strongCost { strong += s; strongRequests += item.cell.requests }
                if item.dims.isThrottle { throttled += item.cell.requests }
            }
            point.costUSD = costRequests > 0 ? cost : (point.requests == 0 ? 0 : nil)
            point.counterfactualStrongUSD = strongRequests > 0 ? strong : nil
            point.haikuRatio = haikuRatio(items).ratio
            let f = fallback(items, definitions: definitions)
            point.routerFallbackRate = f.routerFallbackRate
            point.gatewayFallbackRate = f.gatewayFallbackRate
            point.throttleRate = ratio(throttled, point.requests)
            return point
        }
    }

    func sortedCounts(_ counts: [String: Int64]) -> [CodeCount] {
        counts.map { CodeCount(code: $0.key, count: $0.value) }.sorted { ($1.count, $0.code) < ($0.count, $1.code) }
    }
}

func ratio(_ part: Int64, _ whole: Int64) -> Double? {
    whole > 0 ? Double(part) / Double(whole) : nil
}
