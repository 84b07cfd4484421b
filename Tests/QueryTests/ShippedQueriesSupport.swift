import Foundation
import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerQuery
import RouteLedgerTestSupport
import Testing

/// Collects a query's result in memory.
struct CollectingSink: ResultSink {
    var columns: [String] = []
    var rows: [[SQLValue]] = []
    mutating func begin(columns: [String]) throws { self.columns = columns }
    mutating func row(_ values: [SQLValue]) throws { rows.append(values) }
    mutating func end() throws {}
}

/// One result row, read by column name; a column the query does not have is a test failure.
struct ResultRow: CustomStringConvertible {
    let index: [String: Int]
    let values: [SQLValue]

    subscript(_ name: String) -> SQLValue {
        guard let position = index[name] else {
            Issue.record("the result has no column \(name) (has \(index.keys.sorted()))")
            return .null
        }
        return values[position]
    }

    func int(_ name: String) -> Int64? {
        switch self[name] {
        case .integer(let value): return value
        case .real(let value) where value == value.rounded(): return Int64(value)
        default: return nil
        }
    }

    func double(_ name: String) -> Double? {
        switch self[name] {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        default: return nil
        }
    }

    func text(_ name: String) -> String? {
        if case .text(let value) = self[name] { return value }
        return nil
    }

    func isNull(_ name: String) -> Bool { self[name] == .null }

    var description: String {
        index.sorted { $0.value < $1.value }.map { "\($0.key)=\(values[$0.value])" }.joined(separator: " ")
    }
}

struct QueryResult {
    var columns: [String]
    var rows: [ResultRow]
}

/// A row of `invocations_v` as stored, read without the query layer's view or functions.
struct RawRow {
    var id: Int64
    var sourceKind: String
    var requestId: String
    var tsMicros: Int64
    var hour: String
    var day: String
    var account: String?
    var region: String?
    var inferenceRegion: String?
    var model: String?
    var router: String?
    var servedModel: String?
    var modelGroup: String?
    var deployment: String?
    var status: String
    var errorCode: String?
    var tenant: String?
    var tokens: TokenCounts
    var latencyMs: Int64?
    var flags: Int64

    var failed: Bool { status == "failure" }
    /// The model a report counts the row under: the served one, or the requested one when nothing routed it.
    var effectiveModel: String? { servedModel ?? (router == nil ? model : nil) }
    /// README "throttled": failures with these codes.
    var throttled: Bool {
        failed && ["ThrottlingException", "TooManyRequestsException", "429", "RateLimitError", "rate_limit_error"]
            .contains(errorCode ?? "")
    }
}

/// A ledger built with the real binary, the config it is read with, and the window the tests use.
final class QueryLedger: @unchecked Sendable {
    let directory: TemporaryDirectory
    let path: String
    let routers: [RouterDefinition]
    let quotas: [TenantQuota]
    let catalog = PriceCatalog.builtIn()
    let since: Int64
    let until: Int64
    let sinceText: String
    let untilText: String

    static let queriesFolder = TestPaths.packageRoot.appendingPathComponent("queries")

    init(directory: TemporaryDirectory, path: String, routers: [RouterDefinition], quotas: [TenantQuota],
         since: String = "2026-11-01", until: String = "2026-11-02") {
        self.directory = directory
        self.path = path
        self.routers = routers
        self.quotas = quotas
        sinceText = since
        untilText = until
        self.since = TimeExpression.parseISO(since)!
        self.until = TimeExpression.parseISO(until)!
    }

    static func ingest(_ inputs: [String], into directory: TemporaryDirectory) throws -> String {
        let path = directory.path("ledger.sqlite")
        let result = try runProcess(TestPaths.builtExecutable.path,
                                    ["ingest"] + inputs + ["--db", path, "--max-ratio", "100", "--quiet"])
        try #require(result.status == 0, "ingest failed: \(result.stderr)")
        return path
    }

