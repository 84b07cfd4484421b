/// Request and response bodies, per operation and provider, as Bedrock logs them.
struct Prompt {
    var systemBytes: Int
    var promptBytes: Int
    var multiTurn: Bool
    var cached: Bool
    var maxTokens: Int
    var temperature: Int
}

struct Usage {
    var input: Int
    var output: Int
    var cacheRead: Int
    var cacheWrite: Int
    var latency: Int
    var firstByte: Int
    var truncated: Bool
    var total: Int { input + output + cacheRead + cacheWrite }
}

extension BedrockFileGenerator {
    // MARK: requests

    mutating func writeRequestBody(_ w: inout JSONOut, call: Call, prompt: Prompt) {
        let family = Catalog.models[call.model].family
        if call.op == .converse || call.op == .converseStream {
            writeConverseRequest(&w, prompt: prompt, nativeNova: false)
        } else if call.novaNative {
            writeConverseRequest(&w, prompt: prompt, nativeNova: true)
        } else if family == .llama {
            writeLlamaRequest(&w, prompt: prompt)
        } else {
            writeAnthropicRequest(&w, prompt: prompt)
        }
    }

    /// Text pieces of a conversation: earlier turns take a share of the prompt.
    mutating func turns(_ prompt: Prompt) -> [Int] {
        guard prompt.multiTurn, prompt.promptBytes > 200 else { return [prompt.promptBytes] }
        let first = prompt.promptBytes * rng.int(20...40) / 100
        let answer = prompt.promptBytes * rng.int(20...40) / 100
        return [first, answer, max(20, prompt.promptBytes - first - answer)]
    }

    /// Writes a generated string value; returns the range of its (escaped) content in `w.bytes`.
    @discardableResult
    mutating func text(_ w: inout JSONOut, _ target: Int) -> Range<Int> {
        w.openString()
        let start = w.bytes.count
        vocab.write(target: target, rng: &rng, into: &w.bytes)
        let end = w.bytes.count
        w.closeString()
        return start..<end
    }

    mutating func writeConverseRequest(_ w: inout JSONOut, prompt: Prompt, nativeNova: Bool) {
        w.beginObject()
        if nativeNova { w.key("schemaVersion"); w.string("messages-v1") }
        w.key("messages"); w.beginArray()
        for (k, bytes) in turns(prompt).enumerated() {
            w.beginObject()
            w.key("role"); w.string(k % 2 == 0 ? "user" : "assistant")
            w.key("content"); w.beginArray(); w.beginObject(); w.key("text")
            let range = text(&w, bytes)
            if k % 2 == 0 { lastUserText = range }
            w.endObject(); w.endArray()
            w.endObject()
        }
        w.endArray()
        if prompt.systemBytes > 0 {
            w.key("system"); w.beginArray()
            w.beginObject(); w.key("text"); text(&w, prompt.systemBytes); w.endObject()
            if prompt.cached {
                w.beginObject(); w.key("cachePoint"); w.beginObject(); w.key("type"); w.string("default"); w.endObject(); w.endObject()
            }
            w.endArray()
        }
        w.key("inferenceConfig"); w.beginObject()
        w.key("maxTokens"); w.int(prompt.maxTokens)
        w.key("temperature"); w.raw(Self.temperatures[prompt.temperature])
        w.key("topP"); w.raw("0.9")
        if !nativeNova { w.key("stopSequences"); w.beginArray(); w.endArray() }
        w.endObject()
        if !nativeNova { w.key("additionalModelRequestFields"); w.beginObject(); w.endObject() }
        w.endObject()
    }

    mutating func writeAnthropicRequest(_ w: inout JSONOut, prompt: Prompt) {
        w.beginObject()
        w.key("anthropic_version"); w.string("bedrock-2023-05-31")
        if prompt.systemBytes > 0 {
            w.key("system")
            if prompt.cached {
                w.beginArray(); w.beginObject()
                w.key("type"); w.string("text")
                w.key("text"); text(&w, prompt.systemBytes)
                w.key("cache_control"); w.beginObject(); w.key("type"); w.string("ephemeral"); w.endObject()
                w.endObject(); w.endArray()
            } else {
                text(&w, prompt.systemBytes)
            }
        }
        w.key("messages"); w.beginArray()
        for (k, bytes) in turns(prompt).enumerated() {
            w.beginObject()
            w.key("role"); w.string(k % 2 == 0 ? "user" : "assistant")
            w.key("content"); w.beginArray(); w.beginObject()
            w.key("type"); w.string("text")
            w.key("text"); text(&w, bytes)
            w.endObject(); w.endArray()
            w.endObject()
        }
        w.endArray()
        w.key("max_tokens"); w.int(prompt.maxTokens)
        w.key("temperature"); w.raw(Self.temperatures[prompt.temperature])
        w.endObject()
    }

