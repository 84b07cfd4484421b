/// Writes one hour of LiteLLM `StandardLoggingPayload` objects (S3 callback layout, one JSON per object)
/// and the matching `LiteLLM_SpendLogs` rows for a subset of them.
struct LiteLLMChunkGenerator {
    static let redacted = "redacted by litellm. 'litellm.turn_off_message_logging=True'"
    static let userAgents = ["OpenAI/Python 1.54.3", "litellm/1.63.11", "AsyncOpenAI/Python 1.59.7", "langchain-openai/0.3.1"]
    static let spendColumns = [
        "request_id", "session_id", "call_type", "api_key", "cache_hit", "startTime", "endTime", "completionStartTime",
        "request_duration_ms", "model", "user", "team_id", "organization_id", "metadata", "cache_key", "spend",
        "total_tokens", "prompt_tokens", "completion_tokens", "request_tags", "end_user", "api_base", "model_group",
        "model_id", "requester_ip_address", "custom_llm_provider", "messages", "response", "proxy_server_request",
        "status", "mcp_namespaced_tool_name", "agent_id",
    ]

    struct Request {
        var id: [UInt8] = []
        var callId: [UInt8] = []
        var trace: [UInt8] = []
        var team: Int
        var key: Int
        var tenant: Int?
        var requestedGroup: Int
        var servedGroup: Int
        var deployment: Int
        var attemptedFallbacks: Int
        var errorCode: String?
        var errorClass = ""
        var stream: Bool
        var startMicros: Int64
        var endMicros: Int64 = 0
        var completionStartMicros: Int64 = 0
        var input = 0, output = 0, cacheRead = 0, cacheWrite = 0
        var cost = 0.0
        var truncated = false
        var maxTokens = 1024
        var temperature = 0
        var user: Int
        var ip: Int
        var userAgent: Int
        var success: Bool { errorCode == nil }
        var promptTokens: Int { input + cacheRead + cacheWrite }
    }

    struct FollowUp {
        var trace: [UInt8]
        var team: Int, key: Int, tenant: Int?, user: Int, ip: Int, userAgent: Int
        var group: Int
    }

    let spec: LiteLLMChunkSpec
    let withBodies: Bool
    var rng: Rng
    let vocab = Vocabulary.python
    var result = UnitResult(source: .litellm)

    init(spec: LiteLLMChunkSpec, withBodies: Bool) {
        self.spec = spec
        self.withBodies = withBodies
        rng = Rng(seed: spec.seed)
    }

    mutating func generate() -> UnitResult {
        let n = spec.records
        var starts = (0..<n).map { _ in spec.hourStart * 1_000_000 + Int64(rng.below(3_600_000_000)) }
        starts.sort()
        let redactAll = !withBodies || rng.chance(0.2)      // `turn_off_message_logging` on this proxy for the hour
        let stringTimes = rng.chance(0.15)                   // times serialized as strings (GCS fixture style)
        var followUp: FollowUp?
        var failureTraces: Set<[UInt8]> = []
        for i in 0..<n {
            var r = makeRequest(start: starts[i], followUp: followUp)
            followUp = nil
            if !r.success {
                if r.attemptedFallbacks > 0 && rng.chance(0.5) {
                    followUp = FollowUp(trace: r.trace, team: r.team, key: r.key, tenant: r.tenant, user: r.user,
                                        ip: r.ip, userAgent: r.userAgent, group: r.requestedGroup)
                }
                failureTraces.insert(r.trace)
            } else if failureTraces.contains(r.trace) {
                result.counts.failuresRetriedLater += 1
                failureTraces.remove(r.trace)
            }
            finishTiming(&r)
            let layout: JSONOut.Layout = rng.chance(0.3) ? .pretty : .python
            var w = JSONOut(layout: layout, escaping: .python, capacity: 8192)
            writePayload(&w, r, redacted: redactAll, stringTimes: stringTimes)
            let name = "litellm/\(PathText.day(r.startMicros / 1_000_000))/time-\(PathText.litellmTime(epochMicros: r.startMicros))_\(String(decoding: r.id, as: UTF8.self)).json"
            result.files.append(OutputFile(path: name, data: w.bytes, uncompressedSize: w.bytes.count))
            Self.tally(&result.counts, r)
            if rng.chance(0.7) {
                writeSpendRow(r)
                Self.tally(&result.spendCounts, r)
            }
        }
        return result
    }

