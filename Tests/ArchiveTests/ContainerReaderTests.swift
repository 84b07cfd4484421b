import Foundation
import Testing
import RouteLedgerArchive
import RouteLedgerTestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ContainerReaderTests {
    @Test func plainFile() throws {
        let dir = try TemporaryDirectory("plain")
        try makeJSONL("a.jsonl", lines: 20_000, seed: 1, in: dir)
        let path = dir.path("a.jsonl")
        let (members, report) = try readMembers(path)
        #expect(members.count == 1)
        #expect(members[0].info == MemberInfo(name: nil, containers: [.plain]))
        #expect(bytesDiff(members[0].bytes, fileBytes(path)) == nil)
        #expect(report.issues.isEmpty && report.skipped.isEmpty)
        #expect(report.membersRead == 1)
        #expect(report.compressedBytes == Int64(fileBytes(path).count))
        #expect(report.sha256 == (try sha256sum(path)))
    }

    @Test func gzipDetectedByContentNotName() throws {
        let dir = try TemporaryDirectory("gz")
        try makeJSONL("a.jsonl", lines: 30_000, seed: 2, in: dir)
        // A gzip file whose name says .json, read with a small buffer to cross many reads.
        try sh("gzip -c a.jsonl > misnamed.json", in: dir)
        let (members, report) = try readMembers(dir.path("misnamed.json"), bufferSize: 4093)
        #expect(members.map(\.info) == [MemberInfo(name: nil, containers: [.gzip])])
        #expect(bytesDiff(members[0].bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        #expect(members[0].error == nil)
        #expect(report.issues.isEmpty)
        #expect(report.sha256 == (try sha256sum(dir.path("misnamed.json"))))
        #expect(report.compressedBytes == Int64(fileBytes(dir.path("misnamed.json")).count))
    }

    @Test func multiMemberGzipIsOneStream() throws {
        let dir = try TemporaryDirectory("multi")
        try makeJSONL("a.jsonl", lines: 5_000, seed: 3, in: dir)
        try makeJSONL("b.jsonl", lines: 7_000, seed: 4, in: dir)
        try sh("""
        gzip -c a.jsonl > a.gz && gzip -9 -c b.jsonl > b.gz && printf '' | gzip -c > empty.gz
        cat a.gz empty.gz b.gz > multi.gz
        cp multi.gz padded.gz && head -c 1000 /dev/zero >> padded.gz
        cat a.jsonl b.jsonl > expected
        """, in: dir)
        let expected = fileBytes(dir.path("expected"))
        for name in ["multi.gz", "padded.gz"] {
            let (members, report) = try readMembers(dir.path(name))
            #expect(members.count == 1)
            #expect(bytesDiff(members[0].bytes, expected) == nil, "\(name)")
            #expect(report.issues.isEmpty, "\(name): \(report.issues)")
            #expect(report.sha256 == (try sha256sum(dir.path(name))))
        }
    }

    @Test func tarGzWithNestedGzipMembersAndSkips() throws {
        let dir = try TemporaryDirectory("targz")
        try makeJSONL("one.jsonl", lines: 3_000, seed: 5, in: dir)
        try makeJSONL("two.jsonl", lines: 4_000, seed: 6, in: dir)
        try sh("""
        rm -rf in && mkdir -p in/logs/data in/empty-dir
        cp one.jsonl in/logs/one.jsonl
        gzip -c two.jsonl > in/logs/two.json.gz
        printf 'offloaded' | gzip -c > in/logs/data/abc_input.json.gz
        printf 'offloaded' > in/logs/data/abc_output.json
        printf '' > in/logs/amazon-bedrock-logs-permission-check
        printf '' > in/logs/zero-length.json
        tar czf bundle.tgz -C in logs empty-dir
        """, in: dir)
        let (members, report) = try readMembers(dir.path("bundle.tgz"))
        let byName = Dictionary(uniqueKeysWithValues: members.map { ($0.info.name ?? "", $0) })
        #expect(Set(byName.keys) == ["logs/one.jsonl", "logs/two.json.gz"])
        #expect(byName["logs/one.jsonl"]?.info.containers == [.gzip, .tar])
        #expect(bytesDiff(byName["logs/one.jsonl"]?.bytes, fileBytes(dir.path("one.jsonl"))) == nil)
        #expect(byName["logs/two.json.gz"]?.info.containers == [.gzip, .tar, .gzip])
        #expect(bytesDiff(byName["logs/two.json.gz"]?.bytes, fileBytes(dir.path("two.jsonl"))) == nil)
        #expect(report.membersRead == 2)
        #expect(report.issues.isEmpty, "\(report.issues)")
        let skipped = Set(report.skipped.map { "\($0.member ?? "")|\($0.reason.rawValue)" })
        #expect(skipped == [
            "logs/|not-a-file", "logs/data/|not-a-file", "empty-dir/|not-a-file",
            "logs/data/abc_input.json.gz|bedrock-body-offload",
            "logs/data/abc_output.json|bedrock-body-offload",
            "logs/amazon-bedrock-logs-permission-check|permission-check-marker",
            "logs/zero-length.json|not-a-file",
        ])
        #expect(report.skipped.allSatisfy { $0.path == dir.path("bundle.tgz") })
        #expect(report.sha256 == (try sha256sum(dir.path("bundle.tgz"))))
        #expect(report.compressedBytes == Int64(fileBytes(dir.path("bundle.tgz")).count))
    }

    @Test func plainTarWithGzipMember() throws {
        let dir = try TemporaryDirectory("tar")
        try makeJSONL("a.jsonl", lines: 2_000, seed: 7, in: dir)
        try makeJSONL("b.jsonl", lines: 2_500, seed: 8, in: dir)
        try sh("gzip -c b.jsonl > b.jsonl.gz && tar cf bundle.dat a.jsonl b.jsonl.gz", in: dir)
        let (members, report) = try readMembers(dir.path("bundle.dat"))
        #expect(members.map(\.info) == [
            MemberInfo(name: "a.jsonl", containers: [.tar]),
            MemberInfo(name: "b.jsonl.gz", containers: [.tar, .gzip]),
        ])
        #expect(bytesDiff(members[0].bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        #expect(bytesDiff(members[1].bytes, fileBytes(dir.path("b.jsonl"))) == nil)
        #expect(report.issues.isEmpty)
        #expect(report.sha256 == (try sha256sum(dir.path("bundle.dat"))))
    }

    @Test func zipWithGzipMemberAndFolders() throws {
        let dir = try TemporaryDirectory("zip")
        try makeJSONL("a.jsonl", lines: 3_000, seed: 9, in: dir)
        try makeJSONL("b.jsonl", lines: 1_000, seed: 10, in: dir)
        try sh("""
        mkdir -p z/sub/data && cp a.jsonl z/sub/a.jsonl && gzip -c b.jsonl > z/b.jsonl.gz
        printf 'x' > z/sub/data/1_output.json.gz
        cd z && zip -q -r ../logs.txt sub b.jsonl.gz
        """, in: dir)
        let (members, report) = try readMembers(dir.path("logs.txt"))
        #expect(members.map(\.info) == [
            MemberInfo(name: "sub/a.jsonl", containers: [.zip]),
            MemberInfo(name: "b.jsonl.gz", containers: [.zip, .gzip]),
        ])
        #expect(bytesDiff(members[0].bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        #expect(bytesDiff(members[1].bytes, fileBytes(dir.path("b.jsonl"))) == nil)
        #expect(report.issues.isEmpty, "\(report.issues)")
        #expect(Set(report.skipped.map { "\($0.member ?? "")|\($0.reason.rawValue)" }) == [
            "sub/|not-a-file", "sub/data/|not-a-file", "sub/data/1_output.json.gz|bedrock-body-offload",
        ])
        // The central directory is never needed by the streaming reader, yet the hash covers it.
        #expect(report.sha256 == (try sha256sum(dir.path("logs.txt"))))
        #expect(report.compressedBytes == Int64(fileBytes(dir.path("logs.txt")).count))
    }

    @Test func streamedZipsWithDataDescriptors() throws {
        // Written to a pipe, so sizes and CRCs follow the data (general purpose flag bit 3).
        let dir = try TemporaryDirectory("zipstream")
        try makeJSONL("a.jsonl", lines: 2_000, seed: 15, in: dir)
        for method in ["ZIP_STORED", "ZIP_DEFLATED"] {
            try sh("""
            python3 -c '
            import zipfile, sys
            with zipfile.ZipFile(sys.stdout.buffer, "w", zipfile.\(method)) as z:
                z.writestr("first.jsonl", open("a.jsonl", "rb").read())
                z.writestr("second.json", "{}\\n")
            ' | cat > \(method).zip
            """, in: dir)
            let (members, report) = try readMembers(dir.path("\(method).zip"))
            #expect(members.map { $0.info.name } == ["first.jsonl", "second.json"], "\(method)")
            #expect(bytesDiff(members.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil, "\(method)")
            #expect(members.last?.text == "{}\n", "\(method)")
            #expect(report.issues.isEmpty, "\(method): \(report.issues)")
        }
        // Info-ZIP reading standard input names the entry "-".
        try sh("cat a.jsonl | zip -q piped.zip -", in: dir)
        let (piped, _) = try readMembers(dir.path("piped.zip"))
        #expect(piped.map { $0.info.name } == ["-"])
        #expect(bytesDiff(piped.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil)
    }

    @Test func zipHashCoversLargeCentralDirectory() throws {
        // 20 000 tiny entries: the central directory (~1.3 MB) lies past everything the
        // streaming zip reader needs, and must still be read for the hash.
        let dir = try TemporaryDirectory("manyzip")
        try sh("""
        python3 -c '
        import zipfile
        with zipfile.ZipFile("many.zip", "w", zipfile.ZIP_STORED) as z:
            for i in range(20000):
                z.writestr("logs/entry-%05d-with-a-longish-name.json" % i, "{\\"i\\": %d}\\n" % i)
        '
        """, in: dir)
        var count = 0
        var last = ""
        let report = try ContainerReader(file: InputFile(path: dir.path("many.zip"), size: 0, modifiedMicros: 0)).forEachMember { info, stream in
            count += 1
            last = String(decoding: try readAll(stream), as: UTF8.self) + (info.name ?? "")
        }
        #expect(count == 20_000 && report.membersRead == 20_000)
        #expect(last == "{\"i\": 19999}\nlogs/entry-19999-with-a-longish-name.json")
        #expect(report.issues.isEmpty)
        #expect(report.sha256 == (try sha256sum(dir.path("many.zip"))))
        #expect(report.compressedBytes == Int64(fileBytes(dir.path("many.zip")).count))
    }

    @Test func emptyZip() throws {
        let dir = try TemporaryDirectory("emptyzip")
        try sh("python3 -c 'import zipfile; zipfile.ZipFile(\"e.zip\", \"w\").close()'", in: dir)
        #expect(fileBytes(dir.path("e.zip")).prefix(4) == [0x50, 0x4b, 0x05, 0x06])
        let (members, report) = try readMembers(dir.path("e.zip"))
        #expect(members.isEmpty)
        #expect(report.issues.isEmpty, "\(report.issues)")
        #expect(report.membersRead == 0)
        #expect(report.sha256 == (try sha256sum(dir.path("e.zip"))))
    }

    @Test func zstdBareAndTarZst() throws {
        let dir = try TemporaryDirectory("zst")
        try makeJSONL("a.jsonl", lines: 6_000, seed: 11, in: dir)
        try makeJSONL("b.jsonl", lines: 2_000, seed: 12, in: dir)
        try sh("""
        zstd -q -c a.jsonl > a.jsonl.zst
        gzip -c b.jsonl > b.jsonl.gz
        tar cf - a.jsonl b.jsonl.gz | zstd -q -c > bundle.tar.zst
        """, in: dir)
        let (bare, bareReport) = try readMembers(dir.path("a.jsonl.zst"))
        #expect(bare.map(\.info) == [MemberInfo(name: nil, containers: [.zstd])])
        #expect(bytesDiff(bare.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        #expect(bareReport.issues.isEmpty)
        #expect(bareReport.sha256 == (try sha256sum(dir.path("a.jsonl.zst"))))

        let (members, report) = try readMembers(dir.path("bundle.tar.zst"))
        #expect(members.map(\.info) == [
            MemberInfo(name: "a.jsonl", containers: [.zstd, .tar]),
            MemberInfo(name: "b.jsonl.gz", containers: [.zstd, .tar, .gzip]),
        ])
        #expect(members.count == 2)
        if members.count == 2 {
            #expect(bytesDiff(members[0].bytes, fileBytes(dir.path("a.jsonl"))) == nil)
            #expect(bytesDiff(members[1].bytes, fileBytes(dir.path("b.jsonl"))) == nil)
        }
        #expect(report.issues.isEmpty)
        #expect(report.sha256 == (try sha256sum(dir.path("bundle.tar.zst"))))
    }

    @Test func zstdOfLeadingZerosIsNotAnEmptyTar() throws {
        // 512 zero bytes look like a tar end-of-archive block; detection is ours, by "ustar".
        let dir = try TemporaryDirectory("zstzero")
        try sh("{ head -c 4096 /dev/zero; printf '{\"after\":\"zeros\"}\\n'; } > z.dat && zstd -q -c z.dat > z.zst && gzip -c z.dat > z.gz", in: dir)
        for name in ["z.zst", "z.gz"] {
            let (members, report) = try readMembers(dir.path(name))
            #expect(members.count == 1, "\(name)")
            #expect(members.first?.info.containers.count == 1, "\(name)")
            #expect(bytesDiff(members.first?.bytes, fileBytes(dir.path("z.dat"))) == nil, "\(name)")
            #expect(report.issues.isEmpty, "\(name)")
        }
    }

    @Test func zipInsideGzipAndZstd() throws {
        let dir = try TemporaryDirectory("zipgzip")
        try makeJSONL("a.jsonl", lines: 500, seed: 16, in: dir)
        try sh("zip -q inner.zip a.jsonl && gzip -c inner.zip > inner.zip.gz && zstd -q -c inner.zip > inner.zip.zst", in: dir)
        let (gz, gzReport) = try readMembers(dir.path("inner.zip.gz"))
        #expect(gz.map(\.info) == [MemberInfo(name: "a.jsonl", containers: [.gzip, .zip])])
        #expect(bytesDiff(gz.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        #expect(gzReport.issues.isEmpty)
        let (zst, zstReport) = try readMembers(dir.path("inner.zip.zst"))
        #expect(zst.map(\.info) == [MemberInfo(name: "a.jsonl", containers: [.zstd, .zip])])
        #expect(bytesDiff(zst.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        #expect(zstReport.issues.isEmpty)
        #expect(zstReport.sha256 == (try sha256sum(dir.path("inner.zip.zst"))))
    }

    @Test func tarZstViaTarFlag() throws {
        let dir = try TemporaryDirectory("tarzst")
        try makeJSONL("c.jsonl", lines: 1_500, seed: 13, in: dir)
        try sh("tar --zstd -cf c.tzst c.jsonl", in: dir)
        let (members, report) = try readMembers(dir.path("c.tzst"))
        #expect(members.map(\.info) == [MemberInfo(name: "c.jsonl", containers: [.zstd, .tar])])
        #expect(bytesDiff(members.first?.bytes, fileBytes(dir.path("c.jsonl"))) == nil)
        #expect(report.issues.isEmpty)
    }

    @Test func standardInputIsReadAndHashed() throws {
        let dir = try TemporaryDirectory("stdin")
        try makeJSONL("a.jsonl", lines: 4_000, seed: 14, in: dir)
        try sh("gzip -c a.jsonl > a.gz", in: dir)
        // Via an explicit descriptor …
        let fd = open(dir.path("a.gz"), O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        let stdinFile = InputFile(path: "-", size: 0, modifiedMicros: 0)
        let (members, report) = try readMembers(ContainerReader(file: stdinFile, fileDescriptor: fd))
        #expect(bytesDiff(members.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        #expect(members.first?.info.containers == [.gzip])
        #expect(report.sha256 == (try sha256sum(dir.path("a.gz"))))

        // … and through the real descriptor 0 for the `-` path.
        let saved = dup(0)
        let fd2 = open(dir.path("a.gz"), O_RDONLY)
        #expect(saved >= 0 && fd2 >= 0)
        dup2(fd2, 0)
        close(fd2)
        defer { dup2(saved, 0); close(saved) }
        let (viaStdin, stdinReport) = try readMembers(ContainerReader(file: stdinFile))
        #expect(bytesDiff(viaStdin.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        #expect(stdinReport.sha256 == report.sha256)
        #expect(stdinReport.issues.isEmpty)
    }

    @Test func readersRunConcurrently() throws {
        let dir = try TemporaryDirectory("concurrent")
        try makeJSONL("a.jsonl", lines: 8_000, seed: 17, in: dir)
        try sh("gzip -c a.jsonl > a.gz && tar czf a.tgz a.jsonl && zip -q a.zip a.jsonl && zstd -q -c a.jsonl > a.zst", in: dir)
        let names = ["a.gz", "a.tgz", "a.zip", "a.zst", "a.gz", "a.tgz", "a.zip", "a.zst"]
        let want = fileBytes(dir.path("a.jsonl"))
        let expectedHashes = try names.map { try sha256sum(dir.path($0)) }
        let results = ResultBox(count: names.count)
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            let reader = ContainerReader(file: InputFile(path: dir.path(names[i]), size: 0, modifiedMicros: 0))
            let outcome = try? readMembers(reader)
            let ok = outcome.map { members, report in
                members.count == 1 && bytesDiff(members[0].bytes, want) == nil && report.issues.isEmpty
                    && report.sha256 == expectedHashes[i]
            } ?? false
            results.set(i, ok)
        }
        #expect(results.values == Array(repeating: true, count: names.count))
    }

    @Test func readAllConvenience() throws {
        let dir = try TemporaryDirectory("readall")
        try sh("printf 'hello\\nworld\\n' | gzip -c > h.gz", in: dir)
        var collected: [UInt8] = []
        _ = try ContainerReader(file: InputFile(path: dir.path("h.gz"), size: 0, modifiedMicros: 0)).forEachMember { _, stream in
            collected = try readAll(stream)
        }
        #expect(String(decoding: collected, as: UTF8.self) == "hello\nworld\n")
    }

    @Test func emptyPlainFileIsDeliveredEmpty() throws {
        let dir = try TemporaryDirectory("empty")
        try sh(": > e.json", in: dir)
        let (members, report) = try readMembers(dir.path("e.json"))
        #expect(members.count == 1 && members[0].bytes.isEmpty)
        #expect(report.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Bool]
    init(count: Int) { storage = Array(repeating: false, count: count) }
    func set(_ i: Int, _ value: Bool) { lock.lock(); storage[i] = value; lock.unlock() }
    var values: [Bool] { lock.lock(); defer { lock.unlock() }; return storage }
}
