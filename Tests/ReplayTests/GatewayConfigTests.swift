import Foundation
import RouteLedgerModel
import RouteLedgerReplay
import RouteLedgerTestSupport
import Testing

struct GatewayConfigTests {
    static let full = """
        # a user's whole proxy config
        model_list:
          - model_name: gpt-4
            litellm_params:
              model: bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0
              aws_region_name: us-west-2
              api_key: os.environ/AWS_KEY
              rpm: 3
              tpm: 100_000
            model_info:
              id: sonnet-west
          - model_name: gpt-4
            litellm_params:
              model: bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0
              aws_region_name: os.environ/AWS_REGION
            rpm: 6
            tpm: 50000
          - model_name: gpt-3.5
            litellm_params:
              model: anthropic/claude-3-5-haiku
              rpm: os.environ/HAIKU_RPM
          - model_name: nova
            litellm_params: {model: bedrock/amazon.nova-pro-v1:0}
        router_settings:
          routing_strategy: least-busy
          num_retries: 3
          fallbacks:
            - gpt-4: [gpt-3.5, nova]
            - gpt-3.5: nova
        litellm_settings:
          drop_params: true
          fallbacks: [{nova: [gpt-3.5]}, {gpt-4: [nova]}]
        general_settings:
          master_key: os.environ/LITELLM_MASTER_KEY
        environment_variables: {FOO: bar}
        tenant_limits:
          team-a: {rpm: 10, tpm: 5000}
          team-b: {rpm_limit: 2}
        default_tenant_limits: {rpm: 20}
        """

    @Test func readsALiteLLMProxyConfig() throws {
        let config = try GatewayConfig.parse(Self.full, file: "config.yaml", environment: ["HAIKU_RPM": "25"])
        #expect(config.groups == ["gpt-4", "gpt-3.5", "nova"])
        #expect(config.deployments.map(\.id) == ["sonnet-west", "gpt-4#2", "gpt-3.5#1", "nova#1"])
        #expect(config.deployments[0].limits == RateLimits(rpm: 3, tpm: 100_000))
        #expect(config.deployments[1].limits == RateLimits(rpm: 6, tpm: 50_000), "rpm/tpm on the entry itself")
        #expect(config.deployments[2].limits == RateLimits(rpm: 25, tpm: nil), "os.environ/ resolved")
        #expect(config.deployments[3].limits == RateLimits())
        #expect(config.deployments[0].region == "us-west-2")
        #expect(config.deployments[1].region == nil, "an os.environ region is not a literal")
        #expect(config.deployments[1].canonicalModel == "anthropic.claude-3-5-sonnet-20241022-v2:0")
        #expect(config.deployments[2].priceCandidates == ["anthropic/claude-3-5-haiku", "claude-3-5-haiku"])
        #expect(config.deployments[0].line == 3)
        #expect(config.routingStrategy == .leastBusy)
        #expect(config.numRetries == 3)
        #expect(config.fallbacks["gpt-4"] == ["gpt-3.5", "nova"], "router_settings wins over litellm_settings")
        #expect(config.fallbacks["gpt-3.5"] == ["nova"], "a single group may be a plain string")
        #expect(config.fallbacks["nova"] == ["gpt-3.5"], "litellm_settings.fallbacks are read too")
        #expect(config.tenantLimits["team-a"] == RateLimits(rpm: 10, tpm: 5000))
        #expect(config.tenantLimits["team-b"] == RateLimits(rpm: 2))
        #expect(config.defaultTenantLimits == RateLimits(rpm: 20))
        #expect(config.limits(forTenant: "team-c") == RateLimits(rpm: 20))
        #expect(config.limits(forTenant: nil) == nil)
        #expect(config.warnings.count == 1, "\(config.warnings)")
        #expect(config.warnings.first?.message.contains("given twice") == true)
    }

    @Test func unsetEnvironmentLimitIsAWarningAndNoLimit() throws {
        let config = try GatewayConfig.parse(Self.full, file: "config.yaml", environment: [:])
        #expect(config.deployments[2].limits.rpm == nil)
        let warning = try #require(config.warnings.first { $0.message.contains("HAIKU_RPM") })
        #expect(warning.line == 21)
        #expect(warning.description.hasPrefix("config.yaml:21: "))
    }