    mutating func writeLlamaRequest(_ w: inout JSONOut, prompt: Prompt) {
        w.beginObject()
        w.key("prompt"); w.openString()
        w.bytes.append("<|begin_of_text|>")
        if prompt.systemBytes > 0 {
            w.bytes.append("<|start_header_id|>system<|end_header_id|>\\n\\n")
            vocab.write(target: prompt.systemBytes, rng: &rng, into: &w.bytes)
            w.bytes.append("<|eot_id|>")
        }
        w.bytes.append("<|start_header_id|>user<|end_header_id|>\\n\\n")
        vocab.write(target: prompt.promptBytes, rng: &rng, into: &w.bytes)
        w.bytes.append("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\\n\\n")
        w.closeString()
        w.key("max_gen_len"); w.int(prompt.maxTokens)
        w.key("temperature"); w.raw(Self.temperatures[prompt.temperature])
        w.key("top_p"); w.raw("0.9")
        w.endObject()
    }

    // MARK: responses

    mutating func writeResponseBody(_ w: inout JSONOut, call: Call, text: [UInt8], usage: Usage) {
        let family = Catalog.models[call.model].family
        switch call.op {
        case .converse:
            writeConverseResponse(&w, call: call, text: text, usage: usage)
        case .converseStream:
            if call.streamEvents { writeConverseStreamEvents(&w, call: call, text: text, usage: usage) }
            else { writeConverseResponse(&w, call: call, text: text, usage: usage) }
        case .invokeModel:
            if call.novaNative { writeNovaNativeResponse(&w, text: text, usage: usage) }
            else if family == .llama { writeLlamaResponse(&w, text: text, usage: usage) }
            else { writeAnthropicResponse(&w, call: call, text: text, usage: usage) }
        case .invokeModelStream:
            if family == .llama { writeLlamaStream(&w, text: text, usage: usage) }
            else { writeAnthropicStream(&w, call: call, text: text, usage: usage) }
        }
    }

    func writeConverseUsage(_ w: inout JSONOut, _ usage: Usage) {
        w.beginObject()
        w.key("inputTokens"); w.int(usage.input)
        w.key("outputTokens"); w.int(usage.output)
        w.key("totalTokens"); w.int(usage.total)
        if usage.cacheRead + usage.cacheWrite > 0 {
            w.key("cacheReadInputTokens"); w.int(usage.cacheRead)
            w.key("cacheWriteInputTokens"); w.int(usage.cacheWrite)
        }
        w.endObject()
    }

    func writeRouterTrace(_ w: inout JSONOut, call: Call) {
        w.beginObject(); w.key("promptRouter"); w.beginObject()
        w.key("invokedModelId"); w.string(invokedModelIdText(call))
        w.endObject(); w.endObject()
    }

    func writeConverseResponse(_ w: inout JSONOut, call: Call, text: [UInt8], usage: Usage) {
        w.beginObject()
        w.key("output"); w.beginObject(); w.key("message"); w.beginObject()
        w.key("role"); w.string("assistant")
        w.key("content"); w.beginArray(); w.beginObject(); w.key("text"); w.string(escaped: text); w.endObject(); w.endArray()
        w.endObject(); w.endObject()
        w.key("stopReason"); w.string(usage.truncated ? "max_tokens" : "end_turn")
        w.key("metrics"); w.beginObject(); w.key("latencyMs"); w.int(usage.latency); w.endObject()
        w.key("usage"); writeConverseUsage(&w, usage)
        if call.router >= 0 { w.key("trace"); writeRouterTrace(&w, call: call) }
        w.endObject()
    }

    mutating func writeConverseStreamEvents(_ w: inout JSONOut, call: Call, text: [UInt8], usage: Usage) {
        w.beginArray()
        w.beginObject(); w.key("messageStart"); w.beginObject(); w.key("role"); w.string("assistant"); w.endObject(); w.endObject()
        for chunk in splitIntoChunks(text, maxChunks: 40, rng: &rng) {
            w.beginObject(); w.key("contentBlockDelta"); w.beginObject()
            w.key("delta"); w.beginObject(); w.key("text"); w.string(escaped: chunk); w.endObject()
            w.key("contentBlockIndex"); w.int(0)
            w.endObject(); w.endObject()
        }
        w.beginObject(); w.key("contentBlockStop"); w.beginObject(); w.key("contentBlockIndex"); w.int(0); w.endObject(); w.endObject()
        w.beginObject(); w.key("messageStop"); w.beginObject()
        w.key("stopReason"); w.string(usage.truncated ? "max_tokens" : "end_turn")
        w.endObject(); w.endObject()
        w.beginObject(); w.key("metadata"); w.beginObject()
        w.key("usage"); writeConverseUsage(&w, usage)
        w.key("metrics"); w.beginObject(); w.key("latencyMs"); w.int(usage.latency); w.endObject()
        if call.router >= 0 { w.key("trace"); writeRouterTrace(&w, call: call) }
        w.endObject(); w.endObject()
        w.endArray()
    }

