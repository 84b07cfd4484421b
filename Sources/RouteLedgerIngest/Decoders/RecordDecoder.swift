import Foundation
import RouteLedgerArchive
import RouteLedgerModel

/// Turns parsed JSON records of any supported family into `InvocationRecord`s.
///
/// One decoder per worker thread: it owns scratch tapes and a string interner.
public struct RecordDecoder {
    public let options: DecodeOptions
    var interner = StringInterner()
    var innerTape = JSONTape()
    var metadataTape = JSONTape()
    /// Raw model ids repeat endlessly; classify each once.
    var modelReferences: [String: ModelReference] = [:]

    public init(options: DecodeOptions) {
        self.options = options
    }

    public enum Outcome {
        case record(InvocationRecord)
        case rejected(RejectReason, String)
    }

    /// Decodes the record at the root of `tape`. Wrappers (Logs Insights `@message` rows and
    /// `results` lists) may yield several records; each call of `emit` is one record read.
    public mutating func decode(_ tape: inout JSONTape, emit: (Outcome) throws -> Void) rethrows {
        guard tape.nodes.first?.kind == .object || tape.nodes.first?.kind == .array else {
            return try emit(.rejected(.notAnObject, "record is not a JSON object"))
        }
        // JSON text is UTF-8 (RFC 8259 §8.1). Decoding would replace bad bytes with U+FFFD, so two request ids
        // that differ only there would become one: the record is refused instead.
        if let offset = firstInvalidUTF8(tape.jsonText(0)) {
            return try emit(.rejected(.invalidUTF8, "invalid UTF-8 at byte \(offset + 1) of the record"))
        }
        // Logs Insights exports: {"results":[[{field,value}…]…]}, a row [{field,value}…],
        // {"field":"@message","value":"…"} or {"@message":"…"}.
        if tape.nodes[0].kind == .array {
            if let message = insightsMessage(in: tape, row: 0) {
                return try decodeEmbedded(tape.rawBytes(message), escaped: tape.nodes[message].kind == .escapedString, emit: emit)
            }
            return try emit(.rejected(.notAnObject, "array is not a Logs Insights row"))
        }
        if let results = tape.member(0, "results"), tape.nodes[results].kind == .array {
            var rows: [(UnsafeRawBufferPointer, Bool)] = []
            tape.forEachElement(results) { row in
                if let message = insightsMessage(in: tape, row: row) {
                    rows.append((tape.rawBytes(message), tape.nodes[message].kind == .escapedString))
                }
            }
            if !rows.isEmpty {
                for (bytes, escaped) in rows { try decodeEmbedded(bytes, escaped: escaped, emit: emit) }
                return
            }
        }
        if let message = insightsMessage(in: tape, row: 0) {
            return try decodeEmbedded(tape.rawBytes(message), escaped: tape.nodes[message].kind == .escapedString, emit: emit)
        }
        if let wrapped = tape.member(0, "standard_logging_object"), tape.nodes[wrapped].kind == .object {
            return try emit(decodeLiteLLMPayload(&tape, root: wrapped))
        }
        try emit(decodeRoot(&tape, root: 0))
    }

    private func insightsMessage(in tape: JSONTape, row: Int) -> Int? {
        let node = tape.nodes[row]
        if node.kind == .object {
            if let message = tape.member(row, "@message"), tape.string(message) != nil { return message }
            if let field = tape.member(row, "field"), tape.stringEquals(field, "@message"),
               let value = tape.member(row, "value"), tape.string(value) != nil { return value }
            return nil
        }
        if node.kind == .array {
            var found: Int?
            tape.forEachElement(row) { element in
                if found == nil, tape.nodes[element].kind == .object, let field = tape.member(element, "field"),
                   tape.stringEquals(field, "@message"), let value = tape.member(element, "value") {
                    found = value
                }
            }
            return found
        }
        return nil
    }

    private mutating func decodeEmbedded(_ raw: UnsafeRawBufferPointer, escaped: Bool,
                                         emit: (Outcome) throws -> Void) rethrows {
        var bytes = escaped ? Array(JSONTape.unescape(raw).utf8) : Array(raw)
        bytes.append(0)
        var tape = innerTape
        defer { innerTape = tape }
        let outcome: Outcome = bytes.withUnsafeBufferPointer { buffer in
            switch JSONParser.parse(buffer.baseAddress!, from: 0, to: buffer.count - 1, into: &tape) {
            case .complete:
                guard tape.nodes[0].kind == .object else { return .rejected(.notAnObject, "@message is not a JSON object") }
                return decodeRoot(&tape, root: 0)
            case .incomplete:
                return .rejected(.invalidJSON, "@message holds truncated JSON")
            case .invalid(_, let reason):
                return .rejected(.invalidJSON, "@message is not JSON: \(reason)")
            }
        }
        try emit(outcome)
    }

