import Foundation
import RouteLedgerModel
import RouteLedgerTestSupport
import Testing
@testable import RouteLedgerIngest

private func referenceBytes(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("reference/\(name)")))
}

private func decodeOne(_ bytes: [UInt8], options: DecodeOptions = .init()) throws -> InvocationRecord {
    let member = MemberDecoding.decode(bytes, options: options)
    #expect(member.rejections.isEmpty, "unexpected rejections: \(member.rejections.map(\.detail))")
    return try #require(member.records.first?.record)
}

/// Expected values below were read off the reference files by hand (and with python3 -m json.tool).
@Suite struct BedrockDecoderTests {
    @Test func crossRegionInvokeModelRecord() throws {
        let record = try decodeOne(try referenceBytes("bedrock_cwlogs_invokemodel_cris_inference-us-west-2.json"))
        #expect(record.sourceKind == .bedrock)
        #expect(record.requestId == "0c0500e6-c4ad-4390-b16f-9c3d24f9f76b")
        #expect(record.timestampMicros == 1_755_855_666_000_000)
        #expect(record.accountId == "663981805246")
        #expect(record.region == "us-east-1")
        #expect(record.inferenceRegion == "us-west-2")
        #expect(record.operation == "InvokeModel")
        #expect(record.rawModelId == "arn:aws:bedrock:us-east-1:663981805246:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0")
        #expect(record.canonicalModel == "anthropic.claude-sonnet-4-20250514-v1:0")
        #expect(record.servedModel == record.canonicalModel)
        #expect(record.routerId == nil)
        #expect(record.inputTokens == 219)
        #expect(record.outputTokens == 109)
        // The InvokeModel Anthropic body reports cache usage as 0.
        #expect(record.cacheReadTokens == 0)
        #expect(record.cacheWriteTokens == 0)
        #expect(record.latencyMs == nil, "plain InvokeModel logs carry no latency")
        #expect(record.status == .success)
        #expect(record.flags.contains(.crossRegion))
        #expect(!record.flags.contains(.tokensMissing))
        #expect(record.tenant == "ie-staging-staging-claudeInvoker-us-east-1-lambdaRole", "falls back to the role name")
        #expect(record.promptSHA256?.count == 64)
        #expect(record.promptBody == nil, "bodies are not kept by default")
    }

    @Test func sameRegionCrossRegionProfileStillRecordsInferenceRegion() throws {
        let record = try decodeOne(try referenceBytes("bedrock_cwlogs_invokemodel_cris_inference-us-east-1.json"))
        #expect(record.inferenceRegion == "us-east-1")
        #expect(record.outputTokens == 87)
        #expect(record.flags.contains(.crossRegion), "a geo profile is cross-Region inference even when it stays home")
    }

    @Test func converseStreamAssembledBodyGivesLatencyAndCacheFields() throws {
        let record = try decodeOne(try referenceBytes("bedrock_conversestream_nova-lite_with_cache_fields.json"),
                                   options: DecodeOptions(keepBodies: true))
        #expect(record.operation == "ConverseStream")
        #expect(record.canonicalModel == "amazon.nova-lite-v1:0")
        #expect(record.timestampMicros == 1_741_653_482_000_000)
        #expect(record.inputTokens == 4)
        #expect(record.outputTokens == 38)
        #expect(record.cacheReadTokens == 0)
        #expect(record.cacheWriteTokens == 0)
        #expect(record.latencyMs == 302)
        #expect(record.inferenceRegion == nil)
        #expect(!record.flags.contains(.crossRegion))
        #expect(record.flags.contains(.streaming))
        #expect(record.tenant == "dheeraj")
        #expect(record.promptBody?.contains("hello how are you") == true)
    }

    @Test func redactedTimestampIsRejectedNotGuessed() throws {
        // The stream sample's author replaced the timestamp with x's: the record cannot be placed in time.
        let member = MemberDecoding.decode(try referenceBytes("bedrock_invokemodelwithresponsestream_claude-v2_streaming_chunks.json"))
        #expect(member.records.isEmpty)
        #expect(member.rejections.count == 1)
        #expect(member.rejections.first?.reason == .invalidField)
        #expect(member.rejections.first?.detail.contains("timestamp") == true)
        #expect(member.rejections.first?.line == 1)
    }

    @Test func streamChunksGiveLatencyAndFirstByte() throws {
        var text = String(decoding: try referenceBytes("bedrock_invokemodelwithresponsestream_claude-v2_streaming_chunks.json"), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"timestamp\": \"xxxxxxxxxxxxxxxxxxxxxxx\"", with: "\"timestamp\": \"2025-03-11T00:38:02Z\"")
            .replacingOccurrences(of: "\"requestId\": \"xxxxxxxxxxxxxxxxxxxxxxx\"", with: "\"requestId\": \"r-1\"")
        let record = try decodeOne(Array(text.utf8))
        #expect(record.latencyMs == 765)
        #expect(record.ttftMs == 690)
        #expect(record.inputTokens == 10)
        #expect(record.outputTokens == 6)
        #expect(record.canonicalModel == "anthropic.claude-v2:1")
    }

