#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FuzzSupport
import RouteLedgerArchive
import RouteLedgerIngest

// fuzz-archive: container detection and the archive readers (gzip members with libdeflate and zlib,
// tar, zip with its central directory, zstd, and their nestings), through ContainerReader on a real
// file descriptor, each member then decoded as ingest does (auto format). Every input is read twice:
// as a regular file (gzip in memory with libdeflate, zip central directory by pread) and as a pipe
// (gzip streamed through zlib, no central directory). The extraction limits stay in force, tighter than
// ingest's defaults so a bomb costs milliseconds, not seconds: the same 1000x ratio cap, checked from
// 128 KiB of output (default 1 MiB), and members capped at 16 MiB (default 8 GiB).

enum ArchiveHarness {
    static let limits = ExtractionLimits(maxExpansionRatio: 1000, maxMemberBytes: 16 << 20, ratioCheckAfterBytes: 128 << 10)
    /// One scratch file for all inputs: created once, unlinked at once, rewritten per input.
    nonisolated(unsafe) static var scratch: Int32 = -1

    static func run(_ bytes: [UInt8]) {
        if scratch < 0 {
            var template = Array("/tmp/routeledger-fuzz-archive-XXXXXX".utf8CString)
            scratch = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            precondition(scratch >= 0, "cannot create the scratch file")
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        }
        precondition(ftruncate(scratch, 0) == 0)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(scratch, $0.baseAddress! + written, bytes.count - written, off_t(written)) }
            precondition(n > 0, "cannot write the scratch file")
            written += n
        }
        precondition(lseek(scratch, 0, SEEK_SET) == 0)
        read(fd: scratch, size: bytes.count)

        // The same bytes through a pipe: not a regular file, so every reader streams.
        if bytes.count <= 60 << 10 {
            var ends: [Int32] = [-1, -1]
            precondition(pipe(&ends) == 0, "cannot create a pipe")
            var sent = 0
            while sent < bytes.count {
                let n = bytes.withUnsafeBytes { write(ends[1], $0.baseAddress! + sent, bytes.count - sent) }
                precondition(n > 0, "cannot fill the pipe")
                sent += n
            }
            close(ends[1])
            read(fd: ends[0], size: bytes.count)
            close(ends[0])
        }
    }

    static func read(fd: Int32, size: Int) {
        let options = DecodeOptions(format: .auto, keepBodies: true, futureLimitMicros: fuzzNowMicros)
        let reader = ContainerReader(file: InputFile(path: "fuzz-input", size: Int64(size), modifiedMicros: 0),
                                     fileDescriptor: fd, limits: limits)
        // As IngestRunner: decode the member, hand stream damage back so the reader records it and moves on.
        let report = try? reader.forEachMember { _, stream in
            let member = MemberDecoding.decode(stream, options: options, initialCapacity: 4096)
            if let damage = member.streamError as? ArchiveError { throw damage }
        }
        if let report {
            precondition(report.compressedBytes <= Int64(size), "read more bytes than the file holds")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    ArchiveHarness.run(fuzzInput(data, size))
    return 0
}

FuzzDriver.main("fuzz-archive", fuzzOneInput)
