import Foundation
import RouteLedgerModel
import Testing
@testable import RouteLedgerIngest

/// Parses `text` and returns the outcome (the tape stays valid only inside `body`).
private func parse(_ text: String, _ body: (JSONTape, JSONParseOutcome) -> Void = { _, _ in }) -> JSONParseOutcome {
    var bytes = Array(text.utf8)
    bytes.append(0)
    var tape = JSONTape()
    return bytes.withUnsafeBufferPointer { buffer in
        let outcome = JSONParser.parse(buffer.baseAddress!, from: 0, to: buffer.count - 1, into: &tape)
        body(tape, outcome)
        return outcome
    }
}

@Suite struct JSONParserTests {
    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e\"f"},"g":-1.5e3,"h":""}"#,
        #"[1,2,{"x":[]},{}]"#,
        #"{"nested":{"deep":{"deeper":[[[[{"k":"v"}]]]]}}}"#,
        "{\n  \"pretty\": [\n    1,\n    2\n  ]\n}",
        #"{"unicode":"caf\u00e9 東京 \ud83d\ude00","apostrophe":"it\u0027s"}"#,
    ])
    func acceptsValidJSONLikeFoundation(_ text: String) throws {
        // Second method: Foundation must agree that the text is JSON.
        _ = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        let outcome = parse(text)
        guard case .complete(let end, _) = outcome else {
            Issue.record("expected complete, got \(outcome)")
            return
        }
        #expect(end == text.utf8.count)
    }

    @Test(arguments: [
        (#"{"a":1,}"#, "trailing comma"),
        (#"{"a":"x\qy"}"#, "bad escape"),
        ("{\"a\":\"line\nbreak\"}", "raw newline in string"),
        (#"{"a" 1}"#, "missing colon"),
        (#"{"a":01}"#, "leading zero"),
        (#"{"a":tru}"#, "bad literal"),
        (#"{a:1}"#, "unquoted key"),
        (#"{"a":1]"#, "mismatched bracket"),
    ])
    func rejectsInvalidJSONThatFoundationAlsoRejects(_ text: String, _ label: String) {
        // Foundation on Linux tolerates a trailing comma; every other case it rejects too.
        if label != "trailing comma" {
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) == nil, "Foundation accepts \(label)")
        }
        guard case .invalid = parse(text) else {
            Issue.record("\(label) was not rejected")
            return
        }
    }

    @Test func reportsIncompleteInputSoTheScannerCanReadMore() {
        let text = #"{"a":[1,2,{"b":"unfinished"#
        for cut in 1..<text.utf8.count {
            let prefix = String(decoding: Array(text.utf8).prefix(cut), as: UTF8.self)
            #expect(parse(prefix) == .incomplete, "prefix of \(cut) bytes")
        }
    }

    @Test func rejectsNestingBeyondTheDepthCap() {
        let text = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        guard case .invalid(_, let reason) = parse(text) else {
            Issue.record("deep nesting accepted")
            return
        }
        #expect(reason.contains("nesting"))
    }

    @Test func tapeValuesMatchFoundation() throws {
        let text = #"{"s":"a\tb\u0041\"","i":12345678901,"f":0.25,"neg":-3,"t":true,"n":null,"arr":[3,4,5],"o":{"k":"v"}}"#
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        _ = parse(text) { tape, _ in
            #expect(tape.string(tape.member(0, "s")!) == reference["s"] as? String)
            #expect(tape.count(tape.member(0, "i")) == .value(12_345_678_901))
            #expect(tape.double(tape.member(0, "f")!) == 0.25)
            #expect(tape.count(tape.member(0, "neg")) == .invalid, "a negative count is invalid")
            #expect(tape.bool(tape.member(0, "t")!) == true)
            #expect(tape.isNull(tape.member(0, "n")!))
            #expect(tape.elementCount(tape.member(0, "arr")!) == (reference["arr"] as? [Any])?.count)
            #expect(tape.string(tape.path(0, "o", "k")!) == "v")
            #expect(tape.member(0, "missing") == nil)
        }
    }

    @Test func countsRejectOverflowAndFractions() {
        _ = parse(#"{"big":99999999999999999999,"frac":2.5,"whole":7.0,"text":"abc","digits":"42"}"#) { tape, _ in
            #expect(tape.count(tape.member(0, "big")) == .invalid)
            #expect(tape.count(tape.member(0, "frac")) == .invalid)
            #expect(tape.count(tape.member(0, "whole")) == .value(7))
            #expect(tape.count(tape.member(0, "text")) == .invalid)
            #expect(tape.count(tape.member(0, "digits")) == .value(42))
        }
    }
}

@Suite struct TimestampTests {
    @Test func parsesBedrockLiteLLMAndOffsetForms() {
        func micros(_ text: String) -> Int64? {
            Array(text.utf8).withUnsafeBytes { Timestamp.parseISO($0) }
        }
        // 2025-08-22T09:41:06Z = 1755855666 s (checked with `date -u -d 2025-08-22T09:41:06Z +%s`).
        #expect(micros("2025-08-22T09:41:06Z") == 1_755_855_666_000_000)
        #expect(micros("2025-08-22T09:41:06.123Z") == 1_755_855_666_123_000)
        #expect(micros("2025-01-24 09:20:46.847371") == 1_737_710_446_847_371)
        #expect(micros("2025-08-22T11:41:06+02:00") == 1_755_855_666_000_000)
        #expect(micros("xxxxxxxxxxxxxxxxxxxxxxx") == nil)
        #expect(micros("2025-13-01T00:00:00Z") == nil)
        #expect(Timestamp.format(1_755_855_666_123_000) == "2025-08-22T09:41:06.123000Z")
    }

    @Test func civilDaysRoundTripAgainstFoundationCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for days in stride(from: -1000, to: 30000, by: 97) {
            let date = Date(timeIntervalSince1970: Double(days) * 86400)
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let (year, month, day) = CivilCalendar.civilFromDays(days)
            #expect(year == parts.year && month == parts.month && day == parts.day)
            #expect(CivilCalendar.daysFromCivil(year: year, month: month, day: day) == days)
        }
    }
}

@Suite struct ScalarCountTests {
    @Test(arguments: ["", "a", "hello world, plain ASCII text of some length", "café 東京 😀 naïve – “quotes”",
                      String(repeating: "ü東😀x", count: 37)])
    func countsScalarsLikeSwift(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { scalarCount($0) } == Int64(text.unicodeScalars.count))
    }
}
