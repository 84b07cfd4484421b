import Foundation
import RouteLedgerSynth
import RouteLedgerTestSupport
import Synchronization
import Testing

/// A generated corpus kept for the whole test run (its folder is removed with the process).
final class Corpus: Sendable {
    let directory: TemporaryDirectory
    let summary: SynthSummary
    var path: String { directory.url.path }

    init(_ label: String, records: Int, seed: UInt64, days: Int = 1, bundle: SynthBundle = .none, corruptRate: Double = 0,
         withBodies: Bool = true, threads: Int = 2) throws {
        directory = try TemporaryDirectory("synth-\(label)")
        summary = try Synthesizer.generate(SynthOptions(
            records: records, seed: seed, days: days, outputDirectory: directory.url.path, bundle: bundle,
            corruptRate: corruptRate, withBodies: withBodies, threads: threads))
    }
}

/// Corpora shared by several tests, generated once and removed when the test process exits
/// (static values are never deinitialized, so their temporary folders need an exit hook).
enum Corpora {
    static let damaged = shared { try Corpus("damaged", records: 2500, seed: 7, days: 2, corruptRate: 0.02) }
    static let clean = shared { try Corpus("clean", records: 1500, seed: 11) }
    static let smallLoose = shared { try Corpus("small", records: 600, seed: 5, corruptRate: 0.02) }

    private static func shared(_ make: () throws -> Corpus) -> Result<Corpus, Error> {
        let result = Result { try make() }
        if case .success(let corpus) = result { removeAtExit(corpus.path) }
        return result
    }
}

private let pathsToRemove = Mutex<[String]>([])
private let exitHook: Void = { atexit { for path in pathsToRemove.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) } } }()

private func removeAtExit(_ path: String) {
    _ = exitHook
    pathsToRemove.withLock { $0.append(path) }
}

// MARK: helpers

func intValue(_ any: Any?) -> Int? {
    switch any {
    case let v as Int: return v
    case let v as Int64: return Int(v)
    case let v as Double: return v == v.rounded() ? Int(v) : nil
    case let v as NSNumber: return v.intValue
    default: return nil
    }
}

func doubleValue(_ any: Any?) -> Double? {
    switch any {
    case let v as Double: return v
    case let v as Int: return Double(v)
    case let v as NSNumber: return v.doubleValue
    default: return nil
    }
}

func intMap(_ any: Any?) -> [String: Int] {
    guard let dict = any as? [String: Any] else { return [:] }
    return dict.compactMapValues { intValue($0) }.filter { $0.value != 0 }
}

func jsonDictionary<T: Encodable>(_ value: T) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as! [String: Any]
}

/// Every regular file under `root`, relative, sorted.
func listFiles(_ root: String) -> [String] {
    let base = URL(fileURLWithPath: root).standardizedFileURL.path
    guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
    var out: [String] = []
    while let rel = walker.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: base + "/" + rel, isDirectory: &isDir), !isDir.boolValue { out.append(rel) }
    }
    return out.sorted()
}

/// Compares the summary's counts for one source kind with the verifier's recount.
func expectCounts(_ section: String, summary: ExpectedCounts, python: [String: Any], ints: [String], maps: [String],
                  sourceLocation: SourceLocation = #_sourceLocation) throws {
    let mine = try jsonDictionary(summary)
    for key in ints {
        #expect(intValue(python[key]) ?? 0 == intValue(mine[key]), "\(section).\(key)", sourceLocation: sourceLocation)
    }
    for key in maps {
        #expect(intMap(python[key]) == intMap(mine[key]), "\(section).\(key)", sourceLocation: sourceLocation)
    }
}

let bedrockInts = ["records", "successes", "failures", "streaming", "withRequestMetadata", "crossRegion", "routerRequests",
                   "routerRequestsServedModelResolvable", "inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens",
                   "successesWithoutBodies", "successesWithLatency", "failuresRetriedLater"]
let bedrockMaps = ["failuresByErrorCode", "routerServedModels", "servedModels", "tenants", "operations", "inferenceRegions",
                   "routerRequestsByRouter"]
let litellmInts = ["records", "successes", "failures", "streaming", "withRequestMetadata", "fallbacks", "inputTokens",
                   "outputTokens", "cacheReadTokens", "cacheWriteTokens", "failuresRetriedLater"]
let litellmMaps = ["failuresByErrorCode", "modelGroups", "teams", "tenants", "servedModels"]

