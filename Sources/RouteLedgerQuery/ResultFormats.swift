import Foundation
import RouteLedgerModel

/// Where formatted output goes: stdout in the CLI, a string in tests.
public protocol TextWriter: AnyObject {
    func write(_ text: String) throws
}

/// A reader stopped reading (`| head`): the caller ends quietly.
public struct OutputClosed: Error {}

/// Writes to a file descriptor; EPIPE becomes `OutputClosed` instead of a crash or an error message.
public final class FileDescriptorWriter: TextWriter {
    let descriptor: Int32
    private var buffer: [UInt8] = []

    public init(descriptor: Int32 = STDOUT_FILENO) {
        self.descriptor = descriptor
        // Without this, writing into a closed pipe kills the process with SIGPIPE mid-row.
        signal(SIGPIPE, SIG_IGN)
    }

    public func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    public func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                buffer.removeAll()
                if errno == EPIPE { throw OutputClosed() }
                throw QueryError(file: "stdout", message: String(cString: strerror(errno)))
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

public final class StringWriter: TextWriter {
    public private(set) var text = ""
    public init() {}
    public func write(_ text: String) throws { self.text += text }
}

public enum ResultFormat: String, Sendable, CaseIterable {
    case table, csv, json, md
}

extension SQLValue {
    /// Text for CSV, tables and Markdown. Reals print with up to six decimals, trailing zeros trimmed, so
    /// money keeps its micro-dollars and counts stored as reals do not grow a `.000000`.
    var plain: String? {
        switch self {
        case .null: return nil
        case .integer(let value): return String(value)
        case .real(let value): return SQLValue.format(value)
        case .text(let value): return value
        case .blob(let count): return "<\(count) bytes>"
        }
    }

    static func format(_ value: Double) -> String { NumberText.trimmed(value) }

    var isNumber: Bool {
        switch self {
        case .integer, .real: return true
        default: return false
        }
    }
}

/// Builds the sink for a format.
public func makeSink(_ format: ResultFormat, writer: TextWriter) -> any ResultSink {
    switch format {
    case .table: return TableSink(writer: writer)
    case .csv: return CSVSink(writer: writer)
    case .json: return JSONSink(writer: writer)
    case .md: return MarkdownSink(writer: writer)
    }
}

/// An aligned terminal table: numbers right-aligned, NULL as `-`. Widths need every row, so the table
/// holds its rows; use csv or json for results too large to hold.
public struct TableSink: ResultSink {
    let writer: TextWriter
    var columns: [String] = []
    var rows: [[SQLValue]] = []

    public init(writer: TextWriter) { self.writer = writer }

    public mutating func begin(columns: [String]) throws { self.columns = columns }
    public mutating func row(_ values: [SQLValue]) throws { rows.append(values) }

    public mutating func end() throws {
        let cells = rows.map { $0.map { $0.plain ?? "-" } }
        var widths = columns.map(\.count)
        for row in cells { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        var numeric = [Bool](repeating: true, count: columns.count)
        for row in rows { for (index, value) in row.enumerated() where value != .null && !value.isNumber { numeric[index] = false } }
        func pad(_ text: String, _ index: Int) -> String {
            let fill = String(repeating: " ", count: widths[index] - text.count)
            return numeric[index] ? fill + text : text + fill
        }
        func line(_ texts: [String]) -> String {
            texts.enumerated().map { pad($1, $0) }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        try writer.write(line(columns))
        try writer.write(line(widths.map { String(repeating: "-", count: $0) }))
        for row in cells { try writer.write(line(row)) }
        try writer.write("(\(rows.count) row\(rows.count == 1 ? "" : "s"))\n")
    }
}

/// RFC 4180: CRLF, fields quoted when they hold a comma, quote, CR or LF; NULL is an empty field.
public struct CSVSink: ResultSink {
    let writer: TextWriter
    public init(writer: TextWriter) { self.writer = writer }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public mutating func begin(columns: [String]) throws {
        try writer.write(columns.map(Self.field).joined(separator: ",") + "\r\n")
    }

    public mutating func row(_ values: [SQLValue]) throws {
        try writer.write(values.map { Self.field($0.plain ?? "") }.joined(separator: ",") + "\r\n")
    }

    public mutating func end() throws {}
}

/// A JSON array of objects, one per row, streamed; integers stay integers, reals keep full precision,
/// NULL is null.
public struct JSONSink: ResultSink {
    let writer: TextWriter
    var columns: [String] = []
    var first = true
    public init(writer: TextWriter) { self.writer = writer }

    static func string(_ text: String) -> String { JSONText.quoted(text) }

    public mutating func begin(columns: [String]) throws {
        self.columns = columns
        try writer.write("[")
    }

    public mutating func row(_ values: [SQLValue]) throws {
        var members: [String] = []
        for (index, value) in values.enumerated() {
            let json: String
            switch value {
            case .null: json = "null"
            case .integer(let v): json = String(v)
            case .real(let v): json = v.isFinite ? "\(v)" : "null"
            case .text(let v): json = Self.string(v)
            case .blob(let count): json = Self.string("<\(count) bytes>")
            }
            members.append("\(Self.string(columns[index])): \(json)")
        }
        try writer.write((first ? "\n  {" : ",\n  {") + members.joined(separator: ", ") + "}")
        first = false
    }

    public mutating func end() throws {
        try writer.write(first ? "]\n" : "\n]\n")
    }
}

/// A GitHub Markdown table, streamed; `|` in values is escaped.
public struct MarkdownSink: ResultSink {
    let writer: TextWriter
    var numeric: [Bool] = []
    public init(writer: TextWriter) { self.writer = writer }

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    public mutating func begin(columns: [String]) throws {
        try writer.write("| " + columns.map(Self.cell).joined(separator: " | ") + " |\n")
        try writer.write("|" + columns.map { _ in "---" }.joined(separator: "|") + "|\n")
    }

    public mutating func row(_ values: [SQLValue]) throws {
        try writer.write("| " + values.map { Self.cell($0.plain ?? "-") }.joined(separator: " | ") + " |\n")
    }

    public mutating func end() throws {}
}
