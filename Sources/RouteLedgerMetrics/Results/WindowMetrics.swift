import RouteLedgerModel

/// Every number a report shows for one window. Costs are USD; `nil` means "cannot be known"
/// (unpriced model, missing tokens), never zero. Lists are sorted so output is deterministic.
public struct WindowMetrics: Sendable, Equatable {
    public var since: Int64
    public var until: Int64
    public var totals = Totals()
    public var models: [ModelMetrics] = []
    public var routers: [RouterMetrics] = []
    public var haiku = HaikuRatio()
    public var cheapRatioByFamily: [FamilyCheapRatio] = []
    public var fallback = FallbackMetrics()
    public var counterfactual = Counterfactual()
    public var routingOverhead: [RoutingOverhead] = []
    public var regions: [RegionFlow] = []
    public var accountRegions: [RegionFlow] = []
    public var accounts: [Breakdown] = []
    public var tenants: [Breakdown] = []
    public var deployments: [DeploymentShare] = []
    public var litellmCost = LoggedCostComparison()
    public var hourly: [SeriesPoint] = []
    public var daily: [SeriesPoint] = []
    public var unpricedModels: [UnpricedModel] = []
    /// Data-quality notes (unmerged keys, clamped values, rows outside the catalog…).
    public var notes: [String] = []

    public init(since: Int64, until: Int64) {
        self.since = since
        self.until = until
    }
}

public struct Totals: Sendable, Equatable {
    public var requests: Int64 = 0
    public var succeeded: Int64 = 0
    public var failed: Int64 = 0
    public var failedByCode: [CodeCount] = []
    public var throttled: Int64 = 0
    public var tokens = TokenCounts()
    /// Cost of the requests that could be priced; `unpricedRequests` says how many it leaves out.
    public var costUSD: Double?
    public var pricedRequests: Int64 = 0
    public var unpricedRequests: Int64 = 0
    public var unpricedByReason: [CodeCount] = []
    public init() {}
}

public struct CodeCount: Sendable, Equatable {
    public var code: String
    public var count: Int64
    public init(code: String, count: Int64) {
        self.code = code
        self.count = count
    }
}

public struct Percentiles: Sendable, Equatable {
    public var p50: UInt32?
    public var p90: UInt32?
    public var p99: UInt32?
    public var samples: Int64 = 0
    public init(p50: UInt32? = nil, p90: UInt32? = nil, p99: UInt32? = nil, samples: Int64 = 0) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.samples = samples
    }
}

public struct ModelMetrics: Sendable, Equatable {
    public var model: String
    public var family: String?
    public var tier: ModelTier?
    public var requests: Int64 = 0
    public var failed: Int64 = 0
    public var tokens = TokenCounts()
    public var costUSD: Double?
    public var unpricedRequests: Int64 = 0
    public var latency = Percentiles()
    public var ttft = Percentiles()
}

public struct ServedShare: Sendable, Equatable {
    public var model: String
    public var tier: ModelTier?
    public var requests: Int64
    public var share: Double
    public var tokenShare: Double?
    public var costShare: Double?
}

public struct RouterMetrics: Sendable, Equatable {
    public var router: String
    /// `bedrock` (prompt router) or `litellm` (a model group configured as a router).
    public var kind: String
    public var configured: Bool
    public var strongModel: String?
    public var cheapModel: String?
    public var fallbackModel: String?
    public var requests: Int64 = 0
    public var served: [ServedShare] = []
    public var cheapRatio: Double?
    /// Share of resolved requests served by the configured fallback model; nil without a configuration.
    public var fallbackRate: Double?
    public var unresolved: Int64 = 0
    public var costUSD: Double?
    public var counterfactualStrongUSD: Double?
    public var counterfactualCheapUSD: Double?
    public var savingsPct: Double?
    public var haikuRatio: Double?
}

public struct HaikuRatio: Sendable, Equatable {
    /// Successful Claude requests served by a Haiku model, over all successful Claude requests.
    public var ratio: Double?
    public var haikuRequests: Int64 = 0
    public var claudeRequests: Int64 = 0
    public init() {}
}