    @Test func defaultsAndUnknownStrategy() throws {
        let config = try GatewayConfig.parse("""
            model_list:
              - model_name: a
                litellm_params: {model: m1, rpm: 1}
              - model_name: b
                litellm_params: {model: m2}
            router_settings:
              routing_strategy: usage-based-routing-v2
              default_fallbacks: [b, ghost]
            """, file: "g.yaml")
        #expect(config.routingStrategy == .simpleShuffle)
        #expect(config.unsupportedStrategy == "usage-based-routing-v2")
        #expect(config.warnings.contains { $0.line == 7 && $0.message.contains("replayed as simple-shuffle") })
        #expect(config.defaultFallbacks == ["b"])
        #expect(config.fallbackList(of: "a") == ["b"])
        #expect(config.fallbackList(of: "b") == [], "a group never falls back to itself")
        #expect(config.warnings.contains { $0.message.contains("ghost") })
        #expect(config.numRetries == nil)
    }

    @Test func fallbacksToUnknownGroupsAreSkippedWithAWarning() throws {
        let config = try GatewayConfig.parse("""
            model_list:
              - model_name: a
                litellm_params: {model: m1}
            router_settings:
              fallbacks:
                - a: [missing, a]
                - ghost: [a]
            """, file: "g.yaml")
        #expect(config.fallbacks["a"] == [])
        #expect(config.fallbacks["ghost"] == nil)
        #expect(config.warnings.count == 3)
        #expect(config.warnings.allSatisfy { $0.line == 6 || $0.line == 7 })
    }

