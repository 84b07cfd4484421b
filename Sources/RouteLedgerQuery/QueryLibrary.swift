import Foundation

/// Where named queries are found: `./queries` (local), then `$ROUTELEDGER_QUERIES`, then the queries shipped
/// with RouteLedger (the checkout's `queries/` beside the built binary, or `share/routeledger/queries` beside
/// an installed one). A local file with a shipped name overrides it.
public struct QueryLibrary: Sendable {
    public struct Folder: Sendable, Equatable {
        public var label: String
        public var path: String
    }

    public var folders: [Folder]

    public init(folders: [Folder]) { self.folders = folders }

    public static func standard(executable: String = CommandLine.arguments[0],
                                environment: [String: String] = ProcessInfo.processInfo.environment,
                                workingDirectory: String = FileManager.default.currentDirectoryPath) -> QueryLibrary {
        var candidates: [Folder] = [Folder(label: "local", path: workingDirectory + "/queries")]
        if let configured = environment["ROUTELEDGER_QUERIES"], !configured.isEmpty {
            candidates.append(Folder(label: "ROUTELEDGER_QUERIES", path: configured))
        }
        var folder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                candidates.append(Folder(label: "shipped", path: folder.appendingPathComponent("queries").path))
                break
            }
            let share = folder.appendingPathComponent("share/routeledger/queries")
            if FileManager.default.fileExists(atPath: share.path) {
                candidates.append(Folder(label: "shipped", path: share.path))
                break
            }
            folder.deleteLastPathComponent()
        }
        // One folder reached two ways (running from the checkout) is listed once, as shipped.
        var seen: [String: Int] = [:]
        var folders: [Folder] = []
        for candidate in candidates {
            let real = URL(fileURLWithPath: candidate.path).resolvingSymlinksInPath().path
            guard FileManager.default.fileExists(atPath: real) else { continue }
            if let index = seen[real] {
                if candidate.label == "shipped" { folders[index].label = "shipped" }
                continue
            }
            seen[real] = folders.count
            folders.append(candidate)
        }
        return QueryLibrary(folders: folders)
    }

    /// A path to an existing file as given, else `NAME` or `NAME.sql` in the folders, in order.
    public func resolve(_ nameOrPath: String) throws -> String {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".sql") {
            guard FileManager.default.fileExists(atPath: nameOrPath) else {
                throw QueryError(file: nameOrPath, message: "no such query file")
            }
            return nameOrPath
        }
        for folder in folders {
            let path = folder.path + "/" + nameOrPath + ".sql"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        let known = (try? list().map(\.file.name)) ?? []
        throw QueryError(file: nameOrPath, message: "no query named \(nameOrPath)"
            + (known.isEmpty ? " (no query folders found)" : "; known: \(known.joined(separator: ", "))"))
    }

    /// Every query file, each name once (the first folder wins), sorted by name.
    public func list() throws -> [(folder: String, file: QueryFile)] {
        var found: [String: (String, QueryFile)] = [:]
        for folder in folders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".sql") {
                let file = try QueryFile.load(path: folder.path + "/" + name)
                if found[file.name] == nil { found[file.name] = (folder.label, file) }
            }
        }
        return found.keys.sorted().map { found[$0]! }
    }
}
