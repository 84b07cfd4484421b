/// Writes one Bedrock invocation-log object (gzipped NDJSON) and tallies what it holds.
struct BedrockFileGenerator {
    enum Operation: Int {
        case converse, converseStream, invokeModel, invokeModelStream

        var name: String {
            switch self {
            case .converse: return "Converse"
            case .converseStream: return "ConverseStream"
            case .invokeModel: return "InvokeModel"
            case .invokeModelStream: return "InvokeModelWithResponseStream"
            }
        }
        var isStreaming: Bool { self == .converseStream || self == .invokeModelStream }
    }

    /// How the caller named the model.
    enum IdForm { case base, profileId, profileARN }

    struct Call {
        var model: Int
        /// -1 direct; 0 the account's configured router; 1 the default router.
        var router = -1
        var op: Operation
        var idForm: IdForm = .base
        /// Router: served model named by an inference-profile ARN (else a foundation-model ARN).
        var servedProfileARN = false
        var inferenceRegion: String?
        /// ConverseStream logged as a list of stream events instead of the assembled response.
        var streamEvents = false
        /// InvokeModel on Nova with the native `messages-v1` body.
        var novaNative = false
        var identity: Int
    }

    struct Retry {
        var call: Call
        var tenant: Int
        var trace: [UInt8]
        var feature: Int
        var failureCounted: Bool
    }

    static let errorCodes = ["ThrottlingException", "ValidationException", "ModelTimeoutException", "ServiceUnavailableException"]
    static let temperatures: [StaticString] = ["0", "0.2", "0.5", "0.7", "1"]
    static let maxTokenChoices = [512, 1024, 2048, 4096]
    static let features = ["chat", "summarize", "classify", "extract", "rag-answer"]

    let spec: BedrockFileSpec
    let corruptRate: Double
    let withBodies: Bool
    /// Collect a labels row (`PromptLabels`) for every tallied prompt-router record. Never changes the log bytes.
    let withLabels: Bool
    /// Only lines before this index are tallied (the truncated file is re-run with the salvageable count).
    let lineLimit: Int
    var rng: Rng
    let vocab: Vocabulary
    let account: Catalog.Account
    let region: Catalog.Region
    let accountBytes: [UInt8]
    let regionBytes: [UInt8]
    let identityArns: [[UInt8]]
    var result = UnitResult(source: .bedrock)
    var offloadPending: Bool
    /// Escaped content of the last user turn written by `writeConverseRequest` (indices into its writer).
    var lastUserText: Range<Int>?

    init(spec: BedrockFileSpec, corruptRate: Double, withBodies: Bool, withLabels: Bool = false, lineLimit: Int = .max) {
        self.spec = spec
        self.corruptRate = corruptRate
        self.withBodies = withBodies
        self.withLabels = withLabels
        self.lineLimit = lineLimit
        rng = Rng(seed: spec.seed)
        offloadPending = spec.forceOffload
        vocab = spec.apostropheEscaped ? .bedrockHTMLSafe : .bedrock
        account = Catalog.accounts[spec.account]
        region = Catalog.regions[spec.region]
        accountBytes = Array(account.id.utf8)
        regionBytes = Array(region.name.utf8)
        identityArns = account.roles.map { Array("arn:aws:sts::\(Catalog.accounts[spec.account].id):assumed-role/\($0.role)/\($0.session)".utf8) }
    }

    // MARK: file

