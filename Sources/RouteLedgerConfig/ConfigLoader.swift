import Foundation
import Yams

/// Reads `routeledger.yaml`. Every error names the file, key path, line and column; unknown keys warn.
public enum ConfigLoader {
    public static let currentVersion = 1

    public static func load(path: String) throws -> Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(location: ConfigLocation(file: path, keyPath: "", line: 0, column: 0),
                              message: "cannot read the config file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> Configuration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(location: yamlErrorLocation(error, file: file), message: "not valid YAML: \(yamlErrorSummary(error))")
        } catch {
            throw ConfigError(location: ConfigLocation(file: file, keyPath: "", line: 0, column: 0),
                              message: "not valid YAML: \(error)")
        }
        var config = Configuration()
        config.file = file
        guard let root else { return config }
        var reader = NodeReader(file: file)
        try reader.read(root, into: &config)
        config.warnings = reader.warnings
        return config
    }

    static func yamlErrorLocation(_ error: YamlError, file: String) -> ConfigLocation {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _):
            return ConfigLocation(file: file, keyPath: "", line: mark.line, column: mark.column)
        default:
            return ConfigLocation(file: file, keyPath: "", line: 0, column: 0)
        }
    }

    static func yamlErrorSummary(_ error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, _, _), let .parser(context, problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        case let .composer(context, problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        default:
            return "\(error)"
        }
    }
}

/// Walks the composed YAML tree with the key path of each value at hand.
struct NodeReader {
    let file: String
    var warnings: [ConfigWarning] = []

    init(file: String) { self.file = file }

