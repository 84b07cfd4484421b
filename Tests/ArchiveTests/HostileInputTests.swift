import Foundation
import Testing
import RouteLedgerArchive
import RouteLedgerTestSupport

@Suite struct HostileInputTests {
    @Test func hostileZipEntriesAreNotRead() throws {
        let dir = try TemporaryDirectory("evilzip")
        try sh("""
        python3 -c '
        import zipfile
        with zipfile.ZipFile("evil.zip", "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("../evil.json", "{\\"evil\\": 1}\\n")
            z.writestr("/abs.json", "{\\"abs\\": 1}\\n")
            z.writestr("ok/../../climb.json", "{\\"climb\\": 1}\\n")
            info = zipfile.ZipInfo("link.json")
            info.create_system = 3
            info.external_attr = 0o120777 << 16
            z.writestr(info, "/etc/passwd")
            z.writestr("good.json", "{\\"good\\": 1}\\n")
            z.writestr("a..b.json", "{\\"dots\\": 1}\\n")
        '
        """, in: dir)
        let (members, report) = try readMembers(dir.path("evil.zip"))
        #expect(members.map { $0.info.name } == ["good.json", "a..b.json"])
        #expect(members.map(\.text) == ["{\"good\": 1}\n", "{\"dots\": 1}\n"])
        let issues = Set(report.issues.map { "\($0.member ?? "")|\($0.kind.rawValue)" })
        #expect(issues == [
            "../evil.json|unsafe-path", "/abs.json|unsafe-path", "ok/../../climb.json|unsafe-path",
            "link.json|symlink-entry",
        ])
        #expect(report.issues.allSatisfy { $0.path == dir.path("evil.zip") && !$0.detail.contains("passwd") })
        #expect(report.membersRead == 2)
    }

    @Test func infoZipSymlinkEntry() throws {
        // `zip -y` stores the link itself; only the central directory marks it as a link.
        let dir = try TemporaryDirectory("zipy")
        try sh("printf '{}\\n' > ok.json && ln -s /etc/passwd link.json && zip -q -y links.zip link.json ok.json", in: dir)
        let (members, report) = try readMembers(dir.path("links.zip"))
        #expect(members.map { $0.info.name } == ["ok.json"])
        #expect(report.issues.map { "\($0.member ?? "")|\($0.kind.rawValue)" } == ["link.json|symlink-entry"])
    }

    @Test func hostileTarEntriesAreNotRead() throws {
        let dir = try TemporaryDirectory("eviltar")
        try sh("""
        python3 -c '
        import tarfile, io
        def add(t, name, data=b"", kind=tarfile.REGTYPE, link=""):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = link
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            t.addfile(info, io.BytesIO(data) if data else None)
        with tarfile.open("evil.tar.gz", "w:gz", format=tarfile.GNU_FORMAT) as t:
            add(t, "../up.json", b"{}\\n")
            add(t, "/etc/abs.json", b"{}\\n")
            add(t, "sym.json", kind=tarfile.SYMTYPE, link="/etc/passwd")
            add(t, "hard.json", kind=tarfile.LNKTYPE, link="fine.json")
            add(t, "fine.json", b"{\\"fine\\": true}\\n")
        '
        """, in: dir)
        let (members, report) = try readMembers(dir.path("evil.tar.gz"))
        #expect(members.map(\.info) == [MemberInfo(name: "fine.json", containers: [.gzip, .tar])])
        #expect(members.first?.text == "{\"fine\": true}\n")
        let issues = Set(report.issues.map { "\($0.member ?? "")|\($0.kind.rawValue)" })
        #expect(issues == ["../up.json|unsafe-path", "/etc/abs.json|unsafe-path", "sym.json|symlink-entry", "hard.json|symlink-entry"])
    }

    @Test func gzipBombTripsRatioAndSizeCap() throws {
        let dir = try TemporaryDirectory("bomb")
        try sh("head -c 200000000 /dev/zero | gzip -1 -c > bomb.gz", in: dir)
        let compressed = fileBytes(dir.path("bomb.gz")).count
        #expect(compressed < 2_000_000)   // ratio well over 100

        let ratioLimits = ExtractionLimits(maxExpansionRatio: 100, maxMemberBytes: 1 << 40, ratioCheckAfterBytes: 1 << 20)
        let (members, report) = try readMembers(dir.path("bomb.gz"), limits: ratioLimits)
        #expect(report.issues.map(\.kind) == [.expansionRatio])
        let delivered = members.first?.bytes ?? []
        #expect(delivered.count < 10_000_000)   // stopped early, not after 200 MB
        #expect(delivered.allSatisfy { $0 == 0 })
        guard case .expansionRatio = members.first?.error else { Issue.record("no ratio error"); return }
        // The whole file was still hashed.
        #expect(report.sha256 == (try sha256sum(dir.path("bomb.gz"))))

        let capLimits = ExtractionLimits(maxExpansionRatio: 1e9, maxMemberBytes: 5_000_000, ratioCheckAfterBytes: 1 << 20)
        let (capped, capReport) = try readMembers(dir.path("bomb.gz"), limits: capLimits)
        #expect(capReport.issues.map(\.kind) == [.sizeCap])
        #expect((capped.first?.bytes.count ?? .max) <= 5_000_000)

        // The default limits (ratio 1000) let a 1 MiB file of zeros through: ratio is checked
        // only after 1 MiB of output.
        try sh("head -c 1048576 /dev/zero | gzip -9 -c > small.gz", in: dir)
        let (small, smallReport) = try readMembers(dir.path("small.gz"))
        #expect(smallReport.issues.isEmpty)
        #expect(small.first?.bytes.count == 1_048_576)
    }

    @Test func zipBombTripsRatio() throws {
        let dir = try TemporaryDirectory("zipbomb")
        try sh("head -c 60000000 /dev/zero > zeros.bin && printf 'ok\\n' > ok.json && zip -q -9 bomb.zip zeros.bin ok.json && rm zeros.bin", in: dir)
        let limits = ExtractionLimits(maxExpansionRatio: 200, maxMemberBytes: 1 << 40, ratioCheckAfterBytes: 1 << 20)
        let (members, report) = try readMembers(dir.path("bomb.zip"), limits: limits)
        #expect(report.issues.map { "\($0.member ?? "")|\($0.kind.rawValue)" } == ["zeros.bin|expansion-ratio"])
        // The reader goes on with the next entry after a tripped member.
        #expect(members.map { $0.info.name } == ["zeros.bin", "ok.json"])
        #expect(members.last?.text == "ok\n")
        #expect((members.first?.bytes.count ?? .max) < 20_000_000)

        // Same archive with default limits (zip -9 on zeros is ~1000x, under nothing but the
        // 8 GiB cap when the ratio is relaxed): everything is delivered.
        let relaxed = ExtractionLimits(maxExpansionRatio: 1e6)
        let (all, allReport) = try readMembers(dir.path("bomb.zip"), limits: relaxed)
        #expect(allReport.issues.isEmpty)
        #expect(all.first?.bytes.count == 60_000_000)
    }

    @Test func zstdBombTripsRatio() throws {
        let dir = try TemporaryDirectory("zstbomb")
        try sh("head -c 100000000 /dev/zero | zstd -q -c > bomb.zst && head -c 100000000 /dev/zero > z.bin && tar cf - z.bin | zstd -q -c > bomb.tar.zst && rm z.bin", in: dir)
        for name in ["bomb.zst", "bomb.tar.zst"] {
            let (members, report) = try readMembers(dir.path(name))   // default limits
            #expect(report.issues.map(\.kind) == [.expansionRatio], "\(name)")
            #expect((members.first?.bytes.count ?? .max) < 20_000_000, "\(name)")
            #expect(report.sha256 == (try sha256sum(dir.path(name))), "\(name)")
        }
    }

    @Test func storedMembersNeverTripTheRatioGuard() throws {
        // Stored data expands 1:1 even though libarchive reports its input consumed late.
        let dir = try TemporaryDirectory("stored")
        try sh("""
        head -c 3000000 /dev/urandom > r.bin && tar cf r.tar r.bin && zip -q -0 r.zip r.bin
        """, in: dir)
        let strict = ExtractionLimits(maxExpansionRatio: 1.5, maxMemberBytes: 1 << 40, ratioCheckAfterBytes: 0)
        for name in ["r.tar", "r.zip"] {
            let (members, report) = try readMembers(dir.path(name), limits: strict, bufferSize: 3 << 20)
            #expect(report.issues.isEmpty, "\(name): \(report.issues)")
            #expect(bytesDiff(members.first?.bytes, fileBytes(dir.path("r.bin"))) == nil, "\(name)")
        }
    }

    @Test func truncatedGzipDeliversPrefix() throws {
        let dir = try TemporaryDirectory("trunc")
        try makeJSONL("a.jsonl", lines: 60_000, seed: 21, in: dir)
        try sh("gzip -c a.jsonl > a.gz && head -c $(( $(stat -c %s a.gz) / 2 )) a.gz > cut.gz", in: dir)
        let original = fileBytes(dir.path("a.jsonl"))
        let (members, report) = try readMembers(dir.path("cut.gz"))
        #expect(report.issues.map(\.kind) == [.truncated])
        #expect(report.issues.first?.member == nil)
        let delivered = try #require(members.first).bytes
        #expect(delivered.count > original.count / 3)       // most of the first half came through
        #expect(delivered.count < original.count)
        #expect(prefixDiff(delivered, of: original) == nil)
        #expect(report.sha256 == (try sha256sum(dir.path("cut.gz"))))
        if case .truncated = members.first?.error {} else { Issue.record("body did not see .truncated") }

        // Cut inside the 8-byte trailer: all content is there but the stream is still truncated.
        try sh("head -c $(( $(stat -c %s a.gz) - 3 )) a.gz > trailer.gz", in: dir)
        let (t, tReport) = try readMembers(dir.path("trailer.gz"))
        #expect(tReport.issues.map(\.kind) == [.truncated])
        #expect(bytesDiff(t.first?.bytes, original) == nil)
    }

    @Test func corruptCrcIsReported() throws {
        let dir = try TemporaryDirectory("crc")
        try makeJSONL("a.jsonl", lines: 10_000, seed: 22, in: dir)
        try sh("""
        gzip -c a.jsonl > a.gz
        python3 -c '
        import sys
        b = bytearray(open("a.gz", "rb").read())
        b[-8] ^= 0xFF
        open("bad.gz", "wb").write(b)
        '
        """, in: dir)
        let (members, report) = try readMembers(dir.path("bad.gz"))
        #expect(report.issues.map(\.kind) == [.corrupt])
        #expect(bytesDiff(members.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil)  // everything before the trailer
        if case .corrupt = members.first?.error {} else { Issue.record("body did not see .corrupt") }
    }

    @Test func damagedGzipMemberInsideZipDoesNotStopTheZip() throws {
        let dir = try TemporaryDirectory("zipgz")
        try makeJSONL("a.jsonl", lines: 3_000, seed: 23, in: dir)
        try sh("""
        gzip -c a.jsonl > a.gz
        python3 -c '
        import zipfile
        b = bytearray(open("a.gz", "rb").read())
        b[-8] ^= 0x01
        with zipfile.ZipFile("mixed.zip", "w", zipfile.ZIP_STORED) as z:
            z.writestr("1-bad.json.gz", bytes(b))
            z.writestr("2-cut.json.gz", bytes(b[: len(b) // 2]))
            z.writestr("3-good.json", "{}\\n")
        '
        """, in: dir)
        let (members, report) = try readMembers(dir.path("mixed.zip"))
        #expect(members.map { $0.info.name } == ["1-bad.json.gz", "2-cut.json.gz", "3-good.json"])
        #expect(members.map(\.info.containers) == [[.zip, .gzip], [.zip, .gzip], [.zip]])
        #expect(report.issues.map { "\($0.member ?? "")|\($0.kind.rawValue)" } == ["1-bad.json.gz|corrupt", "2-cut.json.gz|truncated"])
        #expect(members.last?.text == "{}\n")
        let original = fileBytes(dir.path("a.jsonl"))
        #expect(bytesDiff(members[0].bytes, original) == nil)
        #expect(!members[1].bytes.isEmpty)
        #expect(prefixDiff(members[1].bytes, of: original) == nil)
    }

    @Test func truncatedTarGzKeepsEarlierMembers() throws {
        let dir = try TemporaryDirectory("trunctgz")
        try makeJSONL("a.jsonl", lines: 2_000, seed: 24, in: dir)
        try sh("head -c 3000000 /dev/urandom > b.bin && tar czf t.tgz a.jsonl b.bin && head -c $(( $(stat -c %s t.tgz) - 500000 )) t.tgz > cut.tgz", in: dir)
        let (members, report) = try readMembers(dir.path("cut.tgz"))
        #expect(members.map { $0.info.name } == ["a.jsonl", "b.bin"])
        #expect(bytesDiff(members.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        let b = fileBytes(dir.path("b.bin"))
        let partial = members.count == 2 ? members[1].bytes : []
        #expect(partial.count < b.count)
        #expect(prefixDiff(partial, of: b) == nil)
        #expect(report.issues.map { "\($0.member ?? "")|\($0.kind.rawValue)" } == ["b.bin|truncated"])
        #expect(report.sha256 == (try sha256sum(dir.path("cut.tgz"))))
    }

    @Test func truncatedPlainTar() throws {
        let dir = try TemporaryDirectory("trunctar")
        try sh("head -c 100000 /dev/urandom > r.bin && tar cf t.tar r.bin && head -c 50000 t.tar > cut.tar", in: dir)
        let (members, report) = try readMembers(dir.path("cut.tar"))
        #expect(members.map { $0.info.name } == ["r.bin"])
        #expect(report.issues.map(\.kind) == [.truncated])
        let r = fileBytes(dir.path("r.bin"))
        let got = members.first?.bytes ?? []
        #expect(got.count < 50000)
        #expect(prefixDiff(got, of: r) == nil)
    }

    @Test func damagedTarHeaderIsReportedAndSkipped() throws {
        let dir = try TemporaryDirectory("badhdr")
        try sh("""
        printf '{"a":1}\\n' > a.json && printf '{"b":2}\\n' > b.json && printf '{"c":3}\\n' > c.json
        tar cf abc.tar a.json b.json c.json
        python3 -c '
        b = bytearray(open("abc.tar", "rb").read()); b[1024 + 148] ^= 0x07; open("bad.tar", "wb").write(b)
        '
        """, in: dir)
        let (members, report) = try readMembers(dir.path("bad.tar"))
        #expect(members.map { $0.info.name } == ["a.json", "c.json"])
        #expect(members.map(\.text) == ["{\"a\":1}\n", "{\"c\":3}\n"])
        #expect(report.issues.map(\.kind) == [.corrupt])
    }

    @Test func corruptGzipAroundTarIsChecked() throws {
        // CRC damage in a .tar.gz is found even though tar ends before the gzip trailer.
        let dir = try TemporaryDirectory("tgzcrc")
        try sh("""
        printf '{"a":1}\\n' > a.json && tar czf t.tgz a.json
        python3 -c '
        b = bytearray(open("t.tgz", "rb").read()); b[-7] ^= 0x10; open("bad.tgz", "wb").write(b)
        '
        """, in: dir)
        let (members, report) = try readMembers(dir.path("bad.tgz"))
        #expect(members.map(\.text) == ["{\"a\":1}\n"])
        #expect(report.issues.map(\.kind) == [.corrupt])
    }

    @Test func unreadableInputsAreIssuesNotThrows() throws {
        let dir = try TemporaryDirectory("unread")
        try sh("""
        printf 'PK\\003\\004this is not really a zip file at all, just junk bytes...........' > junk.zip
        head -c 2000 /dev/urandom > r.bin && { printf '\\050\\265\\057\\375'; cat r.bin; } > junk.zst
        mkdir folder
        """, in: dir)
        let (missing, missingReport) = try readMembers(dir.path("does-not-exist.gz"))
        #expect(missing.isEmpty)
        #expect(missingReport.issues.map(\.kind) == [.unreadable])
        #expect(missingReport.issues.first?.path == dir.path("does-not-exist.gz"))

        for name in ["junk.zip", "junk.zst"] {
            let (members, report) = try readMembers(dir.path(name))
            #expect(members.isEmpty)
            #expect(report.issues.map(\.kind) == [.unreadable], "\(name): \(report.issues)")
            #expect(report.sha256 == (try sha256sum(dir.path(name))), "\(name)")
        }

        let (_, folderReport) = try readMembers(dir.path("folder"))
        #expect(folderReport.issues.map(\.kind) == [.unreadable])
    }

    struct BodyStop: Error, Equatable { var at: String }

    @Test func bodyErrorsPropagateUnchanged() throws {
        let dir = try TemporaryDirectory("bodyerr")
        try sh("printf 'a\\n' > a.json && printf 'b\\n' > b.json && tar czf t.tgz a.json b.json && gzip -k a.json", in: dir)
        var seen: [String] = []
        #expect(throws: BodyStop(at: "a.json")) {
            _ = try ContainerReader(file: InputFile(path: dir.path("t.tgz"), size: 0, modifiedMicros: 0)).forEachMember { info, _ in
                seen.append(info.name ?? "")
                throw BodyStop(at: info.name ?? "")
            }
        }
        #expect(seen == ["a.json"])
        #expect(throws: BodyStop(at: "whole")) {
            _ = try ContainerReader(file: InputFile(path: dir.path("a.json.gz"), size: 0, modifiedMicros: 0)).forEachMember { _, _ in
                throw BodyStop(at: "whole")
            }
        }
        // An ArchiveError thrown by the body itself is recorded, and the next member is read.
        var names: [String] = []
        let report = try ContainerReader(file: InputFile(path: dir.path("t.tgz"), size: 0, modifiedMicros: 0)).forEachMember { info, _ in
            names.append(info.name ?? "")
            if info.name == "a.json" { throw ArchiveError.corrupt(detail: "body rejected it") }
        }
        #expect(names == ["a.json", "b.json"])
        #expect(report.issues == [ContainerIssue(path: dir.path("t.tgz"), member: "a.json", kind: .corrupt, detail: "body rejected it")])
    }

    @Test func swallowedStreamErrorIsStillRecorded() throws {
        let dir = try TemporaryDirectory("swallow")
        try makeJSONL("a.jsonl", lines: 20_000, seed: 25, in: dir)
        try sh("gzip -c a.jsonl > a.gz && head -c 20000 a.gz > cut.gz", in: dir)
        let report = try ContainerReader(file: InputFile(path: dir.path("cut.gz"), size: 0, modifiedMicros: 0)).forEachMember { _, stream in
            _ = try? readAll(stream)
        }
        #expect(report.issues.map(\.kind) == [.truncated])
    }
}