    mutating func generate() throws -> UnitResult {
        let n = spec.records
        // Timestamps first, sorted: a delivery batch is roughly in time order.
        var times: [Int64] = []   // epoch millis * 2 + 1 when written with fractional seconds
        times.reserveCapacity(n)
        for _ in 0..<n {
            var seconds: Int64
            if rng.chance(0.03) {
                seconds = spec.hourStart - Int64(rng.int(1...900))   // delivered in the next hour's folder
            } else {
                seconds = spec.windowStart + Int64(rng.below(Int(spec.windowLength)))
            }
            let fractional = rng.chance(0.12)
            let millis = seconds * 1000 + (fractional ? Int64(rng.below(1000)) : 0)
            times.append(millis * 2 + (fractional ? 1 : 0))
        }
        times.sort()

        var w = JSONOut(layout: .compact, escaping: spec.apostropheEscaped ? .bedrockHTMLSafe : .bedrock,
                        capacity: n * 4096 + 1024)
        var lineStarts: [Int] = []
        var validLines: [(line: Int, requestId: [UInt8])] = []
        lineStarts.reserveCapacity(n + 1)
        var retry: Retry?
        for i in 0..<n {
            lineStarts.append(w.bytes.count)
            var kind: CorruptKind?
            if !spec.truncate && corruptRate > 0 && rng.chance(corruptRate) {
                kind = CorruptKind(rawValue: rng.below(CorruptKind.allCases.count))
            }
            let millis = times[i] >> 1
            let fractional = times[i] & 1 == 1
            let counted = i < lineLimit
            switch kind {
            case .notJSON?:
                w.bytes.append(contentsOf: Catalog.notJSONLines[rng.below(Catalog.notJSONLines.count)].utf8)
            case .notLogRecord?:
                w.bytes.append(contentsOf: Catalog.notRecordLines[rng.below(Catalog.notRecordLines.count)].utf8)
            default:
                let start = w.bytes.count
                let facts = writeRecord(&w, millis: millis, fractional: fractional, kind: kind, retry: &retry,
                                        counted: counted && kind == nil)
                if kind == .truncatedJSON {
                    var cut = start + (w.bytes.count - start) * rng.int(30...90) / 100
                    while cut > start + 1 && w.bytes[cut] & 0xC0 == 0x80 { cut -= 1 }   // not inside a UTF-8 sequence
                    w.bytes.removeSubrange(cut...)
                }
                if kind == nil {
                    validLines.append((i, facts.requestId))
                    if counted {
                        tally(facts, millis: millis)
                        if withLabels && facts.call.router >= 0 { result.labels.append(labelRow(facts, line: i, millis: millis)) }
                    }
                }
            }
            w.bytes.append(UInt8(ascii: "\n"))
            if let kind { result.corrupt.bump(kind.name) }
        }
        lineStarts.append(w.bytes.count)
        var content = w.bytes
        result.lines = n
        var splitOffset = lineStarts[max(1, n / 2)]

        if spec.duplicate, !validLines.isEmpty {
            let pick = validLines[rng.below(validLines.count)]
            let copy = Array(content[lineStarts[pick.line]..<lineStarts[pick.line + 1]])
            let at = rng.int((pick.line + 1)...n)   // insert before line `at` (or at the end)
            content.insert(contentsOf: copy, at: lineStarts[at])
            if lineStarts[at] <= splitOffset { splitOffset += copy.count }
            result.lines += 1
            result.duplicate = SynthSummary.DuplicateInfo(file: spec.path, requestId: String(decoding: pick.requestId, as: UTF8.self),
                                                          originalLine: pick.line, duplicateLine: at)
        }

        var compressed: [UInt8] = []
        compressed.reserveCapacity(content.count / 4)
        if spec.multiMember {
            // Two members split at a line boundary near the middle.
            try Gzip.compress(content[0..<splitOffset], into: &compressed)
            try Gzip.compress(content[splitOffset...], into: &compressed)
            result.multiMember = true
        } else {
            try Gzip.compress(content[...], into: &compressed)
        }
        if spec.truncate {
            let full = compressed.count
            let keep = max(24, full * rng.int(40...70) / 100)
            compressed.removeSubrange(keep...)
            let salvaged = Gzip.decompressPrefix(compressed)
            let complete = salvaged.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            result.truncation = SynthSummary.TruncationInfo(
                file: spec.path, completeLinesBeforeDamage: complete, linesBeforeTruncation: n,
                recordsLost: n - complete, compressedBytesKept: keep, compressedBytesOriginal: full)
        }
        result.files.insert(OutputFile(path: spec.path, data: compressed, uncompressedSize: content.count), at: 0)
        return result
    }

