import Foundation
import RouteLedgerModel

/// One logical gateway request to replay: when it arrived, who sent it, which model group it asked for
/// and its tokens (nil = not known).
public struct Arrival: Sendable, Equatable {
    public var timestampMicros: Int64
    /// nil: no tenant (never tenant-limited).
    public var tenant: String?
    public var modelGroup: String
    /// Non-cached input tokens (the ledger's meaning); nil = unknown.
    public var inputTokens: Int64?
    public var outputTokens: Int64?
    public var cacheReadTokens: Int64
    public var cacheWriteTokens: Int64

    public init(timestampMicros: Int64, tenant: String? = nil, modelGroup: String, inputTokens: Int64? = nil,
                outputTokens: Int64? = nil, cacheReadTokens: Int64 = 0, cacheWriteTokens: Int64 = 0) {
        self.timestampMicros = timestampMicros
        self.tenant = tenant
        self.modelGroup = modelGroup
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
    }

    /// Whether both input and output tokens are known.
    public var tokensKnown: Bool { inputTokens != nil && outputTokens != nil }

    /// What a TPM counter counts for the request: LiteLLM's total tokens (prompt tokens, cached ones
    /// included, plus completion tokens). Unknown counts add 0.
    public var rateLimitTokens: Int64 {
        (inputTokens ?? 0) + (outputTokens ?? 0) + cacheReadTokens + cacheWriteTokens
    }

    /// Tokens for pricing, or nil when they are not known (the request is then unpriced, never $0).
    public var pricedTokens: TokenCounts? {
        guard let inputTokens, let outputTokens else { return nil }
        return TokenCounts(input: inputTokens, output: outputTokens, cacheRead: cacheReadTokens, cacheWrite: cacheWriteTokens)
    }
}

/// Arrivals as read from a CSV file: `ts,tenant,model_group,input_tokens,output_tokens`.
public enum ArrivalsFile {
    public static let columns = ["ts", "tenant", "model_group", "input_tokens", "output_tokens"]

    public static func load(path: String) throws -> [Arrival] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReplayError(file: path, "cannot read the arrivals file") }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// `ts` is ISO-8601 with a zone (`2026-11-03T10:00:00Z`, `2026-11-03T10:00:00.250+01:00`) or epoch
    /// milliseconds; `tenant` may be empty (no tenant); the token columns may be empty (unknown). A header row
    /// (one naming a `ts` column) is optional when the columns are in this order; with a header the columns may be in
    /// any order and extra columns are ignored. Blank lines and lines starting with `#` are skipped.
    public static func parse(_ text: String, file: String) throws -> [Arrival] {
        var arrivals: [Arrival] = []
        var index: [String: Int] = ["ts": 0, "tenant": 1, "model_group": 2, "input_tokens": 3, "output_tokens": 4]
        var sawRecord = false
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let fields = try splitFields(line, file: file, line: lineNumber)
            if !sawRecord {
                sawRecord = true
                if fields.contains(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == "ts" }) {
                    index = [:]
                    for (position, name) in fields.enumerated() { index[name.trimmingCharacters(in: .whitespaces).lowercased()] = position }
                    for required in ["ts", "model_group"] where index[required] == nil {
                        throw ReplayError(file: file, line: lineNumber, "the header has no \(required) column (columns: \(columns.joined(separator: ",")))")
                    }
                    continue
                }
            }
            func field(_ name: String) -> String? {
                guard let position = index[name], position < fields.count else { return nil }
                let value = fields[position].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
            guard let tsText = field("ts") else { throw ReplayError(file: file, line: lineNumber, "no ts") }
            guard let micros = timestamp(tsText) else {
                throw ReplayError(file: file, line: lineNumber, "ts \"\(tsText)\" is neither ISO-8601 with a zone nor epoch milliseconds")
            }
            guard let group = field("model_group") else { throw ReplayError(file: file, line: lineNumber, "no model_group") }
            func tokens(_ name: String) throws -> Int64? {
                guard let text = field(name) else { return nil }
                guard let value = Int64(text), value >= 0 else {
                    throw ReplayError(file: file, line: lineNumber, "\(name) \"\(text)\" is not a non-negative whole number")
                }
                return value
            }
            arrivals.append(Arrival(timestampMicros: micros, tenant: field("tenant"), modelGroup: group,
                                    inputTokens: try tokens("input_tokens"), outputTokens: try tokens("output_tokens")))
        }
        return arrivals
    }

    /// ISO-8601 (zone required) or epoch milliseconds (fractions allowed).
    static func timestamp(_ text: String) -> Int64? {
        if let iso = TimeExpression.parseISO(text) { return iso }
        if let ms = Int64(text) { return ms * 1000 }
        if text.contains("."), let ms = Double(text), ms.isFinite, abs(ms) < 1e15 { return Int64((ms * 1000).rounded()) }
        return nil
    }

    /// Comma-separated fields; a field in double quotes may hold commas and `""`.
    static func splitFields(_ line: Substring, file: String, line number: Int) throws -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var atFieldStart = true
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    // Peek: a doubled quote is a literal quote.
                    var lookahead = iterator
                    if lookahead.next() == "\"" { current.append("\""); iterator = lookahead } else { quoted = false }
                } else {
                    current.append(character)
                }
            } else if character == "," {
                fields.append(current)
                current = ""
                atFieldStart = true
                continue
            } else if character == "\"" && atFieldStart {
                quoted = true
            } else {
                current.append(character)
            }
            atFieldStart = false
        }
        if quoted { throw ReplayError(file: file, line: number, "unterminated quoted field") }
        fields.append(current)
        return fields
    }
}

