import Foundation
import RouteLedgerModel
import RouteLedgerTestSupport
import Testing
@testable import RouteLedgerIngest

private let recordA = #"{"timestamp":"2026-11-01T10:00:00Z","requestId":"A","operation":"InvokeModel","modelId":"amazon.nova-lite-v1:0","input":{"inputTokenCount":1},"output":{"outputTokenCount":2}}"#
private let recordB = #"{"timestamp":"2026-11-01T10:00:01Z","requestId":"B","operation":"InvokeModel","modelId":"amazon.nova-lite-v1:0","input":{"inputTokenCount":3},"output":{"outputTokenCount":4}}"#

private func ids(_ member: DecodedMember) -> [String] { member.records.map(\.record.requestId) }

@Suite struct RecordScannerTests {
    /// Every layout must give the same records whatever the read size (record boundaries fall anywhere).
    @Test(arguments: [1, 7, 64, 65536])
    func layoutsGiveTheSameRecords(chunkSize: Int) throws {
        let pretty = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(recordA.utf8)), options: [.prettyPrinted])
        let layouts: [(String, String, RecordScanner.Layout)] = [
            ("ndjson", "\(recordA)\n\(recordB)\n", .jsonValues),
            ("ndjson-crlf-no-final-newline", "\(recordA)\r\n\(recordB)", .jsonValues),
            ("array", "[\(recordA),\n\(recordB)]", .jsonArray),
            ("pretty", String(decoding: pretty, as: UTF8.self) + "\n" + recordB, .jsonValues),
            ("cloudwatch-export", "2026-11-01T10:00:00.000Z \(recordA)\n2026-11-01T10:00:01.000Z \(recordB)\n", .jsonValues),
            ("insights-rows", "{\"field\":\"@message\",\"value\":\(jsonString(recordA))}\n{\"@message\":\(jsonString(recordB))}\n", .jsonValues),
            ("insights-results", "{\"results\":[[{\"field\":\"@timestamp\",\"value\":\"x\"},{\"field\":\"@message\",\"value\":\(jsonString(recordA))}],[{\"field\":\"@message\",\"value\":\(jsonString(recordB))}]]}", .jsonValues),
            ("bom", "\u{FEFF}\(recordA)\n\(recordB)\n", .jsonValues),
        ]
        for (name, text, layout) in layouts {
            let member = MemberDecoding.decode(Array(text.utf8), chunkSize: chunkSize)
            #expect(ids(member) == ["A", "B"], "\(name)")
            #expect(member.rejections.isEmpty, "\(name): \(member.rejections.map(\.detail))")
            #expect(member.layout == layout, "\(name)")
        }
    }

    @Test func brokenLinesAreRejectedWithTheirLineNumbersAndTheRestIsKept() {
        let text = [recordA, #"{"requestId":"half"#, "not json at all", #"{"hello":1}"#, "", recordB, "[1,2]"].joined(separator: "\n")
        let member = MemberDecoding.decode(Array(text.utf8), chunkSize: 5)
        #expect(ids(member) == ["A", "B"])
        #expect(member.rejections.map(\.line) == [2, 3, 4, 7])
        #expect(member.rejections.map(\.reason) == [.invalidJSON, .invalidJSON, .unknownRecord, .notAnObject])
        #expect(member.read == 6)
    }

    @Test func oneBrokenPrettyObjectIsOneRejection() throws {
        let pretty = "{\n  \"requestId\": \"X\",\n  \"input\": {\n    \"inputTokenCount\": 1,,\n  }\n}\n" + recordB + "\n"
        let member = MemberDecoding.decode(Array(pretty.utf8))
        #expect(ids(member) == ["B"])
        #expect(member.rejections.count == 1)
        #expect(member.rejections.first?.line == 1)
        #expect(member.records.first?.line == 7)
    }

    @Test func truncatedTailIsOneRejection() {
        let text = recordA + "\n" + recordB.prefix(50)
        let member = MemberDecoding.decode(Array(text.utf8))
        #expect(ids(member) == ["A"])
        #expect(member.rejections.map(\.reason) == [.truncated])
        #expect(member.rejections.first?.line == 2)
    }

    @Test func snippetsAreCappedAt120Bytes() {
        let long = "{\"requestId\": \"" + String(repeating: "p", count: 5000) + "\", oops}"
        let member = MemberDecoding.decode(Array(long.utf8))
        #expect(member.rejections.count == 1)
        #expect(member.rejections[0].snippet.count == RecordScanner.snippetLimit)
    }

    @Test func csvSpendLogsWithQuotedJSONMetadata() throws {
        let csv = """
            request_id,call_type,api_key,spend,prompt_tokens,completion_tokens,startTime,endTime,model,model_group,status,metadata
            r1,acompletion,k,0.5,100,20,2026-11-01 10:00:00.000000,2026-11-01 10:00:01.500000,bedrock/anthropic.claude-3-5-haiku-20241022-v1:0,claude-haiku,success,"{""attempted_fallbacks"": 1, ""original_model_group"": ""claude-sonnet"", ""user_api_key_team_alias"": ""team, with comma""}"
            r2,acompletion,k,0.25,10,2,2026-11-01 10:00:02.000000,2026-11-01 10:00:02.100000,bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0,claude-sonnet,success,"{}"
            r3,acompletion,k,broken
            """
        let member = MemberDecoding.decode(Array(csv.utf8), chunkSize: 13)
        #expect(member.layout == .csv)
        #expect(ids(member) == ["r1", "r2"])
        let first = member.records[0].record
        #expect(first.sourceKind == .litellmSpend)
        #expect(first.fallbackAttempt == 1)
        #expect(first.originalModelGroup == "claude-sonnet")
        #expect(first.tenant == "team, with comma")
        #expect(first.latencyMs == 1500)
        #expect(first.loggedCostUSD == 0.5)
        #expect(member.records.map(\.line) == [2, 3])
        #expect(member.rejections.map(\.line) == [4])
        #expect(member.rejections.first?.reason == .invalidCSV)
    }

    @Test func recordsLongerThanTheCapAreRejectedAndScanningGoesOn() {
        let huge = "{\"requestId\":\"" + String(repeating: "x", count: 300_000) + "\"}"
        let text = huge + "\n" + recordB + "\n"
        let member = MemberDecoding.decode(MemoryByteStream(Array(text.utf8)), maxRecordBytes: 100_000, initialCapacity: 4096)
        #expect(member.rejections.map(\.reason) == [.recordTooLong])
        #expect(ids(member) == ["B"])
    }
}

private func jsonString(_ text: String) -> String {
    var bytes: [UInt8] = []
    appendJSONString(text, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}
