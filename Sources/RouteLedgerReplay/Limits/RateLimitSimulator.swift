import Foundation
import RouteLedgerModel

/// How one arrival ended in the replay.
public enum ReplayOutcome: Sendable, Equatable {
    /// Served by `deployment` (index into `GatewayConfig.deployments`) after `fallbackSteps` fallbacks
    /// (0 = by its requested group).
    case served(deployment: Int, fallbackSteps: Int)
    /// Over its tenant's RPM/TPM for the minute: a 429 to the tenant, not a fallback.
    case tenantLimited
    /// No capacity in its group nor in any of the `fallbackSteps` fallback groups tried.
    case failedAfterFallbacks(fallbackSteps: Int)
    /// Asked for a model group the gateway config does not have.
    case unknownGroup
}

public struct DeploymentTally: Sendable, Equatable {
    public var id: String
    public var group: String
    public var model: String
    public var limits: RateLimits
    public var served = 0
    /// Served for a request of another group (a fallback).
    public var servedAsFallback = 0
    /// Input + output (+ cached) tokens of the requests it served; unknown counts add 0.
    public var tokens: Int64 = 0
    /// USD of the priced requests it served.
    public var costUSD = 0.0
    /// Served requests without a price: the model has none in the catalog, or the tokens are unknown.
    public var unpricedNoPrice = 0
    public var unpricedNoTokens = 0
    public var unpriced: Int { unpricedNoPrice + unpricedNoTokens }
}

public struct TenantTally: Sendable, Equatable {
    /// nil: requests without a tenant.
    public var tenant: String?
    public var limits: RateLimits?
    public var requests = 0
    public var served = 0
    /// Served by a fallback group.
    public var servedByFallback = 0
    /// Fallback steps taken for the tenant's requests (served or not).
    public var fallbacks = 0
    public var tenantLimited = 0
    /// Failed after all fallbacks, or asked for an unknown group.
    public var failed = 0
}

public struct GroupTally: Sendable, Equatable {
    public var group: String
    /// Requests asking for the group.
    public var requests = 0
    public var tenantLimited = 0
    /// Requests that reached the router (not tenant-limited).
    public var routed = 0
    public var servedPrimary = 0
    public var servedByFallback = 0
    public var failedAfterFallbacks = 0
    public var fallbackSteps = 0
    /// Requests of other groups its deployments served as a fallback.
    public var servedForOthers = 0
    /// Overflow rate: share of routed requests its own deployments could not take (served by a fallback or
    /// failed); for a group with fallbacks, its fallback rate. nil without traffic.
    public var spillRate: Double? { routed == 0 ? nil : Double(routed - servedPrimary) / Double(routed) }
}

public struct FallbackPathTally: Sendable, Equatable {
    public var from: String
    /// The group that served the request.
    public var to: String
    public var requests = 0
    /// Median latency of `to`'s models minus `from`'s in the ledger, in ms; nil when either is unknown.
    public var latencyPenaltyMs: Double?

    public init(from: String, to: String, requests: Int = 0, latencyPenaltyMs: Double? = nil) {
        self.from = from
        self.to = to
        self.requests = requests
        self.latencyPenaltyMs = latencyPenaltyMs
    }
}

public struct LimitsTotals: Sendable, Equatable {
    public var requests = 0
    public var tenantLimited = 0
    public var routed = 0
    public var servedPrimary = 0
    public var servedByFallback = 0
    public var served: Int { servedPrimary + servedByFallback }
    /// Routed requests that tried at least one fallback group (served there or not).
    public var fellBack = 0
    public var fallbackSteps = 0
    public var failedAfterFallbacks = 0
    public var failedUnknownGroup = 0
    public var failed: Int { failedAfterFallbacks + failedUnknownGroup }
    public var costUSD = 0.0
    public var unpriced = 0
    /// Arrivals whose input or output tokens are unknown (they count 0 toward TPM).
    public var unknownTokens = 0
    /// The gateway fallback rate: `fellBack / routed` (nil without routed requests).
    public var fallbackRate: Double? { routed == 0 ? nil : Double(fellBack) / Double(routed) }
}

