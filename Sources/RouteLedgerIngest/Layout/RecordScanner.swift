import Foundation
import RouteLedgerArchive

/// Why a line or record was not stored. The raw value is what the `rejects` table and summaries show.
public enum RejectReason: String, Sendable, Hashable, CaseIterable, Comparable {
    case invalidJSON = "invalid-json"
    case truncated = "truncated"
    case recordTooLong = "record-too-long"
    case notAnObject = "not-an-object"
    case unknownRecord = "unknown-record-shape"
    case missingField = "missing-field"
    case invalidField = "invalid-field"
    case invalidCSV = "invalid-csv"
    case invalidUTF8 = "invalid-utf8"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One rejected input unit, located precisely. `snippet` holds at most the first 120 bytes and is
/// stored in the ledger, never printed.
public struct Rejection: Sendable, Hashable {
    public var line: Int
    public var reason: RejectReason
    public var detail: String
    public var snippet: [UInt8]
    public init(line: Int, reason: RejectReason, detail: String, snippet: [UInt8]) {
        self.line = line; self.reason = reason; self.detail = detail; self.snippet = snippet
    }
}

/// Splits a byte stream into JSON records, whatever the layout: NDJSON, a top-level array,
/// pretty-printed or concatenated objects, CloudWatch export lines (`<ISO time> <json>`) and CSV.
///
/// Records are parsed in place from a reusable buffer; nothing is copied per record.
public final class RecordScanner {
    public static let snippetLimit = 120

    private let stream: ByteStream
    private let maxRecordBytes: Int
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var head = 0
    private var tail = 0
    private var endOfStream = false
    /// The damage that ended the stream early, if any (reported by the caller as a container issue).
    public private(set) var streamError: Error?
    /// 1-based line number of the byte at `head`.
    private var line = 1
    private var tape = JSONTape()
    public private(set) var bytesRead: Int64 = 0

    public init(stream: ByteStream, maxRecordBytes: Int = 64 << 20, initialCapacity: Int = 1 << 20) {
        self.stream = stream
        self.maxRecordBytes = maxRecordBytes
        capacity = initialCapacity
        buffer = .allocate(capacity: capacity + 8)
    }

    deinit { buffer.deallocate() }

    /// Reads more input, compacting or growing the buffer. Returns false at the end of the stream.
    private func fill() -> Bool {
        if endOfStream { return false }
        if head > 0 {
            let live = tail - head
            if live > 0 { memmove(buffer, buffer + head, live) }
            tail = live
            head = 0
        }
        if tail == capacity {
            guard capacity < maxRecordBytes + (1 << 20) else { return false }
            let newCapacity = min(capacity * 2, maxRecordBytes + (1 << 20))
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity + 8)
            grown.update(from: buffer, count: tail)
            buffer.deallocate()
            buffer = grown
            capacity = newCapacity
        }
        do {
            let count = try stream.read(into: UnsafeMutableRawBufferPointer(start: buffer + tail, count: capacity - tail))
            if count == 0 { endOfStream = true; return false }
            tail += count
            bytesRead += Int64(count)
            return true
        } catch {
            streamError = error
            endOfStream = true
            return false
        }
    }

    private func snippet(from start: Int) -> [UInt8] {
        var end = start
        while end < tail, end - start < Self.snippetLimit, buffer[end] != 0x0A { end += 1 }
        return Array(UnsafeBufferPointer(start: buffer + start, count: end - start))
    }

    /// Skips whitespace (and a UTF-8 BOM), counting lines. Returns false at the end of input.
    private func skipWhitespace() -> Bool {
        while true {
            while head < tail {
                let byte = buffer[head]
                if byte == 0x0A { line += 1; head += 1 }
                else if byte == 0x20 || byte == 0x09 || byte == 0x0D { head += 1 }
                else { return true }
            }
            if !fill() { return false }
        }
    }

