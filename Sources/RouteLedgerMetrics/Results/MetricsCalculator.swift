import RouteLedgerConfig
import RouteLedgerModel

/// Turns a `MetricsState` into the numbers of a report: prices cells, rolls them up by model, router,
/// Region, account and tenant, and derives ratios. No I/O; everything comes from the state.
///
/// Everything that depends only on a cell's dimensions (model, router, family, tier, prices, roll-up slots)
/// is resolved once per distinct combination; the loop over cells — millions in a month of traffic — is
/// integer indexing and a few multiplications.
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

    static let unresolvedModel = "(unresolved)"
    static let noTenant = "(no tenant)"

    /// Router id of a row as configured: the Bedrock prompt router, or a configured LiteLLM model group.
    public func routerID(of dims: Dimensions) -> String? {
        routerID(dims, configured: Set(routers.map(\.id)))
    }

    /// Router id of a row: the Bedrock prompt router, or a LiteLLM model group in `configured`.
    func routerID(_ dims: Dimensions, configured: Set<String>) -> String? {
        if let router = dims.router { return router }
        if let group = dims.originalModelGroup, configured.contains(group) { return group }
        if let group = dims.modelGroup, configured.contains(group) { return group }
        return nil
    }

    public func compute(_ state: MetricsState, since: Int64, until: Int64) -> WindowMetrics {
        let hours = Int32(floorDivide(since, CivilCalendar.microsPerHour))..<Int32(floorDivide(until + CivilCalendar.microsPerHour - 1, CivilCalendar.microsPerHour))
        var plan = Plan(calculator: self, state: state, hours: hours)
        return plan.run(since: since, until: until)
    }
}

/// One computation: per-combination resolution, one pass over the cells, then the result lists.
struct Plan {
    let calculator: MetricsCalculator
    let state: MetricsState
    let hours: Range<Int32>
    var catalog: PriceCatalog { calculator.catalog }

    /// Request, token and cost sums of one roll-up slot.
    struct Sums {
        var requests: Int64 = 0, failed: Int64 = 0, throttled: Int64 = 0
        var tokens = TokenCounts()
        var cost = 0.0, pricedRequests: Int64 = 0, unpricedRequests: Int64 = 0
    }

    /// The per-cell view of an `Info`: plain values only, so reading it per cell retains nothing.
    struct Hot {
        var model: Int32 = -1, router: Int32 = -1, tenant: Int32 = 0, account: Int32 = -1
        var flow: Int32 = -1, accountFlow: Int32 = -1, deployment: Int32 = -1, cheapFamily: Int32 = -1
        var errorCode: Int32 = -1, unpricedLabel: Int32 = -1, served: Int32 = -1
        var reason: UInt8 = 0
        var failed = false, throttle = false, haiku = false, anthropic = false, cheapTier = false, hasModel = false
        var strongIsSelf = false, cheapIsSelf = false, fallbackCounted = false, fallbackHit = false
        var prices: (Int32, Int32) = (0, 0), strong: (Int32, Int32) = (0, 0), cheap: (Int32, Int32) = (0, 0)
    }

    static let reasons: [MetricsCalculator.Unpriced] = [.tokensMissing, .servedModelUnresolved, .profileUnresolved, .noPrice, .noPriceForTokenKind]

    /// What a combination of dimensions means for every roll-up.
    struct Info {
        var model: Int32 = -1          // index into `models` (the unresolved bucket included)
        var effectiveModel: String?
        var router: Int32 = -1
        var family: String?
        var tier: ModelTier?
        var haiku = false
        var failed = false
        var throttle = false
        var tenant: Int32 = 0
        var account: Int32 = -1
        var flow: Int32 = -1           // (source, inference) Region pair
        var accountFlow: Int32 = -1
        var deployment: Int32 = -1
        var unresolvedUnpriced: MetricsCalculator.Unpriced?
        var routerFallbackHit = false
        var routerFallbackCounted = false
        var errorCode: String?
        var cheapFamily: Int32 = -1
        /// Price epochs of the model, the strong and the cheap counterpart: (first hour, prices).
        var prices: [(Int32, TokenPrices?)] = []
        var strong: [(Int32, TokenPrices?)] = []
        var cheap: [(Int32, TokenPrices?)] = []
        var strongIsSelf = false
        var cheapIsSelf = false
    }

    init(calculator: MetricsCalculator, state: MetricsState, hours: Range<Int32>) {
        self.calculator = calculator
        self.state = state
        self.hours = hours
    }

    // Roll-up slots, by name.
    var models: [String] = [], modelIndex: [String: Int32] = [:]
    var routerNames: [String] = [], routerIndex: [String: Int32] = [:]
    var tenants: [String] = [], tenantIndex: [String: Int32] = [:]
    var accounts: [String] = [], accountIndex: [String: Int32] = [:]
    var flows: [(String?, String, String)] = [], flowIndex: [String: Int32] = [:]
    var deployments: [(String, String)] = [], deploymentIndex: [String: Int32] = [:]
    var families: [String] = [], familyIndex: [String: Int32] = [:]

