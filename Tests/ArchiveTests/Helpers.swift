import Foundation
import Testing
import RouteLedgerArchive
import RouteLedgerTestSupport

/// One member as seen by a test body.
struct ReadMember {
    var info: MemberInfo
    var bytes: [UInt8]
    var error: ArchiveError?
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Reads every member of `path` completely (the way the ingest layer will), rethrowing
/// stream errors so the reader records them.
func readMembers(_ path: String, limits: ExtractionLimits = .init(), bufferSize: Int = 64 << 10) throws -> ([ReadMember], ContainerReport) {
    let file = InputFile(path: path, size: 0, modifiedMicros: 0)
    return try readMembers(ContainerReader(file: file, limits: limits), bufferSize: bufferSize)
}

func readMembers(_ reader: ContainerReader, bufferSize: Int = 64 << 10) throws -> ([ReadMember], ContainerReport) {
    var members: [ReadMember] = []
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
    defer { buffer.deallocate() }
    let report = try reader.forEachMember { info, stream in
        var member = ReadMember(info: info, bytes: [], error: nil)
        defer { members.append(member) }
        do {
            while true {
                let n = try stream.read(into: buffer)
                if n == 0 { break }
                member.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        } catch let error as ArchiveError {
            member.error = error
            throw error
        }
    }
    return (members, report)
}

/// Runs a shell script in `dir`, failing the test when it fails.
@discardableResult
func sh(_ script: String, in dir: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let result = try shell(script, in: dir.url.path)
    #expect(result.status == 0, "shell failed: \(script)\n\(result.stderr)", sourceLocation: sourceLocation)
    if result.status != 0 { throw ShellFailure(script: script, stderr: result.stderr) }
    return result.stdout
}

struct ShellFailure: Error { var script: String; var stderr: String }

func fileBytes(_ path: String) -> [UInt8] {
    [UInt8](FileManager.default.contents(atPath: path) ?? Data())
}

func sha256sum(_ path: String) throws -> String {
    let result = try runProcess("sha256sum", [path])
    return String(result.stdout.prefix(64))
}

/// JSON-lines text produced by python3 (independent of the code under test).
/// `seed` varies the content; `lines` sets the size (~60–90 bytes per line).
func makeJSONL(_ name: String, lines: Int, seed: Int, in dir: TemporaryDirectory) throws {
    try sh("""
    python3 -c '
    import json, random, sys
    r = random.Random(\(seed))
    words = ["alpha","bravo","charlie","delta","echo","foxtrot","golf","hotel","india","juliet"]
    with open(sys.argv[1], "w") as f:
        for i in range(\(lines)):
            f.write(json.dumps({"id": i, "seed": \(seed), "model": r.choice(words), "tokens": r.randint(1, 99999), "text": " ".join(r.choice(words) for _ in range(r.randint(1, 8)))}) + "\\n")
    ' \(name)
    """, in: dir)
}

/// nil when equal, else a short description. (`#expect(a == b)` on megabyte arrays makes
/// Swift Testing compute a collection diff on failure, which can take minutes.)
func bytesDiff(_ got: [UInt8]?, _ want: [UInt8]) -> String? {
    guard let got else { return "no bytes (want \(want.count))" }
    if got == want { return nil }
    let common = zip(got, want).prefix { $0 == $1 }.count
    return "got \(got.count) bytes, want \(want.count); first difference at offset \(common)"
}

/// nil when `part` is a prefix of `whole`.
func prefixDiff(_ part: [UInt8], of whole: [UInt8]) -> String? {
    if part.count > whole.count { return "got \(part.count) bytes, more than the \(whole.count) of the original" }
    return bytesDiff(part, Array(whole.prefix(part.count)))
}
