import Foundation
import RouteLedgerSynth
import RouteLedgerTestSupport
import Testing

/// `synth --labels`: the labelled pairs file for the prompt-router traffic, checked against the logs themselves
/// (decompressed with `gzip -dc`), with an independent strict RFC 4180 reader.
@Suite("Synthetic labels (pairs.csv)")
struct SynthLabelsTests {
    static let header = ["prompt_id", "prompt_text", "input_tokens_est", "strong_model", "weak_model", "strong_score", "weak_score"]
    static let strongModel = "anthropic.claude-3-5-sonnet-20241022-v2:0"
    static let weakModel = "anthropic.claude-3-5-haiku-20241022-v1:0"

    /// A corpus written with (or without) labels, kept for the test's lifetime.
    struct Run {
        let directory: TemporaryDirectory
        let summary: SynthSummary
        var out: String { directory.path("logs") }
        var labels: String { directory.path("pairs.csv") }

        init(_ label: String, records: Int = 6000, seed: UInt64 = 42, corruptRate: Double = 0, withBodies: Bool = true,
             labels: Bool = true, threads: Int = 2) throws {
            directory = try TemporaryDirectory("synth-labels-\(label)")
            summary = try Synthesizer.generate(SynthOptions(
                records: records, seed: seed, days: 1, outputDirectory: directory.path("logs"), corruptRate: corruptRate,
                withBodies: withBodies, threads: threads, labelsPath: labels ? directory.path("pairs.csv") : nil))
        }
    }

    /// One prompt-router record as the log holds it.
    struct RouterRecord {
        var sortKey: String
        var inputTokens: Int?
        var lastUserText: String?
        var invokedModel: String?
    }

