#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a stream to its end. For tests and small inputs only.
public func readAll(_ stream: ByteStream) throws -> [UInt8] {
    var out: [UInt8] = []
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
    defer { chunk.deallocate() }
    while true {
        let n = try stream.read(into: chunk)
        if n == 0 { return out }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
    }
}

/// Reads and discards the rest of a stream; returns the number of bytes skipped.
@discardableResult
func drain(_ stream: ByteStream, bufferSize: Int = 256 << 10) throws -> Int64 {
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
    defer { chunk.deallocate() }
    var total: Int64 = 0
    while true {
        let n = try stream.read(into: chunk)
        if n == 0 { return total }
        total += Int64(n)
    }
}

/// The raw bytes of a file descriptor, hashed (SHA-256) and counted as they are read.
final class FileSource: ByteStream {
    let fd: Int32
    private let ownsDescriptor: Bool
    private(set) var hasher = SHA256()
    private(set) var bytesRead: Int64 = 0
    private var atEnd = false
    private var failure: ArchiveError?

    init(fd: Int32, ownsDescriptor: Bool) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
    }

    deinit { if ownsDescriptor { _ = close(fd) } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        if atEnd || buffer.count == 0 { return 0 }
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            #else
            let n = Darwin.read(fd, buffer.baseAddress, buffer.count)
            #endif
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                let error = ArchiveError.unreadable(detail: "read failed: \(errorText(code))")
                failure = error
                throw error
            }
            if n == 0 { atEnd = true; return 0 }
            hasher.update(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
            bytesRead += Int64(n)
            return n
        }
    }
}

/// Replays the first bytes of a stream that were looked at for detection, then continues
/// with the stream itself. An error met while peeking is thrown after the good bytes.
final class PeekStream: ByteStream {
    private let base: ByteStream
    let prefix: [UInt8]
    private var position = 0
    private(set) var pendingError: ArchiveError?

    init(_ base: ByteStream, peek count: Int) {
        self.base = base
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        var pending: ArchiveError?
        bytes.withUnsafeMutableBytes { buf in
            while filled < count {
                do {
                    let n = try base.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[filled...]))
                    if n == 0 { break }
                    filled += n
                } catch let error as ArchiveError {
                    pending = error
                    break
                } catch {
                    pending = .unreadable(detail: "\(error)")
                    break
                }
            }
        }
        bytes.removeSubrange(filled...)
        prefix = bytes
        pendingError = pending
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if position < prefix.count {
            let n = min(buffer.count, prefix.count - position)
            prefix.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
            }
            position += n
            return n
        }
        if let pendingError { throw pendingError }
        return try base.read(into: buffer)
    }

    func starts(with magic: [UInt8], at offset: Int = 0) -> Bool {
        prefix.count >= offset + magic.count && prefix[offset..<(offset + magic.count)].elementsEqual(magic)
    }
}

/// The stream handed to a `ContainerReader` body: remembers the first `ArchiveError` so the
/// issue is recorded even when the body swallows it.
final class TrackingStream: ByteStream {
    private let base: ByteStream
    private(set) var failure: ArchiveError?
    private(set) var delivered: Int64 = 0

    init(_ base: ByteStream) { self.base = base }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        do {
            let n = try base.read(into: buffer)
            delivered += Int64(n)
            return n
        } catch let error as ArchiveError {
            failure = error
            throw error
        }
    }
}

/// Applies `ExtractionLimits` to one decompressed member.
struct LimitGuard {
    var limits: ExtractionLimits
    var enforceSizeCap: Bool
    var label: String
    /// Floor for `ratioCheckAfterBytes`. libarchive counts input as consumed one block late
    /// for stored data, so its members are not ratio-checked before a couple of blocks.
    var ratioCheckFloor: Int64 = 0

    func check(output: Int64, compressedInput: Int64) throws {
        if enforceSizeCap && output > limits.maxMemberBytes {
            throw ArchiveError.sizeCap(detail: "\(label) exceeds \(limits.maxMemberBytes) bytes")
        }
        if output > max(limits.ratioCheckAfterBytes, ratioCheckFloor) {
            let ratio = Double(output) / Double(max(compressedInput, 1))
            if ratio > limits.maxExpansionRatio {
                throw ArchiveError.expansionRatio(detail: "\(label) expands \(Int(ratio))x from \(compressedInput) bytes (limit \(limits.maxExpansionRatio))")
            }
        }
    }
}
