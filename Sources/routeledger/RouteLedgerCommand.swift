import ArgumentParser
import Foundation

@main
struct RouteLedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routeledger",
        abstract: "See what LLM routing (Amazon Bedrock prompt routers, LiteLLM gateways) actually does and costs.",
        discussion: """
            Exit codes: 0 success; 1 --strict and something was rejected or warned; 2 usage or fatal error.
            """,
        subcommands: [IngestCommand.self, ReportCommand.self, QueryCommand.self, AlertCommand.self, NightlyCommand.self, ReplayCommand.self, ReplayLimitsCommand.self, ConfigCommand.self, SynthCommand.self])

    /// ArgumentParser exits 64 on usage errors; RouteLedger publishes 2 for every usage or fatal error.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitCodes.fatal.rawValue)
            }
            exit(withError: error)
        }
    }
}