    /// Router records of a corpus, by request id: every Bedrock log decompressed with `gzip -dc`.
    static func routerRecords(_ out: String) throws -> (records: [String: RouterRecord], lines: Int) {
        let result = try shell("find AWSLogs -name '*.json.gz' ! -path '*/data/*' -exec gzip -dc {} + 2>/dev/null; true", in: out)
        var records: [String: RouterRecord] = [:]
        var lines = 0
        for line in result.stdout.split(separator: "\n") where line.contains("prompt-router/") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let modelId = object["modelId"] as? String, modelId.contains("prompt-router/"),
                  let requestId = object["requestId"] as? String, let timestamp = object["timestamp"] as? String
            else { continue }
            lines += 1
            let input = object["input"] as? [String: Any]
            let output = object["output"] as? [String: Any]
            var record = RouterRecord(sortKey: sortKey(timestamp), inputTokens: intValue(input?["inputTokenCount"]))
            if let body = input?["inputBodyJson"] as? [String: Any], let messages = body["messages"] as? [[String: Any]],
               let last = messages.last(where: { $0["role"] as? String == "user" }),
               let content = last["content"] as? [[String: Any]] {
                record.lastUserText = content.first?["text"] as? String
            }
            if let body = output?["outputBodyJson"] as? [String: Any] {
                record.invokedModel = ((body["trace"] as? [String: Any])?["promptRouter"] as? [String: Any])?["invokedModelId"] as? String
            } else if let events = output?["outputBodyJson"] as? [[String: Any]],
                      let metadata = events.compactMap({ $0["metadata"] as? [String: Any] }).first {
                record.invokedModel = ((metadata["trace"] as? [String: Any])?["promptRouter"] as? [String: Any])?["invokedModelId"] as? String
            }
            records[requestId] = record
        }
        return (records, lines)
    }

    /// `2026-11-01T10:00:00Z` / `2026-11-01T10:00:00.123Z` → `2026-11-01T10:00:00.123`, comparable as text.
    static func sortKey(_ timestamp: String) -> String {
        let base = String(timestamp.prefix(19))
        var fraction = "000"
        if let dot = timestamp.firstIndex(of: ".") {
            let digits = timestamp[timestamp.index(after: dot)...].prefix { $0.isNumber }
            fraction = String((digits + "000").prefix(3))
        }
        return base + "." + fraction
    }

    static func labels(_ path: String) throws -> (bytes: [UInt8], rows: [[String]]) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return (bytes, try StrictCSV.parse(bytes))
    }

    static func hasWord(_ text: String, _ word: String) -> Bool {
        text.lowercased().split { !$0.isLetter }.contains { $0 == Substring(word) }
    }

    // MARK: tests

    @Test("one row per prompt-router record, joined by request id; text, tokens and models as logged; in time order")
    func rowsMatchTheLogs() throws {
        let run = try Run("main", threads: 3)
        let (bytes, rows) = try Self.labels(run.labels)
        #expect(String(decoding: bytes.prefix(Self.header.joined(separator: ",").utf8.count + 2), as: UTF8.self)
                == Self.header.joined(separator: ",") + "\r\n")
        #expect(rows.first == Self.header)
        let body = Array(rows.dropFirst())
        #expect(body.allSatisfy { $0.count == 7 })

        let (logged, lines) = try Self.routerRecords(run.out)
        let b = run.summary.expected.bedrock
        #expect(lines == b.routerRequests && logged.count == b.routerRequests)
        #expect(body.count == b.routerRequests && b.routerRequests > 500)
        #expect(run.summary.labelledPrompts == body.count)
        #expect(run.summary.labelsPath == run.labels)
        let ids = body.map { $0[0] }
        #expect(Set(ids).count == ids.count, "duplicate prompt ids")
        let missing = Set(logged.keys).subtracting(ids), unknown = Set(ids).subtracting(logged.keys)
        #expect(missing.isEmpty && unknown.isEmpty,
                "\(missing.count) router records without a row (e.g. \(missing.first ?? "")), \(unknown.count) rows without a record")

        var withBody = 0, withTokens = 0
        var keys: [(String, String)] = []
        for row in body {
            guard let record = logged[row[0]] else { continue }
            keys.append((record.sortKey, row[0]))
            let tokens = try #require(Int(row[2]))
            #expect(tokens >= 5)
            if let logged = record.inputTokens { #expect(tokens == logged, "\(row[0]) tokens"); withTokens += 1 }
            if let text = record.lastUserText { #expect(row[1] == text, "\(row[0]) prompt text"); withBody += 1 }
            #expect(!row[1].isEmpty)
            #expect(row[3] == Self.strongModel && row[4] == Self.weakModel)
            for score in [row[5], row[6]] {
                let value = try #require(Double(score), "score \(score)")
                #expect((0...1).contains(value))
                #expect(score == "0" || score == "1", "binary scores are written as 0 / 1")
            }
        }
        #expect(withBody > body.count * 8 / 10, "most rows carry the body's text (\(withBody) of \(body.count))")
        #expect(withTokens > body.count * 9 / 10, "most rows are successes with a logged token count")
        let outOfOrder = Array(zip(keys, keys.dropFirst())).firstIndex { a, b in
            a.0 != b.0 ? a.0 > b.0 : !Array(a.1.utf8).lexicographicallyPrecedes(Array(b.1.utf8))
        }
        #expect(outOfOrder == nil, "rows are not ordered by timestamp, then request id (row \(outOfOrder ?? -1))")
        // The texts exercise the quoting: quotes, commas and line breaks inside fields.
        #expect(body.contains { $0[1].contains("\"") })
        #expect(body.contains { $0[1].contains(",") })
        #expect(body.contains { $0[1].contains("\n") })
        #expect(!body.contains { $0[1].contains("\r") })
    }

    @Test("labels are byte-identical whatever the thread count, and turning them on leaves every log byte unchanged")
    func deterministicAndLogsUnchanged() throws {
        let a = try Run("a", records: 3000, seed: 5, corruptRate: 0.01, threads: 3)
        let b = try Run("b", records: 3000, seed: 5, corruptRate: 0.01, threads: 1)
        let plain = try Run("plain", records: 3000, seed: 5, corruptRate: 0.01, labels: false, threads: 2)
        #expect(FileManager.default.contentsEqual(atPath: a.labels, andPath: b.labels))
        #expect(!FileManager.default.fileExists(atPath: plain.labels))
        #expect(plain.summary.labelledPrompts == nil && plain.summary.labelsPath == nil)

        func hashes(_ root: String) throws -> String {
            let result = try shell("find . -type f ! -name synth-summary.json -exec sha256sum {} + | sort -k2", in: root)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout
        }
        let withLabels = try hashes(a.out), withoutLabels = try hashes(plain.out), oneThread = try hashes(b.out)
        #expect(withLabels.split(separator: "\n").count > 50)
        let differing = zip(withLabels.split(separator: "\n"), withoutLabels.split(separator: "\n")).filter { $0 != $1 }.count
        let sameLogs = withLabels == withoutLabels
        #expect(sameLogs, "log files differ between runs with and without --labels (\(differing) hash lines differ)")
        let sameAcrossThreads = withLabels == oneThread
        #expect(sameAcrossThreads, "log files differ between thread counts")
        var stripped = a.summary
        stripped.labelledPrompts = nil
        stripped.labelsPath = nil
        let sameSummary = stripped == plain.summary
        #expect(sameSummary, "the summaries differ beyond the labels fields")
        // The summary file gains the two fields only.
        let summaryJSON = try String(contentsOfFile: a.out + "/synth-summary.json", encoding: .utf8)
        #expect(summaryJSON.contains("\"labelledPrompts\" : \(a.summary.labelledPrompts ?? -1)"))
        #expect(!(try String(contentsOfFile: plain.out + "/synth-summary.json", encoding: .utf8)).contains("labelledPrompts"))
        // Damaged corpus: corrupt lines, the duplicate and the lines lost to the cut file get no row.
        let rows = try Self.labels(a.labels).rows.dropFirst()
        #expect(rows.count == a.summary.expected.bedrock.routerRequests)
        #expect(Set(rows.map { $0[0] }).count == rows.count)
    }

    @Test("scores: strong better on average, the weak model sometimes wins, the gain is readable from the text and the logged routing")
    func scoresAreRealisticAndLearnable() throws {
        let run = try Run("scores", records: 8000, seed: 42)
        let rows = try Self.labels(run.labels).rows.dropFirst()
        let (logged, _) = try Self.routerRecords(run.out)
        var strong = 0.0, weak = 0.0, weakWins = 0
        var hard: [Double] = [], easy: [Double] = [], routedStrong: [Double] = [], routedCheap: [Double] = []
        for row in rows {
            let s = Double(row[5])!, w = Double(row[6])!
            strong += s; weak += w
            if w > s { weakWins += 1 }
            let gain = s - w
            if Self.hasWord(row[1], "quarter") || Self.hasWord(row[1], "json") { hard.append(gain) } else { easy.append(gain) }
            switch logged[row[0]]?.invokedModel {
            case let model? where model.contains("sonnet"): routedStrong.append(gain)
            case let model? where model.contains("haiku"): routedCheap.append(gain)
            default: break
            }
        }
        let n = Double(rows.count)
        let mean = { (v: [Double]) in v.reduce(0, +) / Double(max(1, v.count)) }
        let gain = (strong - weak) / n
        #expect(gain > 0.10 && gain < 0.22, "strong − weak = \(gain)")
        #expect(strong / n > 0.75 && weak / n > 0.55, "means \(strong / n) / \(weak / n)")
        #expect(Double(weakWins) / n > 0.03, "weak wins on \(weakWins) of \(rows.count)")
        // A text-only rule (the marker words) separates high-gain prompts from the rest.
        #expect(hard.count > 200 && easy.count > 200)
        #expect(mean(hard) > mean(easy) + 0.12, "gain hard \(mean(hard)) vs easy \(mean(easy))")
        // The router sent the prompts with more to gain to the strong model: the logged setting beats random.
        #expect(routedStrong.count > 150 && routedCheap.count > 300)
        #expect(mean(routedStrong) > mean(routedCheap) + 0.05, "gain routed strong \(mean(routedStrong)) vs cheap \(mean(routedCheap))")
    }

    @Test("without bodies every router record still gets a row with generated text")
    func withoutBodies() throws {
        let run = try Run("nobody", records: 2000, seed: 9, withBodies: false)
        let rows = try Self.labels(run.labels).rows.dropFirst()
        let (logged, _) = try Self.routerRecords(run.out)
        #expect(rows.count == run.summary.expected.bedrock.routerRequests && rows.count > 100)
        #expect(Set(rows.map { $0[0] }) == Set(logged.keys))
        #expect(rows.allSatisfy { !$0[1].isEmpty && $0[1].count > 10 })
        #expect(logged.values.allSatisfy { $0.lastUserText == nil })
    }

    @Test("a labels path inside the output folder is refused before anything is written")
    func refusesInsideOutput() throws {
        let directory = try TemporaryDirectory("synth-labels-refuse")
        let out = directory.path("logs")
        try FileManager.default.createDirectory(atPath: directory.path("real"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.path("alias"), withDestinationPath: directory.path("real"))
        let cases: [(out: String, labels: String)] = [
            (out, out + "/pairs.csv"),
            (out, out + "/sub/deeper/pairs.csv"),
            (out, out),
            (out, directory.path("elsewhere") + "/../logs/pairs.csv"),
            (directory.path("real"), directory.path("alias") + "/pairs.csv"),
        ]
        for (out, labels) in cases {
            #expect(performing: {
                _ = try Synthesizer.generate(SynthOptions(records: 200, seed: 1, days: 1, outputDirectory: out, labelsPath: labels))
            }, throws: { error in
                guard case SynthError.invalidOption(let message)? = error as? SynthError else { return false }
                return message.contains("inside the output directory")
            })
            #expect(!FileManager.default.fileExists(atPath: labels) || labels == out)
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/AWSLogs"), "refused run wrote logs")
        // Beside the folder is fine, even with a name that starts like it.
        let summary = try Synthesizer.generate(SynthOptions(records: 300, seed: 1, days: 1, outputDirectory: out,
                                                            labelsPath: out + "-pairs.csv"))
        #expect(summary.labelledPrompts == summary.expected.bedrock.routerRequests)
        #expect(FileManager.default.fileExists(atPath: out + "-pairs.csv"))
        // An existing labels file is kept unless overwriting.
        #expect(throws: SynthError.outputExists(out + "-pairs.csv")) {
            _ = try Synthesizer.generate(SynthOptions(records: 300, seed: 1, days: 1, outputDirectory: directory.path("other"),
                                                      labelsPath: out + "-pairs.csv"))
        }
        // Written atomically: no temporary file is left next to it.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
        #expect(!siblings.contains { $0.contains(".tmp-") }, "\(siblings)")
    }

    @Test("routeledger synth --labels FILE writes the file; inside --out it fails with a clear message")
    func commandLine() throws {
        let binary = TestPaths.builtExecutable.path
        guard FileManager.default.isExecutableFile(atPath: binary) else { return }
        let directory = try TemporaryDirectory("synth-labels-cli")
        let ok = try runProcess(binary, ["synth", "--records", "600", "--seed", "3", "--out", directory.path("logs"),
                                         "--labels", directory.path("labels/pairs.csv")])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("labelled"))
        let rows = try Self.labels(directory.path("labels/pairs.csv")).rows
        #expect(rows.first == Self.header && rows.count > 1)
        let summary = try JSONDecoder().decode(SynthSummary.self, from: Data(contentsOf: URL(fileURLWithPath: directory.path("logs/synth-summary.json"))))
        #expect(summary.labelledPrompts == rows.count - 1)

        let refused = try runProcess(binary, ["synth", "--records", "600", "--out", directory.path("logs2"),
                                              "--labels", directory.path("logs2/pairs.csv")])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("inside the output directory"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs2/pairs.csv")))
    }
}

