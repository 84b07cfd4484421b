import Foundation
import Testing
import RouteLedgerTestSupport
@testable import RouteLedgerReplay

private let header = "prompt_id,prompt_text,input_tokens_est,strong_model,weak_model,strong_score,weak_score"

private func parse(_ text: String, file: String = "labels.csv", scoreColumn: String? = nil) throws -> LabelSet {
    try LabelReader.parse(bytes: Array(text.utf8), file: file, scoreColumn: scoreColumn)
}

@Suite struct LabelReaderTests {
    static let fixtures = TestPaths.fixtures.appendingPathComponent("replay")

    @Test func multiLineQuotedFieldsKeepLineNumbersRight() throws {
        let path = Self.fixtures.appendingPathComponent("labels.csv").path
        let set = try LabelReader.read(path: path)
        #expect(set.rejected.isEmpty)
        #expect(set.file == path)
        #expect(set.prompts.map(\.id) == ["p1", "p2", "p3", "p4", "p5", "p6"])
        // Header line 1; p2 spans 3-5; a blank line 7 is skipped; p5 spans 9-11.
        #expect(set.prompts.map(\.line) == [2, 3, 6, 8, 9, 12])
        let p2 = set.prompts[1]
        #expect(p2.text == "Line one\nline two, with a comma\nline three")
        #expect(p2.inputTokens == 10)
        #expect(p2.strongModel == "gpt-4")
        #expect(p2.weakModel == "mixtral")
        #expect(p2.strongScore == 1 && p2.weakScore == 1)
        #expect(set.prompts[2].text == #"She said "hi", twice"#)
        #expect(set.prompts[2].strongScore == 0.5 && set.prompts[2].weakScore == 0.25)
        // Empty optional fields are absent, not empty strings.
        let p4 = set.prompts[3]
        #expect(p4.text == nil && p4.inputTokens == nil && p4.strongModel == nil && p4.weakModel == nil)
        #expect(set.prompts[4].text == "Answer:\nA. yes\nB. no")
        #expect(set.prompts[5].text == "unquoted text")
        #expect(set.prompts.allSatisfy { $0.routerScore == nil })
        #expect(set.scoreColumn == nil)
    }