    private mutating func decodeRoot(_ tape: inout JSONTape, root: Int) -> Outcome {
        switch options.format {
        case .bedrock: return decodeBedrock(&tape, root: root)
        case .litellm: return decodeLiteLLMPayload(&tape, root: root)
        case .litellmSpend: return decodeSpendRow(&tape, root: root)
        case .auto:
            if let schema = tape.member(root, "schemaType"), tape.stringEquals(schema, "ModelInvocationLog") {
                return decodeBedrock(&tape, root: root)
            }
            if tape.member(root, "operation") != nil, tape.member(root, "modelId") != nil {
                return decodeBedrock(&tape, root: root)
            }
            if tape.member(root, "request_id") != nil, tape.member(root, "spend") != nil || tape.member(root, "api_key") != nil {
                return decodeSpendRow(&tape, root: root)
            }
            if tape.member(root, "id") != nil, tape.member(root, "model") != nil,
               tape.member(root, "startTime") != nil || tape.member(root, "response_cost") != nil {
                return decodeLiteLLMPayload(&tape, root: root)
            }
            return .rejected(.unknownRecord, "neither a Bedrock ModelInvocationLog nor a LiteLLM payload or spend-log row")
        }
    }

    // MARK: Shared field helpers

    enum FieldError: Error { case missing(String), invalid(String), nul(String) }

    /// The rejection a decoding error stands for (names the field, never its content).
    static func rejection(for error: Error) -> Outcome {
        switch error {
        case FieldError.missing(let field): return .rejected(.missingField, "missing \(field)")
        case FieldError.invalid(let field): return .rejected(.invalidField, "\(field) is not valid")
        case FieldError.nul(let field): return .rejected(.invalidField, "\(field) contains a NUL character (\\u0000)")
        default: return .rejected(.invalidField, "\(error)")
        }
    }

    private func counted(_ tape: JSONTape, _ index: Int?, _ name: String) throws -> Int64? {
        switch tape.count(index) {
        case .value(let value): return value
        case .absent: return nil
        case .invalid: throw FieldError.invalid(name)
        }
    }

    private func hashed(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        hasher.update(bytes)
        return hexString(hasher.finalize())
    }

    /// Looks up the configured tenant keys in string maps, in the configured order.
    private func tenant(_ tape: JSONTape, maps: [Int], aliases: [String: String?]) -> String? {
        for key in options.tenantKeys {
            if let alias = aliases[key], let alias, !alias.isEmpty { return alias }
            if let found = stringValue(in: tape, maps: maps, key: key) { return found }
        }
        return nil
    }

    /// The first non-empty value of `key` in the given string maps (requestMetadata and the like).
    private func stringValue(in tape: JSONTape, maps: [Int], key: String) -> String? {
        for map in maps where tape.nodes[map].kind == .object {
            var found: String?
            tape.forEachMember(map) { keyNode, valueNode in
                if found == nil, tape.string(keyNode) == key, let value = tape.text(valueNode), !value.isEmpty { found = value }
            }
            if let found { return found }
        }
        return nil
    }