/// Checks a verifier report against a summary, field by field.
func expectReportMatches(_ report: [String: Any], _ s: SynthSummary) throws {
    #expect(report["problems"] as? [String] == [], "verifier problems: \(report["problems"] ?? "")")
    #expect(report["files"] as? [String] == s.files)
    #expect(intValue(report["bytesWritten"]).map(Int64.init) == s.bytesWritten)
    #expect(intMap(report["corruptLines"]) == s.corruptLines.filter { $0.value != 0 })
    #expect(intValue(report["duplicates"]) == s.duplicateRecords)
    #expect(intValue(report["multiMemberFiles"]) == s.multiMemberFiles)
    #expect(intValue(report["delayedRecords"]) == s.delayedRecords)
    #expect(intValue(report["offloadedInputBodies"]) == s.offloadedInputBodies)
    #expect(intValue(report["truncatedCompleteLines"]) == s.truncatedFile?.completeLinesBeforeDamage)
    try expectCounts("bedrock", summary: s.expected.bedrock, python: report["bedrock"] as! [String: Any], ints: bedrockInts, maps: bedrockMaps)
    try expectCounts("litellm", summary: s.expected.litellm, python: report["litellm"] as! [String: Any], ints: litellmInts, maps: litellmMaps)
    try expectCounts("litellmSpend", summary: s.expected.litellmSpend, python: report["litellmSpend"] as! [String: Any],
                     ints: ["records", "successes", "failures", "fallbacks"], maps: [])
    let liteCost = doubleValue((report["litellm"] as! [String: Any])["costUSD"]) ?? -1
    let spendCost = doubleValue((report["litellmSpend"] as! [String: Any])["costUSD"]) ?? -1
    #expect(abs(liteCost - s.expected.litellm.costUSD) < 1e-6)
    #expect(abs(spendCost - s.expected.litellmSpend.costUSD) < 1e-6)
    #expect(intValue(report["csvRows"]) ?? 0 == s.expected.litellmSpend.records)
}

// MARK: tests

@Suite("Synthetic corpus generator")
struct SynthCorpusTests {
    @Test("same seed gives byte-identical files whatever the thread count; another seed differs")
    func determinism() throws {
        let a = try Corpus("det-a", records: 900, seed: 3, corruptRate: 0.02, threads: 2)
        let b = try Corpus("det-b", records: 900, seed: 3, corruptRate: 0.02, threads: 1)
        let c = try Corpus("det-c", records: 900, seed: 4, corruptRate: 0.02, threads: 2)
        let filesA = listFiles(a.path), filesB = listFiles(b.path)
        #expect(filesA == filesB)
        #expect(filesA.count > 50)
        for rel in filesA {
            let same = FileManager.default.contentsEqual(atPath: a.path + "/" + rel, andPath: b.path + "/" + rel)
            #expect(same, "\(rel) differs between two runs with the same seed")
        }
        #expect(a.summary == b.summary)
        let filesC = listFiles(c.path)
        let differs = filesC != filesA || filesA.contains {
            !FileManager.default.contentsEqual(atPath: a.path + "/" + $0, andPath: c.path + "/" + $0)
        }
        #expect(differs, "seed 4 reproduced seed 3")
    }

    @Test("the summary equals an independent recount of a damaged corpus (python zlib/json/csv)")
    func damagedCorpusRecount() throws {
        let corpus = try Corpora.damaged.get()
        let s = corpus.summary
        let report = try CorpusVerifier.run(corpus.path, truncatedFile: s.truncatedFile?.file)
        try expectReportMatches(report, s)

        // Damage is present and accounted for line by line.
        let truncation = try #require(s.truncatedFile)
        #expect(truncation.completeLinesBeforeDamage < truncation.linesBeforeTruncation)
        #expect(s.duplicateRecords == 1)
        #expect(Set(s.corruptLines.keys) == ["truncatedJSON", "notJSON", "notLogRecord", "missingRequestId", "nonIntegerTokenCount"])
        #expect(intValue(report["bedrockLinesReadable"]) == s.bedrockLines - truncation.recordsLost)
        #expect(s.expected.bedrock.records + s.corruptLinesTotal + s.duplicateRecords + truncation.recordsLost == s.bedrockLines)
        #expect(s.totalRecords == s.perFormat.bedrock + s.perFormat.litellm)
        #expect(s.totalRecords + s.corruptLinesTotal + truncation.recordsLost == s.requestedRecords)
    }

