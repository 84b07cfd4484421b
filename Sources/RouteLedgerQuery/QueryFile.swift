import Foundation
import RouteLedgerModel

/// Errors of the query layer; each names the `.sql` file and, where it can, the line and column.
public struct QueryError: LocalizedError, Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var errorDescription: String? {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): \(message)"
    }
}

public enum ParameterType: String, Sendable, CaseIterable {
    /// An instant: ISO date or time, `now-7d`, `today`, `yesterday`; bound as microseconds since the epoch.
    case timestamp
    /// A UTC day: bound as `YYYY-MM-DD` text (compares with the views' `day` column).
    case date
    case text
    case integer
    case real
}

public struct QueryParameter: Sendable, Equatable {
    public var name: String
    public var type: ParameterType
    /// The default as written in the header; nil = the parameter is required.
    public var defaultText: String?
    public var help: String?
    public var line: Int
}

/// A query file: header (title, description, parameters) and the SQL.
///
/// ```sql
/// -- @title Haiku ratio by day
/// -- @description Share of successful Claude requests served by a Haiku model, per UTC day.
/// -- @param since: timestamp = now-7d  -- start of the window
/// -- @param until: timestamp = now
/// SELECT …
/// ```
public struct QueryFile: Sendable, Equatable {
    public var path: String
    public var name: String
    public var title: String
    public var description: String
    public var parameters: [QueryParameter]
    /// The whole file text: the SQL is compiled from it as is, so SQLite's error offsets map to file lines.
    public var text: String

    public static func load(path: String) throws -> QueryFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QueryError(file: path, message: "cannot read the query file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw QueryError(file: path, message: "the query file is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> QueryFile {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var title: String?
        var description: [String] = []
        var parameters: [QueryParameter] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard line.hasPrefix("--") else { break }   // the header ends at the first SQL line
            let comment = line.dropFirst(2).trimmingCharacters(in: .whitespaces)
            let lineNumber = index + 1
            if comment.hasPrefix("@title") {
                title = comment.dropFirst("@title".count).trimmingCharacters(in: .whitespaces)
            } else if comment.hasPrefix("@description") {
                description.append(comment.dropFirst("@description".count).trimmingCharacters(in: .whitespaces))
            } else if comment.hasPrefix("@param") {
                parameters.append(try parameter(String(comment.dropFirst("@param".count)), line: lineNumber, path: path))
            } else if comment.hasPrefix("@") {
                let tag = comment.prefix { !$0.isWhitespace }
                throw QueryError(file: path, line: lineNumber, column: (rawLine.range(of: "@").map { rawLine.distance(from: rawLine.startIndex, to: $0.lowerBound) } ?? 0) + 1,
                                 message: "unknown header tag \(tag) (use @title, @description, @param)")
            } else if !description.isEmpty && title != nil && parameters.isEmpty {
                description.append(comment)   // a description may continue on plain comment lines
            }
        }
        var seen = Set<String>()
        for parameter in parameters where !seen.insert(parameter.name).inserted {
            throw QueryError(file: path, line: parameter.line, message: "parameter :\(parameter.name) is declared twice")
        }
        return QueryFile(path: path, name: name, title: title ?? name, description: description.joined(separator: " "),
                         parameters: parameters, text: text)
    }

    /// `since: timestamp = now-7d  -- start of the window`
    static func parameter(_ spec: String, line: Int, path: String) throws -> QueryParameter {
        var body = spec
        var help: String?
        if let range = body.range(of: "--") {
            help = body[range.upperBound...].trimmingCharacters(in: .whitespaces)
            body = String(body[..<range.lowerBound])
        }
        var defaultText: String?
        if let equals = body.firstIndex(of: "=") {
            defaultText = body[body.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            body = String(body[..<equals])
        }
        let parts = body.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let first = parts[0].first, first.isLetter || first == "_",
              parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw QueryError(file: path, line: line, message: "a parameter reads `@param name: type [= default]`")
        }
        guard let type = ParameterType(rawValue: parts[1].lowercased()) else {
            throw QueryError(file: path, line: line, message: "parameter :\(parts[0]) has unknown type \"\(parts[1])\" "
                + "(use \(ParameterType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let text = defaultText, text.isEmpty { defaultText = nil }
        return QueryParameter(name: parts[0], type: type, defaultText: defaultText, help: help, line: line)
    }
}

/// A parameter value ready to bind.
public enum BoundValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null
}

extension QueryParameter {
    /// Converts user text (or the default) to the bound value; `nowMicros` anchors relative times.
    public func value(_ text: String, nowMicros: Int64) -> BoundValue? {
        switch type {
        case .timestamp:
            return TimeExpression.parse(text, nowMicros: nowMicros).map { .integer($0) }
        case .date:
            guard let micros = TimeExpression.parse(text, nowMicros: nowMicros) else { return nil }
            let day = micros >= 0 ? micros / CivilCalendar.microsPerDay : (micros + 1) / CivilCalendar.microsPerDay - 1
            return .text(CivilCalendar.formatDay(Int(day)))
        case .text:
            return .text(text)
        case .integer:
            return Int64(text).map { .integer($0) }
        case .real:
            return Double(text).flatMap { $0.isFinite ? .real($0) : nil }
        }
    }
}