/// Median latencies observed per (canonical) model, for the latency penalty of fallbacks.
public struct LatencyProfile: Sendable, Equatable {
    /// Canonical model → latencies in ms of successful first attempts.
    public var samples: [String: [Int64]]

    public init(samples: [String: [Int64]] = [:]) { self.samples = samples }

    public var isEmpty: Bool { samples.isEmpty }

    /// The median latency over every sample of `models` (nil when none has any).
    public func median(models: [String]) -> Double? {
        var all: [Int64] = []
        for model in Set(models) { all.append(contentsOf: samples[model] ?? []) }
        guard !all.isEmpty else { return nil }
        all.sort()
        let middle = all.count / 2
        return all.count % 2 == 1 ? Double(all[middle]) : Double(all[middle - 1] + all[middle]) / 2
    }
}

/// One gateway row of the ledger, strings resolved; what `LogicalRequestCollector` needs of a `ScannedRow`.
public struct GatewayLogRow: Sendable {
    public var timestampMicros: Int64
    /// Correlation id (rows sharing one are one logical request); nil or empty = the row stands alone.
    public var correlation: String?
    public var tenant: String?
    public var modelGroup: String?
    public var originalModelGroup: String?
    /// Canonical served model (ledger `served_model`).
    public var servedModel: String?
    /// -1 = unknown, as in `ScannedRow`.
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var cacheReadTokens: Int64
    public var cacheWriteTokens: Int64
    public var latencyMs: Int64
    public var failed: Bool
    /// LiteLLM `attempted_fallbacks`; -1 = not logged.
    public var fallbackAttempt: Int64

    public init(timestampMicros: Int64, correlation: String? = nil, tenant: String? = nil, modelGroup: String? = nil,
                originalModelGroup: String? = nil, servedModel: String? = nil, inputTokens: Int64 = -1, outputTokens: Int64 = -1,
                cacheReadTokens: Int64 = -1, cacheWriteTokens: Int64 = -1, latencyMs: Int64 = -1, failed: Bool = false,
                fallbackAttempt: Int64 = -1) {
        self.timestampMicros = timestampMicros
        self.correlation = correlation
        self.tenant = tenant
        self.modelGroup = modelGroup
        self.originalModelGroup = originalModelGroup
        self.servedModel = servedModel
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.latencyMs = latencyMs
        self.failed = failed
        self.fallbackAttempt = fallbackAttempt
    }
}

