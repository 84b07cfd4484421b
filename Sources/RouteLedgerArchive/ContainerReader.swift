#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CArchive

/// What one `ContainerReader.forEachMember` pass found.
public struct ContainerReport: Sendable, Hashable {
    /// Members not read, or read only in part, and why.
    public var issues: [ContainerIssue]
    /// Members deliberately not read (offloaded bodies, markers, directories, empty members).
    public var skipped: [SkippedInput]
    /// Number of members handed to the body.
    public var membersRead: Int
    /// Raw bytes read from the file (its size when read to the end).
    public var compressedBytes: Int64
    /// Lower-case hex SHA-256 of the raw file bytes as read.
    public var sha256: String

    public init(issues: [ContainerIssue] = [], skipped: [SkippedInput] = [], membersRead: Int = 0,
                compressedBytes: Int64 = 0, sha256: String = "") {
        self.issues = issues; self.skipped = skipped; self.membersRead = membersRead
        self.compressedBytes = compressedBytes; self.sha256 = sha256
    }
}

/// Streams the log members out of one input file, detecting containers by content:
/// gzip, zstd, zip, tar, and the nestings gzip→tar, zstd→tar, tar/zip member→gzip, gzip→plain.
/// Nothing is extracted to disk and buffers are bounded: a gzip regular file of at most
/// 256 MiB is read whole and decoded member by member with libdeflate (output buffer at most
/// 256 MiB and within the `ExtractionLimits`); everything else streams.
///
/// One reader is used by one thread at a time; separate readers may run concurrently.
public final class ContainerReader: Sendable {
    public let file: InputFile
    public let limits: ExtractionLimits
    private let descriptor: Int32?

    public init(file: InputFile, limits: ExtractionLimits = .init()) {
        self.file = file
        self.limits = limits
        self.descriptor = nil
    }

    /// Reads from an already-open descriptor (not closed by the reader) instead of opening
    /// `file.path`; `file.path` is still used in issues and skipped entries.
    public init(file: InputFile, fileDescriptor: Int32, limits: ExtractionLimits = .init()) {
        self.file = file
        self.limits = limits
        self.descriptor = fileDescriptor
    }

    private static let gzipMagic: [UInt8] = [0x1f, 0x8b]
    private static let zstdMagic: [UInt8] = [0x28, 0xb5, 0x2f, 0xfd]
    private static let zipMagic: [UInt8] = [0x50, 0x4b, 0x03, 0x04]
    private static let emptyZipMagic: [UInt8] = [0x50, 0x4b, 0x05, 0x06]
    private static let ustarMagic: [UInt8] = Array("ustar".utf8)
    private static let headerPeek = 512
    /// Damaged blocks skipped in a row before giving up on an archive.
    private static let maxConsecutiveRetries = 1 << 20
    private static let symlinkType: UInt32 = 0o120000
    private static let regularType: UInt32 = 0o100000

    /// Calls `body` once per member with its decompressed bytes, in archive order.
    ///
    /// Damage and limit trips inside a member are recorded in the report's `issues` (the
    /// body sees the `ArchiveError` from `read`; throwing it on is fine); the reader then
    /// goes on with the next member when the format allows. Errors thrown by `body` that
    /// are not `ArchiveError` end the pass and propagate unchanged.
    public func forEachMember(_ body: (MemberInfo, ByteStream) throws -> Void) throws -> ContainerReport {
        var run = Run(path: file.path)

        let fd: Int32
        var owns = false
        if let descriptor {
            fd = descriptor
        } else if file.isStandardInput {
            fd = 0
        } else {
            fd = open(file.path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                run.record(nil, .unreadable(detail: "cannot open: \(errorText(errno))"))
                return run.report
            }
            owns = true
        }
        let raw = FileSource(fd: fd, ownsDescriptor: owns)

        do {
            try readContainer(raw: raw, run: &run, body: body)
        } catch let e as ArchiveError {
            run.record(nil, e)   // setup failures (the body's own errors never get here)
        }

        // Hash the bytes no decoder needed (zip central directory, tar padding, …).
        do { try drain(raw) } catch let e as ArchiveError { run.record(nil, e) }
        run.report.compressedBytes = raw.bytesRead
        run.report.sha256 = raw.hasher.hexDigest
        return run.report
    }