    private func finish(_ record: inout InvocationRecord) throws {
        // The ledger binds text as C strings: a NUL (a `\u0000` escape) would cut the value short, and two
        // different ids or models could become one. Such a record is refused, naming the ledger column.
        func refuseNUL(_ value: String?, _ column: String) throws {
            if let value, value.utf8.contains(0) { throw FieldError.nul(column) }
        }
        try refuseNUL(record.requestId, "request_id")
        try refuseNUL(record.rawModelId, "raw_model_id")
        try refuseNUL(record.accountId, "account")
        try refuseNUL(record.principal, "principal")
        try refuseNUL(record.region, "region")
        try refuseNUL(record.inferenceRegion, "inference_region")
        try refuseNUL(record.operation, "operation")
        try refuseNUL(record.canonicalModel, "model")
        try refuseNUL(record.routerId, "router")
        try refuseNUL(record.servedModel, "served_model")
        try refuseNUL(record.modelGroup, "model_group")
        try refuseNUL(record.deployment, "deployment")
        try refuseNUL(record.provider, "provider")
        try refuseNUL(record.errorCode, "error_code")
        try refuseNUL(record.errorClass, "error_class")
        try refuseNUL(record.tenant, "tenant")
        try refuseNUL(record.correlationId, "correlation_id")
        try refuseNUL(record.originalModelGroup, "original_model_group")
        defer { record.contentHash = record.normalizedFingerprint }
        if record.timestampMicros < earliestPlausibleMicros || record.timestampMicros > options.futureLimitMicros {
            record.flags.insert(.timestampSuspect)
        }
        if record.status == .success, record.inputTokens == nil || record.outputTokens == nil {
            record.flags.insert(.tokensMissing)
        }
    }

    private mutating func classify(_ raw: String) -> ModelReference {
        if let known = modelReferences[raw] { return known }
        let reference = ModelIdentifier.classify(raw, applicationProfiles: options.applicationProfiles)
        if modelReferences.count < 10_000 { modelReferences[raw] = reference }
        return reference
    }

    /// Canonical, router and served model of a record; a router's served model is never guessed.
    private func resolveModel(_ reference: ModelReference, servedByRouter served: String?, into record: inout InvocationRecord) {
        switch reference {
        case .foundation(let canonical, let crossRegion):
            record.canonicalModel = canonical
            record.servedModel = canonical
            if crossRegion { record.flags.insert(.crossRegion) }
        case .promptRouter(let arn):
            record.routerId = arn
            if let served {
                record.servedModel = ModelIdentifier.canonicalize(served)
            } else if record.status == .success {
                record.flags.insert(.servedModelUnresolved)
            }
        case .applicationProfile(_, let resolved):
            record.canonicalModel = resolved
            record.servedModel = resolved
            if resolved == nil { record.flags.insert(.profileUnresolved) }
        }
    }

    // MARK: Bedrock ModelInvocationLog

    private mutating func decodeBedrock(_ tape: inout JSONTape, root: Int) -> Outcome {
        do {
            guard let requestIdNode = tape.member(root, "requestId"), let requestId = tape.string(requestIdNode), !requestId.isEmpty
            else { throw FieldError.missing("requestId") }
            guard let timestampNode = tape.member(root, "timestamp") else { throw FieldError.missing("timestamp") }
            guard let timestamp = tape.timestampMicros(timestampNode) else { throw FieldError.invalid("timestamp") }
            guard let rawModel = tape.internedString(tape.member(root, "modelId"), &interner) else {
                throw FieldError.missing("modelId")
            }
            let errorCode = tape.internedString(tape.member(root, "errorCode"), &interner)
            let statusText = tape.member(root, "status").flatMap { tape.string($0) }?.lowercased()
            let failed = errorCode != nil || (statusText != nil && statusText != "success")
            var record = InvocationRecord(sourceKind: .bedrock, requestId: requestId, timestampMicros: timestamp,
                                          rawModelId: rawModel, status: failed ? .failure : .success)
            record.errorCode = errorCode ?? (failed ? statusText : nil)
            record.accountId = tape.internedString(tape.member(root, "accountId"), &interner)
            record.principal = tape.internedString(tape.path(root, "identity", "arn"), &interner)
            record.region = tape.internedString(tape.member(root, "region"), &interner)
            record.inferenceRegion = tape.internedString(tape.member(root, "inferenceRegion"), &interner)
            record.operation = tape.internedString(tape.member(root, "operation"), &interner)
            if let operation = record.operation, operation.hasSuffix("Stream") { record.flags.insert(.streaming) }

            let input = tape.member(root, "input")
            let output = tape.member(root, "output")
            record.inputTokens = try counted(tape, input.flatMap { tape.member($0, "inputTokenCount") }, "input.inputTokenCount")
            record.outputTokens = try counted(tape, output.flatMap { tape.member($0, "outputTokenCount") }, "output.outputTokenCount")
            record.cacheReadTokens = try counted(tape, input.flatMap { tape.member($0, "cacheReadInputTokenCount") },
                                                 "input.cacheReadInputTokenCount")
            record.cacheWriteTokens = try counted(tape, input.flatMap { tape.member($0, "cacheWriteInputTokenCount") },
                                                  "input.cacheWriteInputTokenCount")
            if input.flatMap({ tape.member($0, "inputBodyS3Path") }) != nil
                || output.flatMap({ tape.member($0, "outputBodyS3Path") }) != nil {
                record.flags.insert(.bodyOffloaded)
            }

            let inputBody = input.flatMap { tape.member($0, "inputBodyJson") }
            let outputBody = output.flatMap { tape.member($0, "outputBodyJson") }
            var servedRaw: String?
            if let outputBody {
                try readBedrockOutputBody(tape, outputBody, into: &record, served: &servedRaw)
            }
            if let inputBody {
                let text = tape.jsonText(inputBody)
                record.promptChars = scalarCount(text)
                record.promptSHA256 = hashed(text)
                if options.keepBodies { record.promptBody = String(decoding: text, as: UTF8.self) }
            }
            if options.keepBodies, let outputBody {
                record.responseBody = String(decoding: tape.jsonText(outputBody), as: UTF8.self)
            }

            resolveModel(classify(rawModel), servedByRouter: servedRaw, into: &record)
            if let inference = record.inferenceRegion, let region = record.region, inference != region {
                record.flags.insert(.crossRegion)
            }

            let metadata = tape.member(root, "requestMetadata")
            let maps = metadata.map { [$0] } ?? []
            record.tenant = tenant(tape, maps: maps, aliases: [:]) ?? record.principal.flatMap(ModelIdentifier.principalName)
            record.correlationId = stringValue(in: tape, maps: maps, key: options.correlationKey)
            try finish(&record)
            return .record(record)
        } catch {
            return Self.rejection(for: error)
        }
    }