    // MARK: record

    struct Facts {
        var requestId: [UInt8] = []
        var call: Call
        var error: Int?
        var bodies = false
        var offloaded = false
        var tenant: Int?
        var input = 0, output = 0, cacheRead = 0, cacheWrite = 0
        var retriedFailureCounted = false
        /// For labels: the drawn input token count (also for failures), the prompt's size and turns, and the
        /// escaped last user turn when the body was written.
        var drawnInput = 0
        var promptBytes = 0
        var multiTurn = false
        var userText: [UInt8]?
    }

    mutating func chooseCall() -> Call {
        let identity = rng.below(account.roles.count + 1) % account.roles.count   // first role twice as likely
        let x = rng.unit()
        if spec.region == 0 && x < 0.38 {
            var call = Call(model: rng.chance(0.68) ? Catalog.haiku : Catalog.sonnet,
                            router: rng.chance(0.7) ? 0 : 1,
                            op: rng.chance(0.55) ? .converse : .converseStream, identity: identity)
            call.streamEvents = call.op == .converseStream && rng.chance(0.25)
            call.servedProfileARN = rng.chance(0.4)
            if call.servedProfileARN { call.inferenceRegion = destination() }
            return call
        }
        let claudeShare = spec.region == 0 ? 0.65 : 0.5
        if x < claudeShare {
            let model = spec.region == 0 && rng.chance(0.55) ? Catalog.haiku : Catalog.sonnet
            let o = rng.unit()
            let op: Operation = o < 0.55 ? .invokeModel : o < 0.85 ? .invokeModelStream : o < 0.95 ? .converse : .converseStream
            var call = Call(model: model, op: op, identity: identity)
            let f = rng.unit()
            call.idForm = spec.region == 0 ? (f < 0.35 ? .base : f < 0.75 ? .profileId : .profileARN)
                                           : (f < 0.65 ? .profileId : .profileARN)
            if call.idForm != .base { call.inferenceRegion = destination() }
            return call
        }
        if spec.region != 0 || x < 0.85 {
            let model = rng.chance(0.35) ? Catalog.novaPro : Catalog.novaLite
            let o = rng.unit()
            var call = Call(model: model, op: o < 0.70 ? .converse : o < 0.95 ? .converseStream : .invokeModel, identity: identity)
            call.novaNative = call.op == .invokeModel
            call.streamEvents = call.op == .converseStream && rng.chance(0.1)
            if rng.chance(0.3) { call.idForm = .profileId; call.inferenceRegion = destination() }
            return call
        }
        let model = rng.chance(0.4) ? Catalog.llama31 : Catalog.llama33
        var call = Call(model: model, op: rng.chance(0.85) ? .invokeModel : .invokeModelStream, identity: identity)
        if model == Catalog.llama33 || rng.chance(0.3) { call.idForm = .profileId; call.inferenceRegion = destination() }
        return call
    }

    mutating func destination() -> String {
        region.destinations[rng.pick(cumulative: region.destinationWeights)]
    }

    func modelIdText(_ call: Call) -> String {
        let canonical = Catalog.models[call.model].canonical
        if call.router == 0 { return "arn:aws:bedrock:us-east-1:\(account.id):prompt-router/\(account.routerId)" }
        if call.router == 1 { return "arn:aws:bedrock:us-east-1:\(account.id):default-prompt-router/anthropic.claude:1" }
        switch call.idForm {
        case .base: return canonical
        case .profileId: return "\(region.geo).\(canonical)"
        case .profileARN: return "arn:aws:bedrock:\(region.name):\(account.id):inference-profile/\(region.geo).\(canonical)"
        }
    }

    func invokedModelIdText(_ call: Call) -> String {
        let canonical = Catalog.models[call.model].canonical
        return call.servedProfileARN
            ? "arn:aws:bedrock:us-east-1:\(account.id):inference-profile/us.\(canonical)"
            : "arn:aws:bedrock:us-east-1::foundation-model/\(canonical)"
    }