    // MARK: request

    mutating func makeRequest(start: Int64, followUp: FollowUp?) -> Request {
        let team = followUp?.team ?? rng.pick(cumulative: Catalog.teamWeights)
        let key = followUp?.key ?? rng.below(Catalog.teams[team].keyAliases.count)
        var r = Request(team: team, key: key, requestedGroup: 0, servedGroup: 0, deployment: 0, attemptedFallbacks: 0,
                        stream: rng.chance(0.45), startMicros: start, user: followUp?.user ?? rng.below(40),
                        ip: followUp?.ip ?? rng.below(250), userAgent: followUp?.userAgent ?? rng.below(Self.userAgents.count))
        rng.uuid(into: &r.callId)
        if let followUp {
            r.trace = followUp.trace
            r.tenant = followUp.tenant
            r.requestedGroup = followUp.group
            r.servedGroup = followUp.group
        } else {
            rng.uuid(into: &r.trace)
            r.tenant = rng.chance(0.85) ? rng.pick(cumulative: Catalog.tenantWeights) : nil
            let g = rng.unit()
            r.requestedGroup = g < 0.45 ? 0 : g < 0.85 ? 1 : 2
            r.servedGroup = r.requestedGroup
            if r.requestedGroup == 0 && rng.chance(0.08) {
                // Sonnet answered 429: the router falls back to the haiku group.
                r.attemptedFallbacks = 1
                if rng.chance(0.75) {
                    r.servedGroup = 1
                } else {
                    r.errorCode = "429"; r.errorClass = "RateLimitError"   // all fallbacks failed
                }
            } else if rng.chance(0.012) {
                if rng.chance(0.8) { r.errorCode = "429"; r.errorClass = "RateLimitError" }
                else { r.errorCode = "503"; r.errorClass = "ServiceUnavailableError" }
            }
        }
        let group = Catalog.litellmGroups[r.servedGroup]
        r.deployment = rng.below(group.deployments.count)
        let model = Catalog.models[group.deployments[r.deployment].servedModel]
        r.maxTokens = BedrockFileGenerator.maxTokenChoices[rng.below(4)]
        r.temperature = rng.below(BedrockFileGenerator.temperatures.count)
        if r.success {
            r.input = max(5, min(60_000, Int(rng.logNormal(median: 500, sigma: 0.9))))
            var out = max(1, Int(rng.logNormal(median: r.servedGroup == 0 ? 230 : 160, sigma: 0.8)))
            r.truncated = out >= r.maxTokens
            out = min(out, r.maxTokens)
            r.output = out
            if model.family == .claude && rng.chance(0.2) {
                let cached = max(1024, Int(rng.logNormal(median: 2400, sigma: 0.5)))
                if rng.chance(0.7) { r.cacheRead = cached } else { r.cacheWrite = cached }
            }
            let p = model.price
            let cost = (Double(r.input) * p.input + Double(r.output) * p.output + Double(r.cacheRead) * p.cacheRead
                        + Double(r.cacheWrite) * p.cacheWrite) / 1_000_000
            r.cost = (cost * 1e12).rounded() / 1e12
        }
        return r
    }

    mutating func finishTiming(_ r: inout Request) {
        let model = Catalog.models[Catalog.litellmGroups[r.servedGroup].deployments[r.deployment].servedModel]
        let fallbackDelay = r.attemptedFallbacks > 0 ? rng.logNormal(median: 900, sigma: 0.4) : 0
        let ttft = model.ttftMs * rng.logNormal(median: 1, sigma: 0.3) + fallbackDelay + 40
        let total = r.success ? ttft + Double(r.output) * model.msPerToken * rng.logNormal(median: 1, sigma: 0.2)
                              : ttft + rng.logNormal(median: 300, sigma: 0.5)
        r.endMicros = r.startMicros + Int64(total * 1000)
        r.completionStartMicros = r.success && r.stream ? r.startMicros + Int64(ttft * 1000) : r.endMicros
        r.id = r.success ? Array("chatcmpl-".utf8) + rng.uuid() : r.callId   // failures log the call id as id
    }

    // MARK: payload

    static func servedCanonical(_ r: Request) -> String {
        Catalog.models[Catalog.litellmGroups[r.servedGroup].deployments[r.deployment].servedModel].canonical
    }