    /// Latency, time to first byte, token fallbacks and the router's served model from an output body:
    /// a Converse object, a list of ConverseStream events, or InvokeModelWithResponseStream chunks.
    private func readBedrockOutputBody(_ tape: JSONTape, _ body: Int, into record: inout InvocationRecord,
                                       served: inout String?) throws {
        func readUsage(_ usage: Int) throws {
            if record.inputTokens == nil {
                record.inputTokens = try counted(tape, tape.member(usage, "inputTokens") ?? tape.member(usage, "input_tokens"), "usage.inputTokens")
            }
            if record.outputTokens == nil {
                record.outputTokens = try counted(tape, tape.member(usage, "outputTokens") ?? tape.member(usage, "output_tokens"), "usage.outputTokens")
            }
            if record.cacheReadTokens == nil {
                record.cacheReadTokens = try counted(tape, tape.member(usage, "cacheReadInputTokens")
                    ?? tape.member(usage, "cache_read_input_tokens"), "usage.cacheReadInputTokens")
            }
            if record.cacheWriteTokens == nil {
                record.cacheWriteTokens = try counted(tape, tape.member(usage, "cacheWriteInputTokens")
                    ?? tape.member(usage, "cache_creation_input_tokens"), "usage.cacheWriteInputTokens")
            }
        }
        func readMetrics(_ container: Int) throws {
            if let latency = tape.path(container, "metrics", "latencyMs") {
                record.latencyMs = try counted(tape, latency, "metrics.latencyMs")
            }
            if let invocation = tape.member(container, "amazon-bedrock-invocationMetrics") {
                record.latencyMs = try counted(tape, tape.member(invocation, "invocationLatency"), "invocationLatency") ?? record.latencyMs
                record.ttftMs = try counted(tape, tape.member(invocation, "firstByteLatency"), "firstByteLatency") ?? record.ttftMs
                if record.inputTokens == nil {
                    record.inputTokens = try counted(tape, tape.member(invocation, "inputTokenCount"), "inputTokenCount")
                }
                if record.outputTokens == nil {
                    record.outputTokens = try counted(tape, tape.member(invocation, "outputTokenCount"), "outputTokenCount")
                }
            }
            if let router = tape.path(container, "trace", "promptRouter", "invokedModelId"), let value = tape.string(router) {
                served = value
            }
            if let usage = tape.member(container, "usage"), tape.nodes[usage].kind == .object { try readUsage(usage) }
        }
        switch tape.nodes[body].kind {
        case .object:
            try readMetrics(body)
        case .array:
            // Stream events: the final `metadata` event (ConverseStream) or the last chunk's invocation metrics.
            try tape.forEachElement(body) { event in
                guard tape.nodes[event].kind == .object else { return }
                if let metadata = tape.member(event, "metadata"), tape.nodes[metadata].kind == .object {
                    try readMetrics(metadata)
                }
                if tape.member(event, "amazon-bedrock-invocationMetrics") != nil { try readMetrics(event) }
            }
        default:
            break
        }
    }

