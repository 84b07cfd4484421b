import Foundation
import RouteLedgerStore

/// Renders an ingest summary. Never prints record content: only locations, reasons and counts.
enum SummaryFormatter {
    /// Rejections listed in the text summary; the JSON summary and the `rejects` table have more.
    static let textRejectionLimit = 10

    static func json(_ summary: IngestSummary) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: (try? encoder.encode(summary)) ?? Data(), as: UTF8.self)
    }

    static func text(_ summary: IngestSummary) -> String {
        var lines: [String] = []
        let megabytes = Double(summary.uncompressedBytes) / 1_048_576
        let seconds = max(summary.seconds, 0.001)
        lines.append("ledger      \(summary.ledger)")
        lines.append("files       \(summary.filesSeen) seen, \(summary.filesRead) read, \(summary.filesUnchanged) unchanged, "
                     + "\(summary.filesReplaced) replaced, \(summary.filesFailed) failed, \(summary.membersRead) members")
        lines.append("records     \(summary.recordsRead) read = \(summary.stored) stored + \(summary.duplicates) duplicates"
                     + " + \(summary.rejected) rejected" + (summary.reconciles ? "" : "  (DOES NOT RECONCILE)"))
        if summary.conflicts > 0 {
            lines.append("conflicts   \(summary.conflicts) request ids re-used with different content (kept out; see table conflicts)")
        }
        for (reason, count) in summary.rejectedByReason.sorted(by: { $0.key < $1.key }) {
            lines.append("  rejected  \(count) \(reason)")
        }
        var skippedByReason: [String: Int] = [:]
        for skipped in summary.skipped { skippedByReason[skipped.reason, default: 0] += 1 }
        lines.append("skipped     \(summary.skipped.count)" + (skippedByReason.isEmpty ? "" : " ("
            + skippedByReason.sorted(by: { $0.key < $1.key }).map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")"))
        lines.append("routers     \(summary.routerRequests) router requests, \(summary.unresolvedRouterRequests) with unresolved served model")
        if summary.tokensMissing > 0 {
            lines.append("flagged     \(summary.tokensMissing) successful requests without token counts (not priced)")
        }
        if summary.timestampSuspect > 0 {
            lines.append("flagged     \(summary.timestampSuspect) records timestamped before 2020 or more than a day ahead (stored, flag 64)")
        }
        lines.append(String(format: "speed       %.2f s, %.1f MB/s uncompressed, %.0f records/s",
                            summary.seconds, megabytes / seconds, Double(summary.recordsRead) / seconds))
        for issue in summary.issues {
            lines.append("issue       \(location(issue)): \(issue.reason): \(issue.detail)")
        }
        for rejection in summary.rejections.prefix(textRejectionLimit) {
            lines.append("reject      \(location(rejection)): \(rejection.reason): \(rejection.detail)")
        }
        let shown = min(summary.rejections.count, textRejectionLimit)
        if summary.rejected > shown {
            lines.append("            … \(summary.rejected - shown) more in the ledger's rejects table (--summary json lists \(IngestSummary.rejectionListLimit))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func location(_ item: IngestSummary.Located) -> String {
        var text = item.path
        if let member = item.member { text += "[\(member)]" }
        if let line = item.line { text += ":\(line)" }
        return text
    }
}
