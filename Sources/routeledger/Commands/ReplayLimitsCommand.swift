import ArgumentParser

struct ReplayLimitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay-limits", abstract: "Replay gateway traffic through rate limits (in progress).")
    func run() throws { throw ValidationError("replay-limits is not built yet") }
}
