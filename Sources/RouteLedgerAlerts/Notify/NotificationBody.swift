import Foundation
import RouteLedgerModel

/// The bytes POSTed for an ``AlertNotification``.
///
/// Both bodies are deterministic: object keys sorted by their UTF-8 bytes, no whitespace,
/// numbers printed with at most 6 decimals (trailing zeros dropped), `null` for absent or
/// non-finite values, non-ASCII text left as UTF-8. The same notification always gives the same
/// bytes, so a signature or a receiver's dedupe on body hash is stable across retries and runs.
public enum NotificationBody {
    /// Schema tag of the generic webhook body; bumped only for incompatible changes.
    public static let webhookSchema = "routeledger.alert/1"

    /// Generic webhook JSON:
    /// ```json
    /// {"comparison":">","id":"…","message":"…","metric":"fallback_rate","previous_severity":"ok",
    ///  "report_link":null,"rule":"…","schema":"routeledger.alert/1","scope":"overall",
    ///  "severity":"critical","state":"firing","threshold":0.1,"value":0.124,
    ///  "window":{"end":"…","label":"day 2026-11-03","start":"…"}}
    /// ```
    public static func webhook(_ n: AlertNotification) -> Data {
        let object: JSON = .object([
            "rule": .string(n.rule),
            "metric": .string(n.metric),
            "scope": .string(n.scope),
            "window": .object([
                "label": .string(n.window),
                "start": .string(n.windowStart),
                "end": .string(n.windowEnd),
            ]),
            "value": .number(n.value),
            "threshold": .number(n.threshold),
            "comparison": .string(n.comparison),
            "severity": .string(n.severity),
            "previous_severity": .string(n.previousSeverity),
            "state": .string(n.state),
            "report_link": n.reportLink.map(JSON.string) ?? .null,
            "id": .string(n.id),
            "message": .string(n.message),
            "schema": .string(webhookSchema),
        ])
        return Data(object.serialized().utf8)
    }

    /// Slack incoming-webhook payload: a `text` fallback (used in notifications and by clients
    /// that cannot show blocks) and Block Kit `blocks` — a `header` (plain_text, ≤ 150 chars),
    /// a `section` with the message and up to 10 `mrkdwn` fields (≤ 2000 chars each), and a
    /// `context` line with the report link and the notification id.
    ///
    /// Every piece of text from the notification has `&`, `<` and `>` replaced by `&amp;`,
    /// `&lt;` and `&gt;` (Slack's control characters), so rule names or scopes cannot inject
    /// links or mentions.
    public static func slack(_ n: AlertNotification) -> Data {
        let resolved = n.state == "resolved"
        let label = resolved ? "RESOLVED" : n.severity.uppercased()
        let valueText = n.value.map(formatNumber) ?? "no data"
        let thresholdText = n.threshold.map { "\(n.comparison) \(formatNumber($0))" } ?? "—"

        let fallback = "[\(label)] \(n.rule) \(n.state): \(n.message)"
        let header = "\(label): \(n.rule)"

        func field(_ title: String, _ raw: String) -> JSON {
            .object(["type": .string("mrkdwn"), "text": .string("*\(title)*\n" + slackText(raw, limit: 1900))])
        }
        var fields: [JSON] = [
            field("Metric", n.metric),
            field("Value", valueText),
            field("Threshold", thresholdText),
            field("Scope", n.scope),
            field("Window", "\(n.window)\n\(n.windowStart) → \(n.windowEnd)"),
            field("Severity", "\(n.previousSeverity) → \(n.severity)"),
            field("State", n.state),
        ]
        if fields.count > 10 { fields = Array(fields.prefix(10)) }

        var context: [String] = ["RouteLedger"]
        if let link = n.reportLink, !link.isEmpty {
            let lower = link.lowercased()
            if (lower.hasPrefix("https://") || lower.hasPrefix("http://")) && !link.contains("|") {
                context.append("<\(slackEscape(link))|Open report>")
            } else {
                context.append("report: " + slackEscape(link))
            }
        }
        context.append("id " + slackEscape(n.id))

        let payload: JSON = .object([
            "text": .string(slackText(fallback, limit: 3000)),
            "blocks": .array([
                .object([
                    "type": .string("header"),
                    "text": .object([
                        "type": .string("plain_text"),
                        "text": .string(slackText(header, limit: 150)),
                        "emoji": .bool(false),
                    ]),
                ]),
                .object([
                    "type": .string("section"),
                    "text": .object(["type": .string("mrkdwn"), "text": .string(slackText(n.message, limit: 3000))]),
                    "fields": .array(fields),
                ]),
                .object([
                    "type": .string("context"),
                    "elements": .array([
                        .object(["type": .string("mrkdwn"), "text": .string(limitEscaped(context.joined(separator: " · "), 2000))]),
                    ]),
                ]),
            ]),
        ])
        return Data(payload.serialized().utf8)
    }

    // MARK: - Helpers (internal for tests)

    /// `&` → `&amp;`, `<` → `&lt;`, `>` → `&gt;`; nothing else is entity-encoded.
    static func slackEscape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Escapes `raw` and cuts it (on a character boundary, never inside an entity) so the result
    /// has at most `limit` UTF-16 units, ending with "…" when cut.
    static func slackText(_ raw: String, limit: Int) -> String {
        let escaped = slackEscape(raw)
        if escaped.utf16.count <= limit { return escaped }
        var out = ""
        var used = 0
        for ch in raw {
            let piece = slackEscape(String(ch))
            let units = piece.utf16.count
            if used + units > limit - 1 { break }
            out += piece
            used += units
        }
        return out + "…"
    }

    /// Cuts already-escaped mrkdwn (not inside an entity or a `<link>`, by cutting before the last `&`/`<`).
    private static func limitEscaped(_ s: String, _ limit: Int) -> String {
        if s.utf16.count <= limit { return s }
        var out = ""
        var used = 0
        for ch in s {
            let units = String(ch).utf16.count
            if used + units > limit - 1 { break }
            out.append(ch)
            used += units
        }
        if let cut = out.lastIndex(where: { $0 == "<" || $0 == "&" }), !out[cut...].contains(where: { $0 == ">" || $0 == ";" }) {
            out = String(out[..<cut])
        }
        return out + "…"
    }

    /// At most 6 decimals, trailing zeros and a trailing dot dropped; `-0` prints as `0`.
    static func formatNumber(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        var s = String(format: "%.6f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        if s == "-0" { s = "0" }
        return s
    }

    // MARK: - Deterministic JSON

    indirect enum JSON {
        case string(String)
        case number(Double?)
        case bool(Bool)
        case null
        case array([JSON])
        case object([String: JSON])

        func serialized() -> String {
            var out = ""
            write(into: &out)
            return out
        }

        func write(into out: inout String) {
            switch self {
            case .string(let s): JSON.writeString(s, into: &out)
            case .number(let v):
                if let v, v.isFinite { out += NotificationBody.formatNumber(v) } else { out += "null" }
            case .bool(let b): out += b ? "true" : "false"
            case .null: out += "null"
            case .array(let items):
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += "," }
                    item.write(into: &out)
                }
                out += "]"
            case .object(let members):
                out += "{"
                // Byte order of the UTF-8 keys: independent of locale and of Swift's String ordering.
                let keys = members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                for (i, key) in keys.enumerated() {
                    if i > 0 { out += "," }
                    JSON.writeString(key, into: &out)
                    out += ":"
                    members[key]!.write(into: &out)
                }
                out += "}"
            }
        }

        static func writeString(_ s: String, into out: inout String) {
            JSONText.append(s, to: &out)
        }
    }
}
