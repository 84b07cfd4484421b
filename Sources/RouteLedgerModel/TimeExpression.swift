import Foundation

/// Instants as users type them on the command line and in query parameters:
/// `2026-11-03`, `2026-11-03T14:00:00Z`, `2026-11-03T14:00:00+02:00`, `now`, `today`, `yesterday`,
/// and any of the named ones with an offset: `now-7d`, `today+1d`, `now-90m`, `now-12h`, `today-2w`.
public enum TimeExpression {
    /// Microseconds since the epoch, or nil when the text is not an instant.
    public static func parse(_ text: String, nowMicros: Int64) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let today = floorDiv(nowMicros, CivilCalendar.microsPerDay) * CivilCalendar.microsPerDay
        for (name, base) in [("now", nowMicros), ("today", today), ("yesterday", today - CivilCalendar.microsPerDay)] {
            guard trimmed.hasPrefix(name) else { continue }
            let rest = trimmed.dropFirst(name.count)
            if rest.isEmpty { return base }
            guard let sign = rest.first, sign == "-" || sign == "+" else { return nil }
            let amount = rest.dropFirst()
            guard let unit = amount.last, let count = Int64(amount.dropLast()), count >= 0 else { return nil }
            let unitMicros: Int64
            switch unit {
            case "m": unitMicros = 60_000_000
            case "h": unitMicros = CivilCalendar.microsPerHour
            case "d": unitMicros = CivilCalendar.microsPerDay
            case "w": unitMicros = 7 * CivilCalendar.microsPerDay
            default: return nil
            }
            // An offset beyond the Int64 range of microseconds (`now-99999999999999w`) is not an instant.
            let (offset, overflow) = count.multipliedReportingOverflow(by: unitMicros)
            guard !overflow else { return nil }
            let (instant, outOfRange) = sign == "-" ? base.subtractingReportingOverflow(offset) : base.addingReportingOverflow(offset)
            return outOfRange ? nil : instant
        }
        return parseISO(text.trimmingCharacters(in: .whitespaces))
    }

    /// Midnight (UTC) of a day given as `YYYY-MM-DD`, `today`, `yesterday` or `today-3d`; nil when the
    /// text is not a time or is not a midnight.
    public static func day(_ text: String, nowMicros: Int64) -> Int64? {
        guard let micros = parse(text, nowMicros: nowMicros), micros % CivilCalendar.microsPerDay == 0 else { return nil }
        return micros
    }

    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)`; a date means its midnight UTC.
    public static func parseISO(_ text: String) -> Int64? {
        if let day = CivilCalendar.parseDay(text) { return Int64(day) * CivilCalendar.microsPerDay }
        let bytes = Array(text.utf8)
        guard bytes.count >= 17, let day = CivilCalendar.parseDay(String(decoding: bytes[0..<10], as: UTF8.self)),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ") else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for b in bytes[start..<(start + count)] {
                guard (48...57).contains(b) else { return nil }
                value = value * 10 + Int64(b - 48)
            }
            return value
        }
        guard let hour = digits(11, 2), bytes[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
              hour < 24, minute < 60 else { return nil }
        var index = 16
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            guard let second = digits(17, 2), second < 61 else { return nil }
            micros = second * 1_000_000
            index = 19
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                var scale: Int64 = 100_000
                while index < bytes.count, (48...57).contains(bytes[index]) {
                    micros += Int64(bytes[index] - 48) * scale
                    scale /= 10
                    index += 1
                }
            }
        }
        var offset: Int64 = 0
        guard index < bytes.count else { return nil }   // a zone is required: no guessing local time
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index == bytes.count - 1 else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard bytes.count == index + 6, let oh = digits(index + 1, 2), bytes[index + 3] == UInt8(ascii: ":"),
                  let om = digits(index + 4, 2) else { return nil }
            offset = (oh * 60 + om) * 60_000_000 * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        return Int64(day) * CivilCalendar.microsPerDay + hour * CivilCalendar.microsPerHour + minute * 60_000_000 + micros - offset
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
}
