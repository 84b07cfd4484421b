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

    /// Writes the files and returns their paths.
    @discardableResult
    public func write(_ document: ReportDocument) throws -> [String] {
        let folder = URL(fileURLWithPath: directory).appendingPathComponent(document.label)
        var written: [String] = []
        for (name, contents) in files(for: document) {
            let target = folder.appendingPathComponent(name)
            try Self.writeAtomically(Data(contents.utf8), to: target.path)
            written.append(target.path)
        }
        return written
    }

    /// Temp file beside the target, then rename: readers see the old file or the new one, never half of one.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let target = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).tmp-\(getpid())")
            try data.write(to: temporary)
            guard rename(temporary.path, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw ReportWriteError(path: target.path, reason: reason)
            }
        } catch let error as ReportWriteError {
            throw error
        } catch {
            throw ReportWriteError(path: target.path, reason: error.localizedDescription)
        }
    }
}