    mutating func messageId() -> [UInt8] {
        var id: [UInt8] = Array("msg_bdrk_01".utf8)
        for _ in 0..<22 { id.append(Self.base62[rng.below(62)]) }
        return id
    }

    static let base62: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    func writeAnthropicUsage(_ w: inout JSONOut, _ usage: Usage) {
        w.beginObject()
        w.key("input_tokens"); w.int(usage.input)
        w.key("cache_creation_input_tokens"); w.int(usage.cacheWrite)
        w.key("cache_read_input_tokens"); w.int(usage.cacheRead)
        w.key("output_tokens"); w.int(usage.output)
        w.endObject()
    }

    mutating func writeAnthropicResponse(_ w: inout JSONOut, call: Call, text: [UInt8], usage: Usage) {
        w.beginObject()
        w.key("id"); w.string(escaped: messageId())
        w.key("type"); w.string("message")
        w.key("role"); w.string("assistant")
        w.key("model"); w.string(Catalog.models[call.model].bodyName)
        w.key("content"); w.beginArray(); w.beginObject()
        w.key("type"); w.string("text")
        w.key("text"); w.string(escaped: text)
        w.endObject(); w.endArray()
        w.key("stop_reason"); w.string(usage.truncated ? "max_tokens" : "end_turn")
        w.key("stop_sequence"); w.null()
        w.key("usage"); writeAnthropicUsage(&w, usage)
        if rng.chance(0.08) { writeGuardrailTrace(&w) }
        w.endObject()
    }

    /// The guardrail assessment Bedrock adds to InvokeModel bodies (shape of the real CRIS samples).
    mutating func writeGuardrailTrace(_ w: inout JSONOut) {
        var id: [UInt8] = []
        for _ in 0..<12 { id.append(Self.base62[26 + rng.below(36)]) }
        func assessment(_ w: inout JSONOut, _ rng: inout Rng) {
            w.beginObject(); w.key(bytes: id); w.beginObject(); w.key("invocationMetrics"); w.beginObject()
            w.key("guardrailProcessingLatency"); w.int(rng.int(180...420))
            w.key("usage"); w.beginObject()
            w.key("topicPolicyUnits"); w.int(1)
            w.key("contentPolicyUnits"); w.int(1)
            w.key("wordPolicyUnits"); w.int(1)
            w.key("automatedReasoningPolicyUnits"); w.int(0)
            w.key("automatedReasoningPolicies"); w.int(0)
            w.key("sensitiveInformationPolicyUnits"); w.int(1)
            w.key("sensitiveInformationPolicyFreeUnits"); w.int(0)
            w.key("contextualGroundingPolicyUnits"); w.int(0)
            w.key("contentPolicyImageUnits"); w.int(0)
            w.endObject()
            let chars = rng.int(200...1200)
            w.key("guardrailCoverage"); w.beginObject(); w.key("textCharacters"); w.beginObject()
            w.key("guarded"); w.int(chars); w.key("total"); w.int(chars)
            w.endObject(); w.endObject()
            w.endObject(); w.endObject(); w.endObject()
        }
        w.key("amazon-bedrock-trace"); w.beginObject(); w.key("guardrail"); w.beginObject()
        w.key("input"); assessment(&w, &rng)
        w.key("outputs"); w.beginArray(); assessment(&w, &rng); w.endArray()
        w.key("actionReason"); w.string("No action.")
        w.endObject(); w.endObject()
        w.key("amazon-bedrock-guardrailAction"); w.string("NONE")
    }

    func writeInvocationMetrics(_ w: inout JSONOut, _ usage: Usage) {
        w.key("amazon-bedrock-invocationMetrics"); w.beginObject()
        w.key("inputTokenCount"); w.int(usage.input)
        w.key("outputTokenCount"); w.int(usage.output)
        w.key("invocationLatency"); w.int(usage.latency)
        w.key("firstByteLatency"); w.int(usage.firstByte)
        w.endObject()
    }

