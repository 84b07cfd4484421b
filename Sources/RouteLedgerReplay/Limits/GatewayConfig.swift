import Foundation
import RouteLedgerModel
import Yams

/// Requests-per-minute and tokens-per-minute limits; nil = no limit of that kind.
public struct RateLimits: Sendable, Equatable, Hashable {
    public var rpm: Int?
    public var tpm: Int?
    public init(rpm: Int? = nil, tpm: Int? = nil) {
        self.rpm = rpm
        self.tpm = tpm
    }
    public var isUnlimited: Bool { rpm == nil && tpm == nil }
}

/// How the gateway picks a deployment inside a model group.
public enum RoutingStrategy: String, Sendable, Equatable, CaseIterable {
    case simpleShuffle = "simple-shuffle"
    case leastBusy = "least-busy"
}

/// One `model_list` entry: a deployment of a model group.
public struct GatewayDeployment: Sendable, Equatable {
    /// `model_name`: the model group callers ask for.
    public var group: String
    /// `litellm_params.model` as written (`bedrock/anthropic.claude-3-haiku-20240307-v1:0`).
    public var model: String
    /// `model_info.id` when given, else `<group>#<n>` (n = 1-based position inside the group).
    public var id: String
    public var limits: RateLimits
    /// `litellm_params.aws_region_name` when it is a literal: the Region the deployment is priced in.
    public var region: String?
    /// 1-based line of the entry in the gateway file (0 when built in code).
    public var line: Int

    public init(group: String, model: String, id: String, limits: RateLimits = RateLimits(), region: String? = nil, line: Int = 0) {
        self.group = group
        self.model = model
        self.id = id
        self.limits = limits
        self.region = region
        self.line = line
    }

    public var rpm: Int? { limits.rpm }
    public var tpm: Int? { limits.tpm }

    /// The catalog id of the deployment's model: LiteLLM's `bedrock/` (and `converse/`, `invoke/`) route
    /// prefixes and any geo inference-profile prefix removed, as ingest stores served models.
    public var canonicalModel: String { Self.canonicalModel(model) }

    public static func canonicalModel(_ litellmModel: String) -> String {
        guard !litellmModel.hasPrefix("arn:") else { return ModelIdentifier.canonicalize(litellmModel) }
        var rest = Substring(litellmModel)
        for prefix in ["bedrock/", "converse/", "invoke/"] where rest.hasPrefix(prefix) { rest = rest.dropFirst(prefix.count) }
        return ModelIdentifier.canonicalize(String(rest))
    }

    /// Catalog ids to look the model's price up under, best first: the canonical id, then (for a
    /// `provider/model` id such as `anthropic/claude-3-5-haiku`) the part after the provider.
    public var priceCandidates: [String] {
        let canonical = canonicalModel
        var candidates = [canonical]
        if let slash = canonical.firstIndex(of: "/") {
            let tail = ModelIdentifier.canonicalize(String(canonical[canonical.index(after: slash)...]))
            if !tail.isEmpty, tail != canonical { candidates.append(tail) }
        }
        return candidates
    }
}

/// The parts of a LiteLLM proxy `config.yaml` the rate-limit replay reads, plus RouteLedger's tenant quotas.
///
/// Read: `model_list[].model_name`, `.litellm_params.model`, `rpm`/`tpm` (in `litellm_params` or on the entry
/// itself; `litellm_params` wins), `.litellm_params.aws_region_name`, `.model_info.id`;
/// `router_settings.routing_strategy`, `.fallbacks`, `.default_fallbacks`, `.num_retries`;
/// `litellm_settings.fallbacks` / `.default_fallbacks` (router_settings wins per group); and the RouteLedger
/// extension `tenant_limits:` (tenant → {rpm, tpm}; LiteLLM's `rpm_limit`/`tpm_limit` spellings too) and
/// `default_tenant_limits:`. Everything else of the user's proxy config is ignored; `os.environ/NAME` values
/// are resolved from the environment where a number is needed.
public struct GatewayConfig: Sendable, Equatable {
    public var file: String?
    /// In file order.
    public var deployments: [GatewayDeployment]
    public var routingStrategy: RoutingStrategy
    /// The strategy as written when it was not one the replay simulates (then replayed as simple-shuffle).
    public var unsupportedStrategy: String?
    /// Model group → the groups tried in order when it has no capacity. Only the requested group's own list
    /// is walked: a fallback group's fallbacks are not (LiteLLM does not chain them either).
    public var fallbacks: [String: [String]]
    /// Tried for groups without a list of their own.
    public var defaultFallbacks: [String]
    /// `router_settings.num_retries`, recorded: the replay never retries the same group.
    public var numRetries: Int?
    public var tenantLimits: [String: RateLimits]
    /// Applies to every named tenant without limits of its own (requests without a tenant are never limited).
    public var defaultTenantLimits: RateLimits?
    public var warnings: [ReplayInputIssue]

