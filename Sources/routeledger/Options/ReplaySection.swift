import Foundation
import RouteLedgerConfig
import RouteLedgerModel
import RouteLedgerReplay
import RouteLedgerReport

/// One replay as `routeledger replay` and the report's replay section both run it: labels read, scores from a
/// column, a saved predictor or k-fold cross-fitting, the router's traffic mix and its own choices from the
/// ledger, the recommendation, and the router's real requests re-decided when their prompts were kept.
struct ReplayRequest {
    var labelsPath: String
    var scoreColumn: String?
    var predictorPath: String?
    var savePredictorPath: String?
    var router: String?
    var since: Int64 = .min
    var until: Int64 = .max
    var folds = 5
    var seed: UInt64 = 0
    var bootstrap = 1000
    var target: RecommendationTarget

    func run(configuration: Configuration, catalog: PriceCatalog, ledgerPath: String) throws -> ReplayResult {
        let labels = try LabelReader.read(path: labelsPath, scoreColumn: scoreColumn)
        let prompts = labels.prompts
        guard !prompts.isEmpty else { throw ReplayError(file: labelsPath, "no usable labelled prompts") }

        var mix: TrafficMix?
        var traffic: [TrafficRequest] = []
        if let router {
            let known = try RouterTraffic.routers(ledgerPath: ledgerPath, since: since, until: until)
            let id = try RouterTraffic.resolve(router, among: Array(known.keys))
            let routerMix = try RouterTraffic.mix(ledgerPath: ledgerPath, router: id, since: since, until: until, catalog: catalog,
                                                  definition: configuration.router(id: id))
            mix = routerMix
            traffic = try RouterTraffic.requests(ledgerPath: ledgerPath, router: id, since: since, until: until, mix: routerMix)
        }

        let scores: [Double]
        var predictions: [(strong: Double, weak: Double)]?
        var loaded: QualityPredictor?
        let origin: ScoreOrigin
        if let scoreColumn {
            scores = try prompts.map { prompt in
                guard let score = prompt.routerScore else {
                    throw ReplayError(file: labelsPath, line: prompt.line, "no value in score column \(scoreColumn)")
                }
                return score
            }
            origin = .column(scoreColumn)
        } else if let predictorPath {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: predictorPath)) } catch {
                throw ReplayError(file: predictorPath, "cannot read the predictor: \(error.localizedDescription)")
            }
            let predictor = try QualityPredictor.decode(data, file: predictorPath)
            loaded = predictor
            predictions = prompts.map { predictor.predict(text: $0.text ?? "", inputTokens: $0.inputTokens) }
            scores = predictions!.map { $0.strong - $0.weak }
            origin = .savedPredictor(predictorPath)
        } else {
            predictions = CrossFitting.outOfFoldPredictions(prompts, folds: folds, seed: seed)
            scores = predictions!.map { $0.strong - $0.weak }
            origin = .crossFitted(folds: folds, seed: seed)
        }

        var choices: [String: Bool] = [:]
        for request in traffic { if let strong = request.servedStrong { choices[request.id] = strong } }
        var result = try ReplayAnalysis.run(labels: labels, scores: scores, predictions: predictions, origin: origin, mix: mix,
                                            target: target, observedChoices: choices,
                                            options: Recommender.Options(seed: seed, bootstrapResamples: bootstrap))

        // One predictor on all labels, for saving and for real traffic; the labelled metrics stay out of fold,
        // and real requests that are labelled prompts keep their out-of-fold predictions.
        var full = loaded
        if full == nil && scoreColumn == nil && (savePredictorPath != nil || !traffic.isEmpty) { full = QualityPredictor.train(prompts) }
        if let savePredictorPath, let full { try ReportWriter.writeAtomically(try full.encoded(), to: savePredictorPath) }
        if let full, let mix, !traffic.isEmpty {
            var heldOut: [String: (strong: Double, weak: Double)] = [:]
            if case .crossFitted = origin, let predictions {
                for (prompt, prediction) in zip(prompts, predictions) { heldOut[prompt.id] = prediction }
            }
            result.trafficReplay = TrafficReplay.run(router: mix.router, requests: traffic, predictor: full, strong: mix.strong,
                                                     cheap: mix.cheap, threshold: result.recommendation?.threshold, heldOut: heldOut)
        }
        return result
    }
}

/// The routing replay of the config's `replay:` section, priced at the report window's traffic. A replay that
/// cannot run (labels missing, router absent from the window) becomes a report warning, never a failed report.
enum ReplaySection {
    static func compute(_ configuration: Configuration, catalog: PriceCatalog, ledgerPath: String,
                        since: Int64, until: Int64) -> (result: ReplayResult?, warning: String?) {
        guard let settings = configuration.replay else { return (nil, nil) }
        do {
            let labelsPath = configuration.resolvedPath(settings.labels)
            let request = ReplayRequest(labelsPath: labelsPath, scoreColumn: settings.scoreColumn, router: settings.router,
                                        since: since, until: until, folds: settings.folds, seed: settings.seed,
                                        target: try RecommendationTarget.parse(settings.target))
            var result = try request.run(configuration: configuration, catalog: catalog, ledgerPath: ledgerPath)
            result.labelsFile = settings.labels   // as configured: report bytes must not depend on where the config lives
            return (result, nil)
        } catch {
            return (nil, "replay (\(settings.location)): " + ((error as? LocalizedError)?.errorDescription ?? "\(error)"))
        }
    }
}