    @Test func doubledQuotesAndCommasInsideQuotes() throws {
        let set = try parse(header + "\n" + #"a,"x ""y"", z,, ""","1",m,n,1,0"# + "\n" + #"b,"""",2,m,n,0,1"# + "\n")
        #expect(set.rejected.isEmpty)
        #expect(set.prompts.map(\.text) == [#"x "y", z,, ""#, #"""#])
        #expect(set.prompts.map(\.inputTokens) == [1, 2])
    }

    @Test func crlfLineEndingsAndBOM() throws {
        let text = "\u{FEFF}" + header + "\r\n" + "a,\"two\r\nlines\",3,m,n,1,0\r\n" + "b,plain,4,m,n,0,0\r\n"
        let set = try parse(text)
        #expect(set.rejected.isEmpty)
        #expect(set.prompts.map(\.id) == ["a", "b"])  // the BOM does not stick to the first column name
        #expect(set.prompts.map(\.line) == [2, 4])
        #expect(set.prompts[0].text == "two\r\nlines")
        #expect(set.prompts[1].text == "plain")  // no stray \r on the last field either
        #expect(set.prompts[1].weakScore == 0)
    }

    @Test func noTrailingNewlineAndExtraColumnsInAnyOrder() throws {
        let set = try parse("weak_score,extra,prompt_id,strong_score\n0.25,ignored,q1,0.75")
        #expect(set.rejected.isEmpty)
        #expect(set.prompts == [LabeledPrompt(id: "q1", strongScore: 0.75, weakScore: 0.25, line: 2)])
    }

    @Test func jsonLines() throws {
        let path = Self.fixtures.appendingPathComponent("labels.jsonl").path
        let set = try LabelReader.read(path: path, scoreColumn: "router_score")
        #expect(set.rejected.isEmpty)
        #expect(set.scoreColumn == "router_score")
        #expect(set.prompts.map(\.id) == ["j1", "j2", "j3"])
        #expect(set.prompts.map(\.line) == [1, 3, 4])
        #expect(set.prompts[0].text == "What is 2+2?")
        #expect(set.prompts[0].inputTokens == 3)
        #expect(set.prompts[0].strongModel == "gpt-4")
        #expect(set.prompts[1].text == "Line one\nline two, \"quoted\"")
        #expect(set.prompts.map(\.routerScore) == [0.9, -0.25, 0])
        #expect(set.prompts[2].strongScore == 0.75)  // a numeric string is read as its number
        #expect(set.prompts[2].text == nil)
    }

    @Test func jsonLinesDetectedByContent() throws {
        let text = "\n  {\"prompt_id\":\"x\",\"strong_score\":1,\"weak_score\":0}\nnot json\n{\"prompt_id\":\"y\",\"strong_score\":true,\"weak_score\":0}\n"
        let set = try parse(text, file: "labels.txt")
        #expect(set.prompts.map(\.id) == ["x"])
        #expect(set.prompts[0].line == 2)
        #expect(set.rejected.map(\.line) == [3, 4])
        #expect(set.rejected[0].message == "not a JSON object")
        #expect(set.rejected[1].message.contains("strong_score"))
    }

    @Test func everyRejectionKindWithItsLine() throws {
        let rows = [
            header,                                   // 1
            #"ok1,"fine",1,s,w,1,0"#,                 // 2
            #","secret text",1,s,w,1,0"#,             // 3 empty id
            #"bad2,"secret",1,s,w,abc,0"#,            // 4 not a number
            #"bad3,"secret",1,s,w,1.5,0"#,            // 5 outside 0...1
            #"bad4,"secret",1,s,w,nan,0"#,            // 6 not finite
            #"bad5,"secret",-3,s,w,1,0"#,             // 7 negative tokens
            #"bad6,"secret",2.5,s,w,1,0"#,            // 8 non-integer tokens
            #"bad7,"secret",1,s,w,1"#,                // 9 too few fields
            #"bad8,"secret",1,s,w,1,0,extra"#,        // 10 too many fields
            #"ok1,"secret"#,                          // 11 duplicate of line 2 (record spans 11-12)
            #"two lines",1,s,w,0,0"#,                 // 12
            #"bad9,"secret",1,s,w,0,-0.5"#,           // 13 weak outside 0...1
            #"bad10,"secret",1,s,w,,0"#,              // 14 empty score
            #"ok2,"fine",1,s,w,0,1"#,                 // 15
            #"bad11,"secret never closes,1,s,w,1,0"#, // 16 unterminated quote at EOF
            #"more,plain,1,s,w,1,0"#,                 // 17 (inside the unterminated field)
        ]
        let set = try parse(rows.joined(separator: "\n") + "\n")
        #expect(set.prompts.map(\.id) == ["ok1", "ok2"])
        #expect(set.prompts.map(\.line) == [2, 15])
        let byLine = Dictionary(uniqueKeysWithValues: set.rejected.map { ($0.line, $0.message) })
        #expect(set.rejected.map(\.line) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 16])
        #expect(byLine[3] == "empty prompt_id")
        #expect(byLine[4] == "strong_score is not a finite number")
        #expect(byLine[5]?.contains("outside 0...1") == true)
        #expect(byLine[6] == "strong_score is not a finite number")
        #expect(byLine[7] == "input_tokens_est is not a non-negative integer")
        #expect(byLine[8] == "input_tokens_est is not a non-negative integer")
        #expect(byLine[9] == "expected 7 fields, found 6")
        #expect(byLine[10] == "expected 7 fields, found 8")
        #expect(byLine[11] == #"duplicate prompt_id "ok1" (first at line 2)"#)
        #expect(byLine[13]?.hasPrefix("weak_score") == true)
        #expect(byLine[14] == "strong_score is empty")
        #expect(byLine[16]?.contains("unterminated") == true)
        for issue in set.rejected {
            #expect(issue.file == "labels.csv")
            #expect(!issue.message.contains("secret"))
        }
    }

    @Test func missingRequiredColumnThrows() {
        #expect(throws: ReplayError(file: "labels.csv", line: 1,
                                    "missing column weak_score; found prompt_id, prompt_text, strong_score")) {
            try parse("prompt_id,prompt_text,strong_score\na,b,1\n")
        }
        #expect(throws: ReplayError(file: "labels.csv", line: 1,
                                    "missing column my_score; found \(header.split(separator: ",").joined(separator: ", "))")) {
            try parse(header + "\na,b,1,m,n,1,0\n", scoreColumn: "my_score")
        }
        #expect(throws: ReplayError.self) { try parse("") }
        #expect(throws: ReplayError.self) {
            try parse(#"{"prompt_id":"a","strong_score":1}"#, file: "x.jsonl")
        }
        #expect(throws: ReplayError.self) { try LabelReader.read(path: "/nonexistent/labels.csv") }
    }

    @Test func scoreColumnIsRequiredPerRowAndParsed() throws {
        let set = try parse("prompt_id,strong_score,weak_score,router\na,1,0,0.25\nb,1,0,\nc,0,0,-2\n",
                            scoreColumn: "router")
        #expect(set.prompts.map(\.routerScore) == [0.25, -2])
        #expect(set.rejected.map(\.line) == [3])
        #expect(set.rejected.first?.message == "router is not a finite number")
    }

    static let sharedFiles: [(String, Int)] = [
        ("routellm-evals/pairs.csv", 14037), ("routellm-evals/pairs-gsm8k.csv", 1307),
        ("routellm-evals/pairs-mtbench.csv", 72), ("alpacaeval-claude/pairs.csv", 805),
        ("routerbench-subsets/pairs.csv", 3150), ("routerbench-subsets/pairs-claude-v2-vs-instant-v1.csv", 3164),
    ]

    /// The row counts SOURCES.md gives for each derived pairs file.
    @Test(.enabled(if: TestPaths.sharedIsPresent), arguments: sharedFiles)
    func sharedPairsFiles(_ name: String, _ rows: Int) throws {
        let path = TestPaths.shared.appendingPathComponent("routing-data").appendingPathComponent(name).path
        let set = try LabelReader.read(path: path)
        #expect(set.rejected.isEmpty, "\(set.rejected.prefix(3))")
        #expect(set.prompts.count == rows)
        #expect(Set(set.prompts.map(\.id)).count == rows)
        #expect(set.prompts.allSatisfy { $0.text?.isEmpty == false && $0.strongModel != nil && $0.weakModel != nil })
        #expect(set.prompts.allSatisfy { $0.inputTokens != nil })
        // Lines increase strictly and start right after the header.
        #expect(set.prompts.first?.line == 2)
        #expect(zip(set.prompts, set.prompts.dropFirst()).allSatisfy { $0.line < $1.line })
    }

    @Test(.enabled(if: TestPaths.sharedIsPresent))
    func mmluMeansMatchSources() throws {
        let path = TestPaths.shared.appendingPathComponent("routing-data/routellm-evals/pairs.csv").path
        let set = try LabelReader.read(path: path)
        let n = Double(set.prompts.count)
        // SOURCES.md: GPT-4 0.806, Mixtral 0.681.
        #expect(abs(set.prompts.reduce(0) { $0 + $1.strongScore } / n - 0.806) < 0.0005)
        #expect(abs(set.prompts.reduce(0) { $0 + $1.weakScore } / n - 0.681) < 0.0005)
        // The last record's line equals the file's line count (newlines inside quotes included).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let newlines = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        let last = try #require(set.prompts.last)
        let textNewlines = (last.text ?? "").utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        #expect(last.line + textNewlines == newlines)
    }
}