public struct LimitsReplay: Sendable, Equatable {
    /// Per arrival, in input order; empty unless asked for.
    public var outcomes: [ReplayOutcome]
    /// In config order.
    public var deployments: [DeploymentTally]
    /// Sorted by tenant; requests without a tenant last.
    public var tenants: [TenantTally]
    /// In config order.
    public var groups: [GroupTally]
    /// Sorted by (from, to).
    public var fallbackPaths: [FallbackPathTally]
    /// Requested model groups that are not in the config → requests.
    public var unknownGroups: [String: Int]
    public var totals: LimitsTotals
}

/// Replays logical requests through a LiteLLM gateway's rate limits. Deterministic: the same arrivals,
/// config and seed give the same result.
///
/// Semantics:
/// - Limits apply per fixed UTC minute (`floor(ts / 60 s)`), as LiteLLM keys its usage counters by the
///   current minute; every counter starts at zero when the minute changes.
/// - Arrivals are processed in timestamp order; arrivals with identical timestamps in input order.
/// - RPM counts requests started in the minute; TPM counts the input + output (+ cached) tokens of requests
///   started in the minute, counted when the request is admitted (the replay knows them up front). A counter
///   admits a request while it is below its limit — LiteLLM checks the counter before the call, so the last
///   request admitted may take the token count over the TPM. Unknown tokens count 0.
/// - Tenant limits first: a request whose tenant has reached its RPM or TPM for the minute is tenant-limited
///   (a 429 to that tenant). It is not a fallback and consumes no tenant or deployment capacity. Requests
///   without a tenant are never tenant-limited. An admitted request counts toward its tenant whatever happens
///   to it afterwards.
/// - Then the requested group G: among G's deployments that still have RPM and TPM capacity,
///   `simple-shuffle` picks at random with weights rpm (when every deployment of the group sets one), else
///   tpm (likewise), else equal, from a generator seeded with `seed`; `least-busy` picks the one with the
///   fewest requests this minute (in-flight requests are not modelled), ties by config order.
/// - No deployment of G has capacity → G's fallback groups are tried in order; each group tried is one
///   fallback step. A fallback group's own fallbacks are not walked. Every group exhausted → the request
///   fails after all fallbacks. `num_retries` is recorded only: retrying the same full group cannot help
///   within the minute.
/// - A request for a group not in the config fails (LiteLLM answers 400).
///
/// Because capacity, not chance, decides whether a request falls back, any seed gives the same counts
/// wherever the limits are RPM only (e.g. 10 simultaneous requests, two 3-RPM primaries and a fallback:
/// 3, 3 and 4). The fallback rate of a group is non-increasing in the RPM of its deployments; with TPM it is
/// for single-deployment groups (with several, the shuffle's picks can change which requests fit).
public struct RateLimitSimulator: Sendable {
    public var config: GatewayConfig
    public var seed: UInt64

    public init(config: GatewayConfig, seed: UInt64 = 1) {
        self.config = config
        self.seed = seed
    }

    /// Replays `arrivals`; prices served requests with `catalog` (nil: no costs) and attaches latency
    /// penalties from `latency` to the fallback paths.
    public func replay(_ arrivals: [Arrival], catalog: PriceCatalog? = nil, latency: LatencyProfile? = nil,
                       keepOutcomes: Bool = false) -> LimitsReplay {
        let engine = LimitsEngine(config: config, arrivals: arrivals)
        return engine.replay(arrivals, limits: config.deployments.map(\.limits), seed: seed, catalog: catalog,
                             latency: latency, keepOutcomes: keepOutcomes)
    }
}

/// SplitMix64: small, fast and the same on every platform.
struct LimitsRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<bound (bound > 0), by Lemire's multiply-shift (bias below 2^-32 for small bounds).
    mutating func below(_ bound: UInt64) -> UInt64 {
        bound.multipliedFullWidth(by: next()).high
    }
}