    @Test("traffic has the documented mix and every format variant appears")
    func trafficMixAndVariants() throws {
        let corpus = try Corpora.damaged.get()
        let s = corpus.summary
        let report = try CorpusVerifier.run(corpus.path, truncatedFile: s.truncatedFile?.file)
        let features = intMap(report["features"])
        for feature in ["apostropheEscaped", "rawNonASCII", "fractionalTimestamp", "schemaFirst", "streamArray",
                        "converseStreamEvents", "defaultRouter", "routerProfileARN", "routerFoundationARN", "litellmPretty",
                        "litellmStringTimes", "litellmUnicodeEscapes", "dataFiles"] {
            #expect((features[feature] ?? 0) > 0, "no \(feature) in the corpus")
        }
        #expect(features["marker"] == 1)

        let b = s.expected.bedrock
        let haikuShare = Double(intValue(report["routerHaiku"]) ?? 0) / Double(b.routerRequestsServedModelResolvable)
        #expect(haikuShare > 0.58 && haikuShare < 0.78, "router Haiku share \(haikuShare)")
        #expect(b.routerRequests > b.routerRequestsServedModelResolvable, "some router records must be unresolvable")
        let throttled = Double(b.failuresByErrorCode["ThrottlingException"] ?? 0) / Double(b.records)
        #expect(throttled > 0.01 && throttled < 0.05, "throttle share \(throttled)")
        #expect(b.failuresByErrorCode.count >= 3)
        #expect(b.failuresRetriedLater > 0)
        #expect(b.tenants.count == 8)
        let tenantCounts = b.tenants.values.sorted()
        #expect(tenantCounts.last! > 3 * tenantCounts.first!, "tenant skew \(tenantCounts)")
        #expect(b.withRequestMetadata < b.records && b.withRequestMetadata > b.records * 3 / 4)
        #expect(Set(b.accounts.keys).count == 3 && Set(b.regions.keys) == ["us-east-1", "eu-west-1", "ap-northeast-1"])
        #expect(s.multiMemberFiles > 0 && s.delayedRecords > 0 && s.offloadedInputBodies > 0)
        let l = s.expected.litellm
        #expect(l.fallbacks > 0 && l.failures > 0 && l.failuresByErrorCode["429"] != nil)
        let litellmShare = Double(s.perFormat.litellm) / Double(s.requestedRecords)
        #expect(abs(litellmShare - 0.2) < 0.01)
    }

    @Test("a clean corpus counted with gzip -dc, grep -c and wc")
    func cleanCorpusWithShellTools() throws {
        let corpus = try Corpora.clean.get()
        let s = corpus.summary
        #expect(s.corruptLinesTotal == 0 && s.duplicateRecords == 0 && s.truncatedFile == nil)
        let logs = "find AWSLogs -name '*.json.gz' ! -path '*/data/*' -exec gzip -dc {} +"
        func count(_ script: String) throws -> Int {
            let result = try shell(script, in: corpus.path)
            #expect(result.status == 0 || result.status == 1, "\(script): \(result.stderr)")
            return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        let b = s.expected.bedrock
        #expect(try count("\(logs) | wc -l") == s.bedrockLines)
        #expect(s.bedrockLines == b.records)
        #expect(try count("\(logs) | grep -c '\"errorCode\"'") == b.failures)
        #expect(try count("\(logs) | grep -c '\"ThrottlingException\"'") == b.failuresByErrorCode["ThrottlingException"] ?? 0)
        #expect(try count("\(logs) | grep -c 'prompt-router/'") == b.routerRequests)
        #expect(try count("\(logs) | grep -c '\"invokedModelId\"'") == b.routerRequestsServedModelResolvable)
        #expect(try count("\(logs) | grep -c '\"inferenceRegion\"'") == b.crossRegion)
        #expect(try count("\(logs) | grep -c '\"requestMetadata\"'") == b.withRequestMetadata)
        #expect(try count("find litellm -name '*.json' | wc -l") == s.expected.litellm.records)
        #expect(try count("grep -rl '\"status\": \"failure\"' litellm | wc -l") == s.expected.litellm.failures)
        #expect(try count("grep -rlE '\"attempted_fallbacks\": [1-9]' litellm | xargs grep -l '\"status\": \"success\"' | wc -l")
                == s.expected.litellm.fallbacks)
        #expect(try count("wc -l < litellm-spend/spend_logs.jsonl") == s.expected.litellmSpend.records)
        #expect(try count("find . -name '*.json.gz' -exec gzip -t {} + && echo 0") == 0)
        let uncompressed = try count("{ find . -name '*.json.gz' -exec gzip -dc {} + ; find litellm litellm-spend -type f -exec cat {} + ; } | wc -c")
        #expect(Int64(uncompressed) == s.bytesUncompressed)
        let report = try CorpusVerifier.run(corpus.path, truncatedFile: nil)
        try expectReportMatches(report, s)
    }