    mutating func writeRecord(_ w: inout JSONOut, millis: Int64, fractional: Bool, kind: CorruptKind?,
                              retry: inout Retry?, counted: Bool) -> Facts {
        let forceSuccess = kind == .nonIntegerTokenCount || retry != nil
        var facts: Facts
        var trace: [UInt8] = []
        var feature = 0
        let pendingRetry = retry
        retry = nil
        if let pendingRetry {
            facts = Facts(call: pendingRetry.call)
            facts.tenant = pendingRetry.tenant
            trace = pendingRetry.trace
            feature = pendingRetry.feature
            facts.retriedFailureCounted = pendingRetry.failureCounted && counted
        } else {
            facts = Facts(call: chooseCall())
            if rng.chance(0.85) {
                facts.tenant = rng.pick(cumulative: Catalog.tenantWeights)
                rng.hex(32, into: &trace)
                feature = rng.chance(0.3) ? 1 + rng.below(Self.features.count) : 0
            }
        }
        var call = facts.call
        let model = Catalog.models[call.model]

        if !forceSuccess {
            let x = rng.unit()
            let throttle = 0.01 + 0.035 * spec.load
            if x < throttle { facts.error = 0 }
            else if x < throttle + 0.004 { facts.error = 1 }
            else if x < throttle + 0.0055 { facts.error = 2 }
            else if x < throttle + 0.0075 { facts.error = 3 }
        }
        if facts.error != nil {
            call.inferenceRegion = nil
            if facts.tenant != nil && rng.chance(0.5) {
                retry = Retry(call: facts.call, tenant: facts.tenant!, trace: trace, feature: feature, failureCounted: counted)
            }
        }
        facts.call = call
        rng.uuid(into: &facts.requestId)

        // Tokens, caching, latency.
        let maxTokens = Self.maxTokenChoices[rng.below(Self.maxTokenChoices.count)]
        var output = Int(rng.logNormal(median: model.family == .claude && call.model == Catalog.sonnet ? 230 : 150, sigma: 0.8))
        output = max(1, output)
        let truncatedOutput = output >= maxTokens
        output = min(output, maxTokens)
        var input = max(5, min(60_000, Int(rng.logNormal(median: 420, sigma: 0.9))))
        var cacheRead = 0, cacheWrite = 0
        if model.family == .claude && rng.chance(0.22) {
            let cached = max(1024, Int(rng.logNormal(median: 2400, sigma: 0.5)))
            if rng.chance(0.7) { cacheRead = cached } else { cacheWrite = cached }
        }
        let bodies = withBodies && !rng.chance(0.04)
        var offload = bodies && facts.error == nil && call.router < 0 && kind == nil
        offload = offload && (offloadPending || rng.chance(0.002))
        if offload { offloadPending = false }
        if offload { input = Int(rng.logNormal(median: 32_000, sigma: 0.1)) }
        let ttft = model.ttftMs * rng.logNormal(median: 1, sigma: 0.3) + Double(input + cacheRead + cacheWrite) / 1000 * 25
            + (call.router >= 0 ? 85 : 0)
        let latency = Int(ttft + Double(output) * model.msPerToken * rng.logNormal(median: 1, sigma: 0.2))
        let firstByte = min(latency, Int(ttft))
        let temperature = rng.below(Self.temperatures.count)
        let multiTurn = rng.chance(0.2)
        let hasSystem = cacheRead + cacheWrite > 0 || rng.chance(0.4)
        let promptBytes = min(6000, input * 4)
        let systemBytes = cacheRead + cacheWrite > 0 ? min(4000, (cacheRead + cacheWrite) * 4) : (hasSystem ? rng.int(80...800) : 0)
        let outputBytes = max(8, min(5000, output * 4))
        facts.drawnInput = input
        facts.promptBytes = promptBytes
        facts.multiTurn = multiTurn

        // The record.
        w.beginObject()
        if spec.schemaFirst { writeSchema(&w) }
        w.key("timestamp"); w.openString(); w.bytes.appendISO8601(epochMillis: millis, fractional: fractional); w.closeString()
        w.key("accountId"); w.string(escaped: accountBytes)
        w.key("identity"); w.beginObject(); w.key("arn"); w.string(escaped: identityArns[call.identity]); w.endObject()
        w.key("region"); w.string(escaped: regionBytes)
        if kind != .missingRequestId { w.key("requestId"); w.string(escaped: facts.requestId) }
        w.key("operation"); w.string(call.op.name)
        w.key("modelId"); w.string(modelIdText(call))

        if facts.error != nil {
            // Failed calls: empty input/output, no token counts, no bodies.
            let withType = rng.chance(0.3)
            w.key("input"); w.beginObject()
            if withType { w.key("inputContentType"); w.string("application/json") }
            w.endObject()
            w.key("output"); w.beginObject()
            if withType { w.key("outputContentType"); w.string("application/json") }
            w.endObject()
        } else {
            facts.bodies = bodies
            facts.offloaded = offload
            facts.input = input; facts.output = output; facts.cacheRead = cacheRead; facts.cacheWrite = cacheWrite
            let converseFamily = call.op == .converse || call.op == .converseStream
            // input
            w.key("input"); w.beginObject()
            w.key("inputContentType"); w.string("application/json")
            if bodies {
                let prompt = Prompt(systemBytes: systemBytes, promptBytes: promptBytes, multiTurn: multiTurn,
                                    cached: cacheRead + cacheWrite > 0, maxTokens: maxTokens, temperature: temperature)
                if offload {
                    let id = facts.requestId
                    var body = JSONOut(layout: .compact, escaping: w.escaping, capacity: input * 4 + 4096)
                    writeRequestBody(&body, call: call, prompt: Prompt(systemBytes: systemBytes, promptBytes: input * 4,
                                                                       multiTurn: false, cached: prompt.cached,
                                                                       maxTokens: maxTokens, temperature: temperature))
                    let relative = "\(spec.folder)/data/\(String(decoding: id, as: UTF8.self))_input.json.gz"
                    if let compressed = try? Gzip.compress(body.bytes) {
                        result.files.append(OutputFile(path: relative, data: compressed, uncompressedSize: body.bytes.count))
                    }
                    w.key("inputBodyS3Path"); w.string("s3://\(account.bucket)/\(relative)")
                } else {
                    w.key("inputBodyJson")
                    lastUserText = nil
                    writeRequestBody(&w, call: call, prompt: prompt)
                    if withLabels && call.router >= 0, let range = lastUserText { facts.userText = Array(w.bytes[range]) }
                }
            }
            if kind == .nonIntegerTokenCount {
                w.key("inputTokenCount"); w.string("abc")
            } else {
                w.key("inputTokenCount"); w.int(input)
            }
            if converseFamily || cacheRead + cacheWrite > 0 {
                w.key("cacheReadInputTokenCount"); w.int(cacheRead)
                w.key("cacheWriteInputTokenCount"); w.int(cacheWrite)
            }
            w.endObject()
            // output
            w.key("output"); w.beginObject()
            w.key("outputContentType"); w.string("application/json")
            if bodies {
                w.key("outputBodyJson")
                let text = vocab.text(target: outputBytes, rng: &rng)
                let usage = Usage(input: input, output: output, cacheRead: cacheRead, cacheWrite: cacheWrite,
                                  latency: latency, firstByte: firstByte, truncated: truncatedOutput)
                writeResponseBody(&w, call: call, text: text, usage: usage)
            }
            w.key("outputTokenCount"); w.int(output)
            w.endObject()
        }
        if let inferenceRegion = call.inferenceRegion { w.key("inferenceRegion"); w.string(inferenceRegion) }
        if let tenant = facts.tenant {
            w.key("requestMetadata"); w.beginObject()
            w.key("tenant_id"); w.string(Catalog.tenants[tenant])
            w.key("trace_id"); w.string(escaped: trace)
            if feature > 0 { w.key("feature"); w.string(Self.features[feature - 1]) }
            w.endObject()
        }
        if let error = facts.error { w.key("errorCode"); w.string(Self.errorCodes[error]) }
        if !spec.schemaFirst { writeSchema(&w) }
        w.endObject()
        return facts
    }