    static func slot(_ name: String, _ names: inout [String], _ index: inout [String: Int32]) -> Int32 {
        if let known = index[name] { return known }
        names.append(name)
        index[name] = Int32(names.count - 1)
        return Int32(names.count - 1)
    }

    var epochCache: [String: [(Int32, TokenPrices?)]] = [:]

    /// Price epochs of `model` in `region`, as (first hour, prices) sorted by hour, covering the window.
    mutating func epochs(_ model: String?, region: String?) -> [(Int32, TokenPrices?)] {
        guard let model else { return [(Int32.min, nil)] }
        let key = "\(model)\u{1}\(region ?? "")"
        if let cached = epochCache[key] { return cached }
        let computed = computeEpochs(model, region: region)
        epochCache[key] = computed
        return computed
    }

    func computeEpochs(_ model: String, region: String?) -> [(Int32, TokenPrices?)] {
        var points: [Int64] = [Int64(hours.lowerBound) * CivilCalendar.microsPerHour]
        for change in catalog.changePoints(model: model) {
            let hour = floorDivide(change, CivilCalendar.microsPerHour)
            if hour > Int64(hours.lowerBound) && hour < Int64(hours.upperBound) { points.append(hour * CivilCalendar.microsPerHour) }
        }
        return points.map { at in (Int32(at / CivilCalendar.microsPerHour), catalog.entry(model: model, region: region, atMicros: at)?.prices) }
            .enumerated().map { $0.offset == 0 ? (Int32.min, $0.element.1) : $0.element }
    }

