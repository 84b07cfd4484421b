#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import CDeflate

/// Gzip decoding of a whole regular file held in memory, with libdeflate (~2.5x zlib's speed).
///
/// The compressed file is read completely into one buffer (through the `FileSource`, so the
/// hash and byte count are those of the streaming path), then decompressed one gzip member
/// at a time with `libdeflate_gzip_decompress_ex` into an output buffer that `read(into:)`
/// copies from. Zero padding between members is skipped as zlib's path does.
///
/// Whenever libdeflate cannot finish a member cleanly (bad data, CRC or ISIZE mismatch,
/// truncation, a member larger than the output the limits allow, a header CRC that zlib
/// would check), the rest of the stream — from the first byte of that member — is handed to
/// the streaming `GzipInflateStream` over the in-memory bytes, with the counters (output
/// bytes, compressed bytes, member number) of everything delivered so far. Partial recovery,
/// the `.truncated` / `.corrupt` errors and their details, and limit trips are therefore
/// zlib's, byte for byte.
///
/// The output buffer never grows beyond what the `ExtractionLimits` allow for the stream
/// (`maxMemberBytes`, and `maxExpansionRatio` times the file size) nor beyond
/// `maxOutputBuffer`: a member that would need more is streamed by zlib, which refuses it
/// (or, for a tar inside the gzip, just streams it) with bounded memory.
final class GzipMemoryStream: ByteStream {
    /// Larger files stream through zlib.
    static let maxCompressedBytes = 256 << 20
    /// Largest output buffer for one member; larger members stream through zlib.
    static let maxOutputBuffer = 256 << 20
    /// Starting output size for a member whose size is not hinted by the ISIZE trailer.
    static let minimumGuess = 1 << 20

    private var scratch: GzipScratch?
    /// `scratch` came from the pool and goes back to it.
    private let pooled: Bool
    /// The compressed bytes (in `scratch.input`).
    private let input: UnsafeRawBufferPointer
    /// Raw source left unread (read error, or a file that grew past `maxCompressedBytes`):
    /// the whole stream then goes through zlib, input first, then this source.
    private let tail: ByteStream?
    /// Next compressed byte to decode.
    private var position = 0
    /// Decoded bytes of the last member not yet delivered: `output[outStart..<outEnd]`.
    private var outStart = 0
    private var outEnd = 0
    /// Members decoded by libdeflate.
    private(set) var membersDone = 0
    /// Number of times a member's output buffer was too small and decoding started over.
    private(set) var regrowths = 0
    /// The member (1-based) from which zlib decodes, when it took over.
    private(set) var zlibFromMember: Int?
    private var produced: Int64 = 0
    private var finished = false
    private var failure: ArchiveError?
    private var fallback: GzipInflateStream?
    var limitGuard: LimitGuard {
        didSet { fallback?.limitGuard = limitGuard }
    }

    /// Reads the rest of `raw` into memory and returns the decoder, or nil when the file is
    /// not a regular file of at most `maxCompressedBytes` (use the streaming decoder then).
    /// `head` must have peeked the first bytes of `raw` and nothing else may have read it.
    /// `scratch` (tests) replaces the pooled buffers.
    static func open(raw: FileSource, head: PeekStream, limitGuard: LimitGuard, scratch: GzipScratch? = nil) -> GzipMemoryStream? {
        if head.pendingError != nil { return nil }
        var st = stat()
        guard fstat(raw.fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
              Int(st.st_size) <= maxCompressedBytes else { return nil }
        let pooled = scratch == nil
        guard let scratch = scratch ?? GzipScratch.checkOut() else { return nil }
        var count = head.prefix.count
        // One byte of slack so the read that meets the end of file needs no growth.
        scratch.reserveInput(max(Int(st.st_size), count) + 1, keeping: 0)
        if count > 0 {
            head.prefix.withUnsafeBytes { scratch.input.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
        }
        var tail: ByteStream?
        while true {
            if count == scratch.input.count {
                if count >= maxCompressedBytes { tail = raw; break }   // grew while being read
                scratch.reserveInput(min(2 * count, maxCompressedBytes), keeping: count)
            }
            let n: Int
            do {
                n = try raw.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch.input[count...]))
            } catch {
                tail = raw   // FileSource keeps its error: zlib meets it after the bytes read so far
                break
            }
            if n == 0 { break }
            count += n
        }
        return GzipMemoryStream(scratch: scratch, pooled: pooled, count: count, tail: tail, limitGuard: limitGuard)
    }

