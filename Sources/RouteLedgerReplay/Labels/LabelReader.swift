import Foundation

/// Reads a labelled pairs file (`prompt_id, prompt_text, input_tokens_est, strong_model, weak_model, strong_score,
/// weak_score`, extra columns ignored) as RFC 4180 CSV or JSON Lines.
///
/// CSV: quoted fields with doubled quotes, commas and line breaks inside quotes, CRLF or LF, an optional UTF-8 BOM.
/// The file is parsed as bytes; only the columns that are used are turned into strings.
/// JSON Lines (`.jsonl` / `.ndjson`, or a file whose first non-blank byte is `{`): one object per line, same keys.
///
/// A missing required column throws; a bad row is skipped and listed in `LabelSet.rejected` with the line its
/// record starts on and a message that never quotes the prompt text.
public enum LabelReader {
    public static let requiredColumns = ["prompt_id", "strong_score", "weak_score"]

    public static func read(path: String, scoreColumn: String? = nil) throws -> LabelSet {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ReplayError(file: path, "cannot read labels: \(error.localizedDescription)")
        }
        return try parse(bytes: [UInt8](data), file: path, scoreColumn: scoreColumn)
    }

    /// Parses labels already in memory (`file` only names them in issues and errors).
    public static func parse(bytes input: [UInt8], file: String, scoreColumn: String? = nil) throws -> LabelSet {
        var start = 0
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF { start = 3 }
        let lower = file.lowercased()
        var isJSONLines = lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson")
        if !isJSONLines {
            var i = start
            while i < input.count, isBlankByte(input[i]) { i += 1 }
            isJSONLines = i < input.count && input[i] == UInt8(ascii: "{")
        }
        var builder = Builder(file: file, scoreColumn: scoreColumn)
        if isJSONLines {
            try readJSONLines(input, from: start, into: &builder)
        } else {
            try readCSV(input, from: start, into: &builder)
        }
        return LabelSet(file: file, prompts: builder.prompts, scoreColumn: scoreColumn, rejected: builder.rejected)
    }

    // MARK: - Row validation shared by both formats

    /// One row's raw values before validation (`nil` = column absent or empty).
    struct RawRow {
        var id: String?
        var text: String?
        var tokens: RawNumber?
        var strongModel: String?
        var weakModel: String?
        var strong: RawNumber?
        var weak: RawNumber?
        var router: RawNumber?
    }

    enum RawNumber {
        case text(String)
        case number(Double)
        case other
    }

    struct Builder {
        let file: String
        let scoreColumn: String?
        var prompts: [LabeledPrompt] = []
        var rejected: [ReplayInputIssue] = []
        var firstLine: [String: Int] = [:]

        init(file: String, scoreColumn: String?) {
            self.file = file
            self.scoreColumn = scoreColumn
        }

        mutating func reject(_ line: Int, _ message: String) {
            rejected.append(ReplayInputIssue(file: file, line: line, message: message))
        }

        mutating func add(_ row: RawRow, line: Int) {
            guard let id = row.id?.trimmingCharacters(in: .whitespaces), !id.isEmpty else {
                return reject(line, "empty prompt_id")
            }
            guard let strong = score(row.strong, column: "strong_score", line: line),
                  let weak = score(row.weak, column: "weak_score", line: line) else { return }
            var router: Double?
            if let scoreColumn {
                guard let value = LabelReader.number(row.router), value.isFinite else {
                    return reject(line, "\(scoreColumn) is not a finite number")
                }
                router = value
            }
            var tokens: Int?
            if let raw = row.tokens {
                guard let value = LabelReader.number(raw), value.isFinite, value >= 0, value.rounded() == value,
                      value < 9.0e15 else {
                    return reject(line, "input_tokens_est is not a non-negative integer")
                }
                tokens = Int(value)
            }
            if let first = firstLine[id] {
                return reject(line, "duplicate prompt_id \(quoted(id)) (first at line \(first))")
            }
            firstLine[id] = line
            prompts.append(LabeledPrompt(id: id, text: row.text, inputTokens: tokens,
                                         strongModel: row.strongModel, weakModel: row.weakModel,
                                         strongScore: strong, weakScore: weak, routerScore: router, line: line))
        }

        private mutating func score(_ raw: RawNumber?, column: String, line: Int) -> Double? {
            guard let raw else {
                reject(line, "\(column) is empty")
                return nil
            }
            guard let value = LabelReader.number(raw), value.isFinite else {
                reject(line, "\(column) is not a finite number")
                return nil
            }
            guard (0...1).contains(value) else {
                reject(line, "\(column) \(value) is outside 0...1")
                return nil
            }
            return value
        }

        /// Ids are short identifiers, but a malformed file could put anything there: cap what a message repeats.
        private func quoted(_ id: String) -> String {
            id.count <= 80 ? "\"\(id)\"" : "\"\(id.prefix(77))...\""
        }
    }

    static func number(_ raw: RawNumber?) -> Double? {
        switch raw {
        case .number(let value): return value
        case .text(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            // Double("nan") / Double("inf") parse; they are rejected as non-finite by the callers.
            return Double(trimmed)
        case .other, nil: return nil
        }
    }

    static func missingColumnsError(file: String, line: Int, required: [String], found: [String]) -> ReplayError? {
        let present = Set(found)
        let missing = required.filter { !present.contains($0) }
        guard !missing.isEmpty else { return nil }
        let noun = missing.count == 1 ? "column" : "columns"
        return ReplayError(file: file, line: line,
                           "missing \(noun) \(missing.joined(separator: ", ")); found \(found.joined(separator: ", "))")
    }

    @inline(__always) static func isBlankByte(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
    }

    // MARK: - CSV

    /// One CSV field: a byte range of the input; `escaped` when a quoted field held doubled quotes
    /// (or text after its closing quote) and must be rebuilt rather than sliced.
    struct Field {
        var start: Int
        var end: Int
        var quoted: Bool
        var escaped: Bool
    }

    static func readCSV(_ bytes: [UInt8], from start: Int, into builder: inout Builder) throws {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        let file = builder.file
        var header: [String]?
        var index: [String: Int] = [:]
        var columns = (id: -1, text: -1, tokens: -1, strong: -1, weak: -1, strongModel: -1, weakModel: -1, router: -1)

        try bytes.withUnsafeBufferPointer { buf in
            let n = buf.count
            var i = start
            var line = 1
            var fields: [Field] = []
            fields.reserveCapacity(16)

            /// Field text; quoted fields with escapes are rebuilt (doubled quote → one quote).
            func string(_ f: Field) -> String {
                if !f.escaped {
                    return String(decoding: UnsafeBufferPointer(rebasing: buf[f.start..<f.end]), as: UTF8.self)
                }
                var out: [UInt8] = []
                out.reserveCapacity(f.end - f.start)
                var j = f.start + 1  // after the opening quote
                var inQuotes = true
                while j < f.end {
                    let b = buf[j]
                    if inQuotes {
                        if b == quote {
                            if j + 1 < f.end, buf[j + 1] == quote { out.append(quote); j += 2; continue }
                            inQuotes = false
                            j += 1
                            continue
                        }
                        out.append(b)
                    } else {
                        out.append(b)  // lenient: text after a closing quote is kept as-is
                    }
                    j += 1
                }
                return String(decoding: out, as: UTF8.self)
            }

            while i < n {
                let recordLine = line
                fields.removeAll(keepingCapacity: true)
                var endOfRecord = false
                var unterminated = false
                while !endOfRecord {
                    if i < n, buf[i] == quote {
                        // Quoted field: the slice keeps the quotes; unescaped content is start+1..<end-1.
                        let fieldStart = i
                        var escaped = false
                        i += 1
                        var closed = false
                        while i < n {
                            let b = buf[i]
                            if b == quote {
                                if i + 1 < n, buf[i + 1] == quote { escaped = true; i += 2; continue }
                                i += 1
                                closed = true
                                break
                            }
                            if b == lf { line += 1 } else if b == cr, !(i + 1 < n && buf[i + 1] == lf) { line += 1 }
                            i += 1
                        }
                        if !closed { unterminated = true; break }
                        // Lenient like Python's csv: bytes after the closing quote join the field.
                        while i < n, buf[i] != comma, buf[i] != lf, buf[i] != cr { escaped = true; i += 1 }
                        if escaped {
                            fields.append(Field(start: fieldStart, end: i, quoted: true, escaped: true))
                        } else {
                            fields.append(Field(start: fieldStart + 1, end: i - 1, quoted: true, escaped: false))
                        }
                    } else {
                        let fieldStart = i
                        while i < n, buf[i] != comma, buf[i] != lf, buf[i] != cr { i += 1 }
                        fields.append(Field(start: fieldStart, end: i, quoted: false, escaped: false))
                    }
                    if i >= n { endOfRecord = true; break }
                    let b = buf[i]
                    if b == comma { i += 1; continue }
                    // Line end: CRLF, LF or a lone CR.
                    if b == cr, i + 1 < n, buf[i + 1] == lf { i += 2 } else { i += 1 }
                    line += 1
                    endOfRecord = true
                }
                if unterminated {
                    builder.reject(recordLine, "unterminated quoted field (record starts at line \(recordLine))")
                    break
                }
                // Blank (or whitespace-only) line: skip.
                if fields.count == 1, !fields[0].quoted,
                   buf[fields[0].start..<fields[0].end].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    continue
                }
                guard let names = header else {
                    let names = fields.map { string($0).trimmingCharacters(in: .whitespaces) }
                    header = names
                    for (k, name) in names.enumerated() where index[name] == nil { index[name] = k }
                    var required = requiredColumns
                    if let column = builder.scoreColumn { required.append(column) }
                    if let error = missingColumnsError(file: file, line: recordLine, required: required, found: names) {
                        throw error
                    }
                    columns = (index["prompt_id"]!, index["prompt_text"] ?? -1, index["input_tokens_est"] ?? -1,
                               index["strong_score"]!, index["weak_score"]!, index["strong_model"] ?? -1,
                               index["weak_model"] ?? -1, builder.scoreColumn.flatMap { index[$0] } ?? -1)
                    continue
                }
                guard fields.count == names.count else {
                    builder.reject(recordLine, "expected \(names.count) fields, found \(fields.count)")
                    continue
                }
                func text(_ k: Int) -> String? {
                    guard k >= 0 else { return nil }
                    let f = fields[k]
                    if f.end <= f.start { return nil }
                    return string(f)
                }
                func numeric(_ k: Int) -> RawNumber? {
                    text(k).map { .text($0) }
                }
                var row = RawRow()
                row.id = text(columns.id)
                row.text = text(columns.text)
                row.tokens = numeric(columns.tokens)
                row.strongModel = text(columns.strongModel)
                row.weakModel = text(columns.weakModel)
                row.strong = numeric(columns.strong)
                row.weak = numeric(columns.weak)
                row.router = numeric(columns.router)
                if case .text(let t)? = row.tokens, t.trimmingCharacters(in: .whitespaces).isEmpty { row.tokens = nil }
                builder.add(row, line: recordLine)
            }
            if header == nil {
                throw ReplayError(file: file, line: 1, "no header row: the file is empty")
            }
        }
    }

    // MARK: - JSON Lines

    static func readJSONLines(_ bytes: [UInt8], from start: Int, into builder: inout Builder) throws {
        let file = builder.file
        var required = requiredColumns
        if let column = builder.scoreColumn { required.append(column) }
        var checkedKeys = false
        var line = 0
        var i = start
        let n = bytes.count
        while i < n {
            line += 1
            var end = i
            while end < n, bytes[end] != 0x0A { end += 1 }
            let lineStart = i
            i = end + 1
            var lineEnd = end
            if lineEnd > lineStart, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if bytes[lineStart..<lineEnd].allSatisfy(isBlankByte) { continue }
            let object = try? JSONSerialization.jsonObject(with: Data(bytes[lineStart..<lineEnd]), options: [])
            guard let dict = object as? [String: Any] else {
                builder.reject(line, "not a JSON object")
                continue
            }
            if !checkedKeys {
                checkedKeys = true
                if let error = missingColumnsError(file: file, line: line, required: required,
                                                   found: dict.keys.sorted()) {
                    throw error
                }
            }
            var row = RawRow()
            row.id = string(dict["prompt_id"], allowNumber: true)
            row.text = string(dict["prompt_text"], allowNumber: false)
            row.tokens = rawNumber(dict["input_tokens_est"])
            row.strongModel = string(dict["strong_model"], allowNumber: false)
            row.weakModel = string(dict["weak_model"], allowNumber: false)
            row.strong = rawNumber(dict["strong_score"])
            row.weak = rawNumber(dict["weak_score"])
            if let column = builder.scoreColumn { row.router = rawNumber(dict[column]) }
            builder.add(row, line: line)
        }
        if !checkedKeys {
            throw ReplayError(file: file, line: 1, "no rows: the file is empty")
        }
    }

    private static func string(_ value: Any?, allowNumber: Bool) -> String? {
        switch value {
        case let s as String: return s.isEmpty ? nil : s
        case let n as NSNumber where allowNumber: return n.stringValue
        default: return nil
        }
    }

    private static func rawNumber(_ value: Any?) -> RawNumber? {
        switch value {
        case nil, is NSNull: return nil
        case let s as String: return s.trimmingCharacters(in: .whitespaces).isEmpty ? nil : .text(s)
        case let n as NSNumber:
            // JSON true/false are not scores (Foundation reports them with the objCType "c").
            if String(cString: n.objCType) == "c" { return .other }
            return .number(n.doubleValue)
        default: return .other
        }
    }
}
