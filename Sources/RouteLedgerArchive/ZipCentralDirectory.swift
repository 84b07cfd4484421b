#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the zip central directory says about entry types.
///
/// libarchive's streaming zip reader (used so every raw byte is read once, in order, and
/// hashed) only sees local headers, which do not carry the Unix mode; a symlink entry would
/// look like a regular file. For a seekable file the central directory is read with
/// `pread` (which does not move the sequential read position) to find symlink entries.
struct ZipCentralDirectory {
    /// Local-header offsets and names of entries whose Unix mode is a symbolic link.
    var symlinkOffsets: Set<Int64> = []
    var symlinkNames: Set<String> = []

    /// Largest central directory that is read (about a million entries).
    static let maxDirectoryBytes: Int64 = 64 << 20

    /// Parses the central directory of the zip file open at `fd`; nil when `fd` is not a
    /// seekable regular file or no usable central directory is found.
    static func read(fd: Int32) -> ZipCentralDirectory? {
        var st = stat()
        guard fstat(fd, &st) == 0, (UInt32(st.st_mode) & UInt32(S_IFMT)) == UInt32(S_IFREG) else { return nil }
        let size = Int64(st.st_size)
        guard size >= 22 else { return nil }

        // End of central directory record: within the last 22 + 65535 bytes.
        let tailLength = Int(min(size, 22 + 65535))
        guard let tail = pread(fd, count: tailLength, at: size - Int64(tailLength)) else { return nil }
        var eocd = -1
        var i = tail.count - 22
        while i >= 0 {
            if tail[i] == 0x50 && tail[i + 1] == 0x4b && tail[i + 2] == 0x05 && tail[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { return nil }
        var directorySize = Int64(le32(tail, eocd + 12))
        var directoryOffset = Int64(le32(tail, eocd + 16))
        let eocdPosition = size - Int64(tailLength) + Int64(eocd)
        if directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF || le16(tail, eocd + 10) == 0xFFFF {
            // Zip64: the locator sits just before the end record.
            guard eocdPosition >= 20, let locator = pread(fd, count: 20, at: eocdPosition - 20),
                  locator.starts(with: [0x50, 0x4b, 0x06, 0x07]) else { return nil }
            let recordOffset = Int64(bitPattern: le64(locator, 8))
            guard recordOffset >= 0, recordOffset < size, let record = pread(fd, count: 56, at: recordOffset),
                  record.starts(with: [0x50, 0x4b, 0x06, 0x06]) else { return nil }
            directorySize = Int64(bitPattern: le64(record, 40))
            directoryOffset = Int64(bitPattern: le64(record, 48))
        }
        guard directorySize > 0, directorySize <= maxDirectoryBytes, directoryOffset >= 0,
              directoryOffset + directorySize <= size,
              let directory = pread(fd, count: Int(directorySize), at: directoryOffset) else { return nil }

        var result = ZipCentralDirectory()
        var p = 0
        while p + 46 <= directory.count, directory[p] == 0x50, directory[p + 1] == 0x4b, directory[p + 2] == 0x01, directory[p + 3] == 0x02 {
            let system = directory[p + 5]
            let compressed32 = le32(directory, p + 20)
            let uncompressed32 = le32(directory, p + 24)
            let nameLength = Int(le16(directory, p + 28))
            let extraLength = Int(le16(directory, p + 30))
            let commentLength = Int(le16(directory, p + 32))
            let external = le32(directory, p + 38)
            var localOffset = Int64(le32(directory, p + 42))
            let nameStart = p + 46
            let extraStart = nameStart + nameLength
            let next = extraStart + extraLength + commentLength
            guard next <= directory.count else { break }
            if localOffset == 0xFFFF_FFFF {
                // Zip64 extended information extra field (id 1): sizes first, when saturated.
                var q = extraStart
                while q + 4 <= extraStart + extraLength {
                    let id = le16(directory, q), length = Int(le16(directory, q + 2))
                    if id == 1 {
                        var field = q + 4
                        if uncompressed32 == 0xFFFF_FFFF { field += 8 }
                        if compressed32 == 0xFFFF_FFFF { field += 8 }
                        if field + 8 <= q + 4 + length { localOffset = Int64(bitPattern: le64(directory, field)) }
                        break
                    }
                    q += 4 + length
                }
            }
            let mode = external >> 16
            if (system == 3 || system == 19) && (mode & 0o170000) == 0o120000 {
                result.symlinkOffsets.insert(localOffset)
                result.symlinkNames.insert(String(decoding: directory[nameStart..<extraStart], as: UTF8.self))
            }
            p = next
        }
        return result
    }

    private static func pread(_ fd: Int32, count: Int, at offset: Int64) -> [UInt8]? {
        guard count >= 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        let ok = bytes.withUnsafeMutableBytes { buf -> Bool in
            while filled < count {
                #if canImport(Glibc)
                let n = Glibc.pread(fd, buf.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
                #else
                let n = Darwin.pread(fd, buf.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
                #endif
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                filled += n
            }
            return true
        }
        return ok ? bytes : nil
    }

    private static func le16(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(b[i]) | UInt32(b[i + 1]) << 8 }
    private static func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
    private static func le64(_ b: [UInt8], _ i: Int) -> UInt64 {
        UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32
    }
}