    // MARK: LiteLLM StandardLoggingPayload

    private mutating func decodeLiteLLMPayload(_ tape: inout JSONTape, root: Int) -> Outcome {
        do {
            guard let idNode = tape.member(root, "id") ?? tape.member(root, "litellm_call_id"),
                  let requestId = tape.string(idNode), !requestId.isEmpty else { throw FieldError.missing("id") }
            guard let startNode = tape.member(root, "startTime") else { throw FieldError.missing("startTime") }
            guard let start = tape.timestampMicros(startNode) else { throw FieldError.invalid("startTime") }
            guard let rawModel = tape.internedString(tape.member(root, "model"), &interner) else { throw FieldError.missing("model") }
            let statusNode = tape.member(root, "status")
            let failed = statusNode.map { tape.stringEquals($0, "failure") } ?? false
            var record = InvocationRecord(sourceKind: .litellm, requestId: requestId, timestampMicros: start,
                                          rawModelId: rawModel, status: failed ? .failure : .success)
            // A payload's `metadata` is an object (LiteLLM's StandardLoggingMetadata). Anything else (a string, a
            // number) would silently drop the tenant, fallback and cache split it carries: refused instead.
            let metadataNode = tape.member(root, "metadata")
            if let node = metadataNode, tape.nodes[node].kind != .object, tape.nodes[node].kind != .null,
               !(tape.nodes[node].kind == .string && tape.rawBytes(node).isEmpty) {
                throw FieldError.invalid("metadata")
            }
            let metadata = metadataNode.flatMap { tape.nodes[$0].kind == .object ? $0 : nil }
            let hidden = tape.member(root, "hidden_params").flatMap { tape.nodes[$0].kind == .object ? $0 : nil }
            let usage = metadata.flatMap { tape.member($0, "usage_object") } ?? hidden.flatMap { tape.member($0, "usage_object") }
            if let end = tape.timestampMicros(tape.member(root, "endTime")), end >= start {
                record.latencyMs = (end - start) / 1000
            }
            let streamed = tape.member(root, "stream").flatMap { tape.bool($0) } ?? false
            if streamed, let first = tape.timestampMicros(tape.member(root, "completionStartTime")), first >= start {
                record.ttftMs = (first - start) / 1000
            }
            if streamed { record.flags.insert(.streaming) }
            if let errorInfo = tape.member(root, "error_information"), tape.nodes[errorInfo].kind == .object {
                record.errorCode = tape.internedString(tape.member(errorInfo, "error_code"), &interner)
                record.errorClass = tape.internedString(tape.member(errorInfo, "error_class"), &interner)
            }
            if failed, record.errorCode == nil { record.errorCode = "failure" }
            if let trace = tape.member(root, "trace_id").flatMap({ tape.string($0) }), !trace.isEmpty {
                record.correlationId = trace
            }
            if let metadata { try readLiteLLMMetadata(&tape, metadata, into: &record) }
            try fillLiteLLMCommon(&tape, root: root, usage: usage, into: &record)
            record.loggedCostUSD = tape.member(root, "response_cost").flatMap { tape.double($0) }
            if let messages = tape.member(root, "messages"), tape.nodes[messages].kind != .null,
               !(tape.string(messages)?.hasPrefix("redacted by litellm") ?? false) {
                let text = tape.jsonText(messages)
                record.promptChars = scalarCount(text)
                record.promptSHA256 = hashed(text)
                if options.keepBodies { record.promptBody = String(decoding: text, as: UTF8.self) }
            }
            if options.keepBodies, let response = tape.member(root, "response"), tape.nodes[response].kind != .null {
                record.responseBody = String(decoding: tape.jsonText(response), as: UTF8.self)
            }
            if record.tenant == nil {
                record.tenant = metadata.flatMap { tape.member($0, "user_api_key_team_id") }.flatMap { tape.string($0) }
                    .flatMap { $0.isEmpty ? nil : $0 }
                    ?? tape.member(root, "end_user").flatMap { tape.string($0) }.flatMap { $0.isEmpty ? nil : $0 }
            }
            try finish(&record)
            return .record(record)
        } catch {
            return Self.rejection(for: error)
        }
    }