    public init(file: String? = nil, deployments: [GatewayDeployment] = [], routingStrategy: RoutingStrategy = .simpleShuffle,
                unsupportedStrategy: String? = nil, fallbacks: [String: [String]] = [:], defaultFallbacks: [String] = [],
                numRetries: Int? = nil, tenantLimits: [String: RateLimits] = [:], defaultTenantLimits: RateLimits? = nil,
                warnings: [ReplayInputIssue] = []) {
        self.file = file
        self.deployments = deployments
        self.routingStrategy = routingStrategy
        self.unsupportedStrategy = unsupportedStrategy
        self.fallbacks = fallbacks
        self.defaultFallbacks = defaultFallbacks
        self.numRetries = numRetries
        self.tenantLimits = tenantLimits
        self.defaultTenantLimits = defaultTenantLimits
        self.warnings = warnings
    }

    /// Model groups in order of their first deployment.
    public var groups: [String] {
        var seen = Set<String>()
        return deployments.compactMap { seen.insert($0.group).inserted ? $0.group : nil }
    }

    public func deployments(of group: String) -> [GatewayDeployment] { deployments.filter { $0.group == group } }

    /// The fallback groups of `group`, in order: its own list, else the default list (never itself).
    public func fallbackList(of group: String) -> [String] {
        (fallbacks[group] ?? defaultFallbacks).filter { $0 != group }
    }

    /// The limits of a tenant: its own, else the default; nil tenant is never limited.
    public func limits(forTenant tenant: String?) -> RateLimits? {
        guard let tenant else { return nil }
        return tenantLimits[tenant] ?? defaultTenantLimits
    }

    // MARK: Loading

    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GatewayConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReplayError(file: path, "cannot read the gateway config")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path, environment: environment)
    }

    public static func parse(_ text: String, file: String, environment: [String: String] = [:]) throws -> GatewayConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ReplayError(file: file, line: yamlErrorLine(error), "not valid YAML: \(error)")
        } catch {
            throw ReplayError(file: file, line: 1, "not valid YAML: \(error)")
        }
        guard let root else { throw ReplayError(file: file, line: 1, "the gateway config is empty (it needs a model_list)") }
        var reader = GatewayReader(file: file, environment: environment)
        return try reader.read(root)
    }

    static func yamlErrorLine(_ error: YamlError) -> Int? {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): return mark.line
        default: return nil
        }
    }
}

/// Walks the composed YAML; every error names the file and line of the offending value.
struct GatewayReader {
    let file: String
    let environment: [String: String]
    var warnings: [ReplayInputIssue] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    func line(_ node: Node) -> Int { node.mark?.line ?? 0 }

    func fail(_ node: Node, _ message: String) -> ReplayError { ReplayError(file: file, line: line(node), message) }

    mutating func warn(_ node: Node, _ message: String) {
        warnings.append(ReplayInputIssue(file: file, line: line(node), message: message))
    }