    func location(_ node: Node, _ path: String) -> ConfigLocation {
        ConfigLocation(file: file, keyPath: path, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
    }

    func error(_ node: Node, _ path: String, _ message: String) -> ConfigError {
        ConfigError(location: location(node, path), message: message)
    }

    /// The pairs of a mapping, warning about keys outside `known`.
    mutating func mapping(_ node: Node, _ path: String, known: Set<String>) throws -> [(String, Node)] {
        guard case let .mapping(mapping) = node else { throw error(node, path, "must be a mapping") }
        var pairs: [(String, Node)] = []
        var seen = Set<String>()
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw error(keyNode, path, "keys must be strings") }
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard seen.insert(key).inserted else { throw error(keyNode, keyPath, "key appears twice") }
            if !known.contains(key) {
                warnings.append(ConfigWarning(location: location(keyNode, keyPath),
                                              message: "unknown key (known here: \(known.sorted().joined(separator: ", ")))"))
                continue
            }
            pairs.append((key, value))
        }
        return pairs
    }

    func string(_ node: Node, _ path: String) throws -> String {
        guard case let .scalar(scalar) = node, !scalar.string.isEmpty else { throw error(node, path, "must be a non-empty string") }
        return scalar.string
    }

    func strings(_ node: Node, _ path: String) throws -> [String] {
        if case .scalar = node { return [try string(node, path)] }
        guard case let .sequence(sequence) = node else { throw error(node, path, "must be a list of strings") }
        return try sequence.enumerated().map { try string($1, "\(path)[\($0)]") }
    }

    func integer(_ node: Node, _ path: String) throws -> Int64 {
        guard case let .scalar(scalar) = node, let value = Int64(scalar.string.replacingOccurrences(of: "_", with: "")),
              value >= 0 else {
            throw error(node, path, "must be a non-negative whole number")
        }
        return value
    }

    func number(_ node: Node, _ path: String) throws -> Double {
        guard case let .scalar(scalar) = node, let value = Double(scalar.string.replacingOccurrences(of: "_", with: "")),
              value.isFinite, value >= 0 else {
            throw error(node, path, "must be a non-negative number")
        }
        return value
    }

    func sequence(_ node: Node, _ path: String) throws -> [Node] {
        guard case let .sequence(sequence) = node else { throw error(node, path, "must be a list") }
        return Array(sequence)
    }

    mutating func read(_ root: Node, into config: inout Configuration) throws {
        let known: Set<String> = ["version", "ledger", "inputs", "prices", "reports", "routers", "tenant_keys",
                                  "correlation_key", "quotas", "alerts", "notifiers", "nightly", "replay", "replay_limits"]
        let pairs = try mapping(root, "", known: known)
        if let versionNode = pairs.first(where: { $0.0 == "version" })?.1 {
            let version = try integer(versionNode, "version")
            guard version == Int64(ConfigLoader.currentVersion) else {
                throw error(versionNode, "version", "unsupported config version \(version) (this build reads version \(ConfigLoader.currentVersion))")
            }
        } else {
            warnings.append(ConfigWarning(location: location(root, "version"), message: "no version given; reading it as version 1"))
        }
        for (key, value) in pairs {
            switch key {
            case "ledger": config.ledger = try string(value, key)
            case "inputs": config.inputs = try strings(value, key)
            case "prices": config.prices = try strings(value, key)
            case "tenant_keys": config.tenantKeys = try strings(value, key)
            case "correlation_key": config.correlationKey = try string(value, key)
            case "reports": config.reports = try reports(value, key)
            case "routers": config.routers = try routers(value, key)
            case "quotas": config.quotas = try quotas(value, key)
            case "alerts": config.alerts = try rawSections(value, key, required: ["name", "metric"])
            case "notifiers": config.notifiers = try rawSections(value, key, required: ["kind"])
            case "replay": config.replay = try replay(value, key)
            case "replay_limits": config.replayLimits = try replayLimits(value, key)
            case "nightly":
                for (nightlyKey, nightlyValue) in try mapping(value, key, known: ["utc_offset_hours"]) {
                    let keyPath = "nightly.\(nightlyKey)"
                    guard case let .scalar(scalar) = nightlyValue, let hours = Int(scalar.string), (-12...14).contains(hours) else {
                        throw error(nightlyValue, keyPath, "a whole number of hours between -12 and 14")
                    }
                    config.nightlyUTCOffsetHours = hours
                }
            default: break
            }
        }
    }

    /// `replay:` adds a routing-replay section to every report: labels relative to the config file.
    mutating func replay(_ node: Node, _ path: String) throws -> ReplaySettings {
        var settings = ReplaySettings(labels: "", location: location(node, path))
        var sawLabels = false
        for (key, value) in try mapping(node, path, known: ["labels", "router", "target", "score_column", "folds", "seed"]) {
            let keyPath = "\(path).\(key)"
            switch key {
            case "labels": settings.labels = try string(value, keyPath); sawLabels = true
            case "router": settings.router = try string(value, keyPath)
            case "target": settings.target = try string(value, keyPath)
            case "score_column": settings.scoreColumn = try string(value, keyPath)
            case "folds":
                let folds = try integer(value, keyPath)
                guard (2...50).contains(folds) else { throw error(value, keyPath, "folds must be within 2...50") }
                settings.folds = Int(folds)
            case "seed":
                let seed = try integer(value, keyPath)
                guard seed >= 0 else { throw error(value, keyPath, "seed must be >= 0") }
                settings.seed = UInt64(seed)
            default: break
            }
        }
        guard sawLabels else { throw error(node, path, "replay needs labels: (a pairs file)") }
        return settings
    }

    /// `replay_limits:` adds a rate-limit replay section to every report: the gateway file relative to the
    /// config file; `tenant_limits:` maps tenant → `{rpm, tpm}` (`"*"`: every other tenant).
    mutating func replayLimits(_ node: Node, _ path: String) throws -> LimitsReplaySettings {
        var settings = LimitsReplaySettings(gateway: "", location: location(node, path))
        var sawGateway = false
        for (key, value) in try mapping(node, path, known: ["gateway", "target_fallback_rate", "seed", "tenant_limits"]) {
            let keyPath = "\(path).\(key)"
            switch key {
            case "gateway": settings.gateway = try string(value, keyPath); sawGateway = true
            case "target_fallback_rate":
                let rate = try number(value, keyPath)
                guard rate < 1 else { throw error(value, keyPath, "target_fallback_rate must be at least 0 and below 1 (0.01 = 1%)") }
                settings.targetFallbackRate = rate
            case "seed": settings.seed = UInt64(try integer(value, keyPath))
            case "tenant_limits":
                guard case let .mapping(tenants) = value else { throw error(value, keyPath, "must be a mapping of tenant → {rpm, tpm}") }
                for (tenantNode, limitsNode) in tenants {
                    guard let tenant = tenantNode.string, !tenant.isEmpty else { throw error(tenantNode, keyPath, "tenants must be non-empty strings") }
                    let tenantPath = "\(keyPath).\(tenant)"
                    guard settings.tenantLimits[tenant] == nil else { throw error(tenantNode, tenantPath, "key appears twice") }
                    var limits = TenantRateLimit()
                    for (limitKey, limitValue) in try mapping(limitsNode, tenantPath, known: ["rpm", "tpm"]) {
                        let limitPath = "\(tenantPath).\(limitKey)"
                        let amount = Int(try integer(limitValue, limitPath))
                        if limitKey == "rpm" { limits.rpm = amount } else { limits.tpm = amount }
                    }
                    guard limits.rpm != nil || limits.tpm != nil else {
                        throw error(limitsNode, tenantPath, "a tenant limit needs rpm or tpm")
                    }
                    settings.tenantLimits[tenant] = limits
                }
            default: break
            }
        }
        guard sawGateway else { throw error(node, path, "replay_limits needs gateway: (a LiteLLM proxy config.yaml)") }
        return settings
    }

    mutating func reports(_ node: Node, _ path: String) throws -> ReportSettings {
        var settings = ReportSettings()
        for (key, value) in try mapping(node, path, known: ["dir", "formats", "url"]) {
            let keyPath = "\(path).\(key)"
            if key == "dir" { settings.directory = try string(value, keyPath) }
            if key == "url" { settings.url = try string(value, keyPath) }
            if key == "formats" {
                settings.formats = try strings(value, keyPath).map { name in
                    guard let format = ReportFormat(rawValue: name.lowercased()) else {
                        throw error(value, keyPath, "unknown format \"\(name)\" (use md, html, json, csv)")
                    }
                    return format
                }
            }
        }
        return settings
    }

    mutating func routers(_ node: Node, _ path: String) throws -> [RouterDefinition] {
        var routers: [RouterDefinition] = []
        var ids = Set<String>()
        for (index, item) in try sequence(node, path).enumerated() {
            let itemPath = "\(path)[\(index)]"
            var id: String?, strong: String?, cheap: String?, fallback: String?, models: [String] = []
            for (key, value) in try mapping(item, itemPath, known: ["id", "strong", "cheap", "fallback", "models"]) {
                let keyPath = "\(itemPath).\(key)"
                switch key {
                case "id": id = try string(value, keyPath)
                case "strong": strong = try string(value, keyPath)
                case "cheap": cheap = try string(value, keyPath)
                case "fallback": fallback = try string(value, keyPath)
                case "models": models = try strings(value, keyPath)
                default: break
                }
            }
            guard let id else { throw error(item, "\(itemPath).id", "a router needs an id (its prompt-router ARN or LiteLLM model group)") }
            guard ids.insert(id).inserted else { throw error(item, "\(itemPath).id", "router \(id) is defined twice") }
            let definition = RouterDefinition(id: id, strong: strong, cheap: cheap, fallback: fallback, models: models)
            if let fallback, !definition.models.contains(fallback) {
                throw error(item, "\(itemPath).fallback", "the fallback model must be one of the router's models (\(definition.models.joined(separator: ", ")))")
            }
            routers.append(definition)
        }
        return routers
    }

    mutating func quotas(_ node: Node, _ path: String) throws -> [TenantQuota] {
        var quotas: [TenantQuota] = []
        for (index, item) in try sequence(node, path).enumerated() {
            let itemPath = "\(path)[\(index)]"
            var quota = TenantQuota(tenant: "")
            for (key, value) in try mapping(item, itemPath, known: ["tenant", "daily_requests", "daily_tokens", "daily_usd"]) {
                let keyPath = "\(itemPath).\(key)"
                switch key {
                case "tenant": quota.tenant = try string(value, keyPath)
                case "daily_requests": quota.dailyRequests = try integer(value, keyPath)
                case "daily_tokens": quota.dailyTokens = try integer(value, keyPath)
                case "daily_usd": quota.dailyUSD = try number(value, keyPath)
                default: break
                }
            }
            guard !quota.tenant.isEmpty else { throw error(item, "\(itemPath).tenant", "a quota needs a tenant") }
            guard quota.dailyRequests != nil || quota.dailyTokens != nil || quota.dailyUSD != nil else {
                throw error(item, itemPath, "a quota needs daily_requests, daily_tokens or daily_usd")
            }
            quotas.append(quota)
        }
        return quotas
    }

    /// Alert rules and notifiers: kept as flat string maps here; the alerting layer gives them meaning.
    mutating func rawSections(_ node: Node, _ path: String, required: [String]) throws -> [RawSection] {
        try sequence(node, path).enumerated().map { index, item in
            let itemPath = "\(path)[\(index)]"
            guard case let .mapping(mapping) = item else { throw error(item, itemPath, "must be a mapping") }
            var values: [String: String] = [:]
            for (keyNode, value) in mapping {
                guard let key = keyNode.string, case let .scalar(scalar) = value else {
                    throw error(keyNode, itemPath, "values must be plain scalars")
                }
                values[key] = scalar.string
            }
            for key in required where values[key] == nil {
                throw error(item, "\(itemPath).\(key)", "missing")
            }
            return RawSection(location: location(item, itemPath), values: values)
        }
    }
}
