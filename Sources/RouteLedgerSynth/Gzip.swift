import CZlib

/// zlib gzip members: `deflateInit2(level 6, windowBits 15+16)`; header mtime 0, so output is reproducible.
enum Gzip {
    /// Appends one gzip member holding `input` to `out`.
    static func compress(_ input: ArraySlice<UInt8>, level: Int32 = 6, into out: inout [UInt8]) throws {
        var stream = z_stream()
        var status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw SynthError.compression("deflateInit2 failed (\(status))") }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bound))
        try input.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.baseAddress! + start
                stream.avail_out = uInt(bound)
                status = deflate(&stream, Z_FINISH)
                guard status == Z_STREAM_END else { throw SynthError.compression("deflate did not finish (\(status))") }
            }
        }
        out.removeLast(bound - Int(stream.total_out))
    }

    static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        try compress(input[...], into: &out)
        return out
    }

    /// Decompresses as much of a (possibly cut) gzip stream as zlib can, following concatenated members.
    static func decompressPrefix(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        input.withUnsafeBufferPointer { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
            stream.avail_in = uInt(src.count)
            while true {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress
                    stream.avail_out = uInt(dst.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    let n = dst.count - Int(stream.avail_out)
                    if status == Z_STREAM_END {
                        if stream.avail_in > 0 { inflateReset(&stream) } else { return -n - 1 }
                    } else if status != Z_OK {
                        return -n - 1
                    }
                    return n
                }
                if produced < 0 {
                    out.append(contentsOf: chunk[0..<(-produced - 1)])
                    break
                }
                out.append(contentsOf: chunk[0..<produced])
                if produced == 0 && stream.avail_in == 0 { break }
            }
        }
        return out
    }
}
