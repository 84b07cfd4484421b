import ArgumentParser

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay", abstract: "Re-decide past router traffic under new thresholds (in progress).")
    func run() throws { throw ValidationError("replay is not built yet") }
}
