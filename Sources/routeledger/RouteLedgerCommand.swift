import ArgumentParser

@main
struct RouteLedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routeledger",
        abstract: "See what LLM routing (Amazon Bedrock prompt routers, LiteLLM gateways) actually does and costs.",
        discussion: """
            Exit codes: 0 success; 1 --strict and something was rejected or warned; 2 usage or fatal error.
            """,
        subcommands: [IngestCommand.self, SynthCommand.self])
}
