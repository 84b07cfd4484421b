import Foundation
import GRDB
import RouteLedgerArchive
import RouteLedgerIngest
import RouteLedgerTestSupport
import Testing
@testable import RouteLedgerStore

/// Hostile input through the ingest runner and a real ledger, for what the CLI cannot reach quickly: the
/// absolute member-size cap (8 GiB by default, no flag) with a small cap. Tests/HOSTILE_INPUTS.md has the map.
@Suite(.serialized) struct HostileStoreTests {
    func rows(_ path: String, _ sql: String) throws -> [String] {
        try Ledger(path: path).queue.read { db in try String.fetchAll(db, sql: sql) }
    }

    /// Outcome: a member that inflates past the absolute cap (whatever its ratio) is cut off at the cap and
    /// rolled back whole (`size-cap` issue; the record before the padding is neither stored nor counted);
    /// the other members are read. Tried: a plain gzip file, a zip member (stored, ratio 1) and a tar member.
    @Test func theAbsoluteSizeCapRollsTheMemberBack() throws {
        let directory = try TemporaryDirectory("hostile-sizecap")
        let records = directory.path("r")
        try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
        try FixtureRecords.write([FixtureRecords.bedrock(id: "BIG1")], to: records + "/big.json")
        try shell("head -c 6000000 /dev/urandom | base64 -w 0 | tr -d '\\n' >> big.json && echo >> big.json", in: records)
        try FixtureRecords.write([FixtureRecords.bedrock(id: "OK1"), FixtureRecords.bedrock(id: "BIG1")], to: records + "/ok.json")
        let made = try shell("""
            set -e
            gzip -1 -c big.json > ../a-big.json.gz
            zip -q -0 ../b-bundle.zip big.json ok.json
            tar cf ../c-bundle.tar big.json ok.json
            """, in: records)
        try #require(made.status == 0, "\(made.stderr)")
        try FileManager.default.removeItem(atPath: records)

        #expect(ExtractionLimits().maxMemberBytes == 8 << 30, "the default absolute cap is 8 GiB")
        let limits = ExtractionLimits(maxExpansionRatio: 1e9, maxMemberBytes: 4_000_000)
        let ledger = directory.path("l.sqlite")
        let summary = try IngestRunner.run(IngestPlan(paths: [directory.url.path], ledgerPath: ledger, limits: limits))
        #expect(summary.reconciles)
        #expect(summary.issues.map { "\(URL(fileURLWithPath: $0.path).lastPathComponent)[\($0.member ?? "")] \($0.reason)" }
                == ["a-big.json.gz[] size-cap", "b-bundle.zip[big.json] size-cap", "c-bundle.tar[big.json] size-cap"])
        #expect(summary.recordsRead == 4, "OK1 and BIG1 of ok.json, twice; nothing of the refused members")
        #expect(summary.stored == 2 && summary.duplicates == 2 && summary.conflicts == 0)
        #expect(try rows(ledger, "SELECT request_id || ' ' || s.member FROM invocations i JOIN sources s ON s.id = i.source_id ORDER BY request_id")
                == ["BIG1 ok.json", "OK1 ok.json"])
        #expect(try rows(ledger, "SELECT count(*) FROM sources WHERE member = 'big.json'") == ["0"], "the refused members leave no row")
        #expect(try rows(ledger, "SELECT count(*) FROM source_issues WHERE kind = 'size-cap'") == ["3"])
        #expect(try rows(ledger, "SELECT count(*) FROM rejects") == ["0"])
    }
}