    @Test(arguments: [
        ("model_list:\n  - model_name: a\n    litellm_params: {model: m, rpm: lots}\n", 3, "rpm must be a non-negative whole number"),
        ("model_list:\n  - model_name: a\n    litellm_params: {model: m, tpm: -5}\n", 3, "tpm must be a non-negative whole number"),
        ("model_list:\n  - litellm_params: {model: m}\n", 2, "needs a model_name"),
        ("model_list:\n  - model_name: a\n", 2, "needs litellm_params"),
        ("model_list:\n  - model_name: a\n    litellm_params:\n      api_base: x\n", 4, "needs a model"),
        ("model_list:\n  - model_name: a\n    litellm_params: {model: m}\nrouter_settings:\n  fallbacks:\n    - a\n", 6,
         "must be a mapping of a model group to its fallback groups"),
        ("model_list:\n  - model_name: a\n    litellm_params: {model: m}\nrouter_settings:\n  fallbacks: {a: [b]}\n", 5,
         "must be a list of single-key mappings"),
        ("model_list:\n  - model_name: a\n    litellm_params: {model: m}\ntenant_limits:\n  t1: {rpm: x}\n", 5, "tenant_limits.t1.rpm"),
        ("model_list: []\n", 1, "model_list is empty"),
        ("general_settings: {}\n", 1, "has no model_list"),
        ("model_list:\n  - model_name: a\n    litellm_params: {model: m}\n    model_info: {id: x}\n  - model_name: b\n    litellm_params: {model: m}\n    model_info: {id: x}\n",
         5, "deployment id x is already used"),
        ("model_list:\n  - model_name: [a\n", 3, "not valid YAML"),
    ])
    func errorsNameFileAndLine(text: String, line: Int, message: String) throws {
        let error = try #require(throws: ReplayError.self) { try GatewayConfig.parse(text, file: "proxy.yaml") }
        #expect(error.file == "proxy.yaml")
        #expect(error.line == line, "\(error.errorDescription ?? "")")
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.errorDescription?.hasPrefix("proxy.yaml:\(line): ") == true)
    }

    @Test func shippedDemoConfigsLoad() throws {
        for name in ["demo-fallback", "demo-two-primaries", "demo-noisy-tenant", "demo-noisy-tenant-unlimited", "synth-gateway"] {
            let path = TestPaths.fixtures.appendingPathComponent("gateway/\(name).yaml").path
            let config = try GatewayConfig.load(path: path, environment: [:])
            #expect(config.warnings.isEmpty, "\(name): \(config.warnings)")
        }
        let synth = try GatewayConfig.load(path: TestPaths.fixtures.appendingPathComponent("gateway/synth-gateway.yaml").path)
        #expect(synth.deployments[1].limits == RateLimits(rpm: 1, tpm: 4000))
        #expect(synth.fallbacks["claude-sonnet"] == ["claude-haiku", "nova-pro"])
    }

    @Test func arrivalsCSV() throws {
        let arrivals = try ArrivalsFile.parse("""
            # comment
            ts,tenant,model_group,input_tokens,output_tokens
            2026-11-03T10:00:00Z,t1,a,10,5

            1793700000500,,"b,c",,
            1793700000000.25,t2,a,7,
            """, file: "a.csv")
        #expect(arrivals.count == 3)
        #expect(arrivals[0] == Arrival(timestampMicros: 1_793_700_000_000_000, tenant: "t1", modelGroup: "a", inputTokens: 10, outputTokens: 5))
        #expect(arrivals[1] == Arrival(timestampMicros: 1_793_700_000_500_000, tenant: nil, modelGroup: "b,c"))
        #expect(arrivals[2].timestampMicros == 1_793_700_000_000_250)
        #expect(arrivals[2].tokensKnown == false)
        #expect(arrivals[2].rateLimitTokens == 7)

        let reordered = try ArrivalsFile.parse("model_group,ts,extra\nx,1000,y\n", file: "b.csv")
        #expect(reordered == [Arrival(timestampMicros: 1_000_000, modelGroup: "x")])
        let headerless = try ArrivalsFile.parse("1000,t,x,1,2\n", file: "c.csv")
        #expect(headerless == [Arrival(timestampMicros: 1_000_000, tenant: "t", modelGroup: "x", inputTokens: 1, outputTokens: 2)])

        let badTime = try #require(throws: ReplayError.self) { try ArrivalsFile.parse("ts,tenant,model_group\nnoon,t,x\n", file: "d.csv") }
        #expect(badTime.errorDescription?.hasPrefix("d.csv:2: ") == true)
        let badTokens = try #require(throws: ReplayError.self) { try ArrivalsFile.parse("1000,t,x,-1,2\n", file: "e.csv") }
        #expect(badTokens.line == 1)
        let noGroup = try #require(throws: ReplayError.self) { try ArrivalsFile.parse("ts,tenant\n1000,t\n", file: "f.csv") }
        #expect(noGroup.message.contains("model_group"))
    }

    @Test func logicalRequestsFromLedgerRows() {
        var collector = LogicalRequestCollector()
        // A correlated request: failed on sonnet (429), served by haiku as fallback.
        collector.append(GatewayLogRow(timestampMicros: 100, correlation: "trace-1", tenant: "t1", modelGroup: "sonnet",
                                       servedModel: "s", latencyMs: 50, failed: true, fallbackAttempt: 0))
        collector.append(GatewayLogRow(timestampMicros: 200, correlation: "trace-1", tenant: "t1", modelGroup: "haiku",
                                       originalModelGroup: "sonnet", servedModel: "h", inputTokens: 30, outputTokens: 7,
                                       latencyMs: 900, fallbackAttempt: 1))
        // An uncorrelated row logged after a fallback: still asked for sonnet.
        collector.append(GatewayLogRow(timestampMicros: 150, tenant: "t2", modelGroup: "haiku", originalModelGroup: "sonnet",
                                       servedModel: "h", inputTokens: 1, outputTokens: 2, latencyMs: 800, fallbackAttempt: 1))
        // A plain success, and one without a model group.
        collector.append(GatewayLogRow(timestampMicros: 300, correlation: "trace-2", modelGroup: "haiku", servedModel: "h",
                                       inputTokens: 5, outputTokens: 6, cacheReadTokens: 4, latencyMs: 300, fallbackAttempt: 0))
        collector.append(GatewayLogRow(timestampMicros: 400, servedModel: "h"))
        let traffic = collector.finish()
        #expect(traffic.rows == 5)
        #expect(traffic.withoutModelGroup == 1)
        #expect(traffic.arrivals == [
            Arrival(timestampMicros: 100, tenant: "t1", modelGroup: "sonnet", inputTokens: 30, outputTokens: 7),
            Arrival(timestampMicros: 150, tenant: "t2", modelGroup: "sonnet", inputTokens: 1, outputTokens: 2),
            Arrival(timestampMicros: 300, tenant: nil, modelGroup: "haiku", inputTokens: 5, outputTokens: 6, cacheReadTokens: 4),
        ])
        #expect(traffic.latency.samples == ["h": [300]], "only successful first attempts are latency samples")
    }
}
