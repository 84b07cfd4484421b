import ArgumentParser
import Foundation
import RouteLedgerConfig
import RouteLedgerModel

/// `--config` and `--prices`, shared by commands that price traffic or need router definitions.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Config file (default: $ROUTELEDGER_CONFIG, else ./routeledger.yaml when present).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Price file laid over the built-in catalog (repeatable; after the config's own).", valueName: "file"))
    var prices: [String] = []

    /// The config path in effect, or nil when there is none.
    var resolvedConfigPath: String? {
        if let config { return config }
        if let fromEnvironment = ProcessInfo.processInfo.environment["ROUTELEDGER_CONFIG"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return FileManager.default.fileExists(atPath: "routeledger.yaml") ? "routeledger.yaml" : nil
    }

    /// The loaded config (an empty one when there is no file), with its warnings.
    func loadConfiguration() throws -> Configuration {
        guard let path = resolvedConfigPath else { return Configuration() }
        return try ConfigLoader.load(path: path)
    }

    /// The ledger in effect: `--db`, else `$ROUTELEDGER_DB`, else the config's `ledger:` (relative to the
    /// config file), else ./routeledger.sqlite.
    func ledgerPath(_ configuration: Configuration, _ ledger: LedgerOptions) -> String {
        if ledger.db != nil || ProcessInfo.processInfo.environment["ROUTELEDGER_DB"] != nil { return ledger.resolvedPath }
        guard let configured = configuration.ledger else { return ledger.resolvedPath }
        return configuration.resolvedPath(configured)
    }

    /// Built-in prices, then the config's price files (relative to the config), then `--prices`.
    func loadCatalog(_ configuration: Configuration) throws -> PriceCatalog {
        try PriceCatalog.load(overrides: configuration.prices.map(configuration.resolvedPath) + prices)
    }
}