public struct FamilyCheapRatio: Sendable, Equatable {
    public var family: String
    public var cheapRequests: Int64
    public var tieredRequests: Int64
    public var ratio: Double?
}

public struct FallbackMetrics: Sendable, Equatable {
    /// Router fallback: requests a configured router served with its fallback model.
    public var routerFallbackRate: Double?
    public var routerFallbacks: Int64 = 0
    public var routerResolvedRequests: Int64 = 0
    /// Gateway fallback: logical requests that succeeded only on a fallback after an error.
    public var gatewayFallbackRate: Double?
    public var gatewayFallbacks: Int64 = 0
    public var logicalRequests: Int64 = 0
    public var retriedSuccesses: Int64 = 0
    public var failedAfterFallback: Int64 = 0
    public var failedWithoutFallback: Int64 = 0
    public init() {}
}

public struct Counterfactual: Sendable, Equatable {
    /// Actual cost of exactly the requests that could be re-priced both ways.
    public var actualUSD: Double?
    public var allStrongUSD: Double?
    public var allCheapUSD: Double?
    public var savingsUSD: Double?
    /// 100 × (1 − actual / all-strong).
    public var savingsPct: Double?
    public var requests: Int64 = 0
    public var excludedRequests: Int64 = 0
    public static let assumption = """
        Counterfactual costs re-price each successful request on the strong (or cheap) model of its family \
        — the router's configured models where there is a router — with the token counts it actually logged, \
        in its source Region at its time. Real token counts, retries and quality would differ between models.
        """
    public init() {}
}

public struct RoutingOverhead: Sendable, Equatable {
    public var model: String
    public var routedSamples: Int64
    public var directSamples: Int64
    public var p50DifferenceMs: Int64?
    public var p90DifferenceMs: Int64?
}

public struct RegionFlow: Sendable, Equatable {
    public var account: String?
    public var sourceRegion: String
    public var inferenceRegion: String
    public var requests: Int64
    /// Share of the source Region's (and account's) requests.
    public var share: Double
}

public struct QuotaUse: Sendable, Equatable {
    public var requestsPct: Double?
    public var tokensPct: Double?
    public var costPct: Double?
    /// The largest of the three.
    public var maxPct: Double?
}

public struct Breakdown: Sendable, Equatable {
    public var name: String
    public var requests: Int64 = 0
    public var failed: Int64 = 0
    public var throttled: Int64 = 0
    public var tokens = TokenCounts()
    public var costUSD: Double?
    public var costShare: Double?
    public var throttleRate: Double?
    public var unpricedRequests: Int64 = 0
    /// Share of all requests made in minutes with throttling (tenants only).
    public var throttledMinuteShare: Double?
    public var requestShare: Double?
    public var noisyNeighbour = false
    public var quota: QuotaUse?
}

public struct DeploymentShare: Sendable, Equatable {
    public var modelGroup: String
    public var deployment: String
    public var requests: Int64
    public var share: Double
    public var failed: Int64
    public var latencyP50: UInt32?
}

public struct LoggedCostComparison: Sendable, Equatable {
    /// LiteLLM rows with a logged cost.
    public var requests: Int64 = 0
    public var loggedUSD: Double = 0
    /// The same rows re-priced from the catalog (nil when any is unpriced).
    public var catalogUSD: Double?
    public var differenceUSD: Double?
    public var comparableRequests: Int64 = 0
    public init() {}
}

public struct SeriesPoint: Sendable, Equatable {
    /// Start of the hour or day, microseconds.
    public var start: Int64
    public var requests: Int64 = 0
    public var costUSD: Double?
    public var counterfactualStrongUSD: Double?
    public var haikuRatio: Double?
    public var routerFallbackRate: Double?
    public var gatewayFallbackRate: Double?
    public var throttleRate: Double?
}

public struct UnpricedModel: Sendable, Equatable {
    public var model: String
    public var region: String?
    public var reason: String
    public var requests: Int64
}