    @Test("synth-summary.json is the returned summary, pretty with sorted keys")
    func summaryFile() throws {
        let corpus = try Corpora.smallLoose.get()
        let data = try Data(contentsOf: corpus.directory.url.appendingPathComponent("synth-summary.json"))
        #expect(try JSONDecoder().decode(SynthSummary.self, from: data) == corpus.summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        #expect(try encoder.encode(corpus.summary) + Data([0x0A]) == data)
        let check = try shell(#"python3 -c 'import json,sys; d=json.load(open("synth-summary.json")); ks=list(d); sys.exit(0 if ks==sorted(ks) else 1)'"#,
                              in: corpus.path)
        #expect(check.status == 0, "\(check.stderr)")
        // Layout: every path is one of the known S3 / LiteLLM shapes (the verifier reports anything else).
        let pattern = #"^(AWSLogs/\d{12}/BedrockModelInvocationLogs/(amazon-bedrock-logs-permission-check|(us-east-1|eu-west-1|ap-northeast-1)/\d{4}/\d{2}/\d{2}/\d{2}/(\d{8}T\d{6}Z_[0-9a-f]{16}\.json\.gz|data/[0-9a-f-]{36}_input\.json\.gz))|litellm/\d{4}-\d{2}-\d{2}/time-\d{2}-\d{2}-\d{2}-\d{6}_[A-Za-z0-9-]+\.json|litellm-spend/spend_logs\.(jsonl|csv))$"#
        let regex = try NSRegularExpression(pattern: pattern)
        for path in corpus.summary.files {
            let match = regex.firstMatch(in: path, range: NSRange(path.startIndex..., in: path))
            #expect(match != nil, "unexpected layout: \(path)")
        }
        #expect(listFiles(corpus.path) == (corpus.summary.files + ["synth-summary.json"]).sorted())
    }