/// The arrivals interned once, replayed many times under different deployment limits.
struct LimitsEngine {
    let config: GatewayConfig
    let groupNames: [String]
    let groupDeployments: [[Int]]
    let deploymentGroup: [Int]
    let fallbacks: [[Int]]
    /// Arrival indices in replay order.
    let order: [Int]
    let minute: [Int64]
    let group: [Int32]
    let tenant: [Int32]
    let tokens: [Int64]
    let tenantNames: [String]
    let tenantLimits: [RateLimits?]

    init(config: GatewayConfig, arrivals: [Arrival]) {
        self.config = config
        groupNames = config.groups
        var groupIndex: [String: Int] = [:]
        for (index, name) in groupNames.enumerated() { groupIndex[name] = index }
        var members = [[Int]](repeating: [], count: groupNames.count)
        var owner = [Int](repeating: 0, count: config.deployments.count)
        for (index, deployment) in config.deployments.enumerated() {
            let g = groupIndex[deployment.group]!
            members[g].append(index)
            owner[index] = g
        }
        groupDeployments = members
        deploymentGroup = owner
        fallbacks = groupNames.map { name in config.fallbackList(of: name).compactMap { groupIndex[$0] } }
        // Stable: identical timestamps keep input order.
        order = arrivals.indices.sorted { (arrivals[$0].timestampMicros, $0) < (arrivals[$1].timestampMicros, $1) }
        minute = arrivals.map { Self.floorDivide($0.timestampMicros, 60_000_000) }
        group = arrivals.map { Int32(groupIndex[$0.modelGroup] ?? -1) }
        var tenantIndex: [String: Int32] = [:]
        var names: [String] = []
        tenant = arrivals.map { arrival in
            guard let name = arrival.tenant else { return -1 }
            if let known = tenantIndex[name] { return known }
            tenantIndex[name] = Int32(names.count)
            names.append(name)
            return Int32(names.count - 1)
        }
        tenantNames = names
        tenantLimits = names.map { config.limits(forTenant: $0) }
        tokens = arrivals.map(\.rateLimitTokens)
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }

    struct GroupCounts {
        var routed: [Int]
        var servedPrimary: [Int]
        var fellBack = 0
        var routedTotal = 0
        var rate: Double? { routedTotal == 0 ? nil : Double(fellBack) / Double(routedTotal) }
        func spill(_ g: Int) -> Double? { routed[g] == 0 ? nil : Double(routed[g] - servedPrimary[g]) / Double(routed[g]) }
    }