    func time(_ w: inout JSONOut, _ micros: Int64, asString: Bool) {
        if asString {
            w.openString(); w.bytes.appendPythonDateTime(epochMicros: micros); w.closeString()
        } else {
            w.double(Double(micros) / 1_000_000)
        }
    }

    func writeUsageObject(_ w: inout JSONOut, _ r: Request) {
        w.beginObject()
        w.key("completion_tokens"); w.int(r.output)
        w.key("prompt_tokens"); w.int(r.promptTokens)
        w.key("total_tokens"); w.int(r.promptTokens + r.output)
        w.key("completion_tokens_details"); w.null()
        w.key("prompt_tokens_details"); w.beginObject()
        w.key("audio_tokens"); w.null()
        w.key("cached_tokens"); w.int(r.cacheRead)
        w.endObject()
        w.key("cache_creation_input_tokens"); w.int(r.cacheWrite)
        w.key("cache_read_input_tokens"); w.int(r.cacheRead)
        w.endObject()
    }

    func writeErrorInformation(_ w: inout JSONOut, _ r: Request) {
        w.beginObject()
        if let code = r.errorCode {
            w.key("error_code"); w.string(code)
            w.key("error_class"); w.string(r.errorClass)
            w.key("llm_provider"); w.string("bedrock")
            w.key("traceback"); w.string("Traceback (most recent call last):\n  File \"/usr/lib/python3.11/site-packages/litellm/main.py\", line 2771, in completion\n    response = bedrock_converse_chat_completion.completion(\nlitellm.exceptions.\(r.errorClass): BedrockException - Too many requests, please wait before trying again.\n")
            w.key("error_message"); w.string(errorString(r))
            w.key("error_rate_limit_category"); if code == "429" { w.string("vendor_rate_limit") } else { w.null() }
        } else {
            for k in ["error_code", "error_class", "llm_provider", "traceback", "error_message"] {
                w.key(bytes: Array(k.utf8)); w.string("")
            }
        }
        w.endObject()
    }

    func errorString(_ r: Request) -> String {
        r.errorCode == "429"
            ? "litellm.RateLimitError: BedrockException - {\"message\":\"Too many requests, please wait before trying again.\"}"
            + (r.attemptedFallbacks > 0 ? " Received Model Group=claude-sonnet\nAvailable Model Group Fallbacks=['claude-haiku']" : "")
            : "litellm.ServiceUnavailableError: BedrockException - {\"message\":\"Bedrock is unable to process your request.\"}"
    }

