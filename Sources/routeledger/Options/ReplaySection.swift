import Foundation
import RouteLedgerConfig
import RouteLedgerModel
import RouteLedgerReplay

/// The routing replay of the config's `replay:` section, priced at the report window's traffic. A replay that
/// cannot run (labels missing, router absent from the window) becomes a report warning, never a failed report.
enum ReplaySection {
    static func compute(_ configuration: Configuration, catalog: PriceCatalog, ledgerPath: String,
                        since: Int64, until: Int64) -> (result: ReplayResult?, warning: String?) {
        guard let settings = configuration.replay else { return (nil, nil) }
        do {
            let base = configuration.file.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
            let labelsPath = settings.labels.hasPrefix("/") || base == nil ? settings.labels : base!.appendingPathComponent(settings.labels).path
            let labels = try LabelReader.read(path: labelsPath, scoreColumn: settings.scoreColumn)
            guard !labels.prompts.isEmpty else { throw ReplayError(file: labelsPath, "no usable labelled prompts") }
            let scores: [Double]
            var predictions: [(strong: Double, weak: Double)]?
            let origin: ScoreOrigin
            if let column = settings.scoreColumn {
                scores = try labels.prompts.map { prompt in
                    guard let score = prompt.routerScore else { throw ReplayError(file: labelsPath, line: prompt.line, "no value in score column \(column)") }
                    return score
                }
                origin = .column(column)
            } else {
                predictions = CrossFitting.outOfFoldPredictions(labels.prompts, folds: settings.folds, seed: settings.seed)
                scores = predictions!.map { $0.strong - $0.weak }
                origin = .crossFitted(folds: settings.folds, seed: settings.seed)
            }
            var mix: TrafficMix?
            if let router = settings.router {
                let known = try RouterTraffic.routers(ledgerPath: ledgerPath, since: since, until: until)
                let id = try RouterTraffic.resolve(router, among: Array(known.keys))
                mix = try RouterTraffic.mix(ledgerPath: ledgerPath, router: id, since: since, until: until, catalog: catalog,
                                            definition: configuration.router(id: id))
            }
            let result = try ReplayAnalysis.run(labels: labels, scores: scores, predictions: predictions, origin: origin, mix: mix,
                                                target: try RecommendationTarget.parse(settings.target),
                                                options: Recommender.Options(seed: settings.seed))
            return (result, nil)
        } catch {
            return (nil, "replay (\(settings.location)): " + ((error as? LocalizedError)?.errorDescription ?? "\(error)"))
        }
    }
}