    private func readContainer(raw: FileSource, run: inout Run, body: (MemberInfo, ByteStream) throws -> Void) throws {
        let head = PeekStream(raw, peek: Self.headerPeek)
        if head.prefix.isEmpty, let e = head.pendingError {
            run.record(nil, e)
            return
        }
        if head.starts(with: Self.gzipMagic) {
            let limitGuard = LimitGuard(limits: limits, enforceSizeCap: false, label: "gzip stream")
            // A regular file is read whole and decoded by libdeflate (zlib takes over at the
            // first damaged member); anything else (pipes, huge files) streams through zlib.
            if let gzip = GzipMemoryStream.open(raw: raw, head: head, limitGuard: limitGuard) {
                try readDecoded(PeekStream(gzip, peek: Self.headerPeek), kind: .gzip, run: &run, body: body) {
                    gzip.limitGuard.enforceSizeCap = true
                }
            } else {
                let gzip = try GzipInflateStream(source: head, limitGuard: limitGuard)
                try readDecoded(PeekStream(gzip, peek: Self.headerPeek), kind: .gzip, run: &run, body: body) {
                    gzip.limitGuard.enforceSizeCap = true
                }
            }
        } else if head.starts(with: Self.zstdMagic) {
            // libarchive's zstd filter, raw format: one entry, the decompressed stream. What
            // is inside (tar, zip, anything else) is decided here, as for gzip.
            let session: LibarchiveSession
            do {
                session = try LibarchiveSession(source: head, setup: LibarchiveSetup(zstdFilter: true, raw: true))
            } catch let e as ArchiveError {
                run.record(nil, e)
                return
            }
            var entry: OpaquePointer?
            let status = archive_read_next_header(session.handle, &entry)
            if status == ARCHIVE_EOF { return }
            if status < ARCHIVE_WARN {
                run.record(nil, session.error(for: Int(status), context: "zstd stream"))
                return
            }
            let data = LibarchiveMemberStream(session: session, limitGuard: LimitGuard(limits: limits, enforceSizeCap: false, label: "zstd stream"),
                                              countInputFromStart: true)
            let inner = PeekStream(data, peek: Self.headerPeek)
            if inner.prefix.isEmpty, let e = inner.pendingError {
                run.record(nil, e)
                return
            }
            try readDecoded(inner, kind: .zstd, run: &run, body: body) {
                data.limitGuard.enforceSizeCap = true
            }
        } else if head.starts(with: Self.zipMagic) || head.starts(with: Self.emptyZipMagic) {
            let directory = ZipCentralDirectory.read(fd: raw.fd)
            try readArchive(source: head, setup: LibarchiveSetup(zip: true), outer: [], zipDirectory: directory, run: &run, body: body)
        } else if head.starts(with: Self.ustarMagic, at: 257) {
            try readArchive(source: head, setup: LibarchiveSetup(tar: true), outer: [], run: &run, body: body)
        } else {
            try run.deliver(MemberInfo(name: nil, containers: [.plain]), stream: head, body: body)
        }
    }

    /// The decompressed stream of a gzip or zstd file: a tar or zip inside, or one member.
    /// `wholeMember` turns on the size cap when the stream itself is the member.
    private func readDecoded(_ inner: PeekStream, kind: ContainerKind, run: inout Run,
                             body: (MemberInfo, ByteStream) throws -> Void, wholeMember: () -> Void) throws {
        let setup: LibarchiveSetup?
        if inner.starts(with: Self.ustarMagic, at: 257) {
            setup = LibarchiveSetup(tar: true)
        } else if inner.starts(with: Self.zipMagic) || inner.starts(with: Self.emptyZipMagic) {
            setup = LibarchiveSetup(zip: true)
        } else {
            setup = nil
        }
        guard let setup else {
            wholeMember()
            try run.deliver(MemberInfo(name: nil, containers: [kind]), stream: inner, body: body)
            return
        }
        let failedBefore = run.sourceFailed
        run.sourceFailed = false
        try readArchive(source: inner, setup: setup, outer: [kind], run: &run, body: body)
        if !run.sourceFailed {
            // Decode to the end so the gzip CRC / zstd checksum is checked past the archive end.
            do { try drain(inner) } catch let e as ArchiveError { run.record(nil, e) }
        }
        run.sourceFailed = run.sourceFailed || failedBefore
    }