    mutating func writePayload(_ w: inout JSONOut, _ r: Request, redacted: Bool, stringTimes: Bool) {
        let team = Catalog.teams[r.team]
        let group = Catalog.litellmGroups[r.servedGroup]
        let deployment = group.deployments[r.deployment]
        let model = Catalog.models[deployment.servedModel]
        w.beginObject()
        w.key("id"); w.string(escaped: r.id)
        w.key("trace_id"); w.string(escaped: r.trace)
        w.key("litellm_call_id"); w.string(escaped: r.callId)
        w.key("call_type"); w.string("acompletion")
        w.key("cache_hit"); w.null()
        w.key("stream"); w.bool(r.stream)
        w.key("status"); w.string(r.success ? "success" : "failure")
        w.key("status_fields"); w.beginObject()
        w.key("llm_api_status"); w.string(r.success ? "success" : "failure")
        w.key("guardrail_status"); w.string("not_run")
        w.endObject()
        w.key("custom_llm_provider"); w.string("bedrock")
        w.key("saved_cache_cost"); w.double(0)
        w.key("startTime"); time(&w, r.startMicros, asString: stringTimes)
        w.key("endTime"); time(&w, r.endMicros, asString: stringTimes)
        w.key("completionStartTime"); time(&w, r.completionStartMicros, asString: stringTimes)
        w.key("response_time"); w.double(Double((r.stream && r.success ? r.completionStartMicros : r.endMicros) - r.startMicros) / 1_000_000)
        w.key("model"); w.string(deployment.model)
        w.key("metadata"); w.beginObject()
        w.key("user_api_key_hash"); w.string(team.keyHashes[r.key])
        w.key("user_api_key_alias"); w.string(team.keyAliases[r.key])
        w.key("user_api_key_org_id"); w.null()
        w.key("user_api_key_team_id"); w.string(team.id)
        w.key("user_api_key_user_id"); w.null()
        w.key("user_api_key_team_alias"); w.string(team.alias)
        w.key("user_api_key_user_email"); w.null()
        w.key("spend_logs_metadata")
        if let tenant = r.tenant { w.beginObject(); w.key("tenant_id"); w.string(Catalog.tenants[tenant]); w.endObject() } else { w.null() }
        w.key("requester_ip_address"); w.string("10.20.\(r.ip / 16).\(r.ip % 250 + 2)")
        w.key("requester_metadata")
        if let tenant = r.tenant {
            w.beginObject(); w.key("tenant_id"); w.string(Catalog.tenants[tenant]); w.key("trace_id"); w.string(escaped: r.trace); w.endObject()
        } else { w.beginObject(); w.endObject() }
        w.key("user_api_key_end_user_id"); w.null()
        w.key("prompt_management_metadata"); w.null()
        w.key("applied_guardrails"); w.beginArray(); w.endArray()
        w.key("mcp_tool_call_metadata"); w.null()
        w.key("vector_store_request_metadata"); w.null()
        w.key("guardrail_information"); w.null()
        w.key("usage_object"); writeUsageObject(&w, r)
        w.key("attempted_fallbacks"); w.int(r.attemptedFallbacks)
        w.key("original_model_group"); w.string(Catalog.litellmGroups[r.requestedGroup].name)
        w.key("attempted_retries"); w.int(0)
        w.endObject()
        w.key("cache_key"); w.null()
        w.key("response_cost"); w.double(r.cost)
        w.key("total_tokens"); w.int(r.promptTokens + r.output)
        w.key("prompt_tokens"); w.int(r.promptTokens)
        w.key("completion_tokens"); w.int(r.output)
        w.key("request_tags"); w.beginArray(); w.string("env:prod"); w.string("team:\(team.alias)"); w.endArray()
        w.key("end_user"); w.string(r.user % 3 == 0 ? "" : "user-\(r.user)")
        w.key("api_base"); w.string(deployment.apiBase)
        w.key("model_group"); w.string(group.name)
        w.key("model_id"); w.string(deployment.modelId)
        w.key("requester_ip_address"); w.string("10.20.\(r.ip / 16).\(r.ip % 250 + 2)")
        w.key("user_agent"); w.string(Self.userAgents[r.userAgent])
        w.key("messages")
        if redacted {
            w.string(Self.redacted)
        } else {
            w.beginArray()
            if rng.chance(0.5) {
                w.beginObject(); w.key("role"); w.string("system"); w.key("content"); text(&w, rng.int(80...600)); w.endObject()
            }
            w.beginObject(); w.key("role"); w.string("user"); w.key("content"); text(&w, min(6000, r.input * 4)); w.endObject()
            w.endArray()
        }
        w.key("response")
        if !r.success {
            w.beginObject(); w.endObject()
        } else if redacted {
            w.string(Self.redacted)
        } else {
            w.beginObject()
            w.key("id"); w.string(escaped: r.id)
            w.key("created"); w.int(Int(r.endMicros / 1_000_000))
            w.key("model"); w.string(model.canonical)
            w.key("object"); w.string("chat.completion")
            w.key("system_fingerprint"); w.null()
            w.key("choices"); w.beginArray(); w.beginObject()
            w.key("finish_reason"); w.string(r.truncated ? "length" : "stop")
            w.key("index"); w.int(0)
            w.key("message"); w.beginObject()
            w.key("content"); text(&w, max(8, min(5000, r.output * 4)))
            w.key("role"); w.string("assistant")
            w.key("tool_calls"); w.null()
            w.key("function_call"); w.null()
            w.endObject()
            w.endObject(); w.endArray()
            w.key("usage"); writeUsageObject(&w, r)
            w.endObject()
        }
        w.key("model_parameters"); w.beginObject()
        w.key("temperature"); w.raw(BedrockFileGenerator.temperatures[r.temperature])
        w.key("max_tokens"); w.int(r.maxTokens)
        if r.stream { w.key("stream"); w.bool(true) }
        w.endObject()
        w.key("hidden_params"); w.beginObject()
        w.key("model_id"); w.string(deployment.modelId)
        w.key("cache_key"); w.null()
        w.key("api_base"); w.string(deployment.apiBase)
        w.key("response_cost"); w.double(r.cost)
        w.key("additional_headers"); w.beginObject()
        if r.success {
            w.key("x-litellm-attempted-fallbacks"); w.int(r.attemptedFallbacks)
            w.key("x-litellm-attempted-retries"); w.int(0)
            w.key("x-litellm-max-fallbacks"); w.int(1)
        }
        w.endObject()
        w.key("litellm_overhead_time_ms"); w.double(Double(rng.int(800...9000)) / 1000)
        w.key("batch_models"); w.null()
        w.key("litellm_model_name"); w.string(deployment.model)
        w.key("usage_object"); writeUsageObject(&w, r)
        w.endObject()
        w.key("model_map_information"); w.beginObject()
        w.key("model_map_key"); w.string(String(deployment.model.dropFirst("bedrock/".count)))
        w.key("model_map_value"); w.beginObject()
        w.key("key"); w.string(model.canonical)
        w.key("max_tokens"); w.int(8192)
        w.key("max_input_tokens"); w.int(model.family == .claude ? 200_000 : 300_000)
        w.key("max_output_tokens"); w.int(8192)
        w.key("input_cost_per_token"); w.double(model.price.input / 1_000_000)
        w.key("output_cost_per_token"); w.double(model.price.output / 1_000_000)
        w.key("cache_read_input_token_cost"); if model.price.cacheRead > 0 { w.double(model.price.cacheRead / 1_000_000) } else { w.null() }
        w.key("cache_creation_input_token_cost"); if model.price.cacheWrite > 0 { w.double(model.price.cacheWrite / 1_000_000) } else { w.null() }
        w.key("litellm_provider"); w.string("bedrock")
        w.key("mode"); w.string("chat")
        w.key("supports_prompt_caching"); w.bool(model.family == .claude)
        w.key("supports_function_calling"); w.bool(true)
        w.endObject()
        w.endObject()
        w.key("error_str"); if r.success { w.null() } else { w.string(errorString(r)) }
        w.key("error_information"); writeErrorInformation(&w, r)
        w.key("response_cost_failure_debug_info"); w.null()
        w.key("guardrail_information"); w.null()
        w.key("standard_built_in_tools_params"); w.beginObject()
        w.key("web_search_options"); w.null()
        w.key("file_search"); w.null()
        w.endObject()
        w.endObject()
    }