    /// Model, deployment and tokens, shared by payloads and spend-log rows.
    private mutating func fillLiteLLMCommon(_ tape: inout JSONTape, root: Int, usage: Int?,
                                            into record: inout InvocationRecord) throws {
        record.modelGroup = tape.internedString(tape.member(root, "model_group"), &interner)
        record.deployment = tape.internedString(tape.member(root, "model_id"), &interner)
            ?? tape.internedString(tape.member(root, "api_base"), &interner)
        record.provider = tape.internedString(tape.member(root, "custom_llm_provider"), &interner)
        let model = Self.stripProviderPrefix(record.rawModelId)
        resolveModel(classify(model), servedByRouter: nil, into: &record)
        let prompt = try counted(tape, tape.member(root, "prompt_tokens"), "prompt_tokens")
            ?? usage.flatMap { try? counted(tape, tape.member($0, "prompt_tokens"), "usage_object.prompt_tokens") }
        record.outputTokens = try counted(tape, tape.member(root, "completion_tokens"), "completion_tokens")
            ?? usage.flatMap { try? counted(tape, tape.member($0, "completion_tokens"), "usage_object.completion_tokens") }
        if record.cacheReadTokens == nil, record.cacheWriteTokens == nil, let usage {
            try readCacheTokens(tape, usage, into: &record)
        }
        // LiteLLM's prompt_tokens include cached tokens; the ledger keeps Bedrock's meaning (non-cached input).
        if let prompt {
            let cached = (record.cacheReadTokens ?? 0) + (record.cacheWriteTokens ?? 0)
            record.inputTokens = prompt >= cached ? prompt - cached : prompt
        }
        if record.status == .failure, record.inputTokens == 0, record.outputTokens == 0 {
            // Failure rows log zeros; they carry no usage.
            record.inputTokens = nil
            record.outputTokens = nil
        }
    }

    /// The cache split of an OpenAI-style `usage_object`.
    private func readCacheTokens(_ tape: JSONTape, _ usage: Int, into record: inout InvocationRecord) throws {
        guard tape.nodes[usage].kind == .object else { return }
        record.cacheReadTokens = try counted(tape, tape.member(usage, "cache_read_input_tokens"), "usage_object.cache_read_input_tokens")
            ?? counted(tape, tape.path(usage, "prompt_tokens_details", "cached_tokens"), "prompt_tokens_details.cached_tokens")
        record.cacheWriteTokens = try counted(tape, tape.member(usage, "cache_creation_input_tokens"),
                                              "usage_object.cache_creation_input_tokens")
    }

    /// LiteLLM's request metadata, as a payload's `metadata` object or a spend row's `metadata` JSON string:
    /// cache split, fallback attempt and original group, error, tenant and correlation. Values already
    /// set from the record itself (error, correlation) win.
    private mutating func readLiteLLMMetadata(_ tape: inout JSONTape, _ metadata: Int,
                                              into record: inout InvocationRecord) throws {
        if let usage = tape.member(metadata, "usage_object") { try readCacheTokens(tape, usage, into: &record) }
        if let attempts = tape.member(metadata, "attempted_fallbacks") {
            record.fallbackAttempt = try counted(tape, attempts, "metadata.attempted_fallbacks")
        }
        record.originalModelGroup = tape.internedString(tape.member(metadata, "original_model_group"), &interner)
        if record.errorCode == nil, let errorInfo = tape.member(metadata, "error_information"),
           tape.nodes[errorInfo].kind == .object {
            record.errorCode = tape.internedString(tape.member(errorInfo, "error_code"), &interner)
            record.errorClass = tape.internedString(tape.member(errorInfo, "error_class"), &interner)
        }
        var maps: [Int] = []
        for key: StaticString in ["requester_metadata", "spend_logs_metadata"] {
            if let map = tape.member(metadata, key) { maps.append(map) }
        }
        let aliases: [String: String?] = [
            "team_alias": tape.member(metadata, "user_api_key_team_alias").flatMap { tape.string($0) },
            "key_alias": tape.member(metadata, "user_api_key_alias").flatMap { tape.string($0) },
        ]
        record.tenant = tenant(tape, maps: maps, aliases: aliases)
        if record.correlationId == nil {
            record.correlationId = stringValue(in: tape, maps: maps, key: options.correlationKey)
        }
    }