    private init(scratch: GzipScratch, pooled: Bool, count: Int, tail: ByteStream?, limitGuard: LimitGuard) {
        self.scratch = scratch
        self.pooled = pooled
        self.input = UnsafeRawBufferPointer(rebasing: scratch.input[0..<count])
        self.tail = tail
        self.limitGuard = limitGuard
    }

    deinit {
        fallback = nil   // it reads `input`; release it before the buffers go back
        if let scratch, pooled { GzipScratch.checkIn(scratch) }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        if buffer.count == 0 { return 0 }
        var filled = 0
        while filled < buffer.count && fallback == nil && failure == nil {
            if outStart == outEnd {
                if finished { break }
                decodeNextMember()   // the next member's bytes, or the end, or the fallback
                continue
            }
            guard let output = scratch?.output.baseAddress else { break }
            let n = min(buffer.count - filled, outEnd - outStart)
            (buffer.baseAddress! + filled).copyMemory(from: output + outStart, byteCount: n)
            outStart += n
            filled += n
        }
        if filled > 0 {
            // Bytes from libdeflate and from zlib never share a read, so the limit checks
            // and deferred errors of the fallback are exactly zlib's.
            produced += Int64(filled)
            do {
                try limitGuard.check(output: produced, compressedInput: Int64(position))
            } catch let error as ArchiveError {
                failure = error
                throw error
            }
            return filled
        }
        if let failure { throw failure }
        guard let fallback else { return 0 }
        do {
            return try fallback.read(into: buffer)
        } catch let error as ArchiveError {
            failure = error
            throw error
        }
    }

    /// Decodes the member at `position` into the output buffer, or sets `finished` at the
    /// end of the input, or starts the zlib fallback.
    private func decodeNextMember() {
        guard let scratch else { return }
        if tail != nil { return startFallback() }
        while position < input.count && input[position] == 0 { position += 1 }   // zero padding
        if position == input.count { finished = true; return }
        let remaining = input.count - position
        // FHCRC: zlib checks the header CRC-16, libdeflate skips it.
        if remaining >= 4 && input[position] == 0x1f && input[position + 1] == 0x8b && input[position + 3] & 0x02 != 0 {
            return startFallback()
        }

        // Output allowed for this member: the size cap (always, as a memory bound: a larger
        // tar inside just streams) and the ratio over the whole file (compressed input
        // consumed can only be less), minus what was already produced.
        let limits = limitGuard.limits
        let floor = max(limits.ratioCheckAfterBytes, limitGuard.ratioCheckFloor)
        let byRatio = limits.maxExpansionRatio * Double(max(input.count, 1))
        let ratioCap = byRatio < 9e18 ? max(floor, Int64(max(byRatio, 0))) : Int64.max   // NaN: no ratio bound here; zlib's guard decides
        let streamCap = min(ratioCap, limits.maxMemberBytes) - produced
        let budget = Int(min(streamCap, Int64(Self.maxOutputBuffer)))
        if budget <= 0 { return startFallback() }

        let guess = max(Self.minimumGuess, remaining.multipliedReportingOverflow(by: 4).partialValue)
        var want = guess
        var limit = budget
        if membersDone == 0 && input.count >= 18 {
            // ISIZE of the last member: the exact size when the file is one member.
            let t = input.count - 4
            let isize = Int(input[t]) | Int(input[t + 1]) << 8 | Int(input[t + 2]) << 16 | Int(input[t + 3]) << 24
            if isize > budget {
                // One member too large for the limits (a bomb), or a damaged tail, or a large
                // last member: one try at the guess, then zlib.
                limit = min(guess, budget)
            } else if isize > 0 {
                want = isize
            }
        }
        var avail = max(min(want, limit), min(scratch.output.count, limit))
        let decompressor = scratch.decompressor
        while true {
            scratch.reserveOutput(avail)
            var inUsed = 0
            var outUsed = 0
            let rc = libdeflate_gzip_decompress_ex(decompressor, input.baseAddress! + position, remaining,
                                                   scratch.output.baseAddress!, avail, &inUsed, &outUsed)
            if rc == LIBDEFLATE_SUCCESS {
                var strict = limitGuard
                strict.enforceSizeCap = true
                do {
                    try strict.check(output: produced + Int64(outUsed), compressedInput: Int64(position + inUsed))
                } catch {
                    return startFallback()   // zlib trips the limit after the bytes it allows
                }
                position += inUsed
                outStart = 0
                outEnd = outUsed
                membersDone += 1
                return
            }
            if rc == LIBDEFLATE_INSUFFICIENT_SPACE && avail < limit {
                regrowths += 1
                avail = min(max(avail.multipliedReportingOverflow(by: 2).partialValue, guess), limit)
                continue
            }
            return startFallback()   // bad data, truncated, CRC/ISIZE mismatch, over budget
        }
    }

