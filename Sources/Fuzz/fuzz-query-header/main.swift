import Foundation
import FuzzSupport
import RouteLedgerModel
import RouteLedgerQuery

// fuzz-query-header: the header of a query file (`-- @title`, `-- @description`, `-- @param name: type = default`)
// as QueryFile.load reads it (UTF-8 check, then QueryFile.parse), then every parameter's default (and the
// input's first line, as a `--param` value typed on the command line) converted to its bound value the way
// `routeledger query` does (TimeExpression for timestamps and dates).

enum QueryHeaderHarness {
    static func run(_ bytes: [UInt8]) {
        guard let text = String(data: Data(bytes), encoding: .utf8) else { return }   // load: "not UTF-8 text"
        let file: QueryFile
        do {
            file = try QueryFile.parse(text, path: "queries/fuzz.sql")
        } catch let error as QueryError {
            _ = error.errorDescription
            return
        } catch {
            fatalError("QueryFile.parse threw something other than a QueryError")
        }
        let typed = String(text.prefix { $0 != "\n" })
        for parameter in file.parameters {
            if let text = parameter.defaultText { _ = parameter.value(text, nowMicros: fuzzNowMicros) }
            _ = parameter.value(typed, nowMicros: fuzzNowMicros)
        }
        _ = TimeExpression.day(typed, nowMicros: fuzzNowMicros)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    QueryHeaderHarness.run(fuzzInput(data, size))
    return 0
}

FuzzDriver.main("fuzz-query-header", fuzzOneInput)
