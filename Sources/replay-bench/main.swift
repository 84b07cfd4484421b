import Foundation
import RouteLedgerReplay

// Threshold-sweep benchmark: N scored requests (default 10 million, seeded), swept over every distinct
// threshold. Baseline in the same run: the textbook way, a comparison sort of (score, row) pairs followed
// by one accumulating scan. Prints medians; `--json` for the bench script.
let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else { return fallback }
    return value
}
let count = option("--n", 10_000_000)
let repeats = option("--repeats", 5)

struct Generator {
    var state: UInt64 = 0x2026_1122
    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}
var generator = Generator()
var scores = [Double](), strong = [Double](), weak = [Double](), strongCost = [Double](), weakCost = [Double](), tokens = [Double]()
scores.reserveCapacity(count); strong.reserveCapacity(count); weak.reserveCapacity(count)
strongCost.reserveCapacity(count); weakCost.reserveCapacity(count); tokens.reserveCapacity(count)
for _ in 0..<count {
    // A predictor's score: strong − weak predicted quality, continuous, so nearly every value is distinct.
    let difficulty = generator.uniform()
    let noise = generator.uniform() - 0.5
    scores.append(0.6 * difficulty + 0.2 * noise - 0.1)
    strong.append(generator.uniform() < 0.9 - 0.2 * difficulty ? 1 : 0)
    weak.append(generator.uniform() < 0.85 - 0.6 * difficulty ? 1 : 0)
    let t = 50 + (generator.uniform() * 3000).rounded()
    tokens.append(t)
    strongCost.append(t * 3e-6 + 300 * 15e-6)
    weakCost.append(t * 0.8e-6 + 300 * 4e-6)
}
let sample = RoutingSample(scores: scores, strongQuality: strong, weakQuality: weak, strongCost: strongCost, weakCost: weakCost, tokens: tokens)

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
func median(_ values: [Double]) -> Double { let s = values.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }

var sweepTimes: [Double] = [], baselineTimes: [Double] = [], evaluateTimes: [Double] = []
var distinct = 0
var checksum = (0.0, 0.0)
for _ in 0..<repeats {
    var curve: SweepCurve?
    sweepTimes.append(seconds { curve = ThresholdSweep.sweep(sample) })
    distinct = curve!.thresholds.count
    checksum.0 = curve!.gain.last!

    // Baseline: sort (score, row) pairs with the standard library, then one scan with the same running sums.
    var baselineGainAtEnd = 0.0
    var baselineThresholds = 0
    baselineTimes.append(seconds {
        var pairs = (0..<count).map { (scores[$0], UInt32($0)) }
        pairs.sort { $0.0 > $1.0 }
        var gain = 0.0, extra = 0.0, calls = 0.0, tok = 0.0, spend = 0.0
        var thresholdColumn: [Double] = [], gainColumn: [Double] = [], extraColumn: [Double] = []
        var callColumn: [Double] = [], tokenColumn: [Double] = [], spendColumn: [Double] = []
        thresholdColumn.reserveCapacity(count); gainColumn.reserveCapacity(count); extraColumn.reserveCapacity(count)
        callColumn.reserveCapacity(count); tokenColumn.reserveCapacity(count); spendColumn.reserveCapacity(count)
        var i = 0
        while i < count {
            let score = pairs[i].0
            repeat {
                let row = Int(pairs[i].1)
                gain += strong[row] - weak[row]; extra += strongCost[row] - weakCost[row]
                calls += 1; tok += tokens[row]; spend += strongCost[row]
                i += 1
            } while i < count && pairs[i].0 == score
            thresholdColumn.append(score); gainColumn.append(gain); extraColumn.append(extra)
            callColumn.append(calls); tokenColumn.append(tok); spendColumn.append(spend)
        }
        baselineGainAtEnd = gain
        baselineThresholds = thresholdColumn.count
    })
    checksum.1 = baselineGainAtEnd
    precondition(baselineThresholds == distinct, "baseline and sweep disagree on distinct thresholds")
    precondition(abs(checksum.0 - checksum.1) < 1e-6, "baseline and sweep disagree on the total gain")
}
// The full evaluation (router sweep + oracle sweeps per call and per dollar + every metric), fewer repeats.
var evaluation: QualityEvaluation?
for _ in 0..<max(1, repeats / 2) { evaluateTimes.append(seconds { evaluation = RouterQuality.evaluate(sample) }) }

let sweep = median(sweepTimes), baseline = median(baselineTimes), evaluate = median(evaluateTimes)
if arguments.contains("--json") {
    print("""
    {"requests": \(count), "distinct_thresholds": \(distinct), "repeats": \(repeats), "sweep_median_s": \(String(format: "%.4f", sweep)), \
    "sort_scan_baseline_median_s": \(String(format: "%.4f", baseline)), "speedup": \(String(format: "%.2f", baseline / sweep)), \
    "full_evaluation_median_s": \(String(format: "%.4f", evaluate)), "apgr_per_call": \(String(format: "%.6f", evaluation!.perCall.apgr ?? .nan))}
    """)
} else {
    print(String(format: "%d scored requests, %d distinct thresholds", count, distinct))
    print(String(format: "sweep (bucket order + prefix sums): median %.3f s of %d", sweep, repeats))
    print(String(format: "baseline (stdlib sort + scan):      median %.3f s  → sweep is %.2fx faster", baseline, baseline / sweep))
    print(String(format: "full evaluation (3 sweeps + metrics): median %.3f s", evaluate))
}