    private func readArchive(source: ByteStream, setup: LibarchiveSetup, outer: [ContainerKind],
                             zipDirectory: ZipCentralDirectory? = nil, run: inout Run,
                             body: (MemberInfo, ByteStream) throws -> Void) throws {
        let session: LibarchiveSession
        do {
            session = try LibarchiveSession(source: source, setup: setup)
        } catch let e as ArchiveError {
            run.record(nil, e)
            return
        }
        defer { if session.feeder.error != nil { run.sourceFailed = true } }

        var entriesSeen = 0
        var retries = 0
        while true {
            var entry: OpaquePointer?
            let status = archive_read_next_header(session.handle, &entry)
            if status == ARCHIVE_EOF { break }
            if status == ARCHIVE_RETRY && retries < Self.maxConsecutiveRetries {
                // A damaged header (e.g. bad tar checksum); libarchive resynchronises on the
                // next block. Report the damaged stretch once.
                if retries == 0 {
                    run.issue(nil, .corrupt, "damaged entry header after \(entriesSeen) entries: \(session.errorMessage)")
                }
                retries += 1
                continue
            }
            if status < ARCHIVE_WARN || entry == nil {
                var error = session.error(for: Int(status), context: entriesSeen == 0 ? "archive header" : "entry header after \(entriesSeen) entries")
                if entriesSeen == 0, session.feeder.error == nil, case .corrupt(let detail) = error {
                    error = .unreadable(detail: detail)   // not an archive libarchive can parse
                }
                run.record(nil, error)
                if status == ARCHIVE_FATAL || status == ARCHIVE_RETRY || entry == nil { break }
                continue
            }
            retries = 0
            entriesSeen += 1
            guard let entry else { break }

            var containers = outer
            let format = session.formatBase
            let isRaw = format == Int32(ARCHIVE_FORMAT_RAW)
            if format == Int32(ARCHIVE_FORMAT_TAR) { containers.append(.tar) }
            if format == Int32(ARCHIVE_FORMAT_ZIP) { containers.append(.zip) }

            let name: String? = isRaw ? nil : entryName(entry)
            let label = name.map { "member \($0)" } ?? "member"

            if let name, !isRaw {
                if isUnsafe(name) {
                    run.issue(name, .unsafePath, "entry name is absolute or climbs out with '..'")
                    continue
                }
                let type = archive_entry_filetype(entry)
                let headerOffset = Int64(archive_read_header_position(session.handle))
                let zipSymlink = zipDirectory.map {
                    $0.symlinkOffsets.contains(headerOffset) || $0.symlinkNames.contains(name)
                } ?? false
                if UInt32(type) == Self.symlinkType || zipSymlink || archive_entry_hardlink(entry) != nil {
                    run.issue(name, .symlink, archive_entry_hardlink(entry) == nil ? "symbolic link entry" : "hard link entry")
                    continue
                }
                if UInt32(type) != Self.regularType {
                    run.skip(name, .notAFile)
                    continue
                }
                if let reason = InputWalker.skipReason(forName: name) {
                    run.skip(name, reason)
                    continue
                }
                if archive_entry_size_is_set(entry) != 0 && archive_entry_size(entry) == 0 {
                    run.skip(name, .notAFile)
                    continue
                }
                if archive_entry_is_encrypted(entry) != 0 {
                    run.issue(name, .unreadable, "encrypted entry")
                    continue
                }
            }

            let data = LibarchiveMemberStream(session: session, limitGuard: LimitGuard(
                limits: limits, enforceSizeCap: true, label: label, ratioCheckFloor: 2 * Int64(session.feeder.buffer.count)))
            let peek = PeekStream(data, peek: 2)
            if peek.prefix.isEmpty && peek.pendingError == nil {
                run.skip(name, .notAFile)   // empty member whose size was not in the header
                continue
            }
            var stream: ByteStream = peek
            if peek.starts(with: Self.gzipMagic) {
                containers.append(.gzip)
                stream = try GzipInflateStream(source: peek, limitGuard: LimitGuard(limits: limits, enforceSizeCap: true, label: "gzip \(label)"))
            }
            try run.deliver(MemberInfo(name: name, containers: containers), stream: stream, body: body)
            if session.fatal { break }
        }
    }

    private func entryName(_ entry: OpaquePointer) -> String {
        if let utf8 = archive_entry_pathname_utf8(entry) { return String(cString: utf8) }
        if let plain = archive_entry_pathname(entry) { return String(cString: plain) }
        return ""
    }

    /// Absolute (`/x`, `\x`, `C:…`) or containing a `..` component.
    private func isUnsafe(_ name: String) -> Bool {
        if name.hasPrefix("/") || name.hasPrefix("\\") { return true }
        let bytes = Array(name.utf8)
        if bytes.count >= 2 && bytes[1] == UInt8(ascii: ":") && (bytes[0] | 0x20) >= UInt8(ascii: "a") && (bytes[0] | 0x20) <= UInt8(ascii: "z") {
            return true
        }
        return name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).contains("..")
    }
}

/// Mutable state of one `forEachMember` pass.
private struct Run {
    let path: String
    var report = ContainerReport()
    /// The source under a libarchive session failed (its error is already recorded).
    var sourceFailed = false

    init(path: String) { self.path = path }

    mutating func record(_ member: String?, _ error: ArchiveError) {
        issue(member, error.issueKind ?? .unreadable, error.detail)
    }

    mutating func issue(_ member: String?, _ kind: ContainerIssue.Kind, _ detail: String) {
        let issue = ContainerIssue(path: path, member: member, kind: kind, detail: detail)
        // A sticky stream error can surface twice (while reading, then while draining).
        if report.issues.last == issue { return }
        report.issues.append(issue)
    }

    mutating func skip(_ member: String?, _ reason: SkipReason) {
        report.skipped.append(SkippedInput(path: path, member: member, reason: reason))
    }

    /// Hands one member to the body and records what went wrong inside it.
    mutating func deliver(_ info: MemberInfo, stream: ByteStream, body: (MemberInfo, ByteStream) throws -> Void) throws {
        let tracked = TrackingStream(stream)
        report.membersRead += 1
        do {
            try body(info, tracked)
            if let failure = tracked.failure { record(info.name, failure) }
        } catch let error as ArchiveError {
            record(info.name, error)
        }
    }
}