    /// The fixture corpus (2026-11-01) with the fixtures' config.
    static func fixtures() throws -> QueryLedger {
        let directory = try TemporaryDirectory("routeledger-queries")
        let path = try ingest([TestPaths.fixtures.appendingPathComponent("logs").path], into: directory)
        let config = try ConfigLoader.load(path: TestPaths.fixtures.appendingPathComponent("routeledger.yaml").path)
        try #require(!config.routers.isEmpty)
        return QueryLedger(directory: directory, path: path, routers: config.routers, quotas: config.quotas)
    }

    static func queryPath(_ name: String) -> String {
        queriesFolder.appendingPathComponent(name + ".sql").path
    }

    /// Runs a shipped query with `since`/`until` set to the window and every other parameter at its
    /// default unless given.
    func run(_ name: String, _ parameters: [String: String] = [:]) throws -> QueryResult {
        try run(QueryFile.load(path: Self.queryPath(name)), parameters, window: true)
    }

    func run(_ file: QueryFile, _ given: [String: String] = [:], window: Bool) throws -> QueryResult {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        var bound: [String: BoundValue] = [:]
        for parameter in file.parameters {
            var text = given[parameter.name]
            if window, text == nil, parameter.name == "since" { text = sinceText }
            if window, text == nil, parameter.name == "until" { text = untilText }
            let source = try #require(text ?? parameter.defaultText, "\(file.name): :\(parameter.name) has no value")
            let value: BoundValue = try #require(parameter.value(source, nowMicros: now),
                                                 "\(file.name): :\(parameter.name) = \(source) does not convert")
            bound[parameter.name] = value
        }
        let runner = try QueryRunner(ledgerPath: path, catalog: catalog, routers: routers)
        var sink = CollectingSink()
        try runner.run(file, parameters: bound, into: &sink)
        let index = Dictionary(uniqueKeysWithValues: sink.columns.enumerated().map { ($1, $0) })
        return QueryResult(columns: sink.columns, rows: sink.rows.map { ResultRow(index: index, values: $0) })
    }

    /// The report engine on the window: its state (per-hour cells) and its metrics.
    func engine(since: Int64? = nil, until: Int64? = nil) throws -> (state: MetricsState, metrics: WindowMetrics) {
        let since = since ?? self.since, until = until ?? self.until
        let frame = try FrameBuilder.load(ledgerPath: path, since: since, until: until)
        let state = Aggregator.aggregate(frame)
        let metrics = MetricsCalculator(catalog: catalog, routers: routers, quotas: quotas).compute(state, since: since, until: until)
        return (state, metrics)
    }

    /// Every row of `invocations_v` in the window, read with a plain SELECT; LiteLLM spend rows whose call
    /// also has a logging payload (same request id) are dropped here, in Swift.
    func rawRows() throws -> [RawRow] {
        let file = try QueryFile.parse("""
            SELECT id, source_kind, request_id, ts_us, hour, day, account, region, inference_region, model, router,
                   served_model, model_group, deployment, status, error_code, tenant, input_tokens, output_tokens,
                   cache_read_tokens, cache_write_tokens, latency_ms, flags
            FROM invocations_v ORDER BY ts_us, id
            """, path: "raw.sql")
        let all = try run(file, window: false).rows.map { row in
            RawRow(id: row.int("id")!, sourceKind: row.text("source_kind")!, requestId: row.text("request_id")!,
                   tsMicros: row.int("ts_us")!, hour: row.text("hour")!, day: row.text("day")!, account: row.text("account"),
                   region: row.text("region"), inferenceRegion: row.text("inference_region"), model: row.text("model"),
                   router: row.text("router"), servedModel: row.text("served_model"), modelGroup: row.text("model_group"),
                   deployment: row.text("deployment"), status: row.text("status")!, errorCode: row.text("error_code"),
                   tenant: row.text("tenant"),
                   tokens: TokenCounts(input: row.int("input_tokens") ?? 0, output: row.int("output_tokens") ?? 0,
                                       cacheRead: row.int("cache_read_tokens") ?? 0, cacheWrite: row.int("cache_write_tokens") ?? 0),
                   latencyMs: row.int("latency_ms"), flags: row.int("flags")!)
        }
        let payloads = Set(all.filter { $0.sourceKind == "litellm" }.map(\.requestId))
        return all.filter { row in
            row.tsMicros >= since && row.tsMicros < until
                && !(row.sourceKind == "litellm-spend" && payloads.contains(row.requestId))
        }
    }
}

