// Public contract of the Archive layer: which files to read, and the decompressed bytes of
// every log member inside them. Never extracts to disk.

/// A pull-based stream of decompressed bytes.
public protocol ByteStream: AnyObject {
    /// Reads up to `buffer.count` bytes. Returns 0 at the end of the stream.
    /// Throws `ArchiveError` when the data is damaged or a safety limit trips; bytes
    /// returned before the throw are good and may be used.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Caps that keep a hostile archive from exhausting memory or time.
public struct ExtractionLimits: Sendable, Equatable {
    /// Largest allowed uncompressed/compressed ratio of one member (zip bomb / gzip bomb guard).
    public var maxExpansionRatio: Double
    /// Largest allowed uncompressed size of one member.
    public var maxMemberBytes: Int64
    /// The ratio check starts only after this many output bytes (tiny members compress absurdly well).
    public var ratioCheckAfterBytes: Int64

    public init(maxExpansionRatio: Double = 1000, maxMemberBytes: Int64 = 8 << 30, ratioCheckAfterBytes: Int64 = 1 << 20) {
        self.maxExpansionRatio = maxExpansionRatio
        self.maxMemberBytes = maxMemberBytes
        self.ratioCheckAfterBytes = ratioCheckAfterBytes
    }
}

/// A file (or stdin) to read. Paths from a folder walk are sorted so runs are deterministic.
public struct InputFile: Sendable, Hashable {
    /// The path as given or found; `-` is standard input.
    public var path: String
    public var size: Int64
    /// Modification time, microseconds since the epoch (0 for stdin).
    public var modifiedMicros: Int64

    public init(path: String, size: Int64, modifiedMicros: Int64) {
        self.path = path
        self.size = size
        self.modifiedMicros = modifiedMicros
    }

    public var isStandardInput: Bool { path == "-" }
}

public enum SkipReason: String, Sendable, Hashable, CaseIterable {
    /// Bedrock `…/data/<id>_input.json.gz` / `_output.json.gz`: offloaded bodies, not log records.
    case bedrockBodyOffload = "bedrock-body-offload"
    /// The `amazon-bedrock-logs-permission-check` marker object.
    case permissionCheck = "permission-check-marker"
    /// A directory entry, or an empty member.
    case notAFile = "not-a-file"
    /// A file in a walked folder whose name is not UTF-8 (it cannot be opened by a path string): not read.
    case nameNotUTF8 = "name-not-utf8"
}

public struct SkippedInput: Sendable, Hashable {
    public var path: String
    /// Archive member name when the skipped thing is inside an archive.
    public var member: String?
    public var reason: SkipReason
    public init(path: String, member: String?, reason: SkipReason) {
        self.path = path; self.member = member; self.reason = reason
    }
}

public enum ContainerKind: String, Sendable, Hashable {
    case plain, gzip, zstd, tar, zip
}

public struct MemberInfo: Sendable, Hashable {
    /// Name inside the archive; nil when the member is the whole file (plain, .gz, .zst).
    public var name: String?
    /// Containers peeled to reach this member, outermost first, e.g. [.gzip, .tar, .gzip].
    public var containers: [ContainerKind]
    public init(name: String?, containers: [ContainerKind]) {
        self.name = name; self.containers = containers
    }
}

/// A member that was not read, or read only in part.
public struct ContainerIssue: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case unsafePath = "unsafe-path"          // `..` or absolute entry name
        case symlink = "symlink-entry"
        case expansionRatio = "expansion-ratio"  // inflates more than the ratio cap
        case sizeCap = "size-cap"
        case truncated = "truncated"             // data ends early; bytes before the damage were delivered
        case corrupt = "corrupt"                 // CRC mismatch or undecodable data
        case unreadable = "unreadable"           // cannot open / not an archive it claims to be
    }
    public var path: String
    public var member: String?
    public var kind: Kind
    /// Human-readable detail (never file content).
    public var detail: String
    public init(path: String, member: String?, kind: Kind, detail: String) {
        self.path = path; self.member = member; self.kind = kind; self.detail = detail
    }
}
