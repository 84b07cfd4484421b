import Foundation

/// Builds small, exact Bedrock and LiteLLM records for tests, so expected counts are known by construction.
public enum FixtureRecords {
    public static func bedrock(id: String, time: String = "2026-11-01T10:00:00Z", model: String = "amazon.nova-lite-v1:0",
                               input: Int = 10, output: Int = 5, account: String = "111122223333",
                               region: String = "us-east-1", inferenceRegion: String? = nil, tenant: String? = nil,
                               errorCode: String? = nil, operation: String = "Converse", latency: Int? = 100,
                               servedModel: String? = nil, prompt: String = "hello") -> String {
        var fields = [
            #""schemaType":"ModelInvocationLog""#, #""schemaVersion":"1.0""#, #""timestamp":"\#(time)""#,
            #""accountId":"\#(account)""#, #""identity":{"arn":"arn:aws:sts::\#(account):assumed-role/App/s1"}"#,
            #""region":"\#(region)""#, #""requestId":"\#(id)""#, #""operation":"\#(operation)""#, #""modelId":"\#(model)""#,
        ]
        if let inferenceRegion { fields.append(#""inferenceRegion":"\#(inferenceRegion)""#) }
        if let tenant { fields.append(#""requestMetadata":{"tenant_id":"\#(tenant)"}"#) }
        if let errorCode {
            fields.append(#""errorCode":"\#(errorCode)","input":{},"output":{}"#)
        } else {
            var body = #""output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn""#
            if let latency { body += #","metrics":{"latencyMs":\#(latency)}"# }
            body += #","usage":{"inputTokens":\#(input),"outputTokens":\#(output)}"#
            if let servedModel { body += #","trace":{"promptRouter":{"invokedModelId":"\#(servedModel)"}}"# }
            fields.append(#""input":{"inputContentType":"application/json","inputBodyJson":{"messages":[{"role":"user","content":[{"text":"\#(prompt)"}]}]},"inputTokenCount":\#(input)}"#)
            fields.append(#""output":{"outputContentType":"application/json","outputBodyJson":{\#(body)},"outputTokenCount":\#(output)}"#)
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    public static func litellm(id: String, start: Double = 1_762_000_000.5, model: String = "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
                               group: String = "claude-haiku", prompt: Int = 100, completion: Int = 20, cost: Double = 0.001,
                               fallbacks: Int? = nil, originalGroup: String? = nil, failed: Bool = false, team: String = "search") -> String {
        var metadata = #""user_api_key_team_alias":"\#(team)""#
        if let fallbacks { metadata += #","attempted_fallbacks":\#(fallbacks)"# }
        if let originalGroup { metadata += #","original_model_group":"\#(originalGroup)""# }
        let error = failed ? #""error_code":"429","error_class":"RateLimitError","llm_provider":"bedrock""# : #""error_code":"","error_class":"""#
        return #"{"id":"\#(id)","trace_id":"t-\#(id)","status":"\#(failed ? "failure" : "success")","model":"\#(model)","model_group":"\#(group)","model_id":"dep-1","custom_llm_provider":"bedrock","startTime":\#(start),"endTime":\#(start + 1.25),"prompt_tokens":\#(failed ? 0 : prompt),"completion_tokens":\#(failed ? 0 : completion),"response_cost":\#(failed ? 0 : cost),"metadata":{\#(metadata)},"error_information":{\#(error)},"messages":[{"role":"user","content":"hi"}]}"#
    }

    /// Writes `lines` (newline-terminated) to `path`.
    public static func write(_ lines: [String], to path: String) throws {
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
