import RouteLedgerModel

/// UTC calendar arithmetic without Foundation `Date`, so output never depends on the clock or time zone.
enum CivilTime {
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        CivilCalendar.daysFromCivil(year: year, month: month, day: day)
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        CivilCalendar.civilFromDays(days)
    }

    /// Parses `YYYY-MM-DD` to epoch seconds at 00:00:00 UTC.
    static func parseDay(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        let days = daysFromCivil(year: y, month: m, day: d)
        // Reject dates such as 2026-02-31 that roll over.
        let back = civilFromDays(days)
        guard back.year == y, back.month == m, back.day == d else { return nil }
        return Int64(days) * 86_400
    }

    struct Parts {
        var year, month, day, hour, minute, second: Int
    }

    static func parts(_ epochSeconds: Int64) -> Parts {
        let days = Int(epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400)
        let secs = Int(epochSeconds - Int64(days) * 86_400)
        let (y, m, d) = civilFromDays(days)
        return Parts(year: y, month: m, day: d, hour: secs / 3600, minute: secs / 60 % 60, second: secs % 60)
    }

    /// 0 = Monday … 6 = Sunday.
    static func weekday(_ epochSeconds: Int64) -> Int {
        let days = Int(epochSeconds / 86_400)
        return ((days % 7) + 7 + 3) % 7   // 1970-01-01 was a Thursday.
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` zero-padded to `width` decimal digits.
    @inline(__always)
    mutating func appendPadded(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            append(UInt8(48 + (value / divisor) % 10))
            divisor /= 10
        }
    }

    /// Appends a decimal integer.
    @inline(__always)
    mutating func appendInt(_ value: Int) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendInt(-value)
            return
        }
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        while divisor > 0 {
            append(UInt8(48 + (value / divisor) % 10))
            divisor /= 10
        }
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` (Bedrock `timestamp`).
    mutating func appendISO8601(epochMillis: Int64, fractional: Bool) {
        let secs = epochMillis >= 0 ? epochMillis / 1000 : (epochMillis - 999) / 1000
        let p = CivilTime.parts(secs)
        appendPadded(p.year, width: 4); append(UInt8(ascii: "-"))
        appendPadded(p.month, width: 2); append(UInt8(ascii: "-"))
        appendPadded(p.day, width: 2); append(UInt8(ascii: "T"))
        appendPadded(p.hour, width: 2); append(UInt8(ascii: ":"))
        appendPadded(p.minute, width: 2); append(UInt8(ascii: ":"))
        appendPadded(p.second, width: 2)
        if fractional {
            append(UInt8(ascii: "."))
            appendPadded(Int(epochMillis - secs * 1000), width: 3)
        }
        append(UInt8(ascii: "Z"))
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff` (LiteLLM / Postgres naive UTC timestamps).
    mutating func appendPythonDateTime(epochMicros: Int64) {
        let secs = epochMicros / 1_000_000
        let p = CivilTime.parts(secs)
        appendPadded(p.year, width: 4); append(UInt8(ascii: "-"))
        appendPadded(p.month, width: 2); append(UInt8(ascii: "-"))
        appendPadded(p.day, width: 2); append(UInt8(ascii: " "))
        appendPadded(p.hour, width: 2); append(UInt8(ascii: ":"))
        appendPadded(p.minute, width: 2); append(UInt8(ascii: ":"))
        appendPadded(p.second, width: 2); append(UInt8(ascii: "."))
        appendPadded(Int(epochMicros - secs * 1_000_000), width: 6)
    }
}

enum PathText {
    /// `YYYY/MM/DD/HH` for an hour folder.
    static func hourFolder(_ epochSeconds: Int64) -> String {
        let p = CivilTime.parts(epochSeconds)
        return "\(pad(p.year, 4))/\(pad(p.month, 2))/\(pad(p.day, 2))/\(pad(p.hour, 2))"
    }

    /// `YYYYMMDDTHHMMSSZ`.
    static func compactStamp(_ epochSeconds: Int64) -> String {
        let p = CivilTime.parts(epochSeconds)
        return "\(pad(p.year, 4))\(pad(p.month, 2))\(pad(p.day, 2))T\(pad(p.hour, 2))\(pad(p.minute, 2))\(pad(p.second, 2))Z"
    }

    /// `YYYY-MM-DD`.
    static func day(_ epochSeconds: Int64) -> String {
        let p = CivilTime.parts(epochSeconds)
        return "\(pad(p.year, 4))-\(pad(p.month, 2))-\(pad(p.day, 2))"
    }

    /// `HH-MM-SS-ffffff` (LiteLLM `get_logging_id`).
    static func litellmTime(epochMicros: Int64) -> String {
        let p = CivilTime.parts(epochMicros / 1_000_000)
        return "\(pad(p.hour, 2))-\(pad(p.minute, 2))-\(pad(p.second, 2))-\(pad(Int(epochMicros % 1_000_000), 6))"
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
