import Foundation
import RouteLedgerConfig

public struct ReportWriteError: LocalizedError, Sendable {
    public var path: String
    public var reason: String
    public var errorDescription: String? { "cannot write report file \(path): \(reason)" }
}

/// Writes a document's files under `<directory>/<label>/`. Each file is written to a temporary name
/// and renamed, so a reader (or a browser) never sees half a report.
public struct ReportWriter: Sendable {
    public var directory: String
    public var formats: [ReportFormat]

    public init(directory: String, formats: [ReportFormat]) {
        self.directory = directory
        self.formats = formats
    }

    /// The files for the document, in a fixed order: name → contents.
    public func files(for document: ReportDocument) -> [(name: String, contents: String)] {
        var files: [(String, String)] = []
        for format in ReportFormat.allCases where formats.contains(format) {
            switch format {
            case .md: files.append(("report.md", MarkdownRenderer.render(document)))
            case .html: files.append(("report.html", HTMLRenderer.render(document)))
            case .json: files.append(("report.json", JSONRenderer.render(document)))
            case .csv: files += CSVRenderer.render(document).map { ("csv/\($0.name)", $0.contents) }
            }
        }
        return files
    }

    /// Writes the files and returns their paths. Every file is first written in full under a temporary name;
    /// only then are they renamed into place, so a failure (a full disk) leaves the previous report as it was
    /// and no temporary file behind.
    @discardableResult
    public func write(_ document: ReportDocument) throws -> [String] {
        let folder = URL(fileURLWithPath: directory).appendingPathComponent(document.label)
        var staged: [(temporary: URL, target: URL)] = []
        do {
            for (name, contents) in files(for: document) {
                let target = folder.appendingPathComponent(name)
                staged.append((try Self.stage(Data(contents.utf8), for: target), target))
            }
            for (index, file) in staged.enumerated() {
                guard rename(file.temporary.path, file.target.path) == 0 else {
                    let reason = String(cString: strerror(errno))
                    for rest in staged[index...] { try? FileManager.default.removeItem(at: rest.temporary) }
                    throw ReportWriteError(path: file.target.path, reason: reason)
                }
            }
        } catch {
            for file in staged { try? FileManager.default.removeItem(at: file.temporary) }
            throw error
        }
        return staged.map(\.target.path)
    }

    /// Temp file beside the target, then rename: readers see the old file or the new one, never half of one.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let target = URL(fileURLWithPath: path)
        let temporary = try stage(data, for: target)
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ReportWriteError(path: target.path, reason: reason)
        }
    }

    /// Writes `data` to a temporary file beside `target` (creating the folder); a partly written one is removed.
    static func stage(_ data: Data, for target: URL) throws -> URL {
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).tmp-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: temporary)
            return temporary
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ReportWriteError(path: target.path, reason: Self.reason(error))
        }
    }

    /// The system's words for a failed write ("No space left on device"), else Foundation's.
    static func reason(_ error: Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? Error {
            let posix = underlying as NSError
            if posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(posix.code))) }
        }
        return error.localizedDescription
    }
}
