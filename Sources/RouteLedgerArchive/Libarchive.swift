import CArchive

/// Feeds libarchive from one of our `ByteStream`s through custom read callbacks, so the raw
/// bytes are hashed by `FileSource` and a tar can be read from our own gzip decoder.
final class LibarchiveFeeder {
    let source: ByteStream
    let buffer: UnsafeMutableRawBufferPointer
    /// First error the source threw; libarchive only sees a failed read (-1).
    private(set) var error: ArchiveError?

    init(source: ByteStream, bufferSize: Int = 512 << 10) {
        self.source = source
        buffer = .allocate(byteCount: bufferSize, alignment: 64)
    }

    deinit { buffer.deallocate() }

    func fill(_ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int {
        if error != nil { return -1 }
        do {
            let n = try source.read(into: buffer)
            out?.pointee = UnsafeRawPointer(buffer.baseAddress)
            return n
        } catch let e as ArchiveError {
            error = e
        } catch {
            self.error = .unreadable(detail: "\(error)")
        }
        return -1
    }
}

private func feederRead(_ archive: OpaquePointer?, _ client: UnsafeMutableRawPointer?,
                        _ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
    guard let client else { return -1 }
    let feeder = Unmanaged<LibarchiveFeeder>.fromOpaque(client).takeUnretainedValue()
    return la_ssize_t(feeder.fill(out))
}

/// What libarchive should recognise for one container.
struct LibarchiveSetup {
    var zstdFilter = false
    var tar = false
    var zip = false
    var raw = false
}

/// One `archive_read` handle reading from a feeder.
final class LibarchiveSession {
    let handle: OpaquePointer
    let feeder: LibarchiveFeeder
    /// libarchive returned ARCHIVE_FATAL: nothing more can be read.
    var fatal = false

    init(source: ByteStream, setup: LibarchiveSetup) throws {
        guard let a = archive_read_new() else { throw ArchiveError.unreadable(detail: "libarchive: out of memory") }
        handle = a
        feeder = LibarchiveFeeder(source: source)
        if setup.zstdFilter { _ = archive_read_support_filter_zstd(a) }
        if setup.tar { _ = archive_read_support_format_tar(a) }
        if setup.zip { _ = archive_read_support_format_zip(a) }
        if setup.raw { _ = archive_read_support_format_raw(a) }
        let rc = archive_read_open(a, Unmanaged.passUnretained(feeder).toOpaque(), nil, feederRead, nil)
        if rc != ARCHIVE_OK {
            if let e = feeder.error { throw e }
            throw ArchiveError.unreadable(detail: "libarchive: \(errorMessage)")
        }
    }

    deinit { archive_read_free(handle) }

    var errorMessage: String {
        if let s = archive_error_string(handle) { return String(cString: s) }
        return "unrecognized or damaged archive data"
    }

    /// Bytes libarchive has consumed from the feeder (the bottom of the filter chain).
    var rawPosition: Int64 { Int64(archive_filter_bytes(handle, -1)) }

    var formatBase: Int32 { archive_format(handle) & Int32(ARCHIVE_FORMAT_BASE_MASK) }

    /// The error for a negative libarchive status: the source's own error when it failed,
    /// otherwise libarchive's message classified as truncated or corrupt.
    func error(for status: Int, context: String) -> ArchiveError {
        if status == Int(ARCHIVE_FATAL) { fatal = true }
        if let e = feeder.error { return e }
        let message = errorMessage
        let lower = message.lowercased()
        if lower.contains("truncated") || lower.contains("premature end") || lower.contains("unexpected end") {
            return .truncated(detail: "\(context): \(message)")
        }
        if lower.contains("encrypt") || lower.contains("unsupported") {
            return .unreadable(detail: "\(context): \(message)")
        }
        return .corrupt(detail: "\(context): \(message)")
    }
}

/// The data of the current libarchive entry.
final class LibarchiveMemberStream: ByteStream {
    private let session: LibarchiveSession
    private let baseline: Int64
    private var produced: Int64 = 0
    private var failure: ArchiveError?
    private var finished = false
    var limitGuard: LimitGuard

    /// `countInputFromStart`: the entry is the whole stream (raw format), so all input
    /// consumed so far, headers included, counts as its compressed size.
    init(session: LibarchiveSession, limitGuard: LimitGuard, countInputFromStart: Bool = false) {
        self.session = session
        self.limitGuard = limitGuard
        baseline = countInputFromStart ? 0 : session.rawPosition
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        if finished || buffer.count == 0 { return 0 }
        let n = Int(archive_read_data(session.handle, buffer.baseAddress, buffer.count))
        if n == 0 { finished = true; return 0 }
        if n < 0 {
            let error = session.error(for: n, context: limitGuard.label)
            failure = error
            throw error
        }
        produced += Int64(n)
        do {
            try limitGuard.check(output: produced, compressedInput: session.rawPosition - baseline)
        } catch let error as ArchiveError {
            failure = error
            throw error
        }
        return n
    }
}
