/// One Bedrock log object to generate. Its content depends only on the corpus seed and this spec.
struct BedrockFileSpec: Sendable {
    var account: Int
    var region: Int
    /// Epoch seconds of the hour folder.
    var hourStart: Int64
    /// Records of this file fall in [windowStart, windowStart + windowLength) (except delayed ones).
    var windowStart: Int64
    var windowLength: Int64
    var records: Int
    var seed: UInt64
    /// 0...1: how close this hour is to the Region's daily peak (drives throttling).
    var load: Double
    var multiMember = false
    var truncate = false
    var duplicate = false
    /// Offload the input body of the first eligible record (so every corpus has a `data/` object).
    var forceOffload = false
    /// Field order with `schemaType` first (pretty-printed samples) instead of last (CloudWatch order).
    var schemaFirst: Bool
    /// Apostrophes written as `\u0027`.
    var apostropheEscaped: Bool
    /// `AWSLogs/<acct>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH`.
    var folder: String
    var path: String
}

/// A LiteLLM hour: the payload objects whose start time falls in it.
struct LiteLLMChunkSpec: Sendable {
    var hourStart: Int64
    var records: Int
    var seed: UInt64
}

enum Planner {
    static let bedrockStream: UInt64 = 1
    static let litellmStream: UInt64 = 2

    /// Relative traffic of an hour: a daily bump around the Region's local working hours, weekends quieter.
    static func hourWeight(hourStart: Int64, peakHourUTC: Double) -> (weight: Double, load: Double) {
        let hourOfDay = Double(CivilTime.parts(hourStart).hour) + 0.5
        var d = abs(hourOfDay - peakHourUTC)
        if d > 12 { d = 24 - d }
        let load = DetMath.exp(-(d * d) / (2 * 3.5 * 3.5))
        let weekend = CivilTime.weekday(hourStart) >= 5 ? 0.55 : 1.0
        return ((0.12 + load) * weekend, load)
    }

    /// Splits `total` over `weights` exactly (largest remainder; ties to the lower index).
    static func apportion(_ total: Int, weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        guard total > 0, sum > 0 else { return Array(repeating: 0, count: weights.count) }
        var counts = [Int](repeating: 0, count: weights.count)
        var remainders: [(Double, Int)] = []
        remainders.reserveCapacity(weights.count)
        var assigned = 0
        for (i, w) in weights.enumerated() {
            let exact = Double(total) * w / sum
            let base = Int(exact)
            counts[i] = base
            assigned += base
            remainders.append((exact - Double(base), i))
        }
        remainders.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        var k = 0
        while assigned < total {
            counts[remainders[k % remainders.count].1] += 1
            assigned += 1
            k += 1
        }
        return counts
    }

    static func bedrockFiles(records: Int, seed: UInt64, startEpoch: Int64, days: Int, corrupt: Bool) -> [BedrockFileSpec] {
        var rng = Rng(seed: SplitMix64.derive(seed, stream: 10, index: 0))
        let hours = days * 24
        var weights: [Double] = []
        var loads: [Double] = []
        weights.reserveCapacity(hours * Catalog.streams.count)
        for h in 0..<hours {
            let hourStart = startEpoch + Int64(h) * 3600
            for stream in Catalog.streams {
                let (w, load) = hourWeight(hourStart: hourStart, peakHourUTC: Catalog.regions[stream.region].peakHourUTC)
                weights.append(w * stream.weight * rng.logNormal(median: 1, sigma: 0.15))
                loads.append(load)
            }
        }
        let counts = apportion(records, weights: weights)

        var specs: [BedrockFileSpec] = []
        for (cell, n) in counts.enumerated() where n > 0 {
            let h = cell / Catalog.streams.count
            let stream = Catalog.streams[cell % Catalog.streams.count]
            let hourStart = startEpoch + Int64(h) * 3600
            let fileCount = n < 8 ? 1 : max(2, min(n / 2, (n + 299) / 300 + rng.below(2)))
            let sizes = apportion(n - fileCount, weights: (0..<fileCount).map { _ in 0.6 + rng.unit() }).map { $0 + 1 }
            let account = Catalog.accounts[stream.account]
            let folder = "AWSLogs/\(account.id)/BedrockModelInvocationLogs/\(Catalog.regions[stream.region].name)/\(PathText.hourFolder(hourStart))"
            for (j, size) in sizes.enumerated() {
                let windowStart = hourStart + Int64(j) * 3600 / Int64(fileCount)
                let windowEnd = hourStart + Int64(j + 1) * 3600 / Int64(fileCount)
                let nameTime = windowEnd - 1 - Int64(rng.int(0...Int(min(600, (windowEnd - windowStart) / 3))))
                var idBytes: [UInt8] = []
                rng.hex(16, into: &idBytes)
                let path = "\(folder)/\(PathText.compactStamp(nameTime))_\(String(decoding: idBytes, as: UTF8.self)).json.gz"
                specs.append(BedrockFileSpec(
                    account: stream.account, region: stream.region, hourStart: hourStart,
                    windowStart: windowStart, windowLength: windowEnd - windowStart, records: size,
                    seed: SplitMix64.derive(seed, stream: bedrockStream, index: UInt64(specs.count)),
                    load: loads[cell], schemaFirst: rng.chance(0.2), apostropheEscaped: rng.chance(0.5),
                    folder: folder, path: path))
            }
        }
        for i in specs.indices where specs[i].records >= 2 && rng.chance(0.25) {
            specs[i].multiMember = true
        }
        let offloadCandidates = specs.indices.filter { specs[$0].records >= 4 }
        if !offloadCandidates.isEmpty {
            specs[offloadCandidates[rng.below(offloadCandidates.count)]].forceOffload = true
        }
        if corrupt {
            let candidates = specs.indices.filter { specs[$0].records >= 4 }
            if !candidates.isEmpty {
                let t = candidates[rng.below(candidates.count)]
                specs[t].truncate = true
                specs[t].multiMember = false
                specs[t].forceOffload = false
            }
            let dupCandidates = specs.indices.filter { specs[$0].records >= 2 && !specs[$0].truncate }
            if !dupCandidates.isEmpty {
                specs[dupCandidates[rng.below(dupCandidates.count)]].duplicate = true
            }
        }
        return specs
    }

    static func litellmChunks(records: Int, seed: UInt64, startEpoch: Int64, days: Int) -> [LiteLLMChunkSpec] {
        var rng = Rng(seed: SplitMix64.derive(seed, stream: 11, index: 0))
        let hours = days * 24
        let weights = (0..<hours).map { h in
            hourWeight(hourStart: startEpoch + Int64(h) * 3600, peakHourUTC: 14).weight * rng.logNormal(median: 1, sigma: 0.15)
        }
        let counts = apportion(records, weights: weights)
        var chunks: [LiteLLMChunkSpec] = []
        for (h, n) in counts.enumerated() where n > 0 {
            chunks.append(LiteLLMChunkSpec(hourStart: startEpoch + Int64(h) * 3600, records: n,
                                           seed: SplitMix64.derive(seed, stream: litellmStream, index: UInt64(chunks.count))))
        }
        return chunks
    }
}