    @Test func promptRouterTakesServedModelFromTrace() throws {
        let router = "arn:aws:bedrock:us-east-1:111122223333:prompt-router/abc123"
        let resolved = """
            {"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-11-01T10:00:00Z","accountId":"111122223333","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/App/s"},"region":"us-east-1","requestId":"r1","operation":"Converse","modelId":"\(router)","requestMetadata":{"tenant_id":"acme","trace_id":"t-1"},"input":{"inputContentType":"application/json","inputBodyJson":{"messages":[]},"inputTokenCount":10},"output":{"outputContentType":"application/json","outputBodyJson":{"output":{},"stopReason":"end_turn","metrics":{"latencyMs":420},"usage":{"inputTokens":10,"outputTokens":5},"trace":{"promptRouter":{"invokedModelId":"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"}}},"outputTokenCount":5}}
            {"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-11-01T10:00:01Z","accountId":"111122223333","region":"us-east-1","requestId":"r2","operation":"ConverseStream","modelId":"\(router)","input":{"inputTokenCount":10},"output":{"outputBodyJson":[{"messageStart":{"role":"assistant"}},{"metadata":{"usage":{"inputTokens":10,"outputTokens":7},"metrics":{"latencyMs":300},"trace":{"promptRouter":{"invokedModelId":"arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0"}}}}],"outputTokenCount":7}}
            {"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-11-01T10:00:02Z","accountId":"111122223333","region":"us-east-1","requestId":"r3","operation":"Converse","modelId":"\(router)","input":{"inputTokenCount":10},"output":{"outputTokenCount":5}}
            {"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-11-01T10:00:03Z","accountId":"111122223333","region":"us-east-1","requestId":"r4","operation":"Converse","modelId":"\(router)","errorCode":"ThrottlingException","input":{},"output":{}}
            """
        let member = MemberDecoding.decode(Array(resolved.utf8))
        #expect(member.rejections.isEmpty)
        let records = member.records.map(\.record)
        #expect(records.count == 4)
        #expect(records.allSatisfy { $0.routerId == router && $0.canonicalModel == nil })
        #expect(records[0].servedModel == "anthropic.claude-3-5-haiku-20241022-v1:0")
        #expect(records[0].tenant == "acme")
        #expect(records[0].correlationId == "t-1")
        #expect(records[0].latencyMs == 420)
        #expect(records[1].servedModel == "anthropic.claude-3-5-sonnet-20241022-v2:0")
        #expect(records[1].latencyMs == 300)
        #expect(records[2].servedModel == nil)
        #expect(records[2].flags.contains(.servedModelUnresolved))
        #expect(records[3].status == .failure)
        #expect(records[3].errorCode == "ThrottlingException")
        #expect(records[3].inputTokens == nil && records[3].outputTokens == nil)
        #expect(!records[3].flags.contains(.tokensMissing), "a failure without tokens is expected, not a data error")
        #expect(!records[3].flags.contains(.servedModelUnresolved), "a failed router call served nothing")
        #expect(member.records.map(\.line) == [1, 2, 3, 4])
    }

    @Test func successWithoutTokensIsFlaggedAndBadCountsAreRejected() throws {
        let text = """
            {"timestamp":"2026-11-01T10:00:00Z","requestId":"a","operation":"InvokeModel","modelId":"amazon.nova-pro-v1:0","input":{},"output":{}}
            {"timestamp":"2026-11-01T10:00:00Z","requestId":"b","operation":"InvokeModel","modelId":"amazon.nova-pro-v1:0","input":{"inputTokenCount":"abc"},"output":{"outputTokenCount":1}}
            {"timestamp":"2026-11-01T10:00:00Z","requestId":"c","operation":"InvokeModel","modelId":"amazon.nova-pro-v1:0","input":{"inputTokenCount":-5},"output":{"outputTokenCount":1}}
            {"timestamp":"2026-11-01T10:00:00Z","operation":"InvokeModel","modelId":"amazon.nova-pro-v1:0"}
            """
        let member = MemberDecoding.decode(Array(text.utf8))
        #expect(member.records.count == 1)
        #expect(member.records[0].record.flags.contains(.tokensMissing))
        #expect(member.rejections.map(\.line) == [2, 3, 4])
        #expect(member.rejections.map(\.reason) == [.invalidField, .invalidField, .missingField])
        #expect(member.rejections[0].detail.contains("input.inputTokenCount"))
    }