    mutating func text(_ w: inout JSONOut, _ target: Int) {
        w.openString()
        vocab.write(target: target, rng: &rng, into: &w.bytes)
        w.closeString()
    }

    // MARK: spend logs

    func spendMetadata(_ r: Request) -> [UInt8] {
        let team = Catalog.teams[r.team]
        var m = JSONOut(layout: .python, escaping: .python, capacity: 1024)
        m.beginObject()
        m.key("applied_guardrails"); m.beginArray(); m.endArray()
        m.key("attempted_fallbacks"); m.int(r.attemptedFallbacks)
        m.key("original_model_group"); m.string(Catalog.litellmGroups[r.requestedGroup].name)
        m.key("attempted_retries"); m.int(0)
        m.key("max_retries"); m.int(2)
        m.key("batch_models"); m.null()
        m.key("usage_object"); writeUsageObject(&m, r)
        m.key("user_api_key"); m.string(team.keyHashes[r.key])
        m.key("user_api_key_alias"); m.string(team.keyAliases[r.key])
        m.key("user_api_key_team_id"); m.string(team.id)
        m.key("user_api_key_org_id"); m.null()
        m.key("user_api_key_user_id"); m.null()
        m.key("user_api_key_team_alias"); m.string(team.alias)
        m.key("spend_logs_metadata")
        if let tenant = r.tenant { m.beginObject(); m.key("tenant_id"); m.string(Catalog.tenants[tenant]); m.endObject() } else { m.null() }
        m.key("requester_ip_address"); m.string("10.20.\(r.ip / 16).\(r.ip % 250 + 2)")
        m.key("status"); m.string(r.success ? "success" : "failure")
        m.key("error_information")
        if r.success { m.null() } else { writeErrorInformation(&m, r) }
        m.endObject()
        return m.bytes
    }

