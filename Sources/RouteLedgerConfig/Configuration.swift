import Foundation

/// A router as the user configured it: the Bedrock prompt-router ARN (or a LiteLLM model group that
/// routes), the models it chooses between, and the model it falls back to.
public struct RouterDefinition: Sendable, Equatable {
    public var id: String
    public var strong: String?
    public var cheap: String?
    /// The model the router uses when it cannot decide; its share of the traffic is the router fallback rate.
    public var fallback: String?
    public var models: [String]

    public init(id: String, strong: String? = nil, cheap: String? = nil, fallback: String? = nil, models: [String] = []) {
        self.id = id
        self.strong = strong
        self.cheap = cheap
        self.fallback = fallback
        self.models = models.isEmpty ? [strong, cheap].compactMap { $0 } : models
    }
}

/// Daily limits of one tenant; quota use is reported as a share of each limit that is set.
public struct TenantQuota: Sendable, Equatable {
    public var tenant: String
    public var dailyRequests: Int64?
    public var dailyTokens: Int64?
    public var dailyUSD: Double?

    public init(tenant: String, dailyRequests: Int64? = nil, dailyTokens: Int64? = nil, dailyUSD: Double? = nil) {
        self.tenant = tenant
        self.dailyRequests = dailyRequests
        self.dailyTokens = dailyTokens
        self.dailyUSD = dailyUSD
    }
}

public enum ReportFormat: String, Sendable, CaseIterable, Equatable {
    case md, html, json, csv
}

public struct ReportSettings: Sendable, Equatable {
    public var directory: String
    public var formats: [ReportFormat]
    /// Where the reports folder is served (a notification links to `<url>/<day>/report.html`).
    public var url: String?

    public init(directory: String = "reports", formats: [ReportFormat] = ReportFormat.allCases, url: String? = nil) {
        self.directory = directory
        self.formats = formats
        self.url = url
    }
}

/// Where a value sits in the config file, for messages that point at it.
/// `replay:` in the config: which labelled prompts and router the report's replay section uses.
public struct ReplaySettings: Sendable, Equatable {
    public var labels: String
    public var router: String?
    public var target: String = "quality=0.95"
    public var scoreColumn: String?
    public var folds: Int = 5
    public var seed: UInt64 = 0
    public var location: ConfigLocation

    public init(labels: String, router: String? = nil, location: ConfigLocation) {
        self.labels = labels
        self.router = router
        self.location = location
    }
}

/// Per-minute quota of one tenant in `replay_limits.tenant_limits` (nil: that limit is not set).
public struct TenantRateLimit: Sendable, Equatable {
    public var rpm: Int?
    public var tpm: Int?

    public init(rpm: Int? = nil, tpm: Int? = nil) {
        self.rpm = rpm
        self.tpm = tpm
    }
}

/// `replay_limits:` in the config: the gateway rate-limit replay added to every report.
///
/// ```yaml
/// replay_limits:
///   gateway: litellm/config.yaml      # LiteLLM proxy config; relative to this file
///   target_fallback_rate: 0.01        # 0 to below 1 (default 0.01)
///   seed: 1                           # simple-shuffle seed (default 1, as `replay-limits`)
///   tenant_limits:                    # tenant → {rpm, tpm}, over the gateway file's own; "*" is the default
///     t-acme: {rpm: 60, tpm: 200000}
///     "*": {rpm: 20}
/// ```
public struct LimitsReplaySettings: Sendable, Equatable {
    public var gateway: String
    public var targetFallbackRate: Double = 0.01
    public var seed: UInt64 = 1
    /// Tenant → limits, applied over the gateway file's `tenant_limits:`; the tenant `*` replaces its
    /// `default_tenant_limits:` (the same as `replay-limits --tenant-limit`).
    public var tenantLimits: [String: TenantRateLimit] = [:]
    public var location: ConfigLocation

    public init(gateway: String, location: ConfigLocation) {
        self.gateway = gateway
        self.location = location
    }
}

public struct ConfigLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var keyPath: String
    public var line: Int
    public var column: Int
    public var description: String { "\(file):\(line):\(column): \(keyPath)" }
}

public struct ConfigError: LocalizedError, Sendable, Equatable {
    public var location: ConfigLocation
    public var message: String
    public init(location: ConfigLocation, message: String) {
        self.location = location
        self.message = message
    }
    public var errorDescription: String? { "\(location): \(message)" }
}

public struct ConfigWarning: Sendable, Equatable, CustomStringConvertible {
    public var location: ConfigLocation
    public var message: String
    public init(location: ConfigLocation, message: String) {
        self.location = location
        self.message = message
    }
    public var description: String { "\(location): \(message)" }
}

/// An alert rule or notifier kept as written until the alerting layer validates it.
public struct RawSection: Sendable, Equatable {
    public var location: ConfigLocation
    public var values: [String: String]
}

/// The effective `routeledger.yaml` (version 1).
public struct Configuration: Sendable, Equatable {
    public var file: String?
    public var version: Int = 1
    public var ledger: String?
    public var inputs: [String] = []
    public var prices: [String] = []
    public var reports = ReportSettings()
    /// Hours added to UTC for the nightly job's "day that just ended" (0 = UTC).
    public var nightlyUTCOffsetHours: Int = 0
    /// The routing-replay section of reports, when configured.
    public var replay: ReplaySettings?
    /// The rate-limit replay section of reports, when configured.
    public var replayLimits: LimitsReplaySettings?
    public var routers: [RouterDefinition] = []
    public var tenantKeys: [String] = []
    public var correlationKey: String?
    public var quotas: [TenantQuota] = []
    public var alerts: [RawSection] = []
    public var notifiers: [RawSection] = []
    public var warnings: [ConfigWarning] = []

    public init() {}

    public func router(id: String) -> RouterDefinition? { routers.first { $0.id == id } }

    /// A path from the config as the program opens it: absolute as given, relative to the config file's folder
    /// (not the working directory), or as given when there is no config file.
    public func resolvedPath(_ path: String) -> String {
        guard !path.hasPrefix("/"), let file else { return path }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(path).path
    }
}
