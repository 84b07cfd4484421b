import Foundation

enum Terminal {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("routeledger: \(message)\n".utf8))
    }

    static func status(_ message: String) {
        FileHandle.standardError.write(Data(message.utf8))
    }
}