    /// One spend-log row: a JSON line and the same values as a CSV record.
    mutating func writeSpendRow(_ r: Request) {
        let team = Catalog.teams[r.team]
        let group = Catalog.litellmGroups[r.servedGroup]
        let deployment = group.deployments[r.deployment]
        let metadata = spendMetadata(r)
        var start: [UInt8] = [], end: [UInt8] = [], completion: [UInt8] = []
        start.appendPythonDateTime(epochMicros: r.startMicros)
        end.appendPythonDateTime(epochMicros: r.endMicros)
        completion.appendPythonDateTime(epochMicros: r.completionStartMicros)
        let tags = Array("[\"env:prod\", \"team:\(team.alias)\"]".utf8)
        let ip = Array("10.20.\(r.ip / 16).\(r.ip % 250 + 2)".utf8)
        enum V { case s([UInt8]), i(Int), d(Double), null }
        let values: [V] = [
            .s(r.id), .s(r.trace), .s(Array("acompletion".utf8)), .s(Array(team.keyHashes[r.key].utf8)),
            .s(Array("None".utf8)), .s(start), .s(end), .s(completion), .i(Int((r.endMicros - r.startMicros) / 1000)),
            .s(Array(deployment.model.utf8)), .s(Array((r.user % 3 == 0 ? "" : "user-\(r.user)").utf8)), .s(Array(team.id.utf8)),
            .s([]), .s(metadata), .s(Array("Cache OFF".utf8)), .d(r.cost),
            .i(r.promptTokens + r.output), .i(r.promptTokens), .i(r.output), .s(tags), .s([]),
            .s(Array(deployment.apiBase.utf8)), .s(Array(group.name.utf8)), .s(Array(deployment.modelId.utf8)), .s(ip),
            .s(Array("bedrock".utf8)), .s(Array("{}".utf8)), .s(Array("{}".utf8)), .s(Array("{}".utf8)),
            .s(Array((r.success ? "success" : "failure").utf8)), .null, .null,
        ]
        var w = JSONOut(layout: .python, escaping: .python, appendingTo: result.spendJSONL)
        result.spendJSONL = []
        w.beginObject()
        for (column, value) in zip(Self.spendColumns, values) {
            w.key(bytes: Array(column.utf8))
            switch value {
            case .s(let b): w.string(bytes: b)
            case .i(let v): w.int(v)
            case .d(let v): w.double(v)
            case .null: w.null()
            }
        }
        w.endObject()
        w.bytes.append(UInt8(ascii: "\n"))
        result.spendJSONL = w.bytes

        for (k, value) in values.enumerated() {
            if k > 0 { result.spendCSV.append(UInt8(ascii: ",")) }
            switch value {
            case .s(let b): csvField(b)
            case .i(let v): result.spendCSV.appendInt(v)
            case .d(let v): result.spendCSV.append(contentsOf: v.description.utf8)
            case .null: break
            }
        }
        result.spendCSV.append(UInt8(ascii: "\r")); result.spendCSV.append(UInt8(ascii: "\n"))
    }

    /// RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside.
    mutating func csvField(_ b: [UInt8]) {
        let special = b.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard special else { result.spendCSV.append(contentsOf: b); return }
        result.spendCSV.append(UInt8(ascii: "\""))
        for c in b {
            result.spendCSV.append(c)
            if c == UInt8(ascii: "\"") { result.spendCSV.append(c) }
        }
        result.spendCSV.append(UInt8(ascii: "\""))
    }

    static var csvHeader: [UInt8] { Array((spendColumns.joined(separator: ",") + "\r\n").utf8) }

    // MARK: tally

    static func tally(_ c: inout ExpectedCounts, _ r: Request) {
        c.records += 1
        c.operations.bump("acompletion")
        c.modelGroups.bump(Catalog.litellmGroups[r.servedGroup].name)
        c.teams.bump(Catalog.teams[r.team].alias)
        c.servedModels.bump(servedCanonical(r))
        if r.stream { c.streaming += 1 }
        if let tenant = r.tenant {
            c.withRequestMetadata += 1
            c.tenants.bump(Catalog.tenants[tenant])
        }
        if let code = r.errorCode {
            c.failures += 1
            c.failuresByErrorCode.bump(code)
        } else {
            c.successes += 1
            c.successesWithLatency += 1
            if r.attemptedFallbacks > 0 { c.fallbacks += 1 }
            c.inputTokens += Int64(r.input)
            c.outputTokens += Int64(r.output)
            c.cacheReadTokens += Int64(r.cacheRead)
            c.cacheWriteTokens += Int64(r.cacheWrite)
            c.costUSD += r.cost
        }
    }
}