    @Test("tar bundle: members listed by tar tzf, identical to the loose files, reproducible")
    func tarBundle() throws {
        let loose = try Corpora.smallLoose.get()
        let tar = try Corpus("tar", records: 600, seed: 5, bundle: .tar, corruptRate: 0.02)
        #expect(tar.summary.bundlePath == "bundle.tar.gz")
        #expect(listFiles(tar.path) == ["bundle.tar.gz", "synth-summary.json"])
        let listing = try shell("tar tzf bundle.tar.gz", in: tar.path)
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect(listing.stdout.split(separator: "\n").map(String.init).sorted() == loose.summary.files)
        #expect(tar.summary.files == loose.summary.files)
        #expect(tar.summary.expected == loose.summary.expected)
        let size = try FileManager.default.attributesOfItem(atPath: tar.path + "/bundle.tar.gz")[.size] as? NSNumber
        #expect(size?.int64Value == tar.summary.bytesWritten)

        let extracted = try TemporaryDirectory("synth-untar")
        let untar = try shell("tar xzf '\(tar.path)/bundle.tar.gz' -C '\(extracted.url.path)'")
        #expect(untar.status == 0, "\(untar.stderr)")
        for rel in loose.summary.files {
            #expect(FileManager.default.contentsEqual(atPath: extracted.url.path + "/" + rel, andPath: loose.path + "/" + rel),
                    "\(rel) differs inside the tar")
        }
        let again = try Corpus("tar2", records: 600, seed: 5, bundle: .tar, corruptRate: 0.02, threads: 1)
        #expect(FileManager.default.contentsEqual(atPath: tar.path + "/bundle.tar.gz", andPath: again.path + "/bundle.tar.gz"))
    }

    @Test("zip bundle: members listed by unzip, identical to the loose files")
    func zipBundle() throws {
        let loose = try Corpora.smallLoose.get()
        let zip = try Corpus("zip", records: 600, seed: 5, bundle: .zip, corruptRate: 0.02)
        #expect(zip.summary.bundlePath == "bundle.zip")
        #expect(listFiles(zip.path) == ["bundle.zip", "synth-summary.json"])
        let listing = try shell("unzip -Z1 bundle.zip", in: zip.path)
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect(listing.stdout.split(separator: "\n").map(String.init).sorted() == loose.summary.files)
        let table = try shell("unzip -l bundle.zip | tail -1", in: zip.path)
        #expect(table.stdout.contains("\(loose.summary.files.count) files"))
        let extracted = try TemporaryDirectory("synth-unzip")
        let unzip = try shell("unzip -q '\(zip.path)/bundle.zip' -d '\(extracted.url.path)'")
        #expect(unzip.status == 0, "\(unzip.stderr)")
        for rel in loose.summary.files {
            #expect(FileManager.default.contentsEqual(atPath: extracted.url.path + "/" + rel, andPath: loose.path + "/" + rel),
                    "\(rel) differs inside the zip")
        }
    }

    @Test("spend-log CSV parses with python csv; metadata is a JSON string with the fallback fields")
    func spendLogCSV() throws {
        let corpus = try Corpora.clean.get()
        let script = #"""
        import csv, json, sys
        rows = list(csv.DictReader(open("litellm-spend/spend_logs.csv", newline="", encoding="utf-8")))
        fallbacks = 0
        for row in rows:
            meta = json.loads(row["metadata"])
            assert isinstance(meta["attempted_fallbacks"], int)
            assert meta["original_model_group"] in ("claude-sonnet", "claude-haiku", "nova-pro")
            assert "usage_object" in meta and "user_api_key_alias" in meta and "user_api_key_team_alias" in meta
            assert row["cache_hit"] in ("None", "False", "True")
            if row["status"] == "success" and meta["attempted_fallbacks"] > 0:
                fallbacks += 1
                assert row["model_group"] != meta["original_model_group"]
        print(len(rows), fallbacks)
        """#
        let result = try shell("python3 - <<'PY'\n\(script)\nPY", in: corpus.path)
        #expect(result.status == 0, "\(result.stderr)")
        let numbers = result.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(numbers == [corpus.summary.expected.litellmSpend.records, corpus.summary.expected.litellmSpend.fallbacks])
        #expect(corpus.summary.expected.litellmSpend.records < corpus.summary.expected.litellm.records)
    }

    @Test("without bodies: no router record is resolvable, LiteLLM messages are redacted")
    func withoutBodies() throws {
        let corpus = try Corpus("nobody", records: 800, seed: 9, withBodies: false)
        let s = corpus.summary
        let b = s.expected.bedrock
        #expect(b.routerRequests > 0 && b.routerRequestsServedModelResolvable == 0)
        #expect(b.successesWithoutBodies == b.successes && b.successesWithLatency == 0)
        #expect(s.offloadedInputBodies == 0)
        let redacted = try shell("grep -rl 'redacted by litellm' litellm | wc -l", in: corpus.path)
        #expect(Int(redacted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == s.expected.litellm.records)
        let report = try CorpusVerifier.run(corpus.path, truncatedFile: nil)
        try expectReportMatches(report, s)
    }

    @Test("generated records carry the fields of the real reference records, in the delivered order")
    func shapesMatchReferenceLogs() throws {
        let reference = TestPaths.shared.appendingPathComponent("reference-logs").path
        guard FileManager.default.fileExists(atPath: reference) else { return }
        let corpus = try Corpora.damaged.get()
        let script = #"""
        import glob, gzip, json, os, sys, zlib
        root, ref = sys.argv[1], sys.argv[2]
        cris = json.load(open(os.path.join(ref, "bedrock_cwlogs_invokemodel_cris_inference-us-west-2.json")))
        nova = json.load(open(os.path.join(ref, "bedrock_conversestream_nova-lite_with_cache_fields.json")))
        stream = json.load(open(os.path.join(ref, "bedrock_invokemodelwithresponsestream_claude-v2_streaming_chunks.json")))
        slp = json.load(open(os.path.join(ref, "litellm_standard_logging_payload_success.json")))
        spend = json.load(open(os.path.join(ref, "litellm_spend_logs_row.json")))
        found = {"cris": 0, "nova": 0, "stream": 0, "slp": 0, "spend": 0}
        def lines(path):
            data = open(path, "rb").read(); out = b""
            while data:
                d = zlib.decompressobj(47)
                try: out += d.decompress(data)
                except zlib.error: break
                if not d.eof: break
                data = d.unused_data
            for raw in out.split(b"\n"):
                try: yield json.loads(raw)
                except ValueError: pass
        for path in glob.glob(root + "/AWSLogs/**/*.json.gz", recursive=True):
            if "/data/" in path: continue
            for o in lines(path):
                if not isinstance(o, dict) or "errorCode" in o or "requestId" not in o or list(o)[0] != "timestamp": continue
                inp, out = o.get("input", {}), o.get("output", {})
                if (o["operation"] == "InvokeModel" and o["modelId"].startswith("arn:") and "anthropic" in o["modelId"]
                        and "requestMetadata" not in o and list(inp) == list(cris["input"])):
                    assert list(o) == list(cris), list(o)
                    assert list(out) == list(cris["output"])
                    body = out["outputBodyJson"]
                    assert list(body)[:8] == list(cris["output"]["outputBodyJson"])[:8], list(body)
                    assert list(body["usage"]) == list(cris["output"]["outputBodyJson"]["usage"])
                    found["cris"] += 1
                if (o["operation"] in ("Converse", "ConverseStream") and o["modelId"] == "amazon.nova-lite-v1:0"
                        and "inputBodyJson" in inp and isinstance(out.get("outputBodyJson"), dict)):
                    assert list(inp) == list(nova["input"]), list(inp)
                    assert list(out) == list(nova["output"])
                    assert list(out["outputBodyJson"]) == list(nova["output"]["outputBodyJson"])
                    assert list(inp["inputBodyJson"]["inferenceConfig"]) == list(nova["input"]["inputBodyJson"]["inferenceConfig"])
                    assert set(nova["input"]["inputBodyJson"]) <= set(inp["inputBodyJson"])
                    found["nova"] += 1
                if o["operation"] == "InvokeModelWithResponseStream" and isinstance(out.get("outputBodyJson"), list):
                    last = out["outputBodyJson"][-1]["amazon-bedrock-invocationMetrics"]
                    assert list(last) == list(stream["output"]["outputBodyJson"][-1]["amazon-bedrock-invocationMetrics"])
                    assert list(out) == list(stream["output"])
                    found["stream"] += 1
        for path in glob.glob(root + "/litellm/*/*.json"):
            p = json.load(open(path))
            assert set(slp) <= set(p), set(slp) - set(p)
            assert set(slp["metadata"]) <= set(p["metadata"]), set(slp["metadata"]) - set(p["metadata"])
            if p["status"] == "success":
                assert list(p["error_information"]) == list(slp["error_information"])
            found["slp"] += 1
        for line in open(root + "/litellm-spend/spend_logs.jsonl"):
            row = json.loads(line)
            assert set(spend) <= set(row), set(spend) - set(row)
            assert isinstance(row["metadata"], str) and isinstance(row["cache_hit"], str)
            found["spend"] += 1
        assert all(found.values()), found
        print(json.dumps(found))
        """#
        let result = try shell("python3 - '\(corpus.path)' '\(reference)' <<'PY'\n\(script)\nPY")
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    }

    @Test("bad options and existing output are refused; overwrite replaces")
    func optionChecks() throws {
        let dir = try TemporaryDirectory("synth-options")
        func options(_ change: (inout SynthOptions) -> Void) -> SynthOptions {
            var o = SynthOptions(records: 20, seed: 1, days: 1, outputDirectory: dir.url.path)
            change(&o)
            return o
        }
        #expect(throws: SynthError.self) { try Synthesizer.generate(options { $0.startDay = "2026-13-01" }) }
        #expect(throws: SynthError.self) { try Synthesizer.generate(options { $0.corruptRate = 1.5 }) }
        #expect(throws: SynthError.self) { try Synthesizer.generate(options { $0.days = 0 }) }
        #expect(throws: SynthError.self) { try Synthesizer.generate(options { $0.litellmShare = -0.1 }) }
        let first = try Synthesizer.generate(options { _ in })
        #expect(first.totalRecords == 20)
        #expect(throws: SynthError.self) { try Synthesizer.generate(options { _ in }) }
        let second = try Synthesizer.generate(options { $0.overwrite = true; $0.seed = 2 })
        #expect(listFiles(dir.url.path) == (second.files + ["synth-summary.json"]).sorted())
        let empty = try Synthesizer.generate(options { $0.overwrite = true; $0.records = 0 })
        #expect(empty.totalRecords == 0 && empty.files.count == 1, "only the permission-check marker")
    }
}