    func writeSchema(_ w: inout JSONOut) {
        w.key("schemaType"); w.string("ModelInvocationLog")
        w.key("schemaVersion"); w.string("1.0")
    }

    // MARK: labels

    /// The labels row of a tallied prompt-router record: the last user turn as the body holds it (or, without a
    /// body, the text the generator would have written, from a separate stream), and scores from another stream.
    func labelRow(_ f: Facts, line: Int, millis: Int64) -> LabelRow {
        let text: [UInt8]
        if let escaped = f.userText {
            text = PromptLabels.unescapeJSON(escaped[...])
        } else {
            var textRng = Rng(seed: SplitMix64.derive(spec.seed, stream: PromptLabels.textStream, index: UInt64(line)))
            var target = f.promptBytes
            if f.multiTurn && f.promptBytes > 200 {
                let first = f.promptBytes * textRng.int(20...40) / 100
                let answer = f.promptBytes * textRng.int(20...40) / 100
                target = max(20, f.promptBytes - first - answer)
            }
            text = PromptLabels.unescapeJSON(vocab.text(target: target, rng: &textRng)[...])
        }
        var scoreRng = Rng(seed: SplitMix64.derive(spec.seed, stream: PromptLabels.scoreStream, index: UInt64(line)))
        let tiers = PromptLabels.tiers(router: f.call.router)
        let scores = PromptLabels.scores(kind: .of(text), routedStrong: f.call.model == tiers.strong, rng: &scoreRng)
        let tokens = f.error == nil ? f.input : f.drawnInput
        return LabelRow(millis: millis, requestId: f.requestId,
                        line: PromptLabels.row(requestId: f.requestId, text: text, inputTokens: tokens,
                                               router: f.call.router, scores: scores))
    }

