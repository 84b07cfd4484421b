import Foundation
#if FUZZING
import CFuzzerDriver
#endif

/// The C signature libFuzzer calls for every input: `int LLVMFuzzerTestOneInput(const uint8_t *, size_t)`.
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

/// Entry point shared by the `fuzz-*` executables (see `bench/fuzz.sh` and `fixtures/fuzz/README.md`).
///
/// Built with `-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING`, `main` hands the command line to
/// libFuzzer (`LLVMFuzzerRunDriver`): corpus folders, `-runs=`, `-max_total_time=`, `-dict=`, crash files.
/// In a plain build (no sanitizer, no libFuzzer runtime) the same executable is a replay driver: every
/// file given, and every file under every folder given, is run once through the same callback. Arguments
/// starting with `-` are ignored then, so one command line serves both builds.
///
/// Callbacks never print input content (logs hold prompts); the replay prints paths and counts only.
public enum FuzzDriver {
    public static func main(_ name: String, _ callback: FuzzCallback) -> Never {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
        #else
        exit(replay(name, arguments: Array(CommandLine.arguments.dropFirst()), callback))
        #endif
    }

    /// Runs every input file named by `arguments` (files, or folders walked recursively in path order).
    /// Returns the process exit status: 0 when every input ran, 2 on a usage error or a missing path.
    public static func replay(_ name: String, arguments: [String], _ callback: FuzzCallback) -> Int32 {
        let paths = arguments.filter { !$0.hasPrefix("-") }
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("""
                usage: \(name) <file or folder>...
                  plain build: replays every input through the fuzz callback (no sanitizer, no mutation).
                  fuzzing build (bench/fuzz.sh): libFuzzer's command line (corpus folders, -runs=, -max_total_time=, …).

                """.utf8))
            return 2
        }
        let verbose = ProcessInfo.processInfo.environment["FUZZ_REPLAY_VERBOSE"] != nil
        var inputs = 0
        var bytes = 0
        for path in paths {
            guard let files = inputFiles(path) else {
                FileHandle.standardError.write(Data("\(name): no such file or folder: \(path)\n".utf8))
                return 2
            }
            for file in files {
                if verbose { FileHandle.standardError.write(Data("\(name): \(file)\n".utf8)) }
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("\(name): cannot read \(file)\n".utf8))
                    return 2
                }
                _ = data.withUnsafeBytes { raw in
                    callback(raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
                }
                inputs += 1
                bytes += data.count
            }
        }
        FileHandle.standardError.write(Data("\(name): replayed \(inputs) inputs (\(bytes) bytes), no crash\n".utf8))
        return 0
    }

    /// The regular files at `path`: itself, or everything below it (sorted). Nil when it does not exist.
    static func inputFiles(_ path: String) -> [String]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { return [path] }
        var files: [String] = []
        if let walker = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in walker {
                let full = (path as NSString).appendingPathComponent(relative)
                var childIsDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory.boolValue {
                    files.append(full)
                }
            }
        }
        return files.sorted()
    }
}

/// The input bytes libFuzzer hands over, copied (the harnesses keep nothing past the call).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// A fixed "now" (2026-11-04T00:00:00Z) so every run of an input takes the same path.
public let fuzzNowMicros: Int64 = 1_793_750_400_000_000
