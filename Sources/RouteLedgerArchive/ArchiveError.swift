import Foundation

/// Errors of the Archive layer.
///
/// Usage errors (`missingInput`, `unreadableInput`) are thrown by `InputWalker`. The data
/// errors are thrown by `ByteStream.read` and are turned into `ContainerIssue`s by
/// `ContainerReader` (see `issueKind`), so one damaged file never aborts a run.
public enum ArchiveError: Error, LocalizedError, Sendable, Hashable {
    /// A path given to `InputWalker.discover` does not exist.
    case missingInput(path: String)
    /// A path exists but cannot be examined or listed (permissions, I/O error).
    case unreadableInput(path: String, reason: String)
    /// The data ends early; bytes before the damage were delivered.
    case truncated(detail: String)
    /// CRC mismatch or undecodable data.
    case corrupt(detail: String)
    /// A member inflates more than `ExtractionLimits.maxExpansionRatio`.
    case expansionRatio(detail: String)
    /// A member is larger than `ExtractionLimits.maxMemberBytes`.
    case sizeCap(detail: String)
    /// A file cannot be opened or read, or is not the container it claims to be.
    case unreadable(detail: String)

    /// The `ContainerIssue` kind this error is reported as, nil for usage errors.
    public var issueKind: ContainerIssue.Kind? {
        switch self {
        case .missingInput, .unreadableInput: return nil
        case .truncated: return .truncated
        case .corrupt: return .corrupt
        case .expansionRatio: return .expansionRatio
        case .sizeCap: return .sizeCap
        case .unreadable: return .unreadable
        }
    }

    /// Short detail text (never file content).
    public var detail: String {
        switch self {
        case .missingInput(let path): return "no such file or folder: \(path)"
        case .unreadableInput(let path, let reason): return "cannot read \(path): \(reason)"
        case .truncated(let d), .corrupt(let d), .expansionRatio(let d), .sizeCap(let d), .unreadable(let d):
            return d
        }
    }

    public var errorDescription: String? {
        switch self {
        case .missingInput, .unreadableInput: return detail
        case .truncated: return "truncated data: \(detail)"
        case .corrupt: return "corrupt data: \(detail)"
        case .expansionRatio: return "expansion ratio limit: \(detail)"
        case .sizeCap: return "member size limit: \(detail)"
        case .unreadable: return "unreadable: \(detail)"
        }
    }
}
