import ArgumentParser
import Foundation
import RouteLedgerConfig
import RouteLedgerModel
import RouteLedgerReplay
import RouteLedgerReport

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-decide a router's traffic under every threshold on labelled prompts, and recommend a setting.",
        discussion: """
            LABELS is a pairs file (CSV or JSON lines: prompt_id, prompt_text, input_tokens_est, strong_model, \
            weak_model, strong_score, weak_score). Router scores come from --score-column, a saved --predictor, \
            or the built-in predictor trained --folds-fold out of fold. With --router the prompts are priced at \
            that router's real traffic mix in the ledger window (its models, regions, tokens per call); without \
            it, per-dollar metrics are per input token. Metric definitions: README, "Router quality metrics".
            """)

    @Option(help: ArgumentHelp("Labelled pairs file (CSV or JSON lines).", valueName: "file"))
    var labels: String

    @Option(help: ArgumentHelp("Take the router score from this column of the labels instead of the built-in predictor.", valueName: "name"))
    var scoreColumn: String?

    @Option(help: ArgumentHelp("Score with a saved predictor instead of cross-fitting one.", valueName: "file"))
    var predictor: String?

    @Option(help: ArgumentHelp("Train the predictor on all labels and save it here (for later --predictor).", valueName: "file"))
    var savePredictor: String?

    @Option(help: ArgumentHelp("Price the prompts at this router's traffic (its id, or a unique suffix such as the router's short id).", valueName: "id"))
    var router: String?

    @Option(help: ArgumentHelp("Traffic window start (default: the ledger's first record).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Traffic window end (default: after the ledger's last record).", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Recommend for quality=F, pgr=P, strong-share=S or savings=V (fractions).", valueName: "kind=value"))
    var target: String = "quality=0.95"

    @Option(help: ArgumentHelp("Folds for out-of-fold scoring.", valueName: "k"))
    var folds: Int = 5

    @Option(help: ArgumentHelp("Seed of folds, the calibration split and the bootstrap.", valueName: "n"))
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Bootstrap resamples for the 95% intervals.", valueName: "n"))
    var bootstrap: Int = 1000

    @Option(help: ArgumentHelp("Output: md, json or csv (csv: every distinct threshold).", valueName: "format"))
    var format: String = "md"

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        guard ["md", "json", "csv"].contains(format) else { throw ValidationError("--format must be md, json or csv") }
        guard (2...50).contains(folds) else { throw ValidationError("--folds must be within 2...50") }
        guard (0...100_000).contains(bootstrap) else { throw ValidationError("--bootstrap must be within 0...100000") }
        if scoreColumn != nil && predictor != nil { throw ValidationError("give --score-column or --predictor, not both") }
        if (since != nil || until != nil) && router == nil { throw ValidationError("--since/--until select router traffic: give --router too") }
        _ = try parsedTarget()
    }

    func parsedTarget() throws -> RecommendationTarget {
        do { return try RecommendationTarget.parse(target) } catch { throw ValidationError(error.localizedDescription) }
    }

    /// Everything checked before any work: the window, the target, the config, catalog and ledger in effect.
    struct Plan {
        var request: ReplayRequest
        var configuration: Configuration
        var catalog: PriceCatalog
        var ledgerPath: String
    }

    func makePlan(now: Int64) throws -> Plan {
        var request = ReplayRequest(labelsPath: labels, scoreColumn: scoreColumn, predictorPath: predictor,
                                    savePredictorPath: savePredictor, router: router, folds: folds, seed: seed,
                                    bootstrap: bootstrap, target: try parsedTarget())
        if let since {
            guard let value = TimeExpression.parse(since, nowMicros: now) else { throw ValidationError("--since: cannot read \"\(since)\" as a time") }
            request.since = value
        }
        if let until {
            guard let value = TimeExpression.parse(until, nowMicros: now) else { throw ValidationError("--until: cannot read \"\(until)\" as a time") }
            request.until = value
        }
        guard request.until > request.since else { throw ValidationError("--until must be after --since") }
        let configuration = try configOptions.loadConfiguration()
        return Plan(request: request, configuration: configuration, catalog: try configOptions.loadCatalog(configuration),
                    ledgerPath: configOptions.ledgerPath(configuration, ledger))
    }

    func run() throws {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        do {
            let plan = try makePlan(now: now)
            let result = try plan.request.run(configuration: plan.configuration, catalog: plan.catalog, ledgerPath: plan.ledgerPath)
            let text: String
            switch format {
            case "json": text = ReplayRenderer.json(result).rendered()
            case "csv": text = ReplayRenderer.csv(result)
            default: text = ReplayRenderer.markdown(result)
            }
            FileHandle.standardOutput.write(Data(text.utf8))
            for issue in result.rejected.prefix(20) { Terminal.error("rejected: \(issue)") }
            if result.rejected.count > 20 { Terminal.error("… \(result.rejected.count - 20) more rejected rows") }
        } catch let error as ValidationError {
            Terminal.error(error.message)
            throw ExitCodes.fatal
        } catch {
            Terminal.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw ExitCodes.fatal
        }
    }
}