func approximately(_ a: Double?, _ b: Double?, _ tolerance: Double = 1e-9) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case let (a?, b?): return abs(a - b) <= tolerance
    default: return false
    }
}

func hourText(_ hour: Int32) -> String {
    CivilCalendar.formatTimestamp(Int64(hour) * CivilCalendar.microsPerHour)
}

func dayText(_ micros: Int64) -> String {
    CivilCalendar.formatDay(Int(micros / CivilCalendar.microsPerDay))
}

// MARK: A hand-made ledger whose outcomes are known by construction

/// Records for `QueryLedger.scenario()`: correlated retries and fallbacks in both gateways, routers with and
/// without a config, a LiteLLM group that routes, and every reason a request goes unpriced.
enum ScenarioRecords {
    static let account = "111122223333"
    static let sonnet = "anthropic.claude-3-5-sonnet-20241022-v2:0"
    static let haiku = "anthropic.claude-3-5-haiku-20241022-v1:0"
    static let novaLite = "amazon.nova-lite-v1:0"
    static let configuredRouter = "arn:aws:bedrock:us-east-1:111122223333:prompt-router/cfg0000001"
    static let freeRouter = "arn:aws:bedrock:us-east-1:111122223333:prompt-router/free000001"
    static let profile = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/prof00001"

    static let routers = [
        RouterDefinition(id: configuredRouter, strong: sonnet, cheap: haiku, fallback: haiku),
        RouterDefinition(id: "smart", strong: sonnet, cheap: haiku, fallback: haiku),
    ]