    /// The core loop: calls `record(arrivalIndex, outcome)` for every arrival in replay order.
    func run(limits: [RateLimits], seed: UInt64, record: (Int, ReplayOutcome) -> Void) -> GroupCounts {
        let deploymentCount = config.deployments.count
        var counts = GroupCounts(routed: Array(repeating: 0, count: groupNames.count),
                                 servedPrimary: Array(repeating: 0, count: groupNames.count))
        // Shuffle weights per deployment, from the limits of this run.
        var weights = [UInt64](repeating: 1, count: deploymentCount)
        for members in groupDeployments {
            if members.allSatisfy({ limits[$0].rpm != nil }) {
                for d in members { weights[d] = UInt64(limits[d].rpm!) }
            } else if members.allSatisfy({ limits[$0].tpm != nil }) {
                for d in members { weights[d] = UInt64(limits[d].tpm!) }
            }
        }
        let rpm = limits.map { $0.rpm ?? Int.max }
        let tpm = limits.map { $0.tpm.map(Int64.init) ?? Int64.max }
        let tenantRPM = tenantLimits.map { $0?.rpm ?? Int.max }
        let tenantTPM = tenantLimits.map { $0?.tpm.map(Int64.init) ?? Int64.max }
        let leastBusy = config.routingStrategy == .leastBusy
        var random = LimitsRandom(seed: seed)
        var deploymentRequests = [Int](repeating: 0, count: deploymentCount)
        var deploymentTokens = [Int64](repeating: 0, count: deploymentCount)
        var tenantRequests = [Int](repeating: 0, count: tenantNames.count)
        var tenantTokens = [Int64](repeating: 0, count: tenantNames.count)
        var touchedTenants: [Int] = []
        var currentMinute = Int64.min
        var candidates: [Int] = []
        candidates.reserveCapacity(8)

        func pick(_ g: Int) -> Int? {
            candidates.removeAll(keepingCapacity: true)
            for d in groupDeployments[g] where deploymentRequests[d] < rpm[d] && deploymentTokens[d] < tpm[d] {
                candidates.append(d)
            }
            if candidates.isEmpty { return nil }
            if candidates.count == 1 { return candidates[0] }
            if leastBusy {
                var best = candidates[0]
                for d in candidates.dropFirst() where deploymentRequests[d] < deploymentRequests[best] { best = d }
                return best
            }
            var total: UInt64 = 0
            for d in candidates { total += weights[d] }
            if total == 0 { return candidates[Int(random.below(UInt64(candidates.count)))] }
            var draw = random.below(total)
            for d in candidates {
                if draw < weights[d] { return d }
                draw -= weights[d]
            }
            return candidates[candidates.count - 1]
        }

        for i in order {
            let m = minute[i]
            if m != currentMinute {
                currentMinute = m
                for d in 0..<deploymentCount { deploymentRequests[d] = 0; deploymentTokens[d] = 0 }
                for t in touchedTenants { tenantRequests[t] = 0; tenantTokens[t] = 0 }
                touchedTenants.removeAll(keepingCapacity: true)
            }
            let t = Int(tenant[i])
            let requestTokens = tokens[i]
            if t >= 0 {
                if tenantRequests[t] >= tenantRPM[t] || tenantTokens[t] >= tenantTPM[t] {
                    record(i, .tenantLimited)
                    continue
                }
                if tenantRequests[t] == 0 && tenantTokens[t] == 0 { touchedTenants.append(t) }
                tenantRequests[t] += 1
                tenantTokens[t] += requestTokens
            }
            let g = Int(group[i])
            guard g >= 0 else {
                record(i, .unknownGroup)
                continue
            }
            counts.routed[g] += 1
            counts.routedTotal += 1
            if let d = pick(g) {
                deploymentRequests[d] += 1
                deploymentTokens[d] += requestTokens
                counts.servedPrimary[g] += 1
                record(i, .served(deployment: d, fallbackSteps: 0))
                continue
            }
            var steps = 0
            var outcome = ReplayOutcome.failedAfterFallbacks(fallbackSteps: 0)
            for f in fallbacks[g] {
                steps += 1
                if let d = pick(f) {
                    deploymentRequests[d] += 1
                    deploymentTokens[d] += requestTokens
                    outcome = .served(deployment: d, fallbackSteps: steps)
                    break
                }
                outcome = .failedAfterFallbacks(fallbackSteps: steps)
            }
            if steps > 0 { counts.fellBack += 1 }
            record(i, outcome)
        }
        return counts
    }