    /// On failure (zlib cannot even start) sets `failure`.
    private func startFallback() {
        zlibFromMember = membersDone + 1
        let source = MemorySource(UnsafeRawBufferPointer(rebasing: input[position...]), then: tail)
        do {
            fallback = try GzipInflateStream(source: source, limitGuard: limitGuard, compressedConsumed: Int64(position),
                                             produced: produced, membersStarted: membersDone + 1)
        } catch let error as ArchiveError {
            failure = error
        } catch {
            failure = .unreadable(detail: "\(error)")
        }
        outStart = 0
        outEnd = 0
    }
}

/// Bytes in memory, then (optionally) another stream.
final class MemorySource: ByteStream {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private let next: ByteStream?

    init(_ bytes: UnsafeRawBufferPointer, then next: ByteStream?) {
        self.bytes = bytes
        self.next = next
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if position < bytes.count {
            let n = min(buffer.count, bytes.count - position)
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + position, byteCount: n)
            position += n
            return n
        }
        return try next?.read(into: buffer) ?? 0
    }
}

/// A libdeflate decompressor and the buffers of one `GzipMemoryStream`. Used by one stream at
/// a time (a decompressor is not thread-safe); a small process-wide pool hands them from one
/// reader to the next so each file does not pay for fresh (page-faulting) buffers.
final class GzipScratch {
    let decompressor: OpaquePointer
    private(set) var input = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private(set) var output = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    init?() {
        guard let d = libdeflate_alloc_decompressor() else { return nil }
        decompressor = d
    }

    deinit {
        libdeflate_free_decompressor(decompressor)
        input.deallocate()
        output.deallocate()
    }

    /// Makes `input` hold at least `capacity` bytes, keeping its first `keeping` bytes.
    func reserveInput(_ capacity: Int, keeping: Int) {
        if input.count >= capacity { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        if keeping > 0 { grown.baseAddress!.copyMemory(from: input.baseAddress!, byteCount: keeping) }
        input.deallocate()
        input = grown
    }

    /// Makes `output` hold at least `capacity` bytes; its content is not kept.
    func reserveOutput(_ capacity: Int) {
        if output.count >= capacity { return }
        output.deallocate()
        output = .allocate(byteCount: capacity, alignment: 64)
    }

    // MARK: Pool

    /// Buffers larger than this are freed instead of pooled.
    static let maxRetainedBytes = 64 << 20
    private static let pool = Pool()

    private final class Pool: @unchecked Sendable {
        let lock = NSLock()
        var free: [GzipScratch] = []
        let capacity = max(2, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// nil when libdeflate cannot allocate a decompressor.
    static func checkOut() -> GzipScratch? {
        pool.lock.lock()
        let reused = pool.free.popLast()
        pool.lock.unlock()
        return reused ?? GzipScratch()
    }

    static func checkIn(_ scratch: GzipScratch) {
        if scratch.input.count > maxRetainedBytes {
            scratch.input.deallocate()
            scratch.input = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }
        if scratch.output.count > maxRetainedBytes {
            scratch.output.deallocate()
            scratch.output = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }
        pool.lock.lock()
        defer { pool.lock.unlock() }
        if pool.free.count < pool.capacity { pool.free.append(scratch) }
    }
}
