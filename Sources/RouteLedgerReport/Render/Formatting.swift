import Foundation
import RouteLedgerModel

/// Fixed number formats shared by every renderer: the same value prints the same bytes everywhere.
public enum Formatting {
    /// `1234.5` → `"1234.500000"` (JSON and CSV money: six decimals).
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        // Negative zero would print as "-0.000000".
        let clean = value == 0 ? 0 : value
        return String(format: "%.\(decimals)f", clean)
    }

    /// `$1,234.57` for people; `–` when unknown.
    public static func usd(_ value: Double?) -> String {
        guard let value else { return "–" }
        let cents = (abs(value) * 100).rounded()
        let whole = Int64(cents / 100)
        let fraction = Int64(cents) % 100
        let sign = value < 0 && cents != 0 ? "-" : ""
        return "\(sign)$\(grouped(whole)).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Small amounts keep four decimals (`$0.0042`) so a cheap day does not read as `$0.00`.
    public static func usdPrecise(_ value: Double?) -> String {
        guard let value else { return "–" }
        return abs(value) >= 1 ? usd(value) : "$" + fixed(value, 4)
    }

    /// `0.4231` → `"42.3%"`.
    public static func percent(_ ratio: Double?, decimals: Int = 1) -> String {
        guard let ratio else { return "–" }
        return fixed(ratio * 100, decimals) + "%"
    }

    /// `1234567` → `"1,234,567"`.
    public static func grouped(_ value: Int64) -> String {
        let digits = String(abs(value))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    public static func count(_ value: Int64?) -> String { value.map(grouped) ?? "–" }

    public static func ms(_ value: UInt32?) -> String { value.map { "\(grouped(Int64($0))) ms" } ?? "–" }

    /// `YYYY-MM-DD` of a microsecond timestamp.
    public static func day(_ micros: Int64) -> String {
        CivilCalendar.formatDay(Int(micros >= 0 ? micros / CivilCalendar.microsPerDay : (micros + 1) / CivilCalendar.microsPerDay - 1))
    }

    public static func timestamp(_ micros: Int64) -> String { CivilCalendar.formatTimestamp(micros) }

    /// Shortens a router ARN to `prompt-router/abc123` for tables; the full id stays in JSON and CSV.
    /// `arn:aws:bedrock:us-east-1:111122223333:default-prompt-router/anthropic.claude:1` →
    /// `default-prompt-router/anthropic.claude:1 (111122223333)`: default routers of several accounts stay apart.
    public static func shortRouter(_ id: String) -> String {
        let parts = id.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard id.hasPrefix("arn:"), parts.count == 6 else { return id }
        return parts[4].isEmpty ? String(parts[5]) : "\(parts[5]) (\(parts[4]))"
    }
}
