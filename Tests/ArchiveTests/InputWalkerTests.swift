import Foundation
import Testing
import RouteLedgerArchive
import RouteLedgerTestSupport

@Suite struct InputWalkerTests {
    @Test func skipRule() {
        #expect(InputWalker.skipReason(forName: "bucket/AWSLogs/1/BedrockModelInvocationLogs/us-east-1/2025/01/02/03/data/abc_input.json.gz") == .bedrockBodyOffload)
        #expect(InputWalker.skipReason(forName: "/x/data/abc_output.json.gz") == .bedrockBodyOffload)
        #expect(InputWalker.skipReason(forName: "data/abc_output.json") == .bedrockBodyOffload)
        #expect(InputWalker.skipReason(forName: "x/data/abc_input.json") == .bedrockBodyOffload)
        #expect(InputWalker.skipReason(forName: "logs/amazon-bedrock-logs-permission-check") == .permissionCheck)
        #expect(InputWalker.skipReason(forName: "AWSLogs/amazon-bedrock-logs-permission-check.json") == .permissionCheck)
        // Not offloads: no `data` folder, `data` only as a file name part, other suffixes.
        #expect(InputWalker.skipReason(forName: "x/abc_input.json.gz") == nil)
        #expect(InputWalker.skipReason(forName: "x/mydata/abc_input.json.gz") == nil)
        #expect(InputWalker.skipReason(forName: "x/data/abc.json.gz") == nil)
        #expect(InputWalker.skipReason(forName: "x/data/abc_input.jsonl") == nil)
        #expect(InputWalker.skipReason(forName: "x/data") == nil)
        #expect(InputWalker.skipReason(forName: "") == nil)
    }

    @Test func walksFoldersSortedAndSkips() throws {
        let dir = try TemporaryDirectory("walk")
        try sh("""
        mkdir -p root/b/data root/a root/.hidden-dir root/zz other
        printf 'one' > root/b/2.json
        printf 'two' > root/b/1.json.gz
        printf 'three' > root/a/x.jsonl
        printf 'h' > root/.hidden-file
        printf 'h' > root/.hidden-dir/inside.json
        printf 'o' > root/b/data/123_input.json.gz
        printf 'o' > root/b/data/123_output.json.gz
        printf 'k' > root/b/data/keep.json.gz
        printf 'p' > root/amazon-bedrock-logs-permission-check
        printf 'target' > other/t.json
        ln -s ../../other root/zz/linked-folder
        ln -s ../../other/t.json root/zz/linked-file.json
        ln -s ../nowhere root/zz/dangling.json
        mkfifo root/zz/fifo
        """, in: dir)
        let root = dir.path("root")
        let found = try InputWalker.discover(paths: [root])
        let names = found.files.map { String($0.path.dropFirst(root.count + 1)) }
        #expect(names == ["a/x.jsonl", "b/1.json.gz", "b/2.json", "b/data/keep.json.gz", "zz/linked-file.json"])
        #expect(found.files.first?.size == 5)
        let linked = try #require(found.files.last)
        #expect(linked.size == 6)   // size of the target, not the link
        #expect(found.files.allSatisfy { $0.modifiedMicros > 1_500_000_000_000_000 })
        let skipped = Set(found.skipped.map { "\($0.path.dropFirst(root.count + 1))|\($0.reason.rawValue)" })
        #expect(skipped == [
            "b/data/123_input.json.gz|bedrock-body-offload",
            "b/data/123_output.json.gz|bedrock-body-offload",
            "amazon-bedrock-logs-permission-check|permission-check-marker",
        ])
        #expect(found.skipped.allSatisfy { $0.member == nil })
    }

    @Test func fileArgumentsStdinAndDeduplication() throws {
        let dir = try TemporaryDirectory("walk2")
        try sh("mkdir d && printf 'abc' > d/f.json && printf 'z' > solo.log", in: dir)
        let found = try InputWalker.discover(paths: [dir.path("solo.log"), "-", dir.path("d"), dir.path("d/f.json")])
        #expect(found.files.map(\.path) == [dir.path("solo.log"), "-", dir.path("d/f.json")])
        #expect(found.files[1].isStandardInput)
        #expect(found.files[1].size == 0 && found.files[1].modifiedMicros == 0)
        #expect(found.files[0].size == 1)
        // A trailing slash on a folder does not double the separator.
        let slashed = try InputWalker.discover(paths: [dir.path("d") + "/"])
        #expect(slashed.files.map(\.path) == [dir.path("d") + "/f.json"])
    }

    @Test func missingPathThrowsTypedError() throws {
        let dir = try TemporaryDirectory("walk3")
        let missing = dir.path("nope.json.gz")
        do {
            _ = try InputWalker.discover(paths: [missing])
            Issue.record("expected a throw")
        } catch let error as ArchiveError {
            #expect(error == .missingInput(path: missing))
            #expect(error.localizedDescription.contains(missing))
            #expect(error.issueKind == nil)
        }
    }
}
