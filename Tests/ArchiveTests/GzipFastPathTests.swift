import Foundation
import Testing
@testable import RouteLedgerArchive
import RouteLedgerTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The libdeflate path for top-level `.gz` files (`GzipMemoryStream`) and its hand-over to
/// zlib: same bytes, same errors (details included) as the streaming zlib decoder.
@Suite struct GzipFastPathTests {
    /// What one decoder delivered for a file, read the way `ContainerReader` reads a `.gz`.
    struct Decoded {
        var bytes: [UInt8] = []
        var error: ArchiveError?
        var sha256 = ""
        var compressedBytes: Int64 = 0
        /// The libdeflate stream (nil for the zlib path).
        var fast: GzipMemoryStream?
    }

    /// Decodes `path` with libdeflate (`fast`, on fresh unpooled buffers `scratch`) or with
    /// the streaming zlib decoder.
    static func decode(_ path: String, fast: Bool, scratch: GzipScratch? = nil, limits: ExtractionLimits = .init(),
                       bufferSize: Int = 64 << 10) throws -> Decoded {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        let raw = FileSource(fd: fd, ownsDescriptor: true)
        let head = PeekStream(raw, peek: 512)
        let limitGuard = LimitGuard(limits: limits, enforceSizeCap: true, label: "gzip stream")
        var result = Decoded()
        let stream: ByteStream
        if fast {
            let memory = try #require(GzipMemoryStream.open(raw: raw, head: head, limitGuard: limitGuard,
                                                            scratch: scratch ?? GzipScratch()))
            result.fast = memory
            stream = memory
        } else {
            stream = try GzipInflateStream(source: head, limitGuard: limitGuard)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let n = try stream.read(into: buffer)
                if n == 0 { break }
                result.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        } catch let error as ArchiveError {
            result.error = error
            // The error is sticky.
            #expect(throws: error) { _ = try stream.read(into: buffer) }
        }
        while try raw.read(into: buffer) > 0 {}
        result.sha256 = raw.hasher.hexDigest
        result.compressedBytes = raw.bytesRead
        return result
    }

    /// Decodes with both paths and checks they agree exactly; returns the libdeflate result.
    @discardableResult
    static func decodeBoth(_ path: String, limits: ExtractionLimits = .init(), scratch: GzipScratch? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> Decoded {
        let zlib = try decode(path, fast: false, limits: limits)
        for size in [64 << 10, 4093] {
            let fast = try decode(path, fast: true, limits: limits, bufferSize: size)
            #expect(bytesDiff(fast.bytes, zlib.bytes) == nil, "\(path) [\(size)]", sourceLocation: sourceLocation)
            #expect(fast.error == zlib.error, "\(path) [\(size)]", sourceLocation: sourceLocation)
            #expect(fast.sha256 == zlib.sha256 && fast.compressedBytes == zlib.compressedBytes, sourceLocation: sourceLocation)
        }
        return try decode(path, fast: true, scratch: scratch, limits: limits)
    }

    /// What `gzip -dc` writes for `name` (it stops at the damage; its exit status is ignored).
    static func gzipRecovers(_ name: String, in dir: TemporaryDirectory) throws -> [UInt8] {
        try sh("gzip -dc \(name) > \(name).recovered 2>/dev/null || true", in: dir)
        return fileBytes(dir.path("\(name).recovered"))
    }

    @Test func singleMemberIsSizedByIsize() throws {
        let dir = try TemporaryDirectory("fast1")
        try makeJSONL("a.jsonl", lines: 40_000, seed: 31, in: dir)
        try sh("gzip -c a.jsonl > a.gz", in: dir)
        let original = fileBytes(dir.path("a.jsonl"))
        #expect(original.count > GzipMemoryStream.minimumGuess)

        let scratch = try #require(GzipScratch())
        let fast = try Self.decodeBoth(dir.path("a.gz"), scratch: scratch)
        #expect(bytesDiff(fast.bytes, original) == nil)
        #expect(fast.error == nil)
        #expect(fast.fast?.membersDone == 1)
        #expect(fast.fast?.regrowths == 0)
        #expect(fast.fast?.zlibFromMember == nil)
        #expect(scratch.output.count == original.count)   // exactly ISIZE, no guess, no doubling
        #expect(fast.sha256 == (try sha256sum(dir.path("a.gz"))))
        #expect(fast.compressedBytes == Int64(fileBytes(dir.path("a.gz")).count))

        // Through the reader.
        let (members, report) = try readMembers(dir.path("a.gz"))
        #expect(members.map(\.info) == [MemberInfo(name: nil, containers: [.gzip])])
        #expect(bytesDiff(members.first?.bytes, original) == nil)
        #expect(report.issues.isEmpty)
        #expect(report.sha256 == fast.sha256 && report.compressedBytes == fast.compressedBytes)
    }

    @Test func secondMemberOutgrowsTheGuess() throws {
        let dir = try TemporaryDirectory("fast2")
        try makeJSONL("a.jsonl", lines: 500, seed: 32, in: dir)
        try makeJSONL("c.jsonl", lines: 3_000, seed: 33, in: dir)
        // b compresses far better than 4:1, so 4x the remaining input is not enough for it.
        try sh("""
        python3 -c '
        with open("b.jsonl", "w") as f:
            for i in range(250000):
                f.write("{\\"seq\\": %d, \\"model\\": \\"amazon.nova-lite-v1:0\\", \\"region\\": \\"eu-west-1\\"}\\n" % i)
        '
        gzip -c a.jsonl > a.gz && gzip -9 -c b.jsonl > b.gz && gzip -c c.jsonl > c.gz && printf '' | gzip -c > empty.gz
        cat a.gz empty.gz b.gz > multi.gz && head -c 1000 /dev/zero >> multi.gz && cat c.gz >> multi.gz
        cat a.jsonl b.jsonl c.jsonl > expected
        """, in: dir)
        let expected = fileBytes(dir.path("expected"))
        let bSize = fileBytes(dir.path("b.jsonl")).count
        let remainingAtB = fileBytes(dir.path("b.gz")).count + 1000 + fileBytes(dir.path("c.gz")).count
        #expect(bSize > max(GzipMemoryStream.minimumGuess, 4 * remainingAtB))
        // The ISIZE hint (c's size) is enough for a: only b makes the buffer grow.
        #expect(fileBytes(dir.path("c.jsonl")).count > fileBytes(dir.path("a.jsonl")).count)

        let scratch = try #require(GzipScratch())
        let fast = try Self.decodeBoth(dir.path("multi.gz"), scratch: scratch)
        #expect(bytesDiff(fast.bytes, expected) == nil)
        #expect(fast.error == nil)
        #expect(fast.fast?.membersDone == 4)               // a, empty, b, c
        #expect((fast.fast?.regrowths ?? 0) >= 1)
        #expect(fast.fast?.zlibFromMember == nil)
        #expect(scratch.output.count >= bSize)

        // Trailing zero padding too, through the reader.
        try sh("cp multi.gz padded.gz && head -c 777 /dev/zero >> padded.gz", in: dir)
        let padded = try Self.decodeBoth(dir.path("padded.gz"))
        #expect(bytesDiff(padded.bytes, expected) == nil)
        #expect(padded.error == nil && padded.fast?.zlibFromMember == nil)
        let (members, report) = try readMembers(dir.path("padded.gz"))
        #expect(bytesDiff(members.first?.bytes, expected) == nil)
        #expect(report.issues.isEmpty)
        #expect(report.sha256 == (try sha256sum(dir.path("padded.gz"))))
    }

    @Test func truncatedLastMemberDeliversWhatGzipRecovers() throws {
        let dir = try TemporaryDirectory("fast3")
        try makeJSONL("a.jsonl", lines: 8_000, seed: 34, in: dir)
        try makeJSONL("b.jsonl", lines: 30_000, seed: 35, in: dir)
        try sh("""
        gzip -c a.jsonl > a.gz && gzip -c b.jsonl > b.gz
        cat a.gz b.gz > ab.gz
        head -c $(( $(stat -c %s ab.gz) - $(stat -c %s b.gz) / 2 )) ab.gz > cut.gz
        head -c $(( $(stat -c %s ab.gz) - 5 )) ab.gz > trailer.gz
        head -c $(( $(stat -c %s a.gz) + 7 )) ab.gz > header.gz
        """, in: dir)
        let a = fileBytes(dir.path("a.jsonl")), b = fileBytes(dir.path("b.jsonl"))
        for name in ["cut.gz", "trailer.gz", "header.gz"] {
            // zlib (so both paths here) can decode a symbol or two more than gzip's own
            // inflate, which wants more look-ahead bits near the end of the input.
            let recovered = try Self.gzipRecovers(name, in: dir)
            let fast = try Self.decodeBoth(dir.path(name))
            #expect(fast.bytes.count >= recovered.count && fast.bytes.count - recovered.count <= 1024, "\(name)")
            #expect(prefixDiff(recovered, of: fast.bytes) == nil, "\(name)")
            #expect(fast.bytes.count >= a.count && prefixDiff(fast.bytes, of: a + b) == nil, "\(name)")
            guard case .truncated(let detail) = fast.error else { Issue.record("\(name): \(String(describing: fast.error))"); continue }
            #expect(detail.contains("member 2"), "\(name): \(detail)")
            #expect(fast.fast?.membersDone == 1 && fast.fast?.zlibFromMember == 2, "\(name)")

            let (members, report) = try readMembers(dir.path(name))
            #expect(bytesDiff(members.first?.bytes, fast.bytes) == nil, "\(name)")
            #expect(report.issues.map(\.kind) == [.truncated], "\(name)")
            #expect(report.sha256 == (try sha256sum(dir.path(name))), "\(name)")
            #expect(report.compressedBytes == Int64(fileBytes(dir.path(name)).count), "\(name)")
        }
        // The cut in the middle of b still delivered most of b's first half.
        let cut = try Self.decode(dir.path("cut.gz"), fast: true)
        #expect(cut.bytes.count > a.count + b.count / 3)
    }

    @Test func flippedCrcInFirstOfTwoMembers() throws {
        let dir = try TemporaryDirectory("fast4")
        try makeJSONL("a.jsonl", lines: 6_000, seed: 36, in: dir)
        try makeJSONL("b.jsonl", lines: 6_000, seed: 37, in: dir)
        try sh("""
        gzip -c a.jsonl > a.gz && gzip -c b.jsonl > b.gz
        python3 -c '
        a = bytearray(open("a.gz", "rb").read()); a[-8] ^= 0xFF
        open("bad.gz", "wb").write(bytes(a) + open("b.gz", "rb").read())
        '
        """, in: dir)
        let fast = try Self.decodeBoth(dir.path("bad.gz"))
        #expect(bytesDiff(fast.bytes, fileBytes(dir.path("a.jsonl"))) == nil)   // all of a, nothing of b
        guard case .corrupt(let detail) = fast.error else { Issue.record("\(String(describing: fast.error))"); return }
        #expect(detail.contains("member 1"), "\(detail)")
        #expect(fast.fast?.membersDone == 0 && fast.fast?.zlibFromMember == 1)
        #expect(prefixDiff(try Self.gzipRecovers("bad.gz", in: dir), of: fast.bytes) == nil)

        let (members, report) = try readMembers(dir.path("bad.gz"))
        #expect(bytesDiff(members.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        #expect(report.issues.map(\.kind) == [.corrupt])
        if case .corrupt = members.first?.error {} else { Issue.record("body did not see .corrupt") }
    }

    @Test func damagedHeadersAndTrailingBytesMatchZlib() throws {
        let dir = try TemporaryDirectory("fast5")
        try makeJSONL("a.jsonl", lines: 3_000, seed: 38, in: dir)
        try sh("""
        gzip -c a.jsonl > a.gz
        printf '\\037\\213' > magic-only.gz
        head -c 10 a.gz > header-only.gz
        { cat a.gz; printf 'trailing garbage'; } > garbage.gz
        { cat a.gz; head -c 64 /dev/zero; printf 'x'; } > zeros-then-one-byte.gz
        { cat a.gz; head -c 64 /dev/zero; printf 'not gzip at all'; } > zeros-then-garbage.gz
        python3 -c '
        import zlib, struct
        data = open("a.jsonl", "rb").read()
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = c.compress(data) + c.flush()
        trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
        head = bytes([0x1f, 0x8b, 8, 0x02, 0, 0, 0, 0, 0, 3])   # FHCRC
        crc16 = zlib.crc32(head) & 0xFFFF
        open("fhcrc-good.gz", "wb").write(head + struct.pack("<H", crc16) + body + trailer)
        open("fhcrc-bad.gz", "wb").write(head + struct.pack("<H", crc16 ^ 0x5555) + body + trailer)
        reserved = bytes([0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3])
        open("reserved-flag.gz", "wb").write(reserved + body + trailer)
        named = bytes([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]) + b"a.jsonl\\0"
        open("fname.gz", "wb").write(named + body + trailer)
        open("isize-lies.gz", "wb").write(head[:3] + b"\\0" + head[4:] + body + trailer[:4] + struct.pack("<I", 1 << 31))
        open("isize-off-by-one.gz", "wb").write(head[:3] + b"\\0" + head[4:] + body + trailer[:4] + struct.pack("<I", len(data) + 1))
        open("crc-wrong.gz", "wb").write(head[:3] + b"\\0" + head[4:] + body + struct.pack("<I", zlib.crc32(data) ^ 1) + trailer[4:])
        '
        """, in: dir)
        let original = fileBytes(dir.path("a.jsonl"))
        let cases: [(String, ContainerIssue.Kind?)] = [
            ("magic-only.gz", .truncated), ("header-only.gz", .truncated), ("garbage.gz", .corrupt),
            ("zeros-then-garbage.gz", .corrupt), ("zeros-then-one-byte.gz", .truncated), ("fhcrc-good.gz", nil), ("fhcrc-bad.gz", .corrupt),
            ("reserved-flag.gz", .corrupt), ("fname.gz", nil), ("isize-lies.gz", .corrupt),
            ("isize-off-by-one.gz", .corrupt), ("crc-wrong.gz", .corrupt),
        ]
        for (name, kind) in cases {
            let fast = try Self.decodeBoth(dir.path(name))
            #expect(fast.error?.issueKind == kind, "\(name): \(String(describing: fast.error))")
            if kind == nil || name.hasPrefix("garbage") || name.hasPrefix("zeros") {
                #expect(bytesDiff(fast.bytes, original) == nil, "\(name)")
            }
        }
    }

    @Test func bombInAMiddleMemberStopsAtTheCap() throws {
        let dir = try TemporaryDirectory("fast6")
        try makeJSONL("a.jsonl", lines: 2_000, seed: 39, in: dir)
        try sh("""
        gzip -c a.jsonl > a.gz && head -c 150000000 /dev/zero | gzip -1 -c > bomb.gz
        cat a.gz bomb.gz a.gz > multi.gz
        """, in: dir)
        let fileSize = fileBytes(dir.path("multi.gz")).count

        // Ratio: libdeflate's buffer doubles up to what the ratio allows for the whole file,
        // then zlib streams the member and trips the guard.
        let ratio = ExtractionLimits(maxExpansionRatio: 50, maxMemberBytes: 1 << 40, ratioCheckAfterBytes: 1 << 20)
        let scratch = try #require(GzipScratch())
        let fast = try Self.decode(dir.path("multi.gz"), fast: true, scratch: scratch, limits: ratio)
        let zlib = try Self.decode(dir.path("multi.gz"), fast: false, limits: ratio)
        guard case .expansionRatio = fast.error, case .expansionRatio = zlib.error else {
            Issue.record("\(String(describing: fast.error)) / \(String(describing: zlib.error))"); return
        }
        #expect(fast.fast?.membersDone == 1 && fast.fast?.zlibFromMember == 2)
        #expect(scratch.output.count <= 50 * fileSize)
        #expect(fast.bytes.count < 10_000_000)
        #expect(prefixDiff(fast.bytes, of: fileBytes(dir.path("a.jsonl")) + [UInt8](repeating: 0, count: 150_000_000)) == nil)
        // Same stopping point as zlib alone, give or take one read.
        #expect(abs(fast.bytes.count - zlib.bytes.count) <= 64 << 10)

        // Size cap: the buffer never grows past it.
        let cap = ExtractionLimits(maxExpansionRatio: 1e9, maxMemberBytes: 5_000_000, ratioCheckAfterBytes: 1 << 20)
        let capScratch = try #require(GzipScratch())
        let capped = try Self.decode(dir.path("multi.gz"), fast: true, scratch: capScratch, limits: cap)
        guard case .sizeCap = capped.error else { Issue.record("\(String(describing: capped.error))"); return }
        #expect(capScratch.output.count <= 5_000_000)
        #expect(capped.bytes.count <= 5_000_000)
        #expect(capped.fast?.zlibFromMember == 2)

        let (members, report) = try readMembers(dir.path("multi.gz"), limits: cap)
        #expect(report.issues.map(\.kind) == [.sizeCap])
        #expect((members.first?.bytes.count ?? .max) <= 5_000_000)
        #expect(report.sha256 == (try sha256sum(dir.path("multi.gz"))))
    }

    @Test func tarInsideGzipIsStillDetected() throws {
        let dir = try TemporaryDirectory("fast7")
        try makeJSONL("a.jsonl", lines: 2_000, seed: 40, in: dir)
        try makeJSONL("b.jsonl", lines: 2_000, seed: 41, in: dir)
        // Two gzip members: the tar spans the member boundary.
        try sh("tar cf t.tar a.jsonl b.jsonl && head -c 70000 t.tar | gzip -c > t.tgz && tail -c +70001 t.tar | gzip -c >> t.tgz", in: dir)
        let (members, report) = try readMembers(dir.path("t.tgz"))
        #expect(members.map(\.info) == [MemberInfo(name: "a.jsonl", containers: [.gzip, .tar]),
                                        MemberInfo(name: "b.jsonl", containers: [.gzip, .tar])])
        #expect(bytesDiff(members.first?.bytes, fileBytes(dir.path("a.jsonl"))) == nil)
        #expect(bytesDiff(members.last?.bytes, fileBytes(dir.path("b.jsonl"))) == nil)
        #expect(report.issues.isEmpty)
        #expect(report.sha256 == (try sha256sum(dir.path("t.tgz"))))
    }
}
