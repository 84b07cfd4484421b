import Foundation
import Testing
import RouteLedgerArchive

/// Single-thread decompression throughput of top-level `.gz` files through `ContainerReader`.
/// Off unless `ARCHIVE_BENCH=1`; run it in release mode:
///
///     ARCHIVE_BENCH=1 ARCHIVE_BENCH_DIR=/tmp/gzbench/AWSLogs \
///         swift test -c release --filter ArchiveTests.GzipBenchTests
///
/// Every `*.gz` under the folder is read (one reader per file, as ingest does) and drained
/// through a 256 KiB buffer, `ARCHIVE_BENCH_PASSES` times (default 5); the best pass is printed.
@Suite struct GzipBenchTests {
    static var enabled: Bool { ProcessInfo.processInfo.environment["ARCHIVE_BENCH"] == "1" }

    @Test(.enabled(if: GzipBenchTests.enabled)) func topLevelGzipThroughput() throws {
        let env = ProcessInfo.processInfo.environment
        let root = env["ARCHIVE_BENCH_DIR"] ?? "/tmp/gzbench/AWSLogs"
        let passes = Int(env["ARCHIVE_BENCH_PASSES"] ?? "") ?? 5
        var paths: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let rel = enumerator?.nextObject() as? String {
            if rel.hasSuffix(".gz") { paths.append(root + "/" + rel) }
        }
        paths.sort()
        try #require(!paths.isEmpty, "no .gz files under \(root)")

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 64)
        defer { buffer.deallocate() }
        var best = Double.infinity
        var out: Int64 = 0, compressed: Int64 = 0, issues = 0
        for _ in 0..<passes {
            out = 0; compressed = 0; issues = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for path in paths {
                let reader = ContainerReader(file: InputFile(path: path, size: 0, modifiedMicros: 0))
                let report = try reader.forEachMember { _, stream in
                    while true {
                        let n = try stream.read(into: buffer)
                        if n == 0 { break }
                        out += Int64(n)
                    }
                }
                compressed += report.compressedBytes
                issues += report.issues.count
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
        }
        let mbps = Double(out) / best / 1e6
        print("ARCHIVE_BENCH \(paths.count) files, \(compressed) compressed → \(out) bytes, best of \(passes): "
              + String(format: "%.3f s, %.0f MB/s decompressed (%.0f MB/s compressed in), issues %d",
                       best, mbps, Double(compressed) / best / 1e6, issues))
        #expect(issues == 0)
    }
}
