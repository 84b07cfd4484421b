/// The fixed world the synthetic traffic comes from: accounts, Regions, models, tenants, prices.
enum Catalog {
    struct Model: Sendable {
        enum Family: Sendable { case claude, nova, llama }
        let canonical: String
        let family: Family
        /// `model` field of Anthropic response bodies.
        let bodyName: String
        let ttftMs: Double
        let msPerToken: Double
        /// USD per million tokens: input, output, cache read, cache write.
        let price: (input: Double, output: Double, cacheRead: Double, cacheWrite: Double)
    }

    static let sonnet = 0, haiku = 1, novaPro = 2, novaLite = 3, llama31 = 4, llama33 = 5
    static let models: [Model] = [
        Model(canonical: "anthropic.claude-3-5-sonnet-20241022-v2:0", family: .claude, bodyName: "claude-3-5-sonnet-20241022",
              ttftMs: 640, msPerToken: 16, price: (3.0, 15.0, 0.30, 3.75)),
        Model(canonical: "anthropic.claude-3-5-haiku-20241022-v1:0", family: .claude, bodyName: "claude-3-5-haiku-20241022",
              ttftMs: 380, msPerToken: 7, price: (0.80, 4.0, 0.08, 1.0)),
        Model(canonical: "amazon.nova-pro-v1:0", family: .nova, bodyName: "", ttftMs: 430, msPerToken: 9,
              price: (0.80, 3.20, 0.20, 0)),
        Model(canonical: "amazon.nova-lite-v1:0", family: .nova, bodyName: "", ttftMs: 240, msPerToken: 4,
              price: (0.06, 0.24, 0.015, 0)),
        Model(canonical: "meta.llama3-1-70b-instruct-v1:0", family: .llama, bodyName: "", ttftMs: 520, msPerToken: 14,
              price: (0.72, 0.72, 0, 0)),
        Model(canonical: "meta.llama3-3-70b-instruct-v1:0", family: .llama, bodyName: "", ttftMs: 480, msPerToken: 13,
              price: (0.72, 0.72, 0, 0)),
    ]

    /// (strong, cheap) model of each prompt router, by `Call.router`: 0 the account's own router, 1 the default
    /// `anthropic.claude:1` router. A router's served model is always one of its two tiers.
    static let promptRouterTiers: [(strong: Int, cheap: Int)] = [(sonnet, haiku), (sonnet, haiku)]

    struct Region: Sendable {
        let name: String
        /// System inference-profile prefix of the Region's geography.
        let geo: String
        /// Regions a cross-Region profile from here may run in (the source Region included).
        let destinations: [String]
        /// Cumulative weights over `destinations`.
        let destinationWeights: [Double]
        /// UTC hour of the daily traffic peak (local working hours).
        let peakHourUTC: Double
    }

    static let regions: [Region] = [
        Region(name: "us-east-1", geo: "us", destinations: ["us-east-1", "us-east-2", "us-west-2"],
               destinationWeights: [0.30, 0.55, 1.0], peakHourUTC: 15),
        Region(name: "eu-west-1", geo: "eu", destinations: ["eu-west-1", "eu-central-1", "eu-west-3", "eu-north-1"],
               destinationWeights: [0.35, 0.70, 0.85, 1.0], peakHourUTC: 11),
        Region(name: "ap-northeast-1", geo: "apac", destinations: ["ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2"],
               destinationWeights: [0.40, 0.65, 0.85, 1.0], peakHourUTC: 4),
    ]

    struct Account: Sendable {
        let id: String
        /// (role, session) pairs behind `assumed-role/<role>/<session>`.
        let roles: [(role: String, session: String)]
        let routerId: String
        var bucket: String { "routeledger-bedrock-logs-\(id)" }
    }

    static let accounts: [Account] = [
        Account(id: "482913570214", roles: [("chat-backend-prod-lambdaRole", "chat-backend-invoker"),
                                           ("support-copilot-EcsTaskRole", "4f1c2e9a7b3d4c58"),
                                           ("data-science-SageMakerExecutionRole", "SageMaker")],
                routerId: "x4m1yq0dx0kq"),
        Account(id: "739104628351", roles: [("rag-api-prod-taskRole", "rag-api"),
                                           ("batch-summarizer-lambdaRole", "batch-summarizer-fn")],
                routerId: "7hf2kq9wz1cd"),
        Account(id: "205837461920", roles: [("ie-staging-claudeInvoker-us-east-1-lambdaRole", "ie-staging-claudeInvoker"),
                                           ("analytics-etl-GlueJobRole", "GlueJobRunSession")],
                routerId: "p0r8t3mzx6ab"),
    ]