    mutating func run(since: Int64, until: Int64) -> WindowMetrics {
        var metrics = WindowMetrics(since: since, until: until)
        let dims = state.dimensions
        let cells = state.cells
        let inWindow = (0..<cells.count).filter { hours.contains(cells.hour[$0]) }

        // Routers: configured ones, plus LiteLLM groups whose calls were served by both tiers.
        var groupTiers: [String: Set<ModelTier>] = [:]
        // Combinations with cells in the window (an outcome-only cell shares its combination with its first
        // attempt's cell, which has requests).
        var usedDims = [Bool](repeating: false, count: dims.count)
        for i in inWindow { usedDims[Int(cells.dimensions[i])] = true }
        for (d, used) in usedDims.enumerated() where used {
            let dim = dims[d]
            guard dim.sourceKind != .bedrock, !dim.failed, let group = dim.modelGroup, let model = dim.effectiveModel,
                  let tier = catalog.tier(of: model) else { continue }
            groupTiers[group, default: []].insert(tier)
        }
        let configured = Set(calculator.routers.map(\.id))
            .union(groupTiers.filter { $0.value.count == ModelTier.allCases.count }.keys)
        let definitions = Dictionary(calculator.routers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let routerOf = dims.map { calculator.routerID($0, configured: configured) }

        // Which models each router served (successful requests), to infer strong and cheap where not configured.
        var servedByRouter: [String: [String: Int64]] = [:]
        for i in inWindow {
            let d = Int(cells.dimensions[i])
            guard !dims[d].failed, let router = routerOf[d], let model = dims[d].effectiveModel, cells.requests[i] > 0 else { continue }
            servedByRouter[router, default: [:]][model, default: 0] += cells.requests[i]
        }
        var counterparts: [String: (strong: String?, cheap: String?)] = [:]
        for (router, served) in servedByRouter {
            func pick(_ tier: ModelTier) -> String? {
                served.filter { catalog.tier(of: $0.key) == tier }.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
            }
            counterparts[router] = (definitions[router]?.strong ?? pick(.strong), definitions[router]?.cheap ?? pick(.cheap))
        }
        for definition in calculator.routers where counterparts[definition.id] == nil {
            counterparts[definition.id] = (definition.strong, definition.cheap)
        }

        // Resolve every combination once.
        var infos = [Info](repeating: Info(), count: dims.count)
        for (d, used) in usedDims.enumerated() where used {
            let dim = dims[d]
            var info = Info()
            let model = dim.effectiveModel
            info.effectiveModel = model
            info.model = Self.slot(model ?? MetricsCalculator.unresolvedModel, &models, &modelIndex)
            info.family = model.flatMap { catalog.family(of: $0) }
            info.tier = model.flatMap { catalog.tier(of: $0) }
            info.haiku = model.map(PriceCatalog.isHaiku) ?? false
            info.failed = dim.failed
            info.throttle = dim.isThrottle
            info.errorCode = dim.errorCode
            info.tenant = Self.slot(dim.tenant ?? MetricsCalculator.noTenant, &tenants, &tenantIndex)
            if let account = dim.account { info.account = Self.slot(account, &accounts, &accountIndex) }
            if let router = routerOf[d] { info.router = Self.slot(router, &routerNames, &routerIndex) }
            if let family = info.family, info.tier != nil { info.cheapFamily = Self.slot(family, &families, &familyIndex) }
            if dim.sourceKind == .bedrock, let source = dim.region {
                let inference = dim.inferenceRegion ?? source
                let key = "\u{1}\(source)\u{1}\(inference)"
                if let known = flowIndex[key] { info.flow = known } else {
                    flows.append((nil, source, inference)); info.flow = Int32(flows.count - 1); flowIndex[key] = info.flow
                }
                let account = dim.account ?? "(none)"
                let accountKey = "\(account)\u{1}\(source)\u{1}\(inference)"
                if let known = flowIndex[accountKey] { info.accountFlow = known } else {
                    flows.append((account, source, inference)); info.accountFlow = Int32(flows.count - 1); flowIndex[accountKey] = info.accountFlow
                }
            }
            if dim.sourceKind != .bedrock, let deployment = dim.deployment {
                let key = "\(dim.modelGroup ?? "")\u{1}\(deployment)"
                if let known = deploymentIndex[key] { info.deployment = known } else {
                    deployments.append((dim.modelGroup ?? "", deployment)); info.deployment = Int32(deployments.count - 1)
                    deploymentIndex[key] = info.deployment
                }
            }
            if dim.flags.contains(.tokensMissing) {
                info.unresolvedUnpriced = .tokensMissing
            } else if model == nil {
                info.unresolvedUnpriced = dim.flags.contains(.profileUnresolved) ? .profileUnresolved : .servedModelUnresolved
            }
            info.prices = epochs(model, region: dim.region)
            if let model {
                let pair = routerOf[d].flatMap { counterparts[$0] }
                let familyPair = info.family.flatMap { catalog.families[$0] }
                let strong = pair?.strong ?? familyPair?.strong ?? (info.tier == .strong ? model : nil)
                let cheap = pair?.cheap ?? familyPair?.cheap ?? (info.tier == .cheap ? model : nil)
                info.strongIsSelf = strong == model
                info.cheapIsSelf = cheap == model
                info.strong = info.strongIsSelf ? [] : epochs(strong, region: dim.region)
                info.cheap = info.cheapIsSelf ? [] : epochs(cheap, region: dim.region)
                if !dim.failed, let router = routerOf[d], let fallback = definitions[router]?.fallback {
                    info.routerFallbackCounted = true
                    info.routerFallbackHit = model == fallback
                }
            }
            infos[d] = info
        }

        // Flatten for the cell loop: price epochs in flat arrays, every string replaced by a slot.
        var epochFrom: [Int32] = [], epochPrices: [TokenPrices?] = []
        func flat(_ epochs: [(Int32, TokenPrices?)]) -> (Int32, Int32) {
            let start = Int32(epochFrom.count)
            for (from, prices) in epochs { epochFrom.append(from); epochPrices.append(prices) }
            return (start, Int32(epochs.count))
        }
        var codes: [String] = [], codeIndex: [String: Int32] = [:]
        var unpricedLabels: [(String, String?)] = [], unpricedIndex: [String: Int32] = [:]
        var servedPairs: [(Int32, String)] = [], servedIndex: [String: Int32] = [:]
        var hot = [Hot](repeating: Hot(), count: dims.count)
        for (d, used) in usedDims.enumerated() where used {
            let info = infos[d]
            var h = Hot()
            h.model = info.model; h.router = info.router; h.tenant = info.tenant; h.account = info.account
            h.flow = info.flow; h.accountFlow = info.accountFlow; h.deployment = info.deployment; h.cheapFamily = info.cheapFamily
            h.failed = info.failed; h.throttle = info.throttle; h.haiku = info.haiku; h.anthropic = info.family == "anthropic"
            h.cheapTier = info.tier == .cheap; h.hasModel = info.effectiveModel != nil
            h.strongIsSelf = info.strongIsSelf; h.cheapIsSelf = info.cheapIsSelf
            h.fallbackCounted = info.routerFallbackCounted; h.fallbackHit = info.routerFallbackHit
            h.reason = info.unresolvedUnpriced.map { UInt8(Self.reasons.firstIndex(of: $0)! + 1) } ?? 0
            h.prices = flat(info.prices); h.strong = flat(info.strong); h.cheap = flat(info.cheap)
            if info.failed { h.errorCode = Self.slot(info.errorCode ?? "unknown", &codes, &codeIndex) }
            let label = info.effectiveModel ?? (info.router >= 0 ? "(unresolved) \(routerNames[Int(info.router)])" : dims[d].requestedModel ?? "(unknown)")
            let labelKey = "\(label)\u{1}\(dims[d].region ?? "\u{2}")"
            if let known = unpricedIndex[labelKey] { h.unpricedLabel = known } else {
                unpricedLabels.append((label, dims[d].region)); h.unpricedLabel = Int32(unpricedLabels.count - 1)
                unpricedIndex[labelKey] = h.unpricedLabel
            }
            if info.router >= 0, let model = info.effectiveModel, !info.failed {
                let key = "\(info.router)\u{1}\(model)"
                if let known = servedIndex[key] { h.served = known } else {
                    servedPairs.append((info.router, model)); h.served = Int32(servedPairs.count - 1); servedIndex[key] = h.served
                }
            }
            hot[d] = h
        }
        @inline(__always) func price(_ range: (Int32, Int32), _ hour: Int32) -> TokenPrices? {
            let start = Int(range.0)
            if range.1 == 1 { return epochPrices[start] }
            var chosen: TokenPrices?
            for e in start..<(start + Int(range.1)) where e == start || hour >= epochFrom[e] { chosen = epochPrices[e] }
            return chosen
        }

        // Accumulators.
        struct CounterfactualSums { var actual = 0.0, strong = 0.0, cheap = 0.0, requests: Int64 = 0, excluded: Int64 = 0 }
        struct RouterSums {
            var sums = Sums(), unresolved: Int64 = 0
            var counterfactual = CounterfactualSums(), any = false
            var haiku: Int64 = 0, claude: Int64 = 0
        }
        struct Bucket {
            var requests: Int64 = 0, cost = 0.0, costRequests: Int64 = 0, strong = 0.0, strongRequests: Int64 = 0
            var throttled: Int64 = 0, haiku: Int64 = 0, claude: Int64 = 0
            var routerFallbacks: Int64 = 0, routerResolved: Int64 = 0, gatewayFallbacks: Int64 = 0, logical: Int64 = 0
        }
        var totals = Sums()
        var byCode: [String: Int64] = [:], byReason: [String: Int64] = [:]
        var modelSums = [Sums](repeating: Sums(), count: models.count)
        var modelHasCost = [Bool](repeating: false, count: models.count)
        var routerSums = [RouterSums](repeating: RouterSums(), count: routerNames.count)
        var servedSums = [(requests: Int64, tokens: Int64, cost: Double, costKnown: Bool)](repeating: (0, 0, 0, true), count: servedPairs.count)
        var codeCounts = [Int64](repeating: 0, count: codes.count)
        var unpricedCounts = [[Int64]](repeating: [0, 0, 0, 0, 0], count: unpricedLabels.count)
        var tenantSums = [Sums](repeating: Sums(), count: tenants.count)
        var tenantHasCost = [Bool](repeating: false, count: tenants.count)
        var accountSums = [Sums](repeating: Sums(), count: accounts.count)
        var accountHasCost = [Bool](repeating: false, count: accounts.count)
        var flowRequests = [Int64](repeating: 0, count: flows.count)
        var deploymentCounts = [(requests: Int64, failed: Int64)](repeating: (0, 0), count: deployments.count)
        var familyCounts = [(cheap: Int64, tiered: Int64)](repeating: (0, 0), count: families.count)
        var counterfactual = CounterfactualSums()
        var haiku = HaikuRatio()
        var fallback = FallbackMetrics()
        var logged = LoggedCostComparison(), loggedCatalog = 0.0, loggedComparable = 0.0
        let hourCount = max(0, Int(hours.upperBound - hours.lowerBound))
        var hourly = [Bucket](repeating: Bucket(), count: hourCount)

        // Pass 1, per cell: only what depends on the cell's hour (its price epoch, its hourly bucket); the rest
        // is summed per combination and rolled up once per combination below.
        struct DimSums {
            var requests: Int64 = 0
            var tokens = TokenCounts()
            var cost = 0.0, priced: Int64 = 0
            var unpriced: (Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0)
            var cfActual = 0.0, cfStrong = 0.0, cfCheap = 0.0, cfRequests: Int64 = 0, cfExcluded: Int64 = 0
            var loggedRows: Int64 = 0, loggedUSD = 0.0, comparable: Int64 = 0, comparableCatalog = 0.0, comparableLogged = 0.0
        }
        var dimSums = [DimSums](repeating: DimSums(), count: dims.count)
        dimSums.withUnsafeMutableBufferPointer { acc in
        hot.withUnsafeBufferPointer { hot in
        hourly.withUnsafeMutableBufferPointer { hourly in
            for i in inWindow {
                let d = Int(cells.dimensions[i])
                let h = hot[d]
                let hour = cells.hour[i]
                let requests = cells.requests[i]
                let bucket = Int(hour - hours.lowerBound)

                // Gateway outcomes ride on every cell, outcome-only cells included.
                let logical = cells.logicalRequests[i]
                if logical != 0 || cells.gatewayFallbacks[i] != 0 || cells.failedAfterFallback[i] != 0
                    || cells.failedWithoutFallback[i] != 0 || cells.retriedSuccesses[i] != 0 {
                    fallback.logicalRequests += logical
                    fallback.gatewayFallbacks += cells.gatewayFallbacks[i]
                    fallback.retriedSuccesses += cells.retriedSuccesses[i]
                    fallback.failedAfterFallback += cells.failedAfterFallback[i]
                    fallback.failedWithoutFallback += cells.failedWithoutFallback[i]
                    hourly[bucket].logical += logical
                    hourly[bucket].gatewayFallbacks += cells.gatewayFallbacks[i]
                }
                guard requests > 0 else { continue }
                let tokens = TokenCounts(input: cells.input[i], output: cells.output[i], cacheRead: cells.cacheRead[i],
                                         cacheWrite: cells.cacheWrite[i])

                var cost: Double?
                var reason = 0
                if h.failed && tokens.total == 0 {
                    cost = 0
                } else if h.reason != 0 {
                    reason = Int(h.reason)
                } else if let prices = price(h.prices, hour) {
                    cost = prices.cost(of: tokens)
                    if cost == nil { reason = 5 }
                } else {
                    reason = 4
                }
                var strongCost: Double?, cheapCost: Double?
                if !h.failed, let cost, h.hasModel {
                    strongCost = h.strongIsSelf ? cost : price(h.strong, hour)?.cost(of: tokens)
                    cheapCost = h.cheapIsSelf ? cost : price(h.cheap, hour)?.cost(of: tokens)
                }

                acc[d].requests += requests
                acc[d].tokens += tokens
                if let cost {
                    acc[d].cost += cost
                    acc[d].priced += requests
                } else {
                    switch reason {
                    case 1: acc[d].unpriced.0 += requests
                    case 2: acc[d].unpriced.1 += requests
                    case 3: acc[d].unpriced.2 += requests
                    case 4: acc[d].unpriced.3 += requests
                    default: acc[d].unpriced.4 += requests
                    }
                }
                if !h.failed {
                    if let cost, let strongCost, let cheapCost {
                        acc[d].cfActual += cost; acc[d].cfStrong += strongCost; acc[d].cfCheap += cheapCost
                        acc[d].cfRequests += requests
                    } else {
                        acc[d].cfExcluded += requests
                    }
                }
                let loggedRows = cells.loggedCostRows[i]
                if loggedRows > 0 {
                    acc[d].loggedRows += loggedRows
                    acc[d].loggedUSD += cells.loggedCostUSD[i]
                    if loggedRows == requests, let cost {
                        acc[d].comparable += requests
                        acc[d].comparableCatalog += cost
                        acc[d].comparableLogged += cells.loggedCostUSD[i]
                    }
                }
                hourly[bucket].requests += requests
                if let cost { hourly[bucket].cost += cost; hourly[bucket].costRequests += requests }
                if let strongCost { hourly[bucket].strong += strongCost; hourly[bucket].strongRequests += requests }
                if h.throttle { hourly[bucket].throttled += requests }
                if !h.failed {
                    if h.anthropic {
                        hourly[bucket].claude += requests
                        if h.haiku { hourly[bucket].haiku += requests }
                    }
                    if h.fallbackCounted {
                        hourly[bucket].routerResolved += requests
                        if h.fallbackHit { hourly[bucket].routerFallbacks += requests }
                    }
                }
            }
        }}}

        // Pass 2, per combination: every roll-up.
        for (d, used) in usedDims.enumerated() where used && dimSums[d].requests > 0 {
            let h = hot[d]
            let a = dimSums[d]
            let requests = a.requests, tokens = a.tokens
            let unpricedTotal = a.unpriced.0 + a.unpriced.1 + a.unpriced.2 + a.unpriced.3 + a.unpriced.4
            func add(_ sums: inout Sums) {
                sums.requests += requests
                if h.failed { sums.failed += requests }
                if h.throttle { sums.throttled += requests }
                sums.tokens += tokens
                sums.cost += a.cost
                sums.pricedRequests += a.priced
                sums.unpricedRequests += unpricedTotal
            }
            add(&totals)
            if h.failed { codeCounts[Int(h.errorCode)] += requests }
            for (r, count) in [a.unpriced.0, a.unpriced.1, a.unpriced.2, a.unpriced.3, a.unpriced.4].enumerated() where count > 0 {
                unpricedCounts[Int(h.unpricedLabel)][r] += count
            }
            add(&modelSums[Int(h.model)])
            if a.priced > 0 { modelHasCost[Int(h.model)] = true }
            add(&tenantSums[Int(h.tenant)])
            if a.priced > 0 { tenantHasCost[Int(h.tenant)] = true }
            if h.account >= 0 {
                add(&accountSums[Int(h.account)])
                if a.priced > 0 { accountHasCost[Int(h.account)] = true }
            }
            if h.flow >= 0 { flowRequests[Int(h.flow)] += requests; flowRequests[Int(h.accountFlow)] += requests }
            if h.deployment >= 0 {
                deploymentCounts[Int(h.deployment)].requests += requests
                if h.failed { deploymentCounts[Int(h.deployment)].failed += requests }
            }
            if !h.failed {
                if h.anthropic {
                    haiku.claudeRequests += requests
                    if h.haiku { haiku.haikuRequests += requests }
                }
                if h.cheapFamily >= 0 {
                    familyCounts[Int(h.cheapFamily)].tiered += requests
                    if h.cheapTier { familyCounts[Int(h.cheapFamily)].cheap += requests }
                }
                counterfactual.actual += a.cfActual; counterfactual.strong += a.cfStrong; counterfactual.cheap += a.cfCheap
                counterfactual.requests += a.cfRequests
                counterfactual.excluded += a.cfExcluded
                if h.fallbackCounted {
                    fallback.routerResolvedRequests += requests
                    if h.fallbackHit { fallback.routerFallbacks += requests }
                }
            }
            if h.router >= 0 {
                let r = Int(h.router)
                add(&routerSums[r].sums)
                if !h.failed {
                    if h.served >= 0 {
                        let s = Int(h.served)
                        servedSums[s].requests += requests
                        servedSums[s].tokens += tokens.total
                        servedSums[s].cost += a.cost
                        if unpricedTotal > 0 { servedSums[s].costKnown = false }
                        if h.anthropic {
                            routerSums[r].claude += requests
                            if h.haiku { routerSums[r].haiku += requests }
                        }
                    } else {
                        routerSums[r].unresolved += requests
                    }
                    if a.cfRequests > 0 {
                        routerSums[r].counterfactual.actual += a.cfActual
                        routerSums[r].counterfactual.strong += a.cfStrong
                        routerSums[r].counterfactual.cheap += a.cfCheap
                        routerSums[r].any = true
                    }
                }
            }
            if a.loggedRows > 0 {
                logged.requests += a.loggedRows
                logged.loggedUSD += a.loggedUSD
                logged.comparableRequests += a.comparable
                loggedCatalog += a.comparableCatalog
                loggedComparable += a.comparableLogged
            }
        }
        for (index, code) in codes.enumerated() where codeCounts[index] > 0 { byCode[code, default: 0] += codeCounts[index] }
        var unpricedKeys: [String: UnpricedModel] = [:]
        for (index, label) in unpricedLabels.enumerated() {
            for (r, count) in unpricedCounts[index].enumerated() where count > 0 {
                let reason = Self.reasons[r].rawValue
                byReason[reason, default: 0] += count
                unpricedKeys["\(index)\u{1}\(r)"] = UnpricedModel(model: label.0, region: label.1, reason: reason, requests: count)
            }
        }
        var servedByRouterSlot = [[String: (requests: Int64, tokens: Int64, cost: Double, costKnown: Bool)]](repeating: [:], count: routerNames.count)
        for (index, pair) in servedPairs.enumerated() where servedSums[index].requests > 0 {
            servedByRouterSlot[Int(pair.0)][pair.1] = servedSums[index]
        }

        // Totals.
        var t = Totals()
        t.requests = totals.requests
        t.failed = totals.failed
        t.succeeded = totals.requests - totals.failed
        t.throttled = totals.throttled
        t.tokens = totals.tokens
        t.pricedRequests = totals.pricedRequests
        t.unpricedRequests = totals.unpricedRequests
        t.costUSD = totals.pricedRequests > 0 || totals.requests == 0 ? totals.cost : nil
        t.failedByCode = sortedCounts(byCode)
        t.unpricedByReason = sortedCounts(byReason)
        metrics.totals = t
        metrics.unpricedModels = unpricedKeys.values.sorted {
            ($1.requests, $0.model, $0.region ?? "", $0.reason) < ($0.requests, $1.model, $1.region ?? "", $1.reason)
        }

        // Models.
        metrics.models = models.enumerated().map { index, name in
            let sums = modelSums[index]
            var row = ModelMetrics(model: name, family: name == MetricsCalculator.unresolvedModel ? nil : catalog.family(of: name),
                                   tier: name == MetricsCalculator.unresolvedModel ? nil : catalog.tier(of: name))
            row.requests = sums.requests
            row.failed = sums.failed
            row.tokens = sums.tokens
            row.costUSD = modelHasCost[index] ? sums.cost : nil
            row.unpricedRequests = sums.unpricedRequests
            var latency = ExactHistogram(), ttft = ExactHistogram()
            for routed in [false, true] {
                if let h = state.latency[.model(name, routed: routed)] { latency.merge(h) }
                if let h = state.ttft[.model(name, routed: routed)] { ttft.merge(h) }
            }
            row.latency = percentiles(latency)
            row.ttft = percentiles(ttft)
            return row
        }.filter { $0.requests > 0 }.sorted { ($1.requests, $0.model) < ($0.requests, $1.model) }

        // Routers.
        var routerRows: [RouterMetrics] = []
        for (index, id) in routerNames.enumerated() {
            let r = routerSums[index]
            let served = servedByRouterSlot[index]
            let isBedrock = dims.indices.contains { routerOf[$0] == id && dims[$0].router != nil }
            var row = RouterMetrics(router: id, kind: isBedrock ? "bedrock" : "litellm", configured: definitions[id] != nil,
                                    strongModel: counterparts[id]?.strong, cheapModel: counterparts[id]?.cheap,
                                    fallbackModel: definitions[id]?.fallback)
            row.requests = r.sums.requests
            row.costUSD = r.sums.pricedRequests > 0 ? r.sums.cost : nil
            row.unresolved = r.unresolved
            let resolved = served.values.reduce(0) { $0 + $1.requests }
            let tokens = served.values.reduce(0) { $0 + $1.tokens }
            let allCostKnown = served.values.allSatisfy(\.costKnown)
            let cost = served.values.reduce(0.0) { $0 + $1.cost }
            row.served = served.map { model, s in
                ServedShare(model: model, tier: catalog.tier(of: model), requests: s.requests, share: ratio(s.requests, resolved) ?? 0,
                            tokenShare: tokens > 0 ? Double(s.tokens) / Double(tokens) : nil,
                            costShare: allCostKnown && cost > 0 ? s.cost / cost : nil)
            }.sorted { ($1.requests, $0.model) < ($0.requests, $1.model) }
            let tiered = served.filter { catalog.tier(of: $0.key) != nil }
            let cheap = tiered.filter { catalog.tier(of: $0.key) == .cheap }.values.reduce(0) { $0 + $1.requests }
            row.cheapRatio = ratio(cheap, tiered.values.reduce(0) { $0 + $1.requests })
            if let fallbackModel = definitions[id]?.fallback { row.fallbackRate = ratio(served[fallbackModel]?.requests ?? 0, resolved) }
            if r.any {
                row.counterfactualStrongUSD = r.counterfactual.strong
                row.counterfactualCheapUSD = r.counterfactual.cheap
                row.savingsPct = r.counterfactual.strong > 0 ? (1 - r.counterfactual.actual / r.counterfactual.strong) * 100 : nil
            }
            row.haikuRatio = r.claude > 0 ? ratio(r.haiku, r.claude) : nil
            routerRows.append(row)
        }
        for definition in calculator.routers where routerIndex[definition.id] == nil {
            routerRows.append(RouterMetrics(router: definition.id, kind: definition.id.contains("prompt-router/") ? "bedrock" : "litellm",
                                            configured: true, strongModel: definition.strong, cheapModel: definition.cheap,
                                            fallbackModel: definition.fallback))
        }
        metrics.routers = routerRows.sorted { ($1.requests, $0.router) < ($0.requests, $1.router) }

        haiku.ratio = ratio(haiku.haikuRequests, haiku.claudeRequests)
        metrics.haiku = haiku
        metrics.cheapRatioByFamily = families.enumerated().map { index, family in
            FamilyCheapRatio(family: family, cheapRequests: familyCounts[index].cheap, tieredRequests: familyCounts[index].tiered,
                             ratio: ratio(familyCounts[index].cheap, familyCounts[index].tiered))
        }.sorted { $0.family < $1.family }
        fallback.routerFallbackRate = ratio(fallback.routerFallbacks, fallback.routerResolvedRequests)
        fallback.gatewayFallbackRate = ratio(fallback.gatewayFallbacks, fallback.logicalRequests)
        metrics.fallback = fallback

        var c = Counterfactual()
        c.requests = counterfactual.requests
        c.excludedRequests = counterfactual.excluded
        if counterfactual.requests > 0 {
            c.actualUSD = counterfactual.actual
            c.allStrongUSD = counterfactual.strong
            c.allCheapUSD = counterfactual.cheap
            c.savingsUSD = counterfactual.strong - counterfactual.actual
            c.savingsPct = counterfactual.strong > 0 ? (1 - counterfactual.actual / counterfactual.strong) * 100 : nil
        }
        metrics.counterfactual = c
        metrics.routingOverhead = routingOverhead()

        // Region flows: share of the source Region's (and account's) requests.
        var bySource: [String: Int64] = [:]
        for (index, flow) in flows.enumerated() { bySource["\(flow.0 ?? "\u{2}")\u{1}\(flow.1)", default: 0] += flowRequests[index] }
        let allFlows = flows.enumerated().compactMap { index, flow -> RegionFlow? in
            guard flowRequests[index] > 0 else { return nil }
            return RegionFlow(account: flow.0, sourceRegion: flow.1, inferenceRegion: flow.2, requests: flowRequests[index],
                              share: ratio(flowRequests[index], bySource["\(flow.0 ?? "\u{2}")\u{1}\(flow.1)"]!) ?? 0)
        }.sorted {
            ($0.account ?? "", $0.sourceRegion, $1.requests, $0.inferenceRegion) < ($1.account ?? "", $1.sourceRegion, $0.requests, $1.inferenceRegion)
        }
        metrics.regions = allFlows.filter { $0.account == nil }
        metrics.accountRegions = allFlows.filter { $0.account != nil }

        metrics.accounts = breakdown(accounts, accountSums, accountHasCost, totalCost: t.costUSD)
        metrics.tenants = tenantBreakdown(breakdown(tenants, tenantSums, tenantHasCost, totalCost: t.costUSD),
                                          days: max(1, Double(until - since) / Double(CivilCalendar.microsPerDay)))
        var groupTotals: [String: Int64] = [:]
        for (index, d) in deployments.enumerated() { groupTotals[d.0, default: 0] += deploymentCounts[index].requests }
        metrics.deployments = deployments.enumerated().compactMap { index, d -> DeploymentShare? in
            let counts = deploymentCounts[index]
            guard counts.requests > 0 else { return nil }
            return DeploymentShare(modelGroup: d.0, deployment: d.1, requests: counts.requests,
                                   share: ratio(counts.requests, groupTotals[d.0]!) ?? 0, failed: counts.failed,
                                   latencyP50: state.latency[.deployment(group: d.0, deployment: d.1)]?.percentile(50))
        }.sorted { ($0.modelGroup, $1.requests, $0.deployment) < ($1.modelGroup, $0.requests, $1.deployment) }
        if logged.comparableRequests > 0 {
            logged.catalogUSD = loggedCatalog
            logged.differenceUSD = loggedComparable - loggedCatalog
        }
        metrics.litellmCost = logged

        // Series: hours with traffic (or gateway outcomes), and the days they make up.
        func point(_ start: Int64, _ b: Bucket) -> SeriesPoint {
            var p = SeriesPoint(start: start)
            p.requests = b.requests
            p.costUSD = b.costRequests > 0 ? b.cost : (b.requests == 0 ? 0 : nil)
            p.counterfactualStrongUSD = b.strongRequests > 0 ? b.strong : nil
            p.haikuRatio = ratio(b.haiku, b.claude)
            p.routerFallbackRate = ratio(b.routerFallbacks, b.routerResolved)
            p.gatewayFallbackRate = ratio(b.gatewayFallbacks, b.logical)
            p.throttleRate = ratio(b.throttled, b.requests)
            return p
        }
        var days: [Int64: Bucket] = [:]
        var hourlyPoints: [SeriesPoint] = []
        for (index, b) in hourly.enumerated() where b.requests > 0 || b.logical > 0 {
            let start = Int64(hours.lowerBound + Int32(index)) * CivilCalendar.microsPerHour
            hourlyPoints.append(point(start, b))
            let day = floorDivide(start, CivilCalendar.microsPerDay) * CivilCalendar.microsPerDay
            var sum = days[day] ?? Bucket()
            sum.requests += b.requests; sum.cost += b.cost; sum.costRequests += b.costRequests
            sum.strong += b.strong; sum.strongRequests += b.strongRequests; sum.throttled += b.throttled
            sum.haiku += b.haiku; sum.claude += b.claude; sum.routerFallbacks += b.routerFallbacks
            sum.routerResolved += b.routerResolved; sum.gatewayFallbacks += b.gatewayFallbacks; sum.logical += b.logical
            days[day] = sum
        }
        metrics.hourly = hourlyPoints
        metrics.daily = days.keys.sorted().map { point($0, days[$0]!) }
        return metrics
    }

    func percentiles(_ histogram: ExactHistogram) -> Percentiles {
        Percentiles(p50: histogram.percentile(50), p90: histogram.percentile(90), p99: histogram.percentile(99), samples: histogram.total)
    }

    func routingOverhead() -> [RoutingOverhead] {
        var models = Set<String>()
        for group in state.latency.keys { if case let .model(name, routed: true) = group { models.insert(name) } }
        return models.sorted().compactMap { model in
            guard let routed = state.latency[.model(model, routed: true)], let direct = state.latency[.model(model, routed: false)] else { return nil }
            func diff(_ p: Int) -> Int64? {
                guard let a = routed.percentile(p), let b = direct.percentile(p) else { return nil }
                return Int64(a) - Int64(b)
            }
            return RoutingOverhead(model: model, routedSamples: routed.total, directSamples: direct.total,
                                   p50DifferenceMs: diff(50), p90DifferenceMs: diff(90))
        }
    }

    func breakdown(_ names: [String], _ sums: [Sums], _ hasCost: [Bool], totalCost: Double?) -> [Breakdown] {
        let rows: [Breakdown] = names.enumerated().compactMap { index, name in
            let sum = sums[index]
            guard sum.requests > 0 else { return nil }
            var row = Breakdown(name: name)
            row.requests = sum.requests
            row.failed = sum.failed
            row.throttled = sum.throttled
            row.tokens = sum.tokens
            row.costUSD = hasCost[index] ? sum.cost : nil
            row.unpricedRequests = sum.unpricedRequests
            return row
        }
        let totalRequests = rows.reduce(0) { $0 + $1.requests }
        return rows.map { row in
            var row = row
            row.throttleRate = ratio(row.throttled, row.requests)
            row.requestShare = ratio(row.requests, totalRequests)
            if let cost = row.costUSD, let totalCost, totalCost > 0 { row.costShare = cost / totalCost }
            return row
        }.sorted { (($1.costUSD ?? -1), $1.requests, $0.name) < (($0.costUSD ?? -1), $0.requests, $1.name) }
    }

    /// Noisy neighbours: a tenant whose share of the requests made in minutes with throttling is at least twice
    /// its share of all requests (and at least 10 %, over 20 requests). Quota use per configured tenant.
    func tenantBreakdown(_ rows: [Breakdown], days: Double) -> [Breakdown] {
        var rows = rows
        let minutes = (hours.lowerBound * 60)..<(hours.upperBound * 60)
        var throttledMinutes = Set<Int32>()
        let columns = state.minutes
        for i in 0..<columns.minute.count where columns.throttled[i] > 0 && minutes.contains(columns.minute[i]) {
            throttledMinutes.insert(columns.minute[i])
        }
        var bySlot = [Int64](repeating: 0, count: state.tenantNames.count)
        var allInThrottled: Int64 = 0
        if !throttledMinutes.isEmpty {
            for i in 0..<columns.minute.count where throttledMinutes.contains(columns.minute[i]) {
                bySlot[Int(columns.tenant[i])] += columns.requests[i]
                allInThrottled += columns.requests[i]
            }
        }
        var inThrottled: [String: Int64] = [:]
        for (slot, name) in state.tenantNames.enumerated() where bySlot[slot] > 0 {
            inThrottled[name ?? MetricsCalculator.noTenant, default: 0] += bySlot[slot]
        }
        let quotaByTenant = Dictionary(calculator.quotas.map { ($0.tenant, $0) }, uniquingKeysWith: { a, _ in a })
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

    func sortedCounts(_ counts: [String: Int64]) -> [CodeCount] {
        counts.map { CodeCount(code: $0.key, count: $0.value) }.sorted { ($1.count, $0.code) < ($0.count, $1.code) }
    }
}

func ratio(_ part: Int64, _ whole: Int64) -> Double? {
    whole > 0 ? Double(part) / Double(whole) : nil
}
