import CZlib

/// Streaming gzip decoder on zlib (`inflateInit2(…, 15 + 16)`), so the CRC-32 and ISIZE
/// trailer of every member are checked. A concatenation of gzip members is one stream
/// (zero padding between or after members is ignored).
final class GzipInflateStream: ByteStream {
    private let source: ByteStream
    private let zs: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var sourceAtEnd = false
    /// The current gzip member has ended; the next non-zero byte starts another.
    private var betweenMembers = false
    private var finished = false
    private var failure: ArchiveError?
    /// An error from the source met while output was pending; thrown on the next read.
    private var deferredError: ArchiveError?
    private(set) var compressedConsumed: Int64 = 0
    private(set) var produced: Int64 = 0
    private(set) var membersStarted = 1
    var limitGuard: LimitGuard

    /// `compressedConsumed`, `produced` and `membersStarted` let a decoder that already read
    /// part of the stream hand the rest over (`GzipMemoryStream`'s fallback): `source` then
    /// starts at the first byte of member `membersStarted`, and errors and limit checks count
    /// as if this stream had read everything before it.
    init(source: ByteStream, limitGuard: LimitGuard, inputBufferSize: Int = 256 << 10,
         compressedConsumed: Int64 = 0, produced: Int64 = 0, membersStarted: Int = 1) throws {
        self.source = source
        self.limitGuard = limitGuard
        self.compressedConsumed = compressedConsumed
        self.produced = produced
        self.membersStarted = membersStarted
        zs = .allocate(capacity: 1)
        zs.initialize(to: z_stream())
        input = .allocate(byteCount: inputBufferSize, alignment: 64)
        let rc = inflateInit2_(zs, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        if rc != Z_OK {
            zs.deinitialize(count: 1); zs.deallocate(); input.deallocate()
            throw ArchiveError.unreadable(detail: "zlib inflateInit2 failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(zs)
        zs.deinitialize(count: 1)
        zs.deallocate()
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        if finished || buffer.count == 0 { return 0 }
        let n: Int
        do {
            n = try inflateSome(into: buffer)
        } catch let error as ArchiveError {
            failure = error
            throw error
        }
        if n > 0 {
            produced += Int64(n)
            do {
                try limitGuard.check(output: produced, compressedInput: compressedConsumed)
            } catch let error as ArchiveError {
                failure = error
                throw error
            }
        }
        return n
    }

    /// Fills `buffer` as far as possible. Errors met after some output was produced are
    /// deferred to the next call so the good bytes are delivered first.
    private func inflateSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let deferredError { throw deferredError }
        let capacity = buffer.count
        zs.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        zs.pointee.avail_out = uInt(min(capacity, Int(UInt32.max)))
        var outCount: Int { capacity - Int(zs.pointee.avail_out) }

        func fail(_ error: ArchiveError) throws -> Int {
            if outCount > 0 { deferredError = error; return outCount }
            throw error
        }

        while zs.pointee.avail_out > 0 {
            if zs.pointee.avail_in == 0 && !sourceAtEnd {
                let got: Int
                do {
                    got = try source.read(into: input)
                } catch let error as ArchiveError {
                    return try fail(error)
                }
                if got == 0 {
                    sourceAtEnd = true
                } else {
                    zs.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    zs.pointee.avail_in = uInt(got)
                }
            }
            if betweenMembers {
                // Skip zero padding; anything else starts the next member.
                while zs.pointee.avail_in > 0 && zs.pointee.next_in.pointee == 0 {
                    zs.pointee.next_in += 1
                    zs.pointee.avail_in -= 1
                    compressedConsumed += 1
                }
                if zs.pointee.avail_in == 0 {
                    if sourceAtEnd { finished = true; return outCount }
                    continue
                }
                inflateReset(zs)
                betweenMembers = false
                membersStarted += 1
            }
            let beforeIn = zs.pointee.avail_in, beforeOut = zs.pointee.avail_out
            let rc = inflate(zs, Z_NO_FLUSH)
            compressedConsumed += Int64(beforeIn - zs.pointee.avail_in)
            let noProgress = beforeIn == zs.pointee.avail_in && beforeOut == zs.pointee.avail_out
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                // Z_BUF_ERROR: no progress possible without more input (read at the loop top).
                if zs.pointee.avail_in == 0 && sourceAtEnd && (noProgress || rc == Z_BUF_ERROR) {
                    return try fail(.truncated(detail: "gzip data ends inside member \(membersStarted) after \(compressedConsumed) compressed bytes"))
                }
                if rc == Z_BUF_ERROR && zs.pointee.avail_in != 0 && zs.pointee.avail_out != 0 {
                    return try fail(.corrupt(detail: "gzip stream stalled"))
                }
            case Z_STREAM_END:
                betweenMembers = true
            case Z_DATA_ERROR:
                return try fail(.corrupt(detail: "gzip member \(membersStarted): \(zlibMessage())"))
            case Z_NEED_DICT:
                return try fail(.corrupt(detail: "gzip member \(membersStarted) needs a preset dictionary"))
            case Z_MEM_ERROR:
                return try fail(.unreadable(detail: "zlib out of memory"))
            default:
                return try fail(.corrupt(detail: "gzip member \(membersStarted): zlib error \(rc) \(zlibMessage())"))
            }
        }
        return outCount
    }

    private func zlibMessage() -> String {
        if let msg = zs.pointee.msg { return String(cString: msg) }
        return "invalid data"
    }
}
