import Foundation
import RouteLedgerModel

/// Which decoder applies. `auto` recognises each record by its fields.
public enum InputFormat: String, Sendable, CaseIterable {
    case auto, bedrock, litellm
    case litellmSpend = "litellm-spend"
}

/// Everything that changes how raw records become `InvocationRecord`s.
public struct DecodeOptions: Sendable {
    public var format: InputFormat
    /// Keys looked up, in order, for the tenant. `team_alias` and `key_alias` name LiteLLM's key metadata.
    public var tenantKeys: [String]
    /// requestMetadata / LiteLLM metadata key that links retries and fallbacks of one logical request.
    public var correlationKey: String
    /// Application-inference-profile ARN or id → model id (from a GetInferenceProfile export).
    public var applicationProfiles: [String: String]
    public var keepBodies: Bool
    /// Records stamped later than this (µs since epoch) are flagged as suspect.
    public var futureLimitMicros: Int64

    public static let defaultTenantKeys = ["tenant", "tenant_id", "team_alias", "key_alias"]

    public init(format: InputFormat = .auto, tenantKeys: [String] = DecodeOptions.defaultTenantKeys,
                correlationKey: String = "trace_id", applicationProfiles: [String: String] = [:],
                keepBodies: Bool = false, futureLimitMicros: Int64 = Int64(Date().timeIntervalSince1970 + 86_400) * 1_000_000) {
        self.format = format
        self.tenantKeys = tenantKeys
        self.correlationKey = correlationKey
        self.applicationProfiles = applicationProfiles
        self.keepBodies = keepBodies
        self.futureLimitMicros = futureLimitMicros
    }
}

/// 2020-01-01T00:00:00Z: Bedrock invocation logging did not exist before; earlier stamps are suspect.
let earliestPlausibleMicros: Int64 = 1_577_836_800_000_000

