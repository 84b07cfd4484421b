import ArgumentParser
import Foundation
import RouteLedgerModel
import RouteLedgerQuery

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a read-only SQL query file against the ledger.",
        discussion: """
            FILE is a path to a .sql file, or the NAME of one in ./queries, $ROUTELEDGER_QUERIES or the shipped \
            queries (`routeledger query --list` shows them). The file's header declares its parameters \
            (`-- @param since: timestamp = now-7d`); values are bound, never spliced into the SQL. Times take ISO \
            dates and times, now, today, yesterday and offsets such as now-7d. The connection is read-only: a \
            query can never change the ledger.
            """)

    @Argument(help: ArgumentHelp("Query file or name.", valueName: "file-or-name"))
    var query: String?

    @Flag(help: "List the available queries with their titles and parameters.")
    var list = false

    @Option(name: .customLong("param"), help: ArgumentHelp("A parameter value (repeatable).", valueName: "name=value"))
    var params: [String] = []

    @Option(help: ArgumentHelp("Shorthand for --param since=T.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Shorthand for --param until=T.", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Output: table, csv, json or md.", valueName: "format"))
    var format: String = "table"

    @Option(help: ArgumentHelp("Stop the query after this many seconds.", valueName: "seconds"))
    var timeout: Double?

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        guard ResultFormat(rawValue: format) != nil else { throw ValidationError("--format must be table, csv, json or md") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
        if !list && query == nil { throw ValidationError("give a query file or name, or --list") }
    }

    /// The checked run: the file, its bound parameters and the connection settings.
    struct Plan {
        var file: QueryFile
        var values: [String: BoundValue]
        var ledgerPath: String
        var format: ResultFormat
    }

    func makePlan(library: QueryLibrary, now: Int64) throws -> Plan {
        let path = try library.resolve(query!)
        let file = try QueryFile.load(path: path)
        var given: [String: String] = [:]
        for param in params {
            guard let equals = param.firstIndex(of: "="), equals != param.startIndex else {
                throw ValidationError("--param takes name=value, got \"\(param)\"")
            }
            given[String(param[..<equals])] = String(param[param.index(after: equals)...])
        }
        if let since { given["since"] = since }
        if let until { given["until"] = until }
        let known = file.parameters.map { "\($0.name): \($0.type.rawValue)" + ($0.defaultText.map { " = \($0)" } ?? " (required)") }
        for name in given.keys.sorted() where !file.parameters.contains(where: { $0.name == name }) {
            throw QueryError(file: path, message: "unknown parameter \(name); this query takes "
                + (known.isEmpty ? "no parameters" : known.joined(separator: ", ")))
        }
        var values: [String: BoundValue] = [:]
        for parameter in file.parameters {
            guard let text = given[parameter.name] ?? parameter.defaultText else {
                throw QueryError(file: path, line: parameter.line, message: "parameter \(parameter.name) is required "
                    + "(--param \(parameter.name)=…); this query takes \(known.joined(separator: ", "))")
            }
            guard let value = parameter.value(text, nowMicros: now) else {
                throw QueryError(file: path, line: given[parameter.name] == nil ? parameter.line : nil,
                                 message: "parameter \(parameter.name): \"\(text)\" is not a \(parameter.type.rawValue)")
            }
            values[parameter.name] = value
        }
        let configuration = try configOptions.loadConfiguration()
        return Plan(file: file, values: values,
                    ledgerPath: configOptions.ledgerPath(configuration, ledger),
                    format: ResultFormat(rawValue: format)!)
    }

    func run() throws {
        let library = QueryLibrary.standard()
        let output = FileDescriptorWriter()
        do {
            if list {
                try printList(library, output)
                try output.flush()
                return
            }
            let plan = try makePlan(library: library, now: Int64(Date().timeIntervalSince1970 * 1_000_000))
            let configuration = try configOptions.loadConfiguration()
            let runner = try QueryRunner(ledgerPath: plan.ledgerPath, catalog: try configOptions.loadCatalog(configuration),
                                         routers: configuration.routers)
            var sink = makeSink(plan.format, writer: output)
            try runner.run(plan.file, parameters: plan.values, timeout: timeout, into: &sink)
            try output.flush()
        } catch is OutputClosed {
            return   // the reader went away (`| head`): not an error
        } catch let error as ValidationError {
            throw error
        } catch {
            try? output.flush()
            Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw ExitCodes.fatal
        }
    }

    func printList(_ library: QueryLibrary, _ output: FileDescriptorWriter) throws {
        let entries = try library.list()
        if entries.isEmpty {
            try output.write("no query files found (looked in \(library.folders.map(\.path).joined(separator: ", ")))\n")
            return
        }
        let width = entries.map(\.file.name.count).max() ?? 0
        for (folder, file) in entries {
            try output.write(file.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + file.title + "  [\(folder)]\n")
            for parameter in file.parameters {
                let detail = parameter.defaultText.map { " = \($0)" } ?? " (required)"
                try output.write(String(repeating: " ", count: width + 2) + "  --param \(parameter.name): \(parameter.type.rawValue)\(detail)"
                    + (parameter.help.map { "  \($0)" } ?? "") + "\n")
            }
        }
    }
}
