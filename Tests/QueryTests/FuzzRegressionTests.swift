import Foundation
import RouteLedgerModel
import RouteLedgerQuery
import RouteLedgerTestSupport
import Testing

/// Inputs fuzz-query-header found crashing (fixtures/fuzz/regressions/query-header/), through the harness's path:
/// QueryFile.parse, then each parameter's default and the first line as a typed value / `--day`.
@Suite struct QueryFuzzRegressionTests {
    static let now: Int64 = 1_793_750_400_000_000   // the harness's fixed now, 2026-11-04T00:00:00Z

    static func text(_ name: String) throws -> String {
        try String(contentsOf: TestPaths.fixtures.appendingPathComponent("fuzz/regressions/query-header/\(name)"), encoding: .utf8)
    }

    /// `today-4999999999999w` overflowed Int64 microseconds (a trap); an offset that large is not an instant.
    @Test func dayOffsetBeyondInt64IsRejected() throws {
        let typed = try Self.text("day-offset-overflow.txt")
        #expect(typed == "today-4999999999999w")
        #expect(TimeExpression.day(typed, nowMicros: Self.now) == nil)
        #expect(TimeExpression.parse(typed, nowMicros: Self.now) == nil)
    }

    @Test func parameterDefaultsBeyondInt64AreRejected() throws {
        let file = try QueryFile.parse(try Self.text("param-default-overflow.sql"), path: "param-default-overflow.sql")
        #expect(file.parameters.map(\.name) == ["since", "day"])
        for parameter in file.parameters {
            #expect(parameter.value(parameter.defaultText ?? "", nowMicros: Self.now) == nil, "\(parameter.name)")
        }
    }

    @Test(arguments: ["now-1537228672809w", "now+1537228672809w", "now-106751991167d", "today+9223372036854775807m",
                      "yesterday-153722867280912h"])
    func offsetsPastTheRangeAreNotInstants(_ text: String) {
        #expect(TimeExpression.parse(text, nowMicros: Self.now) == nil)
    }

    /// The largest offsets that still fit keep working.
    @Test func largeOffsetsInsideTheRangeStillParse() {
        #expect(TimeExpression.parse("now-100000w", nowMicros: Self.now) == Self.now - 100_000 * 7 * 86_400_000_000)
        #expect(TimeExpression.parse("now+0m", nowMicros: Self.now) == Self.now)
    }
}
