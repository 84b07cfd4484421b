#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of `InputWalker.discover`.
public struct InputDiscovery: Sendable, Hashable {
    /// Files to read, in a deterministic order: arguments in the order given, each folder's
    /// files sorted by path (byte order). A file reached twice is listed once.
    public var files: [InputFile]
    /// Files that match the skip rule (Bedrock body offloads, permission-check markers).
    public var skipped: [SkippedInput]
    public init(files: [InputFile], skipped: [SkippedInput]) {
        self.files = files; self.skipped = skipped
    }
}

/// Turns command-line paths into the list of files to read.
public enum InputWalker {
    /// Expands `paths`: files as given, folders walked recursively (hidden entries starting
    /// with `.` ignored, symlinked folders not followed, symlinked files followed, other
    /// special files ignored), `-` is standard input.
    /// - Throws: `ArchiveError.missingInput` for a path that does not exist,
    ///   `ArchiveError.unreadableInput` for a folder that cannot be listed.
    public static func discover(paths: [String]) throws -> InputDiscovery {
        var files: [InputFile] = []
        var skipped: [SkippedInput] = []
        var seen = Set<String>()

        func add(_ file: InputFile) {
            if let reason = skipReason(forName: file.path) {
                if seen.insert("skip:" + file.path).inserted {
                    skipped.append(SkippedInput(path: file.path, member: nil, reason: reason))
                }
                return
            }
            if seen.insert(file.path).inserted { files.append(file) }
        }

        for path in paths {
            if path == "-" {
                add(InputFile(path: "-", size: 0, modifiedMicros: 0))
                continue
            }
            var st = stat()
            if stat(path, &st) != 0 {
                let code = errno
                if code == ENOENT || code == ENOTDIR {
                    // A dangling symlink is as missing as a missing path.
                    throw ArchiveError.missingInput(path: path)
                }
                throw ArchiveError.unreadableInput(path: path, reason: errorText(code))
            }
            if isDirectory(st) {
                var found: [InputFile] = []
                var notUTF8: [String] = []
                try walk(directory: path, into: &found, notUTF8: &notUTF8)
                found.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
                found.forEach(add)
                // One entry per file, even when two names read alike once repaired.
                for name in notUTF8.sorted() { skipped.append(SkippedInput(path: name, member: nil, reason: .nameNotUTF8)) }
            } else {
                // Regular files and, when named explicitly, pipes/devices (e.g. `<(zcat …)`).
                add(inputFile(path: path, st))
            }
        }
        return InputDiscovery(files: files, skipped: skipped)
    }

    /// Why a file or archive member should not be read, or nil to read it.
    ///
    /// `name` is a path (`/` separated; `\` also accepted). Bedrock offloaded bodies are any
    /// name with a `data` folder component whose last component ends with `_input.json.gz`,
    /// `_output.json.gz`, `_input.json` or `_output.json`; permission-check markers are any
    /// last component containing `amazon-bedrock-logs-permission-check`.
    public static func skipReason(forName name: String) -> SkipReason? {
        let components = name.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        guard let last = components.last else { return nil }
        if last.contains("amazon-bedrock-logs-permission-check") { return .permissionCheck }
        let folders = components.dropLast()
        if folders.contains("data") {
            for suffix in ["_input.json.gz", "_output.json.gz", "_input.json", "_output.json"] where last.hasSuffix(suffix) {
                return .bedrockBodyOffload
            }
        }
        return nil
    }

    // MARK: - Walking

    private static func walk(directory: String, into found: inout [InputFile], notUTF8: inout [String]) throws {
        guard let dir = opendir(directory) else {
            throw ArchiveError.unreadableInput(path: directory, reason: errorText(errno))
        }
        var names: [String] = []
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        while let entry = readdir(dir) {
            let raw = withUnsafePointer(to: &entry.pointee.d_name) { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
            // A name that is not UTF-8 has no exact String: repaired (U+FFFD) it names no file. Reported, not dropped.
            guard let name = String(validatingCString: raw) else {
                let shown = String(cString: raw)
                if !shown.hasPrefix(".") { notUTF8.append(prefix + shown) }
                continue
            }
            if name.hasPrefix(".") { continue }   // also ".", ".."
            names.append(name)
        }
        closedir(dir)

        for name in names {
            let full = prefix + name
            var lst = stat()
            guard lstat(full, &lst) == 0 else { continue }   // vanished meanwhile
            if isSymlink(lst) {
                var st = stat()
                guard stat(full, &st) == 0 else { continue }  // dangling link
                if isRegular(st) { found.append(inputFile(path: full, st)) }
                // symlinked folders are not followed
            } else if isDirectory(lst) {
                try walk(directory: full, into: &found, notUTF8: &notUTF8)
            } else if isRegular(lst) {
                found.append(inputFile(path: full, lst))
            }
        }
    }

    private static func inputFile(path: String, _ st: stat) -> InputFile {
        #if canImport(Darwin)
        let micros = Int64(st.st_mtimespec.tv_sec) * 1_000_000 + Int64(st.st_mtimespec.tv_nsec) / 1000
        #else
        let micros = Int64(st.st_mtim.tv_sec) * 1_000_000 + Int64(st.st_mtim.tv_nsec) / 1000
        #endif
        return InputFile(path: path, size: Int64(st.st_size), modifiedMicros: micros)
    }

    private static func fileType(_ st: stat) -> UInt32 { UInt32(st.st_mode) & UInt32(S_IFMT) }
    private static func isDirectory(_ st: stat) -> Bool { fileType(st) == UInt32(S_IFDIR) }
    private static func isRegular(_ st: stat) -> Bool { fileType(st) == UInt32(S_IFREG) }
    private static func isSymlink(_ st: stat) -> Bool { fileType(st) == UInt32(S_IFLNK) }
}

func errorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