    mutating func writeAnthropicStream(_ w: inout JSONOut, call: Call, text: [UInt8], usage: Usage) {
        w.beginArray()
        w.beginObject()
        w.key("type"); w.string("message_start")
        w.key("message"); w.beginObject()
        w.key("id"); w.string(escaped: messageId())
        w.key("type"); w.string("message")
        w.key("role"); w.string("assistant")
        w.key("model"); w.string(Catalog.models[call.model].bodyName)
        w.key("content"); w.beginArray(); w.endArray()
        w.key("stop_reason"); w.null()
        w.key("stop_sequence"); w.null()
        w.key("usage"); w.beginObject()
        w.key("input_tokens"); w.int(usage.input)
        w.key("cache_creation_input_tokens"); w.int(usage.cacheWrite)
        w.key("cache_read_input_tokens"); w.int(usage.cacheRead)
        w.key("output_tokens"); w.int(1)
        w.endObject()
        w.endObject()
        w.endObject()
        w.beginObject()
        w.key("type"); w.string("content_block_start")
        w.key("index"); w.int(0)
        w.key("content_block"); w.beginObject(); w.key("type"); w.string("text"); w.key("text"); w.string(""); w.endObject()
        w.endObject()
        for chunk in splitIntoChunks(text, maxChunks: 40, rng: &rng) {
            w.beginObject()
            w.key("type"); w.string("content_block_delta")
            w.key("index"); w.int(0)
            w.key("delta"); w.beginObject(); w.key("type"); w.string("text_delta"); w.key("text"); w.string(escaped: chunk); w.endObject()
            w.endObject()
        }
        w.beginObject(); w.key("type"); w.string("content_block_stop"); w.key("index"); w.int(0); w.endObject()
        w.beginObject()
        w.key("type"); w.string("message_delta")
        w.key("delta"); w.beginObject()
        w.key("stop_reason"); w.string(usage.truncated ? "max_tokens" : "end_turn")
        w.key("stop_sequence"); w.null()
        w.endObject()
        w.key("usage"); w.beginObject(); w.key("output_tokens"); w.int(usage.output); w.endObject()
        w.endObject()
        w.beginObject()
        w.key("type"); w.string("message_stop")
        writeInvocationMetrics(&w, usage)
        w.endObject()
        w.endArray()
    }

    func writeLlamaResponse(_ w: inout JSONOut, text: [UInt8], usage: Usage) {
        w.beginObject()
        w.key("generation"); w.string(escaped: text)
        w.key("prompt_token_count"); w.int(usage.input)
        w.key("generation_token_count"); w.int(usage.output)
        w.key("stop_reason"); w.string(usage.truncated ? "length" : "stop")
        w.endObject()
    }

    mutating func writeLlamaStream(_ w: inout JSONOut, text: [UInt8], usage: Usage) {
        let chunks = splitIntoChunks(text, maxChunks: 30, rng: &rng)
        w.beginArray()
        for (k, chunk) in chunks.enumerated() {
            w.beginObject()
            w.key("generation"); w.string(escaped: chunk)
            w.key("prompt_token_count"); if k == 0 { w.int(usage.input) } else { w.null() }
            w.key("generation_token_count"); w.int(max(1, usage.output * (k + 1) / (chunks.count + 1)))
            w.key("stop_reason"); w.null()
            w.endObject()
        }
        w.beginObject()
        w.key("generation"); w.string("")
        w.key("prompt_token_count"); w.null()
        w.key("generation_token_count"); w.int(usage.output)
        w.key("stop_reason"); w.string(usage.truncated ? "length" : "stop")
        writeInvocationMetrics(&w, usage)
        w.endObject()
        w.endArray()
    }

    func writeNovaNativeResponse(_ w: inout JSONOut, text: [UInt8], usage: Usage) {
        w.beginObject()
        w.key("output"); w.beginObject(); w.key("message"); w.beginObject()
        w.key("content"); w.beginArray(); w.beginObject(); w.key("text"); w.string(escaped: text); w.endObject(); w.endArray()
        w.key("role"); w.string("assistant")
        w.endObject(); w.endObject()
        w.key("stopReason"); w.string(usage.truncated ? "max_tokens" : "end_turn")
        w.key("usage"); w.beginObject()
        w.key("inputTokens"); w.int(usage.input)
        w.key("outputTokens"); w.int(usage.output)
        w.key("totalTokens"); w.int(usage.total)
        w.key("cacheReadInputTokenCount"); w.int(0)
        w.key("cacheWriteInputTokenCount"); w.int(0)
        w.endObject()
        w.endObject()
    }
}
