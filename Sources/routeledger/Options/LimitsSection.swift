import Foundation
import RouteLedgerConfig
import RouteLedgerModel
import RouteLedgerReplay

/// The rate-limit replay of the config's `replay_limits:` section over the report window's gateway traffic:
/// what `routeledger replay-limits --gateway FILE --since … --until …` prints for the same window. A replay
/// that cannot run (gateway file missing or invalid, ledger unreadable) becomes a report warning, never a
/// failed report.
enum LimitsSection {
    static func compute(_ configuration: Configuration, catalog: PriceCatalog, ledgerPath: String,
                        since: Int64, until: Int64) -> (result: LimitsReport?, warning: String?) {
        guard let settings = configuration.replayLimits else { return (nil, nil) }
        do {
            let gatewayPath = configuration.resolvedPath(settings.gateway)
            var gateway = try GatewayConfig.load(path: gatewayPath)
            // The config's tenant limits go over the gateway file's, as `--tenant-limit` does.
            for (tenant, limit) in settings.tenantLimits {
                let limits = RateLimits(rpm: limit.rpm, tpm: limit.tpm)
                if tenant == "*" { gateway.defaultTenantLimits = limits } else { gateway.tenantLimits[tenant] = limits }
            }
            let report = try ReplayLimitsCommand.replayLedger(gateway: gateway, ledgerPath: ledgerPath, since: since, until: until,
                                                              target: settings.targetFallbackRate, seed: settings.seed, catalog: catalog)
            return (report, nil)
        } catch {
            return (nil, "replay_limits (\(settings.location)): " + ((error as? LocalizedError)?.errorDescription ?? "\(error)"))
        }
    }
}