    /// A full replay with tallies, costs and latency penalties.
    func replay(_ arrivals: [Arrival], limits: [RateLimits], seed: UInt64, catalog: PriceCatalog?,
                latency: LatencyProfile?, keepOutcomes: Bool) -> LimitsReplay {
        var outcomes = keepOutcomes ? [ReplayOutcome](repeating: .unknownGroup, count: arrivals.count) : []
        var deployments = config.deployments.enumerated().map { index, d in
            DeploymentTally(id: d.id, group: d.group, model: d.model, limits: limits[index])
        }
        var groups = groupNames.map { GroupTally(group: $0) }
        var tenants = tenantNames.enumerated().map { TenantTally(tenant: $1, limits: tenantLimits[$0]) }
        var noTenant = TenantTally(tenant: nil, limits: nil)
        var paths: [String: FallbackPathTally] = [:]
        var unknownGroups: [String: Int] = [:]
        var totals = LimitsTotals()
        let priceCandidates = config.deployments.map(\.priceCandidates)

        _ = run(limits: limits, seed: seed) { i, outcome in
            if keepOutcomes { outcomes[i] = outcome }
            let arrival = arrivals[i]
            let t = Int(tenant[i])
            let g = Int(group[i])
            totals.requests += 1
            if !arrival.tokensKnown { totals.unknownTokens += 1 }
            func tenantTally(_ body: (inout TenantTally) -> Void) {
                if t >= 0 { body(&tenants[t]) } else { body(&noTenant) }
            }
            tenantTally { $0.requests += 1 }
            if g >= 0 { groups[g].requests += 1 }
            switch outcome {
            case .tenantLimited:
                totals.tenantLimited += 1
                tenantTally { $0.tenantLimited += 1 }
                if g >= 0 { groups[g].tenantLimited += 1 }
            case .unknownGroup:
                totals.routed += 1
                totals.failedUnknownGroup += 1
                unknownGroups[arrival.modelGroup, default: 0] += 1
                tenantTally { $0.failed += 1 }
            case let .failedAfterFallbacks(steps):
                totals.routed += 1
                totals.failedAfterFallbacks += 1
                totals.fallbackSteps += steps
                if steps > 0 { totals.fellBack += 1 }
                tenantTally { $0.failed += 1; $0.fallbacks += steps }
                groups[g].routed += 1
                groups[g].failedAfterFallbacks += 1
                groups[g].fallbackSteps += steps
            case let .served(d, steps):
                totals.routed += 1
                groups[g].routed += 1
                deployments[d].served += 1
                deployments[d].tokens += arrival.rateLimitTokens
                if steps == 0 {
                    totals.servedPrimary += 1
                    groups[g].servedPrimary += 1
                    tenantTally { $0.served += 1 }
                } else {
                    totals.servedByFallback += 1
                    totals.fellBack += 1
                    totals.fallbackSteps += steps
                    groups[g].servedByFallback += 1
                    groups[g].fallbackSteps += steps
                    groups[deploymentGroup[d]].servedForOthers += 1
                    deployments[d].servedAsFallback += 1
                    tenantTally { $0.served += 1; $0.servedByFallback += 1; $0.fallbacks += steps }
                    let to = groupNames[deploymentGroup[d]]
                    paths["\(groupNames[g])\u{1}\(to)", default: FallbackPathTally(from: groupNames[g], to: to)].requests += 1
                }
                if let catalog {
                    if let tokens = arrival.pricedTokens {
                        let region = config.deployments[d].region
                        let entry = priceCandidates[d].lazy.compactMap {
                            catalog.entry(model: $0, region: region, atMicros: arrival.timestampMicros)
                        }.first
                        if let cost = entry?.prices.cost(of: tokens) {
                            deployments[d].costUSD += cost
                            totals.costUSD += cost
                        } else {
                            deployments[d].unpricedNoPrice += 1
                            totals.unpriced += 1
                        }
                    } else {
                        deployments[d].unpricedNoTokens += 1
                        totals.unpriced += 1
                    }
                }
            }
        }
        var pathList = paths.values.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
        if let latency {
            func models(_ group: String) -> [String] { config.deployments(of: group).map(\.canonicalModel) }
            for index in pathList.indices {
                if let to = latency.median(models: models(pathList[index].to)),
                   let from = latency.median(models: models(pathList[index].from)) {
                    pathList[index].latencyPenaltyMs = to - from
                }
            }
        }
        var tenantList = tenants.sorted { $0.tenant! < $1.tenant! }
        if noTenant.requests > 0 { tenantList.append(noTenant) }
        return LimitsReplay(outcomes: outcomes, deployments: deployments, tenants: tenantList, groups: groups,
                            fallbackPaths: pathList, unknownGroups: unknownGroups, totals: totals)
    }
}
