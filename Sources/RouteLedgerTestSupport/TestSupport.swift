import Foundation

/// Locations every test needs, derived from this file's path so tests run from any working directory.
public enum TestPaths {
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let fixtures = packageRoot.appendingPathComponent("fixtures")
    /// `../shared/` beside the checkout; may be absent (tests that need it skip themselves).
    public static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    public static var sharedIsPresent: Bool { FileManager.default.fileExists(atPath: shared.path) }

    /// The built `routeledger` binary in the same build folder as the running tests.
    public static var builtExecutable: URL {
        let candidates: [URL] = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("routeledger"),
            Bundle.main.bundleURL.appendingPathComponent("routeledger"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("routeledger"),
            packageRoot.appendingPathComponent(".build/debug/routeledger"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }
}

/// A fresh folder under the system temp dir, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public init(_ label: String = "routeledger") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a real process to completion (system tools to build archives, or the built binary).
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], stdin: Data? = nil,
                       environment: [String: String]? = nil, currentDirectory: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
    }
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs a shell pipeline (used to build real archives with gzip, tar, zip and zstd in tests).
@discardableResult
public func shell(_ script: String, in directory: String? = nil) throws -> ProcessResult {
    try runProcess("/bin/sh", ["-c", script], currentDirectory: directory)
}