    // MARK: tally

    mutating func tally(_ f: Facts, millis: Int64) {
        var c = result.counts
        result.counts = ExpectedCounts()   // keep `c` uniquely referenced: no dictionary copies
        let call = f.call
        let canonical = Catalog.models[call.model].canonical
        c.records += 1
        c.operations.bump(call.op.name)
        c.accounts.bump(account.id)
        c.regions.bump(region.name)
        if let tenant = f.tenant {
            c.withRequestMetadata += 1
            c.tenants.bump(Catalog.tenants[tenant])
        }
        if call.op.isStreaming { c.streaming += 1 }
        if let ir = call.inferenceRegion {
            c.crossRegion += 1
            c.inferenceRegions.bump(ir)
        }
        if call.router >= 0 {
            c.routerRequests += 1
            c.routerRequestsByRouter.bump(modelIdText(call))
        }
        if let error = f.error {
            c.failures += 1
            c.failuresByErrorCode.bump(Self.errorCodes[error])
            if call.router < 0 { c.servedModels.bump(canonical) }
        } else {
            c.successes += 1
            c.inputTokens += Int64(f.input)
            c.outputTokens += Int64(f.output)
            c.cacheReadTokens += Int64(f.cacheRead)
            c.cacheWriteTokens += Int64(f.cacheWrite)
            if !f.bodies { c.successesWithoutBodies += 1 }
            if f.bodies && (call.op != .invokeModel) { c.successesWithLatency += 1 }
            if call.router >= 0 {
                if f.bodies {
                    c.routerRequestsServedModelResolvable += 1
                    c.routerServedModels.bump(canonical)
                    c.servedModels.bump(canonical)
                }
            } else {
                c.servedModels.bump(canonical)
            }
            if f.retriedFailureCounted { c.failuresRetriedLater += 1 }
        }
        result.counts = c
        if f.offloaded { result.offloaded += 1 }
        if millis / 1000 < spec.hourStart { result.delayed += 1 }
    }
}