    static func stripProviderPrefix(_ model: String) -> String {
        guard !model.hasPrefix("arn:") else { return model }
        var rest = Substring(model)
        // bedrock/converse/us.anthropic… or bedrock/anthropic… → the Bedrock id.
        for prefix in ["bedrock/", "converse/", "invoke/"] where rest.hasPrefix(prefix) { rest = rest.dropFirst(prefix.count) }
        return String(rest)
    }

    // MARK: LiteLLM_SpendLogs rows (JSON lines or CSV)

    private mutating func decodeSpendRow(_ tape: inout JSONTape, root: Int) -> Outcome {
        do {
            guard let idNode = tape.member(root, "request_id"), let requestId = tape.string(idNode), !requestId.isEmpty
            else { throw FieldError.missing("request_id") }
            guard let startNode = tape.member(root, "startTime") else { throw FieldError.missing("startTime") }
            guard let start = tape.timestampMicros(startNode) else { throw FieldError.invalid("startTime") }
            guard let rawModel = tape.internedString(tape.member(root, "model"), &interner) else { throw FieldError.missing("model") }
            let statusText = tape.member(root, "status").flatMap { tape.string($0) }?.lowercased()
            let failed = statusText == "failure" || statusText == "error"
            var record = InvocationRecord(sourceKind: .litellmSpend, requestId: requestId, timestampMicros: start,
                                          rawModelId: rawModel, status: failed ? .failure : .success)
            if let duration = try counted(tape, tape.member(root, "request_duration_ms"), "request_duration_ms") {
                record.latencyMs = duration
            } else if let end = tape.timestampMicros(tape.member(root, "endTime")), end >= start {
                record.latencyMs = (end - start) / 1000
            }
            if let first = tape.timestampMicros(tape.member(root, "completionStartTime")),
               let end = tape.timestampMicros(tape.member(root, "endTime")), first >= start, first < end {
                record.ttftMs = (first - start) / 1000
            }
            record.loggedCostUSD = tape.member(root, "spend").flatMap { tape.double($0) }

            // `metadata` is a JSON document inside a string; parse it with a second tape.
            var metadataText: [UInt8] = []
            if let metadataNode = tape.member(root, "metadata") {
                switch tape.nodes[metadataNode].kind {
                case .string: metadataText = Array(tape.rawBytes(metadataNode))
                case .escapedString: metadataText = Array((tape.string(metadataNode) ?? "").utf8)
                case .object: metadataText = Array(tape.jsonText(metadataNode))
                case .null: break
                default: throw FieldError.invalid("metadata")
                }
            }
            var meta = metadataTape
            defer { metadataTape = meta }
            var hasMetadata = false
            if !metadataText.isEmpty {
                metadataText.append(0)
                let parsed = metadataText.withUnsafeBufferPointer { buffer in
                    JSONParser.parse(buffer.baseAddress!, from: 0, to: buffer.count - 1, into: &meta)
                }
                // One JSON object and nothing after it but whitespace (`{"a":1} junk` is not valid JSON either).
                guard case .complete(let end, _) = parsed, meta.nodes.first?.kind == .object,
                      metadataText[end..<(metadataText.count - 1)].allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) })
                else { throw FieldError.invalid("metadata") }
                hasMetadata = true
            }
            if hasMetadata {
                // The metadata tape points into `metadataText`; keep every read inside this scope.
                try metadataText.withUnsafeBufferPointer { _ in try readLiteLLMMetadata(&meta, 0, into: &record) }
            }
            if failed, record.errorCode == nil { record.errorCode = "failure" }
            try fillLiteLLMCommon(&tape, root: root, usage: nil, into: &record)
            if record.tenant == nil {
                record.tenant = [tape.member(root, "team_id"), tape.member(root, "end_user"), tape.member(root, "user")]
                    .compactMap { $0.flatMap { tape.string($0) } }.first { !$0.isEmpty }
            }
            if record.correlationId == nil {
                record.correlationId = tape.member(root, "session_id").flatMap { tape.string($0) }.flatMap { $0.isEmpty ? nil : $0 }
            }
            try finish(&record)
            return .record(record)
        } catch {
            return Self.rejection(for: error)
        }
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var output = [UInt8]()
    output.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        output.append(digits[Int(byte >> 4)])
        output.append(digits[Int(byte & 15)])
    }
    return String(decoding: output, as: UTF8.self)
}
