import Foundation
import GRDB
import RouteLedgerTestSupport
import Testing

/// `routeledger report` on the committed fixtures: golden files, byte-identical reruns, exit codes.
/// Re-record the golden files with `ROUTELEDGER_RECORD_GOLDEN=1 swift test --filter ReportCommandTests`.
@Suite(.serialized) struct ReportCommandTests {
    static let day = "2026-11-01"
    static var golden: URL { TestPaths.fixtures.appendingPathComponent("golden/report") }

    /// Ingests the fixture logs into a fresh ledger (with `jobs` workers) and writes the report.
    static func report(in directory: TemporaryDirectory, jobs: Int = 1, extra: [String] = []) throws -> (ProcessResult, URL) {
        let ledger = directory.path("ledger-\(jobs).sqlite")
        let ingest = try runProcess(TestPaths.builtExecutable.path, [
            "ingest", TestPaths.fixtures.appendingPathComponent("logs").path, "--db", ledger, "--max-ratio", "100",
            "--quiet", "--jobs", String(jobs),
        ])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let out = directory.url.appendingPathComponent("out-\(jobs)")
        let result = try runProcess(TestPaths.builtExecutable.path, [
            "report", "--db", ledger, "--day", day, "--out", out.path,
            "--config", TestPaths.fixtures.appendingPathComponent("routeledger.yaml").path,
        ] + extra)
        return (result, out.appendingPathComponent(day))
    }

    static func files(under folder: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        var names: [String] = []
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory), !isDirectory.boolValue {
                names.append(name)
            }
        }
        return names.sorted()
    }

    @Test func reportMatchesTheGoldenFiles() throws {
        let directory = try TemporaryDirectory()
        let (result, folder) = try Self.report(in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let produced = Self.files(under: folder)
        #expect(produced.contains("report.md") && produced.contains("report.html") && produced.contains("report.json"))
        #expect(produced.contains("csv/models.csv") && produced.contains("csv/unpriced_models.csv"))
        let target = Self.golden.appendingPathComponent(Self.day)
        if ProcessInfo.processInfo.environment["ROUTELEDGER_RECORD_GOLDEN"] == "1" {
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: folder, to: target)
            return
        }
        #expect(Self.files(under: target) == produced, "golden file set differs; re-record with ROUTELEDGER_RECORD_GOLDEN=1")
        for name in produced {
            let got = try Data(contentsOf: folder.appendingPathComponent(name))
            let want = try? Data(contentsOf: target.appendingPathComponent(name))
            #expect(got == want, "\(name) differs from fixtures/golden/report/\(Self.day)/\(name)")
        }
    }

    @Test func sameLedgerContentGivesByteIdenticalReports() throws {
        let directory = try TemporaryDirectory()
        let (first, a) = try Self.report(in: directory, jobs: 1)
        let (second, b) = try Self.report(in: directory, jobs: 2)
        #expect(first.status == 0 && second.status == 0)
        let names = Self.files(under: a)
        #expect(names == Self.files(under: b))
        for name in names {
            #expect(try Data(contentsOf: a.appendingPathComponent(name)) == Data(contentsOf: b.appendingPathComponent(name)), "\(name)")
        }
    }

    @Test func reportJSONIsTheDocumentedContract() throws {
        let directory = try TemporaryDirectory()
        let (result, folder) = try Self.report(in: directory, extra: ["--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.files(under: folder) == ["report.json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("report.json"))) as? [String: Any])
        #expect(json["schema"] as? String == "routeledger.report/1")
        for key in ["window", "totals", "models", "routers", "haiku_ratio", "fallback", "counterfactual", "regions", "accounts",
                    "tenants", "unpriced_models"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        let window = try #require(json["window"] as? [String: Any])
        #expect(window["since"] as? String == "2026-11-01T00:00:00Z")
        #expect(window["until"] as? String == "2026-11-02T00:00:00Z")
        let totals = try #require(json["totals"] as? [String: Any])
        for key in ["requests", "succeeded", "failed", "failed_by_code", "input_tokens", "output_tokens", "cache_read_tokens",
                    "cache_write_tokens", "cost_usd", "unpriced_requests"] {
            #expect(totals[key] != nil, "totals.\(key)")
        }
        let routers = try #require(json["routers"] as? [[String: Any]])
        let configured = try #require(routers.first { ($0["router"] as? String)?.hasSuffix("x4m1yq0dx0kq") == true })
        #expect(configured["configured"] as? Bool == true)
        #expect(configured["fallback_rate"] is NSNumber)
        // Money carries exactly six decimals in the file.
        let text = try String(contentsOf: folder.appendingPathComponent("report.json"), encoding: .utf8)
        let costLine = try #require(text.split(separator: "\n").first { $0.contains("\"cost_usd\"") })
        #expect(costLine.range(of: #"-?\d+\.\d{6}"#, options: .regularExpression) != nil || costLine.contains("null"))
    }

    @Test func badArgumentsExitTwoBeforeAnyWork() throws {
        let directory = try TemporaryDirectory()
        for arguments in [["--day", "2026-13-01"], ["--day", "2026-11-01", "--since", "today"], ["--since", "today"],
                          ["--since", "2026-11-02", "--until", "2026-11-01"], ["--format", "pdf"]] {
            let result = try runProcess(TestPaths.builtExecutable.path, ["report", "--db", directory.path("none.sqlite"),
                                                                         "--out", directory.path("out")] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("out")))
        let missing = try runProcess(TestPaths.builtExecutable.path, ["report", "--db", directory.path("none.sqlite"), "--day", "2026-11-01",
                                                                       "--out", directory.path("out")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("none.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("none.sqlite")), "a report must never create a ledger")
    }

    @Test func strictFailsOnUnpricedTraffic() throws {
        let directory = try TemporaryDirectory()
        let (plain, _) = try Self.report(in: directory)
        #expect(plain.status == 0)
        let (strict, _) = try Self.report(in: directory, jobs: 2, extra: ["--strict"])
        // The fixtures hold router calls whose served model is not logged: unpriced, so --strict exits 1.
        #expect(strict.status == 1, "\(strict.stdout)")
        #expect(strict.stdout.contains("unpriced"))
    }
}