    func pairs(_ node: Node, _ path: String) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard case let .mapping(mapping) = node else { throw fail(node, "\(path) must be a mapping") }
        var result: [(key: String, keyNode: Node, value: Node)] = []
        var seen = Set<String>()
        for (keyNode, value) in mapping {
            guard case let .scalar(scalar) = keyNode else { throw fail(keyNode, "\(path): keys must be strings") }
            guard seen.insert(scalar.string).inserted else { throw fail(keyNode, "\(path).\(scalar.string) appears twice") }
            result.append((scalar.string, keyNode, value))
        }
        return result
    }

    func isNull(_ node: Node) -> Bool {
        guard case let .scalar(scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func string(_ node: Node, _ path: String) throws -> String {
        guard case let .scalar(scalar) = node, !isNull(node), !scalar.string.isEmpty else {
            throw fail(node, "\(path) must be a non-empty string")
        }
        return scalar.string
    }

    func strings(_ node: Node, _ path: String) throws -> [String] {
        if case .scalar = node { return [try string(node, path)] }
        guard case let .sequence(sequence) = node else { throw fail(node, "\(path) must be a list of model groups") }
        return try sequence.enumerated().map { try string($1, "\(path)[\($0)]") }
    }

    /// A non-negative whole number, `os.environ/NAME` holding one, or nil for null. An unset variable is a
    /// warning and no limit.
    mutating func limit(_ node: Node, _ path: String) throws -> Int? {
        guard case let .scalar(scalar) = node else { throw fail(node, "\(path) must be a non-negative whole number") }
        if isNull(node) { return nil }
        var text = scalar.string.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("os.environ/") {
            let name = String(text.dropFirst("os.environ/".count))
            guard let value = environment[name], !value.isEmpty else {
                warn(node, "\(path): \(scalar.string) is not set in the environment; replayed without this limit")
                return nil
            }
            text = value.trimmingCharacters(in: .whitespaces)
            guard let number = Self.wholeNumber(text) else {
                throw fail(node, "\(path): \(scalar.string) is \"\(value)\", not a non-negative whole number")
            }
            return number
        }
        guard let number = Self.wholeNumber(text) else { throw fail(node, "\(path) must be a non-negative whole number, got \"\(scalar.string)\"") }
        return number
    }

    static func wholeNumber(_ raw: String) -> Int? {
        let text = raw.replacingOccurrences(of: "_", with: "")
        if let value = Int(text), value >= 0 { return value }
        // YAML writers sometimes emit 100.0 for a count.
        if let value = Double(text), value >= 0, value == value.rounded(), value < 1e15 { return Int(value) }
        return nil
    }

    mutating func read(_ root: Node) throws -> GatewayConfig {
        var config = GatewayConfig(file: file)
        var modelList: Node?
        var routerFallbacks: [(String, [String], Node)] = []
        var settingsFallbacks: [(String, [String], Node)] = []
        var routerDefault: [String]?, settingsDefault: [String]?
        for (key, _, value) in try pairs(root, "the gateway config") {
            switch key {
            case "model_list": modelList = value
            case "router_settings":
                guard !isNull(value) else { continue }
                for (setting, _, settingValue) in try pairs(value, "router_settings") {
                    let path = "router_settings.\(setting)"
                    switch setting {
                    case "routing_strategy":
                        let name = try string(settingValue, path)
                        if let strategy = RoutingStrategy(rawValue: name) {
                            config.routingStrategy = strategy
                        } else {
                            config.unsupportedStrategy = name
                            warn(settingValue, "\(path) \"\(name)\" is not simulated (only simple-shuffle and least-busy are); replayed as simple-shuffle")
                        }
                    case "fallbacks": routerFallbacks = try fallbackList(settingValue, path)
                    case "default_fallbacks": routerDefault = isNull(settingValue) ? [] : try strings(settingValue, path)
                    case "num_retries": config.numRetries = try limit(settingValue, path)
                    default: break
                    }
                }
            case "litellm_settings":
                guard !isNull(value) else { continue }
                for (setting, _, settingValue) in try pairs(value, "litellm_settings") {
                    let path = "litellm_settings.\(setting)"
                    switch setting {
                    case "fallbacks": settingsFallbacks = try fallbackList(settingValue, path)
                    case "default_fallbacks": settingsDefault = isNull(settingValue) ? [] : try strings(settingValue, path)
                    case "num_retries": if config.numRetries == nil { config.numRetries = try limit(settingValue, path) }
                    default: break
                    }
                }
            case "tenant_limits":
                guard !isNull(value) else { continue }
                for (tenant, _, limitsNode) in try pairs(value, "tenant_limits") {
                    config.tenantLimits[tenant] = try tenantLimits(limitsNode, "tenant_limits.\(tenant)")
                }
            case "default_tenant_limits":
                guard !isNull(value) else { continue }
                config.defaultTenantLimits = try tenantLimits(value, "default_tenant_limits")
            default:
                break   // the rest of the user's proxy config
            }
        }
        guard let modelList, !isNull(modelList) else {
            throw ReplayError(file: file, line: line(root), "the gateway config has no model_list")
        }
        config.deployments = try deployments(modelList)
        let groups = Set(config.groups)

        // router_settings wins over litellm_settings for a group both name.
        var seenSources: [String: Node] = [:]
        for (source, targets, node) in routerFallbacks + settingsFallbacks {
            if seenSources[source] != nil {
                warn(node, "fallbacks for \(source) are given twice; the first (router_settings before litellm_settings) is used")
                continue
            }
            seenSources[source] = node
            if !groups.contains(source) {
                warn(node, "fallbacks name model group \(source), which has no deployment in model_list; ignored")
                continue
            }
            var kept: [String] = []
            for target in targets {
                if !groups.contains(target) {
                    warn(node, "fallback \(source) → \(target): \(target) has no deployment in model_list; skipped")
                } else if target == source {
                    warn(node, "fallback \(source) → \(source) names the group itself; skipped")
                } else if !kept.contains(target) {
                    kept.append(target)
                }
            }
            config.fallbacks[source] = kept
        }
        for target in routerDefault ?? settingsDefault ?? [] {
            if groups.contains(target) {
                if !config.defaultFallbacks.contains(target) { config.defaultFallbacks.append(target) }
            } else {
                warnings.append(ReplayInputIssue(file: file, line: line(root),
                                                 message: "default_fallbacks: \(target) has no deployment in model_list; skipped"))
            }
        }
        config.warnings = warnings
        return config
    }

    /// `- gpt-4: [gpt-3.5-turbo]` entries (a single mapping with several keys is accepted too).
    func fallbackList(_ node: Node, _ path: String) throws -> [(String, [String], Node)] {
        if isNull(node) { return [] }
        guard case let .sequence(sequence) = node else {
            throw fail(node, "\(path) must be a list of single-key mappings, e.g. `- gpt-4: [gpt-3.5-turbo]`")
        }
        var result: [(String, [String], Node)] = []
        for (index, item) in sequence.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard case .mapping = item else {
                throw fail(item, "\(itemPath) must be a mapping of a model group to its fallback groups, e.g. `- gpt-4: [gpt-3.5-turbo]`")
            }
            for (source, keyNode, targets) in try pairs(item, itemPath) {
                result.append((source, isNull(targets) ? [] : try strings(targets, "\(itemPath).\(source)"), keyNode))
            }
        }
        return result
    }

    mutating func tenantLimits(_ node: Node, _ path: String) throws -> RateLimits {
        var limits = RateLimits()
        var given = false
        for (key, keyNode, value) in try pairs(node, path) {
            switch key {
            case "rpm", "rpm_limit": limits.rpm = try limit(value, "\(path).\(key)"); given = true
            case "tpm", "tpm_limit": limits.tpm = try limit(value, "\(path).\(key)"); given = true
            default: warn(keyNode, "\(path).\(key) is not a tenant limit (use rpm and tpm); ignored")
            }
        }
        if !given { warn(node, "\(path) sets neither rpm nor tpm") }
        return limits
    }

    mutating func deployments(_ node: Node) throws -> [GatewayDeployment] {
        guard case let .sequence(sequence) = node else { throw fail(node, "model_list must be a list of deployments") }
        var result: [GatewayDeployment] = []
        var countInGroup: [String: Int] = [:]
        var ids: [String: Int] = [:]
        for (index, item) in sequence.enumerated() {
            let path = "model_list[\(index)]"
            var group: String?, model: String?, id: String?, region: String?
            var entryLimits = RateLimits(), paramLimits = RateLimits()
            var params: Node?
            for (key, _, value) in try pairs(item, path) {
                switch key {
                case "model_name": group = try string(value, "\(path).model_name")
                case "litellm_params": params = value
                case "rpm": entryLimits.rpm = try limit(value, "\(path).rpm")
                case "tpm": entryLimits.tpm = try limit(value, "\(path).tpm")
                case "model_info":
                    guard !isNull(value) else { continue }
                    for (infoKey, _, infoValue) in try pairs(value, "\(path).model_info") where infoKey == "id" {
                        id = try string(infoValue, "\(path).model_info.id")
                    }
                default: break
                }
            }
            guard let group else { throw fail(item, "\(path) needs a model_name (the model group callers ask for)") }
            guard let params, !isNull(params) else { throw fail(item, "\(path) (\(group)) needs litellm_params with a model") }
            for (key, _, value) in try pairs(params, "\(path).litellm_params") {
                switch key {
                case "model": model = try string(value, "\(path).litellm_params.model")
                case "rpm": paramLimits.rpm = try limit(value, "\(path).litellm_params.rpm")
                case "tpm": paramLimits.tpm = try limit(value, "\(path).litellm_params.tpm")
                case "aws_region_name":
                    if case let .scalar(scalar) = value, !scalar.string.hasPrefix("os.environ/"), !isNull(value), !scalar.string.isEmpty {
                        region = scalar.string
                    }
                default: break
                }
            }
            guard let model else { throw fail(params, "\(path).litellm_params (\(group)) needs a model") }
            countInGroup[group, default: 0] += 1
            let deploymentID = id ?? "\(group)#\(countInGroup[group]!)"
            if let previous = ids[deploymentID] {
                throw fail(item, "\(path): deployment id \(deploymentID) is already used by model_list[\(previous)]")
            }
            ids[deploymentID] = index
            let limits = RateLimits(rpm: paramLimits.rpm ?? entryLimits.rpm, tpm: paramLimits.tpm ?? entryLimits.tpm)
            result.append(GatewayDeployment(group: group, model: model, id: deploymentID, limits: limits, region: region, line: line(item)))
        }
        guard !result.isEmpty else { throw fail(node, "model_list is empty") }
        return result
    }
}
