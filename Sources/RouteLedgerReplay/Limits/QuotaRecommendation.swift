import Foundation

/// The smallest per-deployment limit of one kind that keeps a group's fallback rate within the target.
public struct LimitSearch: Sendable, Equatable {
    /// Per deployment of the group (every deployment gets it).
    public var value: Int
    /// The group's fallback rate with `value`.
    public var rate: Double
    /// The rate with `value - 1`: above the target (nil when `value` is 0).
    public var rateBelow: Double?
    /// Replays run to find it.
    public var evaluations: Int
}

/// The recommendation for the first group of one fallback chain.
public struct QuotaRecommendation: Sendable, Equatable {
    public var group: String
    public var deployments: Int
    /// Requests for the group that reached the router.
    public var routed: Int
    /// Per-deployment RPM / TPM in the config when every deployment of the group has the same one.
    public var currentRPM: Int?
    public var currentTPM: Int?
    /// The group's fallback rate (share of its routed requests its own deployments could not take) as configured.
    public var currentRate: Double
    /// Smallest RPM with TPM lifted on the group; nil when even unlimited RPM misses the target.
    public var rpm: LimitSearch?
    /// Smallest TPM with the recommended RPM in place (RPM lifted when there is none); nil without token
    /// counts or when unreachable.
    public var tpm: LimitSearch?
    /// The group's fallback rate with both recommended values (within the target whenever `rpm` is set).
    public var rateWithBoth: Double?
    public var notes: [String]
}

public struct QuotaRecommendations: Sendable, Equatable {
    public var targetFallbackRate: Double
    /// In config order: every group with fallbacks and routed traffic.
    public var groups: [QuotaRecommendation]
    /// The gateway fallback rate with every recommendation applied together.
    public var gatewayRateWithRecommendations: Double?
}

