import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerStore

/// One hand-written ledger row, with strings instead of ledger ids.
struct Row {
    var at: String
    var kind: SourceKind = .bedrock
    var model: String? = nil
    var router: String? = nil
    var served: String? = nil
    var region: String? = "us-east-1"
    var inference: String? = nil
    var account: String? = "111122223333"
    var tenant: String? = nil
    var group: String? = nil
    var originalGroup: String? = nil
    var deployment: String? = nil
    var input: Int64 = -1
    var output: Int64 = -1
    var cacheRead: Int64 = -1
    var cacheWrite: Int64 = -1
    var latency: Int64 = -1
    var ttft: Int64 = -1
    var failed = false
    var error: String? = nil
    var correlation: String? = nil
    var attempt: Int64 = -1
    var logged: Double = .nan
    var flags: RecordFlags = []
}

/// Builds a frame from rows the way the ledger scanner would hand them over.
enum TinyFrame {
    static func build(_ rows: [Row], since: Int64, until: Int64) -> Frame {
        var strings = [""]
        var ids: [String: Int32] = [:]
        func id(_ s: String?) -> Int32 {
            guard let s else { return 0 }
            if let known = ids[s] { return known }
            strings.append(s)
            ids[s] = Int32(strings.count - 1)
            return ids[s]!
        }
        var scanned: [(ScannedRow, String?)] = []
        for row in rows.sorted(by: { micros($0.at) < micros($1.at) }) {
            var r = ScannedRow()
            r.timestampMicros = micros(row.at)
            r.sourceKind = row.kind
            r.model = id(row.model); r.router = id(row.router); r.servedModel = id(row.served ?? (row.router == nil ? row.model : nil))
            r.region = id(row.region); r.inferenceRegion = id(row.inference); r.account = id(row.account)
            r.tenant = id(row.tenant); r.modelGroup = id(row.group); r.originalModelGroup = id(row.originalGroup)
            r.deployment = id(row.deployment); r.errorCode = id(row.error)
            r.inputTokens = row.input; r.outputTokens = row.output; r.cacheReadTokens = row.cacheRead; r.cacheWriteTokens = row.cacheWrite
            r.latencyMs = row.latency; r.ttftMs = row.ttft; r.failed = row.failed; r.fallbackAttempt = row.attempt
            r.loggedCostUSD = row.logged; r.flags = row.flags.rawValue
            scanned.append((r, row.correlation))
        }
        var builder = FrameBuilder(since: since, until: until, ledgerStrings: strings)
        for (row, correlation) in scanned {
            if let correlation {
                var bytes = Array(correlation.utf8)
                bytes.withUnsafeMutableBytes { builder.append(row, correlation: UnsafeRawBufferPointer($0)) }
            } else {
                builder.append(row, correlation: nil)
            }
        }
        return builder.build()
    }

    static func micros(_ iso: String) -> Int64 { TimeExpression.parseISO(iso)! }
}

/// A catalog written for the tests, so expected numbers do not move when the shipped prices do.
enum TestCatalog {
    static let sonnet = "anthropic.claude-sonnet-4-20250514-v1:0"
    static let haiku = "anthropic.claude-3-5-haiku-20241022-v1:0"
    static let router = "arn:aws:bedrock:us-east-1:111122223333:prompt-router/abc123"

    static let json = """
        {"schema": "routeledger.prices/1", "version": "test",
         "families": {"anthropic": {"strong": "\(sonnet)", "cheap": "\(haiku)"}},
         "models": [
           {"model": "\(sonnet)", "family": "anthropic", "tier": "strong"},
           {"model": "\(haiku)", "family": "anthropic", "tier": "cheap"}],
         "prices": [
           {"model": "\(sonnet)", "region": "*", "effective_from": "2025-05-22", "input": 3, "output": 15, "cache_read": 0.30, "cache_write": 3.75},
           {"model": "\(haiku)", "region": "*", "effective_from": "2024-11-04", "input": 0.8, "output": 4, "cache_read": 0.08, "cache_write": 1.0}]}
        """

    static var catalog: PriceCatalog { try! PriceCatalog.decode(Data(json.utf8), origin: "test") }
}

import Foundation