    /// Moves `head` past the end of the current line; returns false at the end of input.
    private func skipLine() -> Bool {
        while true {
            if let newline = memchr(buffer + head, 0x0A, tail - head) {
                head = UnsafeMutablePointer<UInt8>(newline.assumingMemoryBound(to: UInt8.self)) - buffer + 1
                line += 1
                return true
            }
            head = tail
            if !fill() { return false }
        }
    }

    /// After a broken record, resume at the next line that starts something new at column 0. Indented
    /// lines and closing brackets belong to the broken (pretty-printed) record, so one broken object
    /// yields one rejection; in NDJSON every line starts at column 0 and is judged on its own.
    private func resynchronize() {
        while skipLine() {
            while tail - head < 1 { if !fill() { return } }
            switch buffer[head] {
            case 0x20, 0x09, UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ","):
                continue
            default:
                return
            }
        }
    }

    /// `2025-08-22T09:41:06.000Z {…}`: a CloudWatch Logs export line. Returns the offset of the JSON.
    private func exportPrefixLength() -> Int? {
        while tail - head < 64, !endOfStream { if !fill() { break } }
        let available = tail - head
        guard available > 20, buffer[head + 4] == UInt8(ascii: "-"), buffer[head + 10] == UInt8(ascii: "T") else { return nil }
        var index = 0
        while index < min(available, 48), buffer[head + index] != 0x20 { index += 1 }
        guard index < min(available, 48), index + 1 < available, buffer[head + index + 1] == UInt8(ascii: "{") else { return nil }
        return index + 1
    }

    public enum Layout: String, Sendable { case jsonValues = "json", jsonArray = "json-array", csv }
    public private(set) var layout: Layout = .jsonValues

    /// Scans the whole stream. `onRecord` receives the parsed tape (root node 0) and the record's first line.
    public func scan(onRecord: (inout JSONTape, Int) throws -> Void, onReject: (Rejection) throws -> Void) rethrows {
        while tail - head < 3, fill() {}
        if tail - head >= 3, buffer[head] == 0xEF, buffer[head + 1] == 0xBB, buffer[head + 2] == 0xBF { head += 3 }
        guard skipWhitespace() else { return }
        let first = buffer[head]
        if first == UInt8(ascii: "[") {
            layout = .jsonArray
            try scanArray(onRecord: onRecord, onReject: onReject)
        } else if first != UInt8(ascii: "{"), !(first >= 48 && first <= 57), looksLikeCSVHeader() {
            layout = .csv
            try scanCSV(onRecord: onRecord, onReject: onReject)
        } else {
            try scanValues(onRecord: onRecord, onReject: onReject)
        }
    }

    private func parseValue(at start: Int) -> JSONParseOutcome {
        JSONParser.parse(UnsafePointer(buffer), from: start, to: tail, into: &tape)
    }

    /// Parses the value at `head` (+prefix), refilling until complete, invalid or out of input.
    private enum Step { case record(end: Int, newlines: Int), rejected(Rejection), finished }

    private func parseNext(prefix: Int) -> Step {
        while true {
            let outcome = parseValue(at: head + prefix)
            switch outcome {
            case .complete(let end, let newlines):
                // A bare number that touches the end of the buffer may go on in the next read: read on
                // (fill moves the buffer, so parse again) until it ends before the buffer does or the input ends.
                if end == tail, !endOfStream, let kind = tape.nodes.first?.kind, kind == .integer || kind == .number {
                    _ = fill()
                    continue
                }
                return .record(end: end, newlines: newlines)
            case .invalid(let offset, let reason):
                return .rejected(Rejection(line: line, reason: .invalidJSON,
                                           detail: "\(reason) at byte \(offset - head + 1) of the record",
                                           snippet: snippet(from: head)))
            case .incomplete:
                let startOffset = head
                if tail - head >= maxRecordBytes {
                    return .rejected(Rejection(line: line, reason: .recordTooLong,
                                               detail: "record longer than \(maxRecordBytes) bytes",
                                               snippet: snippet(from: startOffset)))
                }
                if !fill() {
                    if tail > head {
                        let detail = streamError != nil ? "input ends early (damaged data); partial record dropped"
                                                        : "input ends inside a record"
                        return .rejected(Rejection(line: line, reason: .truncated, detail: detail, snippet: snippet(from: head)))
                    }
                    return .finished
                }
            }
        }
    }

    private func scanValues(onRecord: (inout JSONTape, Int) throws -> Void, onReject: (Rejection) throws -> Void) rethrows {
        while skipWhitespace() {
            let prefix = buffer[head] >= 48 && buffer[head] <= 57 ? (exportPrefixLength() ?? 0) : 0
            switch parseNext(prefix: prefix) {
            case .record(let end, let newlines):
                let recordLine = line
                try onRecord(&tape, recordLine)
                line += newlines
                head = end
            case .rejected(let rejection):
                try onReject(rejection)
                if rejection.reason == .truncated { head = tail; return }
                resynchronize()
            case .finished:
                return
            }
        }
    }

    private func scanArray(onRecord: (inout JSONTape, Int) throws -> Void, onReject: (Rejection) throws -> Void) rethrows {
        head += 1  // '['
        var expectElement = true
        while skipWhitespace() {
            let byte = buffer[head]
            if !expectElement {
                if byte == UInt8(ascii: ",") { head += 1; expectElement = true; continue }
                if byte == UInt8(ascii: "]") {
                    head += 1
                    // A file may hold several arrays one after the other (concatenated exports).
                    guard skipWhitespace() else { return }
                    if buffer[head] == UInt8(ascii: "[") { head += 1; continue }
                    return try scanValues(onRecord: onRecord, onReject: onReject)
                }
                try onReject(Rejection(line: line, reason: .invalidJSON, detail: "expected ',' or ']' between array elements",
                                       snippet: snippet(from: head)))
                resynchronize()
                return try scanValues(onRecord: onRecord, onReject: onReject)
            }
            if byte == UInt8(ascii: "]") { head += 1; expectElement = false; continue }
            switch parseNext(prefix: 0) {
            case .record(let end, let newlines):
                try onRecord(&tape, line)
                line += newlines
                head = end
                expectElement = false
            case .rejected(let rejection):
                try onReject(rejection)
                // The rest of a broken array cannot be split reliably; fall back to line-wise recovery.
                if rejection.reason == .truncated { head = tail; return }
                resynchronize()
                return try scanValues(onRecord: onRecord, onReject: onReject)
            case .finished:
                return
            }
        }
    }

    // MARK: CSV (LiteLLM spend-log exports)

    private func looksLikeCSVHeader() -> Bool {
        while !endOfStream, memchr(buffer + head, 0x0A, tail - head) == nil, tail - head < 65536 { if !fill() { break } }
        let end = memchr(buffer + head, 0x0A, tail - head).map { UnsafeMutablePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - buffer } ?? tail
        let header = String(decoding: UnsafeBufferPointer(start: buffer + head, count: end - head), as: UTF8.self)
        // A header names columns; a `{` means a JSON record whose start is damaged, which must be rejected
        // as a line, not swallowed as a header.
        return header.contains(",") && (header.contains("request_id") || header.contains("requestId")) && !header.contains("{")
    }

    /// Set by `readCSVRecord` when a field of the row it read is not UTF-8.
    private var csvRowInvalidUTF8 = false

    private func csvField(_ bytes: [UInt8]) -> String {
        if !csvRowInvalidUTF8, bytes.withUnsafeBytes({ firstInvalidUTF8($0) }) != nil { csvRowInvalidUTF8 = true }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads one CSV record (RFC 4180: quoted fields may hold commas, quotes and newlines).
    private func readCSVRecord() -> (fields: [String], newlines: Int)? {
        csvRowInvalidUTF8 = false
        var fields: [String] = []
        var field: [UInt8] = []
        var newlines = 0
        var index = head
        var inQuotes = false
        var atFieldStart = true
        while true {
            if index >= tail {
                let consumed = index - head
                if !fill() {
                    if consumed == 0 && fields.isEmpty && field.isEmpty { return nil }
                    fields.append(csvField(field))
                    head = tail
                    return (fields, newlines)
                }
                index = head + consumed
                continue
            }
            let byte = buffer[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 >= tail, !endOfStream {
                        let consumed = index - head
                        _ = fill()
                        index = head + consumed
                        continue
                    }
                    if index + 1 < tail, buffer[index + 1] == UInt8(ascii: "\"") { field.append(byte); index += 2; continue }
                    inQuotes = false
                    index += 1
                    continue
                }
                if byte == 0x0A { newlines += 1 }
                field.append(byte)
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\"") where atFieldStart:
                inQuotes = true
                atFieldStart = false
                index += 1
            case UInt8(ascii: ","):
                fields.append(csvField(field))
                field.removeAll(keepingCapacity: true)
                atFieldStart = true
                index += 1
            case 0x0A:
                if field.last == 0x0D { field.removeLast() }
                fields.append(csvField(field))
                head = index + 1
                return (fields, newlines + 1)
            default:
                field.append(byte)
                atFieldStart = false
                index += 1
            }
        }
    }

    private func scanCSV(onRecord: (inout JSONTape, Int) throws -> Void, onReject: (Rejection) throws -> Void) rethrows {
        guard let header = readCSVRecord() else { return }
        line += header.newlines
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var rowTape = JSONTape()
        while true {
            let recordLine = line
            let start = head
            guard let row = readCSVRecord() else { return }
            line += row.newlines
            if row.fields.count == 1, row.fields[0].isEmpty { continue }
            guard !csvRowInvalidUTF8 else {
                // Decoding would replace the bad bytes with U+FFFD (two ids could become one).
                try onReject(Rejection(line: recordLine, reason: .invalidUTF8, detail: "row is not valid UTF-8",
                                       snippet: start < tail ? snippet(from: start) : []))
                continue
            }
            guard row.fields.count == names.count else {
                try onReject(Rejection(line: recordLine, reason: .invalidCSV,
                                       detail: "\(row.fields.count) fields where the header has \(names.count)",
                                       snippet: start < tail ? snippet(from: start) : []))
                continue
            }
            // Re-express the row as a JSON object so one decoder serves JSON and CSV exports alike.
            var json = [UInt8]("{".utf8)
            for (offset, name) in names.enumerated() {
                if offset > 0 { json.append(UInt8(ascii: ",")) }
                appendJSONString(name, to: &json)
                json.append(UInt8(ascii: ":"))
                appendJSONString(row.fields[offset], to: &json)
            }
            json.append(UInt8(ascii: "}"))
            try json.withUnsafeBufferPointer { bytes in
                switch JSONParser.parse(bytes.baseAddress!, from: 0, to: bytes.count, into: &rowTape) {
                case .complete:
                    try onRecord(&rowTape, recordLine)
                default:
                    try onReject(Rejection(line: recordLine, reason: .invalidCSV, detail: "row is not valid text",
                                           snippet: Array(bytes.prefix(Self.snippetLimit))))
                }
            }
        }
    }
}

/// Appends `value` as a JSON string literal.
public func appendJSONString(_ value: String, to output: inout [UInt8]) {
    output.append(UInt8(ascii: "\""))
    for byte in value.utf8 {
        switch byte {
        case UInt8(ascii: "\""): output.append(contentsOf: [92, 34])
        case UInt8(ascii: "\\"): output.append(contentsOf: [92, 92])
        case 0x0A: output.append(contentsOf: [92, 110])
        case 0x0D: output.append(contentsOf: [92, 114])
        case 0x09: output.append(contentsOf: [92, 116])
        case 0..<0x20:
            let hex = Array("0123456789abcdef".utf8)
            output.append(contentsOf: [92, 117, 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
        default: output.append(byte)
        }
    }
    output.append(UInt8(ascii: "\""))
}