public enum Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` and LiteLLM's naive `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC).
    public static func parseISO(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let count = bytes.count
        guard count >= 19 else { return nil }
        func digits(_ at: Int, _ length: Int) -> Int? {
            var value = 0
            for index in at..<(at + length) {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "t"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
              let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var micros = 0
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 100_000
            let fractionStart = index
            while index < count, bytes[index] >= 48, bytes[index] <= 57 {
                micros += Int(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > fractionStart else { return nil }
        }
        var offsetSeconds = 0
        if index < count {
            let zone = bytes[index]
            if zone == UInt8(ascii: "Z") || zone == UInt8(ascii: "z") {
                index += 1
            } else if zone == UInt8(ascii: "+") || zone == UInt8(ascii: "-") {
                guard index + 6 <= count, bytes[index + 3] == UInt8(ascii: ":"),
                      let zoneHours = digits(index + 1, 2), let zoneMinutes = digits(index + 4, 2) else { return nil }
                offsetSeconds = (zoneHours * 3600 + zoneMinutes * 60) * (zone == UInt8(ascii: "+") ? 1 : -1)
                index += 6
            }
        }
        guard index == count else { return nil }
        // No February 30th: a day past the month's end would silently roll into the next month.
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        guard day <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] else { return nil }
        let days = CivilCalendar.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Int64(seconds) * 1_000_000 + Int64(micros)
    }

    /// Epoch seconds (float, as LiteLLM logs them) → µs; nil when not finite or absurd.
    public static func fromEpochSeconds(_ seconds: Double) -> Int64? {
        guard seconds.isFinite, seconds > 0, seconds < 32_503_680_000 else { return nil }
        return Int64((seconds * 1_000_000).rounded())
    }

    /// `2026-11-22T10:15:00.123456Z` (always UTC, microseconds only when present).
    public static func format(_ micros: Int64) -> String {
        let seconds = Int(micros.floorDiv(1_000_000))
        let fraction = Int(micros - Int64(seconds) * 1_000_000)
        let days = seconds.floorDiv(86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilCalendar.civilFromDays(days)
        var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day,
                          secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60)
        if fraction != 0 { text += String(format: ".%06d", fraction) }
        return text + "Z"
    }
}

extension BinaryInteger {
    func floorDiv(_ divisor: Self) -> Self {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

/// 64-bit content hash of a record's bytes (not cryptographic): tells an exact duplicate from a
/// conflicting record that re-uses a request id.
public func contentHash(_ bytes: UnsafeRawBufferPointer) -> Int64 {
    var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    var index = 0
    let count = bytes.count
    while index + 8 <= count {
        let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 32
        index += 8
    }
    var tailWord: UInt64 = 0
    var shift: UInt64 = 0
    while index < count {
        tailWord |= UInt64(bytes[index]) << shift
        shift += 8
        index += 1
    }
    hash = (hash ^ tailWord) &* 0xC4CE_B9FE_1A85_EC53
    hash ^= hash >> 29
    return Int64(bitPattern: hash)
}

/// Reuses one `String` per distinct short value (model ids, regions, accounts, tenants), so a
/// million records share a few hundred strings instead of allocating millions.
struct StringInterner {
    private var table: [Int64: [(bytes: [UInt8], string: String)]] = [:]

    mutating func intern(_ bytes: UnsafeRawBufferPointer) -> String {
        let key = contentHash(bytes)
        if let bucket = table[key] {
            for entry in bucket where entry.bytes.count == bytes.count
                && entry.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
                return entry.string
            }
        }
        let string = String(decoding: bytes, as: UTF8.self)
        if table.count < 100_000 { table[key, default: []].append((Array(bytes), string)) }
        return string
    }
}

extension JSONTape {
    /// A short string value, interned; escaped strings are decoded first.
    mutating func internedString(_ index: Int?, _ interner: inout StringInterner) -> String? {
        guard let index else { return nil }
        switch nodes[index].kind {
        case .string:
            let bytes = rawBytes(index)
            return bytes.isEmpty ? nil : interner.intern(bytes)
        case .escapedString:
            let value = string(index)
            return value?.isEmpty == true ? nil : value
        case .integer, .number:
            return interner.intern(rawBytes(index))
        default:
            return nil
        }
    }

    /// Timestamp from an ISO string or epoch seconds.
    func timestampMicros(_ index: Int?) -> Int64? {
        guard let index else { return nil }
        switch nodes[index].kind {
        case .string:
            let bytes = rawBytes(index)
            if let parsed = Timestamp.parseISO(bytes) { return parsed }
            return JSONTape.parseDouble(bytes).flatMap(Timestamp.fromEpochSeconds)
        case .integer, .number:
            return double(index).flatMap(Timestamp.fromEpochSeconds)
        default:
            return nil
        }
    }
}

/// Offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode Table 3-7: no
/// overlong forms, no encoded surrogates, nothing above U+10FFFF), nil when all bytes are well formed.
/// ASCII runs are skipped eight bytes at a time.
func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
    let count = bytes.count
    var index = 0
    while index < count {
        if index + 8 <= count, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            index += 8
            continue
        }
        let lead = bytes[index]
        if lead < 0x80 { index += 1; continue }
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return index
        }
        guard index + length <= count, bytes[index + 1] >= low, bytes[index + 1] <= high else { return index }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return index }
        index += length
    }
    return nil
}

/// Counts Unicode scalars in UTF-8 bytes: every byte but continuation bytes (0b10xxxxxx), eight at a time.
func scalarCount(_ bytes: UnsafeRawBufferPointer) -> Int64 {
    let count = bytes.count
    var continuation = 0
    var index = 0
    while index + 8 <= count {
        let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        // High bit set and the next bit clear: shift bit 6 up into bit 7's place.
        continuation += (word & ~(word << 1) & 0x8080_8080_8080_8080).nonzeroBitCount
        index += 8
    }
    while index < count {
        if bytes[index] & 0xC0 == 0x80 { continuation += 1 }
        index += 1
    }
    return Int64(count - continuation)
}
