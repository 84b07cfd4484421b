import Foundation
import RouteLedgerTestSupport
import Testing
@testable import RouteLedgerIngest

/// Inputs the fuzz targets (Sources/Fuzz, bench/fuzz.sh) found crashing, run through the same code path as
/// the harness (fixtures/fuzz/regressions/<target>/<name>; `make fuzz-smoke` also replays every one of them).
private func regression(_ target: String, _ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("fuzz/regressions/\(target)/\(name)")))
}

/// What a decode read, without the content: records by line and request id, rejections by line and reason.
private func outline(_ member: DecodedMember) -> [String] {
    member.records.map { "\($0.line) record \($0.record.requestId)" } + member.rejections.map { "\($0.line) \($0.reason.rawValue)" }
}

@Suite struct FuzzRegressionTests {
    /// fuzz-bedrock: a bare top-level number that straddled two reads was taken for two values (two
    /// `not-an-object` rejections instead of one), so the outcome depended on where reads ended.
    @Test func numberSplitAcrossReadsIsOneValue() throws {
        let bytes = try regression("bedrock", "number-split-across-reads.json")
        let whole = MemberDecoding.decode(bytes, options: DecodeOptions(format: .bedrock))
        #expect(outline(whole) == ["1 missing-field", "48 not-an-object"])
        // The harness's read size for this input (251 + 509 % 509) ends a read inside the number.
        for chunk in [251, 7, 64, 100, 150, 299, 300, 301] {
            let chunked = MemberDecoding.decode(bytes, options: DecodeOptions(format: .bedrock), chunkSize: chunk)
            #expect(outline(chunked) == outline(whole), "reads of \(chunk) bytes")
        }
    }

    /// The same at the end of every read size, for numbers between records and as array elements.
    @Test func numbersAtReadBoundariesDoNotSplit() {
        let record = #"{"schemaType":"ModelInvocationLog","requestId":"r-1","timestamp":"2026-11-01T00:00:00Z","modelId":"amazon.nova-lite-v1:0"}"#
        for text in ["123456789012 \(record)\n-0.125e+10\n\(record)\n", "[12345678901234567890, \(record), 3.25e-7]"] {
            let bytes = Array(text.utf8)
            let whole = MemberDecoding.decode(bytes, options: DecodeOptions(format: .bedrock))
            for chunk in 1...40 {
                let chunked = MemberDecoding.decode(bytes, options: DecodeOptions(format: .bedrock), chunkSize: chunk)
                #expect(outline(chunked) == outline(whole), "reads of \(chunk) bytes")
            }
        }
    }
}