    /// Log streams: (account, Region, share of Bedrock traffic). Routers live in us-east-1.
    static let streams: [(account: Int, region: Int, weight: Double)] = [
        (0, 0, 0.30), (0, 1, 0.08), (0, 2, 0.04),
        (1, 0, 0.22), (1, 1, 0.10), (1, 2, 0.03),
        (2, 0, 0.12), (2, 1, 0.03), (2, 2, 0.08),
    ]

    static let tenants = ["t-acme", "t-globex", "t-initech", "t-umbrella", "t-hooli", "t-stark", "t-wayne", "t-tyrell"]
    /// Zipf (s = 1.1) cumulative weights over `tenants`.
    static let tenantWeights: [Double] = {
        var total = 0.0
        return tenants.indices.map { k in
            // 1 / (k+1)^1.1 written with DetMath so it is identical everywhere.
            total += 1.0 / (Double(k + 1) * DetMath.exp(0.1 * naturalLog(Double(k + 1))))
            return total
        }
    }()

    /// ln x for the small positive integers above (series on the mantissa; deterministic).
    static func naturalLog(_ x: Double) -> Double {
        var e = 0
        var m = x
        while m > 1.5 { m /= 2; e += 1 }
        // ln(m) = 2 artanh((m-1)/(m+1))
        let y = (m - 1) / (m + 1)
        var term = y, sum = 0.0, k = 1.0
        for _ in 0..<30 { sum += term / k; term *= y * y; k += 2 }
        return 2 * sum + Double(e) * DetMath.ln2
    }

    static let notJSONLines: [String] = [
        "<html><head><title>503 Service Unavailable</title></head><body>Service Unavailable</body></html>",
        "ERROR connection reset by peer while flushing batch",
        "#Version: 1.0 this is not a log record",
        "\u{1F}\u{8B} garbage bytes where a record should be",
    ]

    static let notRecordLines: [String] = [
        "{\"hello\":1}",
        "{\"message\":\"heartbeat\",\"level\":\"info\"}",
        "{\"schemaType\":\"SomethingElse\",\"schemaVersion\":\"2.0\",\"note\":\"not an invocation log\"}",
        "{}",
    ]

    // MARK: LiteLLM

    struct Deployment: Sendable {
        let model: String
        let apiBase: String
        let modelId: String
        let servedModel: Int
    }

    struct ModelGroup: Sendable {
        let name: String
        let deployments: [Deployment]
    }

    static let litellmGroups: [ModelGroup] = {
        var ids = SplitMix64(0x5EED_0F_DE91_0733)
        func hash() -> String {
            var out: [UInt8] = []
            for _ in 0..<4 {
                var v = ids.next()
                for _ in 0..<16 { out.append(hexDigits[Int(v & 0xF)]); v >>= 4 }
            }
            return String(decoding: out, as: UTF8.self)
        }
        return [
            ModelGroup(name: "claude-sonnet", deployments: [
                Deployment(model: "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
                           apiBase: "https://bedrock-runtime.us-east-1.amazonaws.com", modelId: hash(), servedModel: sonnet),
                Deployment(model: "bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
                           apiBase: "https://bedrock-runtime.us-west-2.amazonaws.com", modelId: hash(), servedModel: sonnet),
            ]),
            ModelGroup(name: "claude-haiku", deployments: [
                Deployment(model: "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
                           apiBase: "https://bedrock-runtime.us-east-1.amazonaws.com", modelId: hash(), servedModel: haiku),
                Deployment(model: "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0",
                           apiBase: "https://bedrock-runtime.us-west-2.amazonaws.com", modelId: hash(), servedModel: haiku),
            ]),
            ModelGroup(name: "nova-pro", deployments: [
                Deployment(model: "bedrock/amazon.nova-pro-v1:0",
                           apiBase: "https://bedrock-runtime.us-east-1.amazonaws.com", modelId: hash(), servedModel: novaPro),
            ]),
        ]
    }()

    struct Team: Sendable {
        let alias: String
        let id: String
        let keyAliases: [String]
        let keyHashes: [String]
    }

    static let teams: [Team] = {
        var ids = SplitMix64(0x7EA4_5EED)
        func uuid() -> String { var r = Rng(seed: ids.next()); return String(decoding: r.uuid(), as: UTF8.self) }
        func hash() -> String { var r = Rng(seed: ids.next()); var o: [UInt8] = []; r.hex(64, into: &o); return String(decoding: o, as: UTF8.self) }
        let spec: [(String, [String])] = [
            ("search", ["search-prod", "search-batch"]),
            ("support", ["support-bot", "support-agent-assist"]),
            ("analytics", ["analytics-notebooks"]),
            ("growth", ["growth-experiments", "growth-email"]),
            ("platform", ["platform-evals"]),
        ]
        return spec.map { alias, keys in
            Team(alias: alias, id: uuid(), keyAliases: keys, keyHashes: keys.map { _ in hash() })
        }
    }()

    static let teamWeights: [Double] = [0.38, 0.66, 0.80, 0.93, 1.0]
}