/// Finds, for the first group of each fallback chain (every group with fallbacks), the smallest
/// per-deployment RPM and TPM that keep the group's fallback rate ≤ the target on the replayed traffic:
/// first the RPM with TPM lifted, then the TPM with that RPM in place, so the pair together meets the target.
/// Every other group keeps its configured limits.
///
/// Integer bisection between a failing and a passing limit: 0 always fails (every routed request falls back),
/// and the largest number of routed requests (or tokens, plus one) in any minute always passes, because then
/// no deployment of the group can fill. The invariant keeps `value − 1` a failing limit that was replayed,
/// so the neighbour of every answer is verified, not assumed. Bisection relies on the rate being
/// non-increasing in the limit, which holds for RPM (see `RateLimitSimulator`); for TPM on groups with
/// several deployments it is a close approximation.
public enum QuotaRecommender {
    public static func recommend(config: GatewayConfig, arrivals: [Arrival], target: Double, seed: UInt64 = 1) -> QuotaRecommendations {
        let engine = LimitsEngine(config: config, arrivals: arrivals)
        let baseLimits = config.deployments.map(\.limits)
        let base = engine.run(limits: baseLimits, seed: seed) { _, _ in }
        var result = QuotaRecommendations(targetFallbackRate: target, groups: [], gatewayRateWithRecommendations: nil)
        var combined = baseLimits

        // Bounds shared by every group: the busiest minute of routed traffic.
        var maxRequests = 0, maxTokens: Int64 = 0
        do {
            var minute = Int64.min, requests = 0, tokens: Int64 = 0
            let limitedOut = tenantLimitedMask(engine)
            for i in engine.order where !limitedOut[i] && engine.group[i] >= 0 {
                if engine.minute[i] != minute { minute = engine.minute[i]; requests = 0; tokens = 0 }
                requests += 1
                tokens += engine.tokens[i]
                maxRequests = max(maxRequests, requests)
                maxTokens = max(maxTokens, tokens)
            }
        }

        for (g, name) in engine.groupNames.enumerated() where !engine.fallbacks[g].isEmpty && base.routed[g] > 0 {
            let members = engine.groupDeployments[g]
            func uniform(_ values: [Int?]) -> Int? {
                guard let first = values.first, let value = first, values.allSatisfy({ $0 == value }) else { return nil }
                return value
            }
            var recommendation = QuotaRecommendation(
                group: name, deployments: members.count, routed: base.routed[g],
                currentRPM: uniform(members.map { baseLimits[$0].rpm }), currentTPM: uniform(members.map { baseLimits[$0].tpm }),
                currentRate: base.spill(g) ?? 0, rpm: nil, tpm: nil, rateWithBoth: nil, notes: [])

            func rate(rpm: Int?, tpm: Int?) -> Double {
                var limits = baseLimits
                for d in members { limits[d] = RateLimits(rpm: rpm, tpm: tpm) }
                return engine.run(limits: limits, seed: seed) { _, _ in }.spill(g) ?? 0
            }

            recommendation.rpm = search(upper: maxRequests, target: target) { rate(rpm: $0, tpm: nil) }
            if recommendation.rpm == nil {
                recommendation.notes.append("no RPM reaches the target: requests are lost to other limits")
            }
            let groupTokens = engine.order.contains { engine.group[$0] == Int32(g) && engine.tokens[$0] > 0 }
            if !groupTokens {
                recommendation.notes.append("no token counts for this group's requests: no TPM recommendation")
            } else {
                let upper = maxTokens >= Int64(Int.max - 1) ? Int.max - 1 : Int(maxTokens) + 1
                let rpm = recommendation.rpm?.value
                recommendation.tpm = search(upper: upper, target: target) { rate(rpm: rpm, tpm: $0) }
                let unknown = engine.order.filter { engine.group[$0] == Int32(g) && arrivals[$0].tokensKnown == false }.count
                if unknown > 0 {
                    recommendation.notes.append("\(unknown) requests for this group have unknown tokens; they count 0 toward TPM")
                }
                if members.count > 1 && config.routingStrategy == .simpleShuffle {
                    recommendation.notes.append("TPM with several shuffled deployments: which requests fit depends on the picks (seed \(seed))")
                }
            }
            if let rpm = recommendation.rpm?.value {
                let tpm = recommendation.tpm?.value
                recommendation.rateWithBoth = rate(rpm: rpm, tpm: tpm)
                for d in members { combined[d] = RateLimits(rpm: rpm, tpm: tpm) }
            }
            result.groups.append(recommendation)
        }
        if !result.groups.isEmpty {
            result.gatewayRateWithRecommendations = engine.run(limits: combined, seed: seed) { _, _ in }.rate
        }
        return result
    }

    /// Arrivals the tenant limits turn away (independent of deployment limits).
    static func tenantLimitedMask(_ engine: LimitsEngine) -> [Bool] {
        var mask = [Bool](repeating: false, count: engine.group.count)
        _ = engine.run(limits: engine.config.deployments.map(\.limits), seed: 0) { i, outcome in
            if outcome == .tenantLimited { mask[i] = true }
        }
        return mask
    }

    /// The smallest value in 0...upper with `rate(value) <= target`, by bisection; nil when `rate(upper)`
    /// misses the target.
    public static func search(upper: Int, target: Double, rate: (Int) -> Double) -> LimitSearch? {
        var evaluations = 0
        var known: [Int: Double] = [:]
        func evaluate(_ value: Int) -> Double {
            if let hit = known[value] { return hit }
            evaluations += 1
            let r = rate(value)
            known[value] = r
            return r
        }
        let top = max(upper, 1)
        guard evaluate(top) <= target else { return nil }
        if evaluate(0) <= target { return LimitSearch(value: 0, rate: known[0]!, rateBelow: nil, evaluations: evaluations) }
        var low = 0, high = top   // rate(low) > target, rate(high) <= target
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if evaluate(middle) <= target { high = middle } else { low = middle }
        }
        return LimitSearch(value: high, rate: known[high]!, rateBelow: known[low]!, evaluations: evaluations)
    }
}