/// A strict RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks; records end in CRLF
/// or LF; anything else (a quote inside an unquoted field, text after a closing quote, an open quote at the end)
/// is an error.
enum StrictCSV {
    struct Malformed: Error, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "malformed CSV at byte \(offset): \(reason)" }
    }

    static func parse(_ bytes: [UInt8]) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var i = 0
        let n = bytes.count
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        func endField() { row.append(String(decoding: field, as: UTF8.self)); field.removeAll(keepingCapacity: true) }
        while i < n {
            if bytes[i] == quote {
                i += 1
                while true {
                    guard i < n else { throw Malformed(offset: i, reason: "unterminated quoted field") }
                    if bytes[i] == quote {
                        if i + 1 < n && bytes[i + 1] == quote { field.append(quote); i += 2; continue }
                        i += 1
                        break
                    }
                    field.append(bytes[i]); i += 1
                }
                guard i == n || bytes[i] == comma || bytes[i] == cr || bytes[i] == lf else {
                    throw Malformed(offset: i, reason: "text after a closing quote")
                }
            } else {
                while i < n && bytes[i] != comma && bytes[i] != cr && bytes[i] != lf {
                    if bytes[i] == quote { throw Malformed(offset: i, reason: "quote inside an unquoted field") }
                    field.append(bytes[i]); i += 1
                }
            }
            endField()
            guard i < n else { break }
            if bytes[i] == comma { i += 1; if i == n { endField() }; continue }
            if bytes[i] == cr {
                guard i + 1 < n, bytes[i + 1] == lf else { throw Malformed(offset: i, reason: "bare CR") }
                i += 1
            }
            i += 1
            rows.append(row)
            row = []
        }
        if !row.isEmpty { rows.append(row) }
        return rows
    }
}