/// Gateway traffic of the ledger as the rate-limit replay sees it.
public struct LedgerTraffic: Sendable, Equatable {
    /// One per logical request, in order of its first attempt.
    public var arrivals: [Arrival]
    public var latency: LatencyProfile
    /// Gateway rows read.
    public var rows: Int
    /// Logical requests left out because no row of them names a model group.
    public var withoutModelGroup: Int

    public init(arrivals: [Arrival] = [], latency: LatencyProfile = LatencyProfile(), rows: Int = 0, withoutModelGroup: Int = 0) {
        self.arrivals = arrivals
        self.latency = latency
        self.rows = rows
        self.withoutModelGroup = withoutModelGroup
    }
}

/// Folds gateway rows (in timestamp order) into logical requests the way the report's metrics do: rows
/// sharing a correlation id are one request, a row without one is a request of its own. A request arrives
/// at its first attempt's time, for the group originally asked for (`original_model_group`, else the first
/// attempt's group), from the first named tenant, with the tokens of its successful attempt (else of the
/// first attempt that logged any). Latency samples are successful attempts that were not fallbacks.
public struct LogicalRequestCollector {
    private struct Pending {
        var arrival: Arrival
        var hasGroup: Bool
        var tokensFromSuccess: Bool
        var tokensSet: Bool
    }

    private var pending: [Pending] = []
    private var byCorrelation: [String: Int] = [:]
    private var samples: [String: [Int64]] = [:]
    private var rows = 0

    public init() {}

    public mutating func append(_ row: GatewayLogRow) {
        rows += 1
        if !row.failed, row.latencyMs >= 0, row.fallbackAttempt <= 0, let model = row.servedModel, !model.isEmpty {
            samples[model, default: []].append(row.latencyMs)
        }
        let group = nonEmpty(row.originalModelGroup) ?? nonEmpty(row.modelGroup)
        let tokensKnown = row.inputTokens >= 0 || row.outputTokens >= 0
        func tokens(_ arrival: inout Arrival) {
            arrival.inputTokens = row.inputTokens >= 0 ? row.inputTokens : nil
            arrival.outputTokens = row.outputTokens >= 0 ? row.outputTokens : nil
            arrival.cacheReadTokens = max(0, row.cacheReadTokens)
            arrival.cacheWriteTokens = max(0, row.cacheWriteTokens)
        }
        if let correlation = nonEmpty(row.correlation), let index = byCorrelation[correlation] {
            var entry = pending[index]
            if entry.arrival.tenant == nil, let tenant = nonEmpty(row.tenant) { entry.arrival.tenant = tenant }
            if !entry.hasGroup, let group {
                entry.arrival.modelGroup = group
                entry.hasGroup = true
            }
            if tokensKnown, !entry.tokensFromSuccess, !row.failed || !entry.tokensSet {
                tokens(&entry.arrival)
                entry.tokensSet = true
                entry.tokensFromSuccess = !row.failed
            }
            pending[index] = entry
            return
        }
        var arrival = Arrival(timestampMicros: row.timestampMicros, tenant: nonEmpty(row.tenant), modelGroup: group ?? "")
        if tokensKnown { tokens(&arrival) }
        if let correlation = nonEmpty(row.correlation) { byCorrelation[correlation] = pending.count }
        pending.append(Pending(arrival: arrival, hasGroup: group != nil, tokensFromSuccess: tokensKnown && !row.failed,
                               tokensSet: tokensKnown))
    }

    private func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    public func finish() -> LedgerTraffic {
        let kept = pending.filter(\.hasGroup).map(\.arrival)
        return LedgerTraffic(arrivals: kept, latency: LatencyProfile(samples: samples), rows: rows,
                             withoutModelGroup: pending.count - kept.count)
    }
}