    @Test func applicationProfilesResolveThroughTheMapping() throws {
        let arn = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abcd1234"
        let text = #"{"timestamp":"2026-11-01T10:00:00Z","requestId":"a","operation":"Converse","modelId":"\#(arn)","input":{"inputTokenCount":1},"output":{"outputTokenCount":1}}"#
        let unresolved = try decodeOne(Array(text.utf8))
        #expect(unresolved.canonicalModel == nil)
        #expect(unresolved.flags.contains(.profileUnresolved))
        let mapped = try decodeOne(Array(text.utf8), options: DecodeOptions(applicationProfiles: ["abcd1234": "us.amazon.nova-pro-v1:0"]))
        #expect(mapped.canonicalModel == "amazon.nova-pro-v1:0")
        #expect(!mapped.flags.contains(.profileUnresolved))
    }
}

@Suite struct LiteLLMDecoderTests {
    @Test func standardLoggingPayloadFromLiteLLMsOwnFixture() throws {
        let record = try decodeOne(try referenceBytes("litellm_standard_logging_payload_success.json"))
        #expect(record.sourceKind == .litellm)
        #expect(record.requestId == "chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f")
        #expect(record.timestampMicros == 1_737_710_446_847_371)
        // endTime − startTime = 46.851954 − 46.847371 s = 4.583 ms → 4 ms (truncated to whole ms).
        #expect(record.latencyMs == 4)
        #expect(record.ttftMs == 4)
        #expect(record.inputTokens == 10)
        #expect(record.outputTokens == 20)
        #expect(record.loggedCostUSD == 0.00022500000000000002, "the cost exactly as logged")
        #expect(record.canonicalModel == "gpt-4o")
        #expect(record.provider == "openai")
        #expect(record.status == .success)
        #expect(record.errorCode == nil, "empty error_information strings mean no error")
        #expect(record.deployment == "https://api.openai.com" || record.deployment == nil)
    }

    @Test func spendLogRowWithMetadataAsAJSONString() throws {
        let record = try decodeOne(try referenceBytes("litellm_spend_logs_row.json"))
        #expect(record.sourceKind == .litellmSpend)
        #expect(record.requestId == "chatcmpl-2283081b-dc89-41f6-93e6-d4f914774027")
        #expect(record.inputTokens == 10)
        #expect(record.outputTokens == 20)
        #expect(record.loggedCostUSD == 0.00022500000000000002, "the cost exactly as logged")
        #expect(record.fallbackAttempt == nil, "attempted_fallbacks is null in this row")
        #expect(record.correlationId == "1234567890", "session_id links a spend row to its session")
    }

    @Test func gatewayFallbackAndFailurePayloads() throws {
        let text = """
            {"id":"c1","trace_id":"tr-9","status":"success","model":"bedrock/anthropic.claude-3-5-haiku-20241022-v1:0","model_group":"claude-haiku","model_id":"dep-h1","custom_llm_provider":"bedrock","startTime":1762000000.25,"endTime":1762000001.75,"completionStartTime":1762000000.5,"stream":true,"prompt_tokens":1200,"completion_tokens":80,"response_cost":0.0012,"metadata":{"user_api_key_team_alias":"search","user_api_key_alias":"k1","attempted_fallbacks":1,"original_model_group":"claude-sonnet","usage_object":{"prompt_tokens":1200,"completion_tokens":80,"cache_read_input_tokens":200,"cache_creation_input_tokens":100}}}
            {"id":"c2","trace_id":"tr-10","status":"failure","model":"bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0","model_group":"claude-sonnet","startTime":"2026-11-01 12:00:00.000000","endTime":"2026-11-01 12:00:00.250000","prompt_tokens":0,"completion_tokens":0,"response_cost":0,"error_information":{"error_code":"429","error_class":"RateLimitError","llm_provider":"bedrock"},"metadata":{"requester_metadata":{"tenant":"acme"}}}
            """
        let member = MemberDecoding.decode(Array(text.utf8))
        #expect(member.rejections.isEmpty)
        let fallback = member.records[0].record
        #expect(fallback.canonicalModel == "anthropic.claude-3-5-haiku-20241022-v1:0")
        #expect(fallback.fallbackAttempt == 1)
        #expect(fallback.originalModelGroup == "claude-sonnet")
        #expect(fallback.modelGroup == "claude-haiku")
        #expect(fallback.deployment == "dep-h1")
        #expect(fallback.correlationId == "tr-9")
        #expect(fallback.latencyMs == 1500)
        #expect(fallback.ttftMs == 250)
        // prompt_tokens include the 300 cached tokens; the ledger keeps non-cached input like Bedrock.
        #expect(fallback.inputTokens == 900)
        #expect(fallback.cacheReadTokens == 200)
        #expect(fallback.cacheWriteTokens == 100)
        #expect(fallback.tenant == "search", "team alias comes before key alias")
        let failure = member.records[1].record
        #expect(failure.status == .failure)
        #expect(failure.errorCode == "429")
        #expect(failure.errorClass == "RateLimitError")
        #expect(failure.inputTokens == nil, "a failure's zero usage is not usage")
        #expect(failure.tenant == "acme")
        #expect(failure.latencyMs == 250)
    }
}