    static func bedrock(_ id: String, _ time: String, model: String, tenant: String, trace: String? = nil,
                        error: String? = nil, input: Int? = 100, output: Int? = 50, cacheRead: Int? = nil,
                        cacheWrite: Int? = nil, served: String? = nil, account: String = account,
                        region: String = "us-east-1", inferenceRegion: String? = nil, latency: Int = 400) -> String {
        var metadata = #""tenant_id":"\#(tenant)""#
        if let trace { metadata += #","trace_id":"\#(trace)""# }
        var fields = [
            #""schemaType":"ModelInvocationLog""#, #""schemaVersion":"1.0""#, #""timestamp":"\#(time)""#,
            #""accountId":"\#(account)""#, #""identity":{"arn":"arn:aws:sts::\#(account):assumed-role/App/s1"}"#,
            #""region":"\#(region)""#, #""requestId":"\#(id)""#, #""operation":"Converse""#, #""modelId":"\#(model)""#,
            #""requestMetadata":{\#(metadata)}"#,
        ]
        if let inferenceRegion { fields.append(#""inferenceRegion":"\#(inferenceRegion)""#) }
        if let error {
            fields.append(#""errorCode":"\#(error)","input":{},"output":{}"#)
        } else {
            var inputFields = [#""inputContentType":"application/json""#,
                               #""inputBodyJson":{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#]
            if let input { inputFields.append(#""inputTokenCount":\#(input)"#) }
            if let cacheRead { inputFields.append(#""cacheReadInputTokenCount":\#(cacheRead)"#) }
            if let cacheWrite { inputFields.append(#""cacheWriteInputTokenCount":\#(cacheWrite)"#) }
            var body = #""output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn","metrics":{"latencyMs":\#(latency)}"#
            if let served { body += #","trace":{"promptRouter":{"invokedModelId":"arn:aws:bedrock:us-east-1::foundation-model/\#(served)"}}"# }
            var outputFields = [#""outputContentType":"application/json""#, #""outputBodyJson":{\#(body)}"#]
            if let output { outputFields.append(#""outputTokenCount":\#(output)"#) }
            fields.append(#""input":{\#(inputFields.joined(separator: ","))}"#)
            fields.append(#""output":{\#(outputFields.joined(separator: ","))}"#)
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func litellm(_ id: String, _ time: String, trace: String, model: String, group: String, team: String,
                        deployment: String, originalGroup: String? = nil, fallbacks: Int? = nil, failed: Bool = false,
                        seconds: Double = 1.25, prompt: Int = 200, completion: Int = 40) -> String {
        let start = Double(TimeExpression.parseISO(time)!) / 1_000_000
        var metadata = #""user_api_key_team_alias":"\#(team)""#
        if let fallbacks { metadata += #","attempted_fallbacks":\#(fallbacks)"# }
        if let originalGroup { metadata += #","original_model_group":"\#(originalGroup)""# }
        let error = failed ? #""error_code":"429","error_class":"RateLimitError","llm_provider":"bedrock""# : #""error_code":"","error_class":"""#
        return #"{"id":"\#(id)","trace_id":"\#(trace)","status":"\#(failed ? "failure" : "success")","model":"bedrock/\#(model)","model_group":"\#(group)","model_id":"\#(deployment)","custom_llm_provider":"bedrock","startTime":\#(start),"endTime":\#(start + seconds),"prompt_tokens":\#(failed ? 0 : prompt),"completion_tokens":\#(failed ? 0 : completion),"response_cost":0.001,"metadata":{\#(metadata)},"error_information":{\#(error)},"messages":[{"role":"user","content":"hi"}]}"#
    }

    static var bedrockLines: [String] {
        [
            // alpha — L1: throttled on Sonnet, served by Haiku: a gateway fallback.
            bedrock("b01", "2026-11-01T10:00:00Z", model: sonnet, tenant: "alpha", trace: "L1", error: "ThrottlingException"),
            bedrock("b02", "2026-11-01T10:00:01Z", model: haiku, tenant: "alpha", trace: "L1"),
            // alpha — L2: throttled, then served by the same model: a retried success.
            bedrock("b03", "2026-11-01T10:01:00Z", model: sonnet, tenant: "alpha", trace: "L2", error: "ThrottlingException"),
            bedrock("b04", "2026-11-01T10:01:01Z", model: sonnet, tenant: "alpha", trace: "L2", latency: 900),
            // beta first, gamma second — L3: failed on Sonnet, then on Haiku: failed after fallback, for beta.
            bedrock("b05", "2026-11-01T10:02:00Z", model: sonnet, tenant: "beta", trace: "L3", error: "ModelErrorException"),
            bedrock("b06", "2026-11-01T10:02:01Z", model: haiku, tenant: "gamma", trace: "L3", error: "ThrottlingException"),
            // beta — L4: failed twice on one model: failed without fallback.
            bedrock("b07", "2026-11-01T10:03:00Z", model: novaLite, tenant: "beta", trace: "L4", error: "ModelErrorException"),
            bedrock("b08", "2026-11-01T10:03:01Z", model: novaLite, tenant: "beta", trace: "L4", error: "ModelErrorException"),
            // gamma — L5: succeeded first; a later failure on another model changes nothing.
            bedrock("b09", "2026-11-01T10:04:00Z", model: sonnet, tenant: "gamma", trace: "L5", latency: 1500),
            bedrock("b10", "2026-11-01T10:04:01Z", model: haiku, tenant: "gamma", trace: "L5", error: "ThrottlingException"),
            // gamma — uncorrelated: one success, one throttled failure.
            bedrock("b11", "2026-11-01T10:05:00Z", model: novaLite, tenant: "gamma", latency: 250),
            bedrock("b12", "2026-11-01T10:05:30Z", model: novaLite, tenant: "gamma", error: "ThrottlingException"),
            // alpha — "SHARED" is also a LiteLLM trace id: the gateways never mix.
            bedrock("b13", "2026-11-01T11:00:01Z", model: sonnet, tenant: "alpha", trace: "SHARED", latency: 1100),
            // alpha — L6 starts before the window: only its success is seen (a plain success).
            bedrock("b14", "2026-10-31T23:59:59Z", model: sonnet, tenant: "alpha", trace: "L6", error: "ThrottlingException"),
            bedrock("b15", "2026-11-01T00:00:01Z", model: haiku, tenant: "alpha", trace: "L6", latency: 300),
            // delta — the configured router: Haiku (its fallback) twice, Sonnet once, once unresolved.
            bedrock("b16", "2026-11-01T12:00:00Z", model: configuredRouter, tenant: "delta", served: haiku, latency: 350),
            bedrock("b17", "2026-11-01T12:10:00Z", model: configuredRouter, tenant: "delta", served: sonnet, latency: 1200),
            bedrock("b18", "2026-11-01T12:20:00Z", model: configuredRouter, tenant: "delta", served: haiku, latency: 380),
            bedrock("b19", "2026-11-01T12:30:00Z", model: configuredRouter, tenant: "delta"),
            bedrock("b20", "2026-11-01T12:40:00Z", model: configuredRouter, tenant: "delta", error: "ThrottlingException"),
            // delta — a router without a config.
            bedrock("b21", "2026-11-01T13:00:00Z", model: freeRouter, tenant: "delta", served: sonnet, latency: 1300),
            bedrock("b22", "2026-11-01T13:05:00Z", model: freeRouter, tenant: "delta", served: haiku, latency: 420),
            // epsilon — unpriced for every reason.
            bedrock("b23", "2026-11-01T14:00:00Z", model: sonnet, tenant: "epsilon", input: nil, output: nil),
            bedrock("b24", "2026-11-01T14:01:00Z", model: "mistral.mistral-large-2407-v1:0", tenant: "epsilon"),
            bedrock("b25", "2026-11-01T14:02:00Z", model: novaLite, tenant: "epsilon", cacheWrite: 500),
            bedrock("b26", "2026-11-01T14:03:00Z", model: profile, tenant: "epsilon"),
            bedrock("b27", "2026-11-01T14:04:00Z", model: novaLite, tenant: "epsilon", cacheWrite: 10),
            // epsilon — cross-Region, two accounts; a failed call counts at its source.
            bedrock("b28", "2026-11-01T15:00:00Z", model: "us." + haiku, tenant: "epsilon", inferenceRegion: "us-west-2"),
            bedrock("b29", "2026-11-01T15:01:00Z", model: "us." + haiku, tenant: "epsilon", inferenceRegion: "us-east-2"),
            bedrock("b30", "2026-11-01T15:02:00Z", model: "us." + haiku, tenant: "epsilon", error: "ThrottlingException"),
            bedrock("b31", "2026-11-01T15:03:00Z", model: "eu." + sonnet, tenant: "epsilon", cacheRead: 300,
                    account: "444455556666", region: "eu-west-1", inferenceRegion: "eu-central-1"),
            bedrock("b32", "2026-11-01T15:04:00Z", model: novaLite, tenant: "epsilon", account: "444455556666", region: "eu-west-1"),
            // Outside the window: must not count anywhere.
            bedrock("b33", "2026-11-02T00:00:00Z", model: sonnet, tenant: "alpha"),
        ]
    }

    static var litellmLines: [String] {
        [
            // alpha — SHARED in LiteLLM: rate-limited on the Sonnet group, served by the Haiku group.
            litellm("m01", "2026-11-01T11:00:00Z", trace: "SHARED", model: sonnet, group: "claude-sonnet", team: "alpha",
                    deployment: "dep-sonnet-a", failed: true),
            litellm("m02", "2026-11-01T11:00:02Z", trace: "SHARED", model: haiku, group: "claude-haiku", team: "alpha",
                    deployment: "dep-haiku-a", originalGroup: "claude-sonnet", seconds: 0.75),
            // beta — the configured "smart" group: served by its fallback on the first logged attempt.
            litellm("m03", "2026-11-01T16:00:00Z", trace: "M3", model: haiku, group: "smart", team: "beta",
                    deployment: "dep-smart-h", originalGroup: "smart", fallbacks: 1, seconds: 0.5),
            litellm("m04", "2026-11-01T16:01:00Z", trace: "M4", model: sonnet, group: "smart", team: "beta",
                    deployment: "dep-smart-s", originalGroup: "smart", fallbacks: 0, seconds: 2.5),
            // beta — failed after LiteLLM tried a fallback.
            litellm("m05", "2026-11-01T16:02:00Z", trace: "M5", model: sonnet, group: "claude-sonnet", team: "beta",
                    deployment: "dep-sonnet-b", fallbacks: 1, failed: true),
            // gamma — "auto" routes (Sonnet and Haiku) without a config.
            litellm("m06", "2026-11-01T17:00:00Z", trace: "M6", model: sonnet, group: "auto", team: "gamma",
                    deployment: "dep-auto-1", seconds: 3.0),
            litellm("m07", "2026-11-01T17:01:00Z", trace: "M7", model: haiku, group: "auto", team: "gamma",
                    deployment: "dep-auto-2", seconds: 1.0),
            litellm("m08", "2026-11-01T17:02:00Z", trace: "M8", model: haiku, group: "auto", team: "gamma",
                    deployment: "dep-auto-2", seconds: 1.5),
            // gamma — first asked of "auto", served by the Haiku group: a request of the "auto" router.
            litellm("m09", "2026-11-01T17:03:00Z", trace: "M9", model: haiku, group: "claude-haiku", team: "gamma",
                    deployment: "dep-haiku-a", originalGroup: "auto", seconds: 0.9),
            // zeta — Z1: failed, then failed on the same model in another group: failed after a fallback (the
            // target is the group).
            litellm("z01", "2026-11-01T18:00:00Z", trace: "Z1", model: haiku, group: "claude-haiku-eu", team: "zeta",
                    deployment: "dep-haiku-eu", failed: true),
            litellm("z02", "2026-11-01T18:00:01Z", trace: "Z1", model: haiku, group: "claude-haiku", team: "zeta",
                    deployment: "dep-haiku-a", originalGroup: "claude-haiku-eu", failed: true),
            // zeta — Z3: another model in the same group after an error: a retry of the group, not a fallback.
            litellm("z03", "2026-11-01T18:01:00Z", trace: "Z3", model: sonnet, group: "mixed", team: "zeta",
                    deployment: "dep-mixed-s", failed: true),
            litellm("z04", "2026-11-01T18:01:01Z", trace: "Z3", model: haiku, group: "mixed", team: "zeta",
                    deployment: "dep-mixed-h", seconds: 0.7),
            // zeta — a failed call of the configured "smart" group: a request of the router, not a resolved one.
            litellm("z05", "2026-11-01T18:02:00Z", trace: "Z5", model: sonnet, group: "smart", team: "zeta",
                    deployment: "dep-smart-s", originalGroup: "smart", failed: true),
        ]
    }
}

extension QueryLedger {
    static func scenario() throws -> QueryLedger {
        let directory = try TemporaryDirectory("routeledger-scenario")
        let logs = directory.url.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try FixtureRecords.write(ScenarioRecords.bedrockLines, to: logs.appendingPathComponent("bedrock.jsonl").path)
        try FixtureRecords.write(ScenarioRecords.litellmLines, to: logs.appendingPathComponent("litellm.jsonl").path)
        let path = try ingest([logs.path], into: directory)
        return QueryLedger(directory: directory, path: path, routers: ScenarioRecords.routers, quotas: [])
    }
}
