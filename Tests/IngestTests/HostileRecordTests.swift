import Foundation
import RouteLedgerModel
import Testing
@testable import RouteLedgerIngest

/// Hostile and odd records, one class per test, each with the outcome it must have (Tests/HOSTILE_INPUTS.md).
/// Decoder level: the same `RecordScanner` + `RecordDecoder` path the ingest runner uses, without a ledger.
/// The end-to-end versions (built binary, ledger tables, exit codes) are in CLITests/HostileInputCLITests.swift.

/// A Bedrock record as raw bytes; `requestId`, `modelId`, the prompt text and the token fields are spliced
/// in verbatim so tests can put any byte anywhere.
private func bedrock(id: [UInt8] = Array("r".utf8), time: String = "2026-11-01T10:00:00Z", operation: String = "Converse",
                     model: [UInt8] = Array("amazon.nova-lite-v1:0".utf8), prompt: [UInt8] = Array("hello".utf8),
                     input: String = "10", output: String = "5", extra: String = "") -> [UInt8] {
    Array(#"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"\#(time)","accountId":"111122223333","region":"us-east-1","requestId":""#.utf8)
        + id + Array(#"","operation":"\#(operation)","modelId":""#.utf8) + model
        + Array(#"","input":{"inputBodyJson":{"messages":[{"role":"user","content":[{"text":""#.utf8) + prompt
        + Array(#""}]}]},"inputTokenCount":\#(input)},"output":{"outputTokenCount":\#(output)}\#(extra)}"#.utf8)
}

private func bedrock(_ id: String, time: String = "2026-11-01T10:00:00Z", operation: String = "Converse",
                     model: String = "amazon.nova-lite-v1:0", input: String = "10", output: String = "5", extra: String = "") -> [UInt8] {
    bedrock(id: Array(id.utf8), time: time, operation: operation, model: Array(model.utf8), input: input, output: output, extra: extra)
}

private func lines(_ records: [[UInt8]]) -> [UInt8] {
    records.flatMap { $0 + [0x0A] }
}

/// "line outcome" per record read, in line order: `3 record r-1` or `4 invalid-utf8`.
private func outline(_ member: DecodedMember) -> [String] {
    (member.records.map { ($0.line, "\($0.line) record \($0.record.requestId)") }
        + member.rejections.map { ($0.line, "\($0.line) \($0.reason.rawValue)") })
        .sorted { $0.0 < $1.0 }.map(\.1)
}

private func decode(_ bytes: [UInt8], options: DecodeOptions = .init()) -> DecodedMember {
    let member = MemberDecoding.decode(bytes, options: options)
    // Every record read is a record or a located rejection, whatever the read size.
    for chunk in [1, 7, 4096] {
        #expect(outline(MemberDecoding.decode(bytes, options: options, chunkSize: chunk)) == outline(member), "reads of \(chunk)")
    }
    return member
}

@Suite struct HostileRecordTests {
    // MARK: invalid UTF-8

    /// Outcome: a record whose bytes are not UTF-8 anywhere (key, value, prompt) is rejected `invalid-utf8`
    /// with its line and byte offset; bytes that are not UTF-8 outside a string are `invalid-json`. Before,
    /// bad bytes became U+FFFD and two different request ids could be counted as one record and a duplicate.
    @Test func invalidUTF8IsRejectedNeverRepaired() throws {
        let bad: [(String, [UInt8])] = [
            ("lone 0xFF", [0xFF]), ("lone 0xFE", [0xFE]), ("overlong NUL C0 80", [0xC0, 0x80]),
            ("overlong slash E0 80 AF", [0xE0, 0x80, 0xAF]), ("encoded surrogate ED A0 80", [0xED, 0xA0, 0x80]),
            ("above U+10FFFF F4 90 80 80", [0xF4, 0x90, 0x80, 0x80]), ("cut 3-byte E2 82", [0xE2, 0x82]),
            ("stray continuation 80", [0x80]), ("Latin-1 é", [0xE9]),
        ]
        var records: [[UInt8]] = [bedrock("ok-1")]
        for (_, bytes) in bad { records.append(bedrock(id: Array("id-".utf8) + bytes)) }
        records.append(bedrock(id: Array("p".utf8), prompt: Array("caf".utf8) + [0xE9]))   // only in the prompt text
        records.append(Array("{\"requestId\":\"x\",".utf8) + [0xFF] + Array("\"k\":1}".utf8))   // outside a string
        // Well-formed multi-byte text is fine: 2, 3 and 4-byte sequences, and U+FFFD written as UTF-8.
        records.append(bedrock(id: Array("ok-é-東-😀-\u{FFFD}".utf8)))
        let member = decode(lines(records))
        let count = bad.count
        #expect(outline(member) == ["1 record ok-1"] + (2...(count + 2)).map { "\($0) invalid-utf8" }
                + ["\(count + 3) invalid-json", "\(count + 4) record ok-é-東-😀-\u{FFFD}"])
        for rejection in member.rejections where rejection.reason == .invalidUTF8 {
            #expect(rejection.detail.hasPrefix("invalid UTF-8 at byte "), "\(rejection.detail)")
        }
        // The byte reported is the first bad one, 1-based: after `"requestId":"id-`.
        let first = try #require(member.rejections.first)
        #expect(first.detail == "invalid UTF-8 at byte \(Self.offsetOfID(in: bedrock(id: Array("id-".utf8) + [0xFF])) + 4) of the record")
    }

    /// Offset of the request id's first byte in a record built by `bedrock(id:)`.
    static func offsetOfID(in record: [UInt8]) -> Int {
        let marker = Array(#""requestId":""#.utf8)
        for start in 0...(record.count - marker.count) where Array(record[start..<(start + marker.count)]) == marker {
            return start + marker.count
        }
        return -1
    }

    /// Before the fix, `bad\xFF` and `bad\xFE` both became `bad\u{FFFD}`: one stored and one "duplicate".
    @Test func idsDifferingOnlyInBadBytesAreNotMerged() {
        let member = decode(lines([bedrock(id: Array("bad".utf8) + [0xFF]), bedrock(id: Array("bad".utf8) + [0xFE])]))
        #expect(member.records.isEmpty)
        #expect(member.rejections.map(\.reason) == [.invalidUTF8, .invalidUTF8])
    }

    /// Second method: the validator agrees with the standard library's UTF-8 validation on random bytes
    /// (biased towards the lead and continuation bytes where the edge cases are).
    @Test func validatorAgreesWithTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
                                    0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &generator)
            let bytes = (0..<length).map { _ in
                Bool.random(using: &generator) ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            let ours = bytes.withUnsafeBytes { firstInvalidUTF8($0) }
            let library = String(validating: bytes, as: UTF8.self)
            #expect((ours == nil) == (library != nil), "\(bytes.map { String($0, radix: 16) })")
            if let ours {
                // Everything before the reported byte is valid on its own.
                #expect(String(validating: bytes[..<ours], as: UTF8.self) != nil, "\(bytes)")
            }
        }
    }

    @Test func csvRowThatIsNotUTF8IsRejected() {
        let csv = Array("request_id,api_key,spend,startTime,model,prompt_tokens,completion_tokens\n".utf8)
            + Array("c1,k,0.1,2026-11-01 10:00:00,gpt-4o,1,1\n".utf8)
            + Array("c".utf8) + [0xFF] + Array(",k,0.1,2026-11-01 10:00:00,gpt-4o,1,1\n".utf8)
            + Array("c".utf8) + [0xFE] + Array(",k,0.1,2026-11-01 10:00:00,gpt-4o,1,1\n".utf8)
        let member = decode(csv)
        #expect(member.layout == .csv)
        #expect(outline(member) == ["2 record c1", "3 invalid-utf8", "4 invalid-utf8"])
    }

    /// A damaged first line that still mentions `requestId` and a comma was taken for a CSV header and
    /// vanished (0 read). Outcome: it is a rejected line like any other; the next lines are read.
    @Test func damagedFirstLineIsNotSwallowedAsACSVHeader() {
        let member = decode(lines([[0xFF, 0xFE] + bedrock("first"), Array("garbage ".utf8) + bedrock("second"), bedrock("third")]))
        #expect(member.layout == .jsonValues)
        #expect(outline(member) == ["1 invalid-json", "2 invalid-json", "3 record third"])
    }

    // MARK: NUL bytes

    /// Outcome: a raw NUL byte (inside a string or between tokens, or a line of NULs) is `invalid-json`; a
    /// `\u0000` escape in a value the ledger stores as text is `invalid-field` naming the ledger column (SQLite
    /// text binds stop at NUL: `a\u0000x` would have become `a`, and a model id with one collided with the
    /// plain id, failing the whole run on the `strings` UNIQUE constraint). In a prompt, only hashed, it is fine.
    @Test func nulBytesAndEscapes() {
        let records: [[UInt8]] = [
            bedrock(id: Array("nul".utf8) + [0x00] + Array("id".utf8)),                          // 1 raw NUL in a string
            Array(#"{"requestId":"x","#.utf8) + [0x00] + Array(#""k":1}"#.utf8),                   // 2 raw NUL between tokens
            [0x00, 0x00, 0x00],                                                                     // 3 a line of NULs
            bedrock(#"a\u0000x"#),                                                                  // 4 escaped, request id
            bedrock("m", model: #"amazon.nova-lite-v1:0\u0000evil"#),                               // 5 escaped, model id
            bedrock("t", extra: #","requestMetadata":{"tenant_id":"acme\u0000"}"#),                 // 6 escaped, tenant
            bedrock("o", operation: #"Converse\u0000"#),                                            // 7 escaped, operation
            bedrock(id: Array("prompt".utf8), prompt: Array(#"before\u0000after"#.utf8)),           // 8 escaped, prompt text
            Array(#"{"id":"l1","model":"gpt-4o","model_group":"g\u0000","startTime":1762000000.5,"prompt_tokens":1,"completion_tokens":1}"#.utf8),
        ]
        let member = decode(lines(records), options: DecodeOptions(keepBodies: true))
        #expect(outline(member) == ["1 invalid-json", "2 invalid-json", "3 invalid-json", "4 invalid-field", "5 invalid-field",
                                    "6 invalid-field", "7 invalid-field", "8 record prompt", "9 invalid-field"])
        #expect(member.rejections.filter { $0.reason == .invalidField }.map(\.detail) == [
            "request_id contains a NUL character (\\u0000)", "raw_model_id contains a NUL character (\\u0000)",
            "tenant contains a NUL character (\\u0000)", "operation contains a NUL character (\\u0000)",
            "model_group contains a NUL character (\\u0000)",
        ])
        #expect(member.records.first?.record.promptBody?.contains(#"before\u0000after"#) == true, "bodies keep the escape as written")
    }

    // MARK: duplicate JSON keys

    /// Outcome (documented rule): the **first** occurrence of a key wins, for every field and at every depth,
    /// in both LiteLLM kinds and inside a spend row's metadata string. (Python's json and jq keep the last.)
    @Test func duplicateKeysFirstOneWins() throws {
        let text = """
            {"schemaType":"ModelInvocationLog","timestamp":"2026-11-01T10:00:00Z","timestamp":"2030-01-01T00:00:00Z","requestId":"K1","requestId":"K2","operation":"Converse","modelId":"amazon.nova-lite-v1:0","modelId":"amazon.nova-pro-v1:0","input":{"inputTokenCount":10,"inputTokenCount":99},"output":{"outputTokenCount":5},"output":{"outputTokenCount":6},"requestMetadata":{"tenant_id":"first","tenant_id":"second"}}
            {"id":"L1","id":"L2","model":"gpt-4o","startTime":1762000000.5,"prompt_tokens":3,"prompt_tokens":30,"completion_tokens":4,"metadata":{"user_api_key_team_alias":"a","user_api_key_team_alias":"b"}}
            {"request_id":"S1","request_id":"S2","api_key":"k","spend":0.1,"startTime":"2026-11-01 10:00:00","model":"gpt-4o","prompt_tokens":1,"completion_tokens":1,"metadata":"{\\"user_api_key_team_alias\\":\\"x\\",\\"user_api_key_team_alias\\":\\"y\\"}"}
            {"requestId":"B1","requestId":"not a string either way","schemaType":"ModelInvocationLog","timestamp":"2026-11-01T10:00:00Z","modelId":"m","modelId":{"nested":true}}
            """
        let member = decode(Array(text.utf8))
        #expect(outline(member) == ["1 record K1", "2 record L1", "3 record S1", "4 record B1"])
        let bedrock = member.records[0].record
        #expect(bedrock.timestampMicros == 1_793_527_200_000_000)   // date -u -d 2026-11-01T10:00:00Z +%s
        #expect(bedrock.rawModelId == "amazon.nova-lite-v1:0")
        #expect(bedrock.inputTokens == 10 && bedrock.outputTokens == 5)
        #expect(bedrock.tenant == "first")
        #expect(member.records[1].record.inputTokens == 3)
        #expect(member.records[1].record.tenant == "a")
        #expect(member.records[2].record.tenant == "x")
        #expect(member.records[3].record.rawModelId == "m")
        // Second method: Foundation's parser keeps one of the two (the last), so the rule is ours to state.
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(text.split(separator: "\n")[0].utf8)) as? [String: Any])
        #expect(reference["requestId"] as? String == "K2")
    }

    // MARK: numbers where integers are expected

    /// Outcome: token counts and latencies must be non-negative whole numbers that fit in 64 bits. Negative,
    /// fractional, overflowing, text, boolean, object and array values reject the record (`invalid-field`,
    /// naming the field). Accepted: `7.0` (a whole number written as a float), `1e3`, `"42"` (CSV-derived
    /// rows quote numbers), `-0` (zero), `null` (absent: a success without tokens is flagged, not priced).
    @Test func tokenCountsThatAreNotCounts() {
        let rejected: [(String, String)] = [
            ("-5", "input.inputTokenCount"), ("2.5", "input.inputTokenCount"), ("99999999999999999999", "input.inputTokenCount"),
            ("9223372036854775808", "input.inputTokenCount"), ("1e300", "input.inputTokenCount"), (#""abc""#, "input.inputTokenCount"),
            (#""-3""#, "input.inputTokenCount"), (#""2.5""#, "input.inputTokenCount"), ("true", "input.inputTokenCount"),
            ("{}", "input.inputTokenCount"), ("[1]", "input.inputTokenCount"), ("-0.5", "input.inputTokenCount"),
            ("1.0000001", "input.inputTokenCount"),
        ]
        let accepted: [(String, Int64?)] = [("7.0", 7), ("1e3", 1000), (#""42""#, 42), ("-0", 0), ("null", nil),
                                             ("9223372036854775807", Int64.max), ("0", 0)]
        var records = rejected.enumerated().map { bedrock("bad-\($0.offset)", input: $0.element.0) }
        records += accepted.enumerated().map { bedrock("ok-\($0.offset)", input: $0.element.0) }
        records.append(bedrock("out", output: "-1"))
        records.append(bedrock("lat", extra: #","metrics":{"latencyMs":1.5}"#))   // not read there: ignored
        records.append(Array(#"{"id":"l-neg","model":"gpt-4o","startTime":1762000000.5,"prompt_tokens":-1,"completion_tokens":1}"#.utf8))
        records.append(Array(#"{"request_id":"s-frac","api_key":"k","spend":0.1,"startTime":"2026-11-01 10:00:00","model":"gpt-4o","prompt_tokens":1,"completion_tokens":1.5}"#.utf8))
        records.append(Array(#"{"request_id":"s-dur","api_key":"k","spend":0.1,"startTime":"2026-11-01 10:00:00","model":"gpt-4o","prompt_tokens":1,"completion_tokens":1,"request_duration_ms":-20}"#.utf8))
        let member = decode(lines(records))
        let n = rejected.count
        #expect(member.rejections.map(\.line) == Array(1...n) + [n + accepted.count + 1, n + accepted.count + 3,
                                                                  n + accepted.count + 4, n + accepted.count + 5])
        #expect(member.rejections.allSatisfy { $0.reason == .invalidField })
        #expect(member.rejections.prefix(n).allSatisfy { $0.detail == "input.inputTokenCount is not valid" })
        #expect(member.rejections.suffix(4).map(\.detail) == ["output.outputTokenCount is not valid", "prompt_tokens is not valid",
                                                             "completion_tokens is not valid", "request_duration_ms is not valid"])
        let stored = Dictionary(uniqueKeysWithValues: member.records.map { ($0.record.requestId, $0.record) })
        for (offset, (_, value)) in accepted.enumerated() {
            #expect(stored["ok-\(offset)"]?.inputTokens == value, "ok-\(offset)")
        }
        #expect(stored["ok-4"]?.flags.contains(.tokensMissing) == true, "null tokens on a success: flagged, never priced as 0")
        #expect(stored["lat"] != nil)
    }

    // MARK: timestamps

    /// Outcome: a record stamped before 2020-01-01 or more than a day after the ingest is **stored and flagged**
    /// (flag 64, `timestamp_suspect`; the ingest summary counts them), never dropped or moved. A timestamp that
    /// is not a time at all (unparseable, epoch ≤ 0, beyond year 3000, epoch milliseconds in a seconds field) is
    /// `invalid-field` naming the field.
    @Test func timestampsBefore2020AndInTheFuture() {
        let limit: Int64 = 1_825_027_200_000_000   // 2027-11-01T00:00:00Z (date -u -d … +%s), standing for the ingest's "now + 1 day"
        let options = DecodeOptions(futureLimitMicros: limit)
        let cases: [(String, Bool?)] = [
            ("2019-12-31T23:59:59Z", true), ("2020-01-01T00:00:00Z", false), ("1970-01-01T00:00:00Z", true),
            ("0001-01-01T00:00:00Z", true), ("2027-11-01T00:00:00Z", false), ("2027-11-01T00:00:00.000001Z", true),
            ("2099-01-01T00:00:00Z", true), ("9999-12-31T23:59:59Z", true), ("2026-02-30T00:00:00Z", nil),
            ("2026-11-01T10:00:00+14:00", false), ("2024-02-29T00:00:00Z", false), ("2026-13-01T00:00:00Z", nil), ("yesterday", nil), ("", nil),
        ]
        var records = cases.enumerated().map { bedrock("t\($0.offset)", time: $0.element.0) }
        records.append(Array(#"{"id":"e0","model":"gpt-4o","startTime":0,"prompt_tokens":1,"completion_tokens":1}"#.utf8))
        records.append(Array(#"{"id":"e-ms","model":"gpt-4o","startTime":1762000000500,"prompt_tokens":1,"completion_tokens":1}"#.utf8))
        records.append(Array(#"{"id":"e-neg","model":"gpt-4o","startTime":-5,"prompt_tokens":1,"completion_tokens":1}"#.utf8))
        records.append(Array(#"{"id":"e-old","model":"gpt-4o","startTime":1000000000,"prompt_tokens":1,"completion_tokens":1}"#.utf8))
        let member = decode(lines(records), options: options)
        let stored = Dictionary(uniqueKeysWithValues: member.records.map { ($0.record.requestId, $0.record) })
        for (offset, (time, suspect)) in cases.enumerated() {
            if let suspect {
                #expect(stored["t\(offset)"]?.flags.contains(.timestampSuspect) == suspect, "\(time)")
            } else {
                #expect(stored["t\(offset)"] == nil, "\(time) must be rejected")
            }
        }
        // 2026-02-30 used to be stored as 2026-03-02 (the day count rolled over); it is not a date.
        #expect(stored["t10"]?.timestampMicros == 1_709_164_800_000_000, "2024-02-29 (leap year), date -u -d … +%s")
        #expect(stored["e-old"]?.flags.contains(.timestampSuspect) == true, "2001 as epoch seconds")
        let rejected = member.rejections.map { "\($0.line) \($0.detail)" }
        #expect(rejected == ["9 timestamp is not valid", "12 timestamp is not valid", "13 timestamp is not valid", "14 timestamp is not valid",
                             "15 startTime is not valid", "16 startTime is not valid", "17 startTime is not valid"])
    }

    // MARK: unknown operations and models

    /// Outcome: an operation Bedrock does not document (or a made-up one) and a model id nobody prices are
    /// stored as logged: the record is real traffic. The model stays unpriced in reports (never $0).
    @Test func unknownOperationsAndModelsAreStoredAsLogged() {
        let member = decode(lines([
            bedrock("op1", operation: "ApplyGuardrail"), bedrock("op2", operation: "MadeUpStream"), bedrock("op3", operation: ""),
            bedrock("m1", model: "acme.unknown-model-v9:0"), bedrock("m2", model: "arn:aws:bedrock:us-east-1::foundation-model/zz.future-v1:0"),
            bedrock("m3", model: ""),
        ]))
        #expect(outline(member) == ["1 record op1", "2 record op2", "3 record op3", "4 record m1", "5 record m2", "6 missing-field"])
        let records = member.records.map(\.record)
        #expect(records.map(\.operation) == ["ApplyGuardrail", "MadeUpStream", nil, "Converse", "Converse"])
        #expect(records[1].flags.contains(.streaming), "a *Stream operation is taken as streaming")
        #expect(records[3].canonicalModel == "acme.unknown-model-v9:0")
        #expect(records[4].canonicalModel == "zz.future-v1:0")
        #expect(member.rejections.first?.detail == "missing modelId")
    }

    // MARK: LiteLLM metadata that is not JSON

    /// Outcome: a spend row's `metadata` (a JSON string, or an object) that is not one JSON object and
    /// nothing else — broken JSON, an array, a number, text after the object — rejects the row
    /// (`invalid-field`, `metadata is not valid`), in JSON lines and CSV alike; empty or null means no
    /// metadata. A logging payload's `metadata` must be an object (LiteLLM's type): a string or number there
    /// would silently lose the tenant and fallback fields, so it is rejected too.
    @Test func liteLLMMetadataThatIsNotJSON() {
        func spend(_ id: String, _ metadata: String) -> [UInt8] {
            Array(#"{"request_id":"\#(id)","api_key":"k","spend":0.1,"startTime":"2026-11-01 10:00:00","model":"gpt-4o","prompt_tokens":1,"completion_tokens":1,"metadata":\#(metadata)}"#.utf8)
        }
        func payload(_ id: String, _ metadata: String) -> [UInt8] {
            Array(#"{"id":"\#(id)","model":"gpt-4o","startTime":1762000000.5,"prompt_tokens":3,"completion_tokens":4,"metadata":\#(metadata)}"#.utf8)
        }
        let member = decode(lines([
            spend("s1", #""{not json""#), spend("s2", #""[1,2]""#), spend("s3", #""{\"a\":1} trailing""#), spend("s4", "5"),
            spend("s5", #""""#), spend("s6", "null"), spend("s7", #""{\"user_api_key_team_alias\":\"t\"}""#),
            spend("s8", #"{"user_api_key_team_alias":"u"}"#), spend("s9", #""{\"a\":1}  ""#), spend("s10", #""{\"a\":""#),
            payload("p1", #""{not json""#), payload("p2", #""{\"user_api_key_team_alias\":\"x\"}""#), payload("p3", "7"),
            payload("p4", "null"), payload("p5", #"{"user_api_key_team_alias":"y"}"#), payload("p6", #""""#),
        ]))
        #expect(outline(member) == ["1 invalid-field", "2 invalid-field", "3 invalid-field", "4 invalid-field", "5 record s5",
                                    "6 record s6", "7 record s7", "8 record s8", "9 record s9", "10 invalid-field",
                                    "11 invalid-field", "12 invalid-field", "13 invalid-field", "14 record p4", "15 record p5",
                                    "16 record p6"])
        #expect(member.rejections.allSatisfy { $0.detail == "metadata is not valid" })
        let tenants = Dictionary(uniqueKeysWithValues: member.records.map { ($0.record.requestId, $0.record.tenant ?? "-") })
        #expect(tenants == ["s5": "-", "s6": "-", "s7": "t", "s8": "u", "s9": "-", "p4": "-", "p5": "y", "p6": "-"])
    }
}
