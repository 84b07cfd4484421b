import Foundation
import GRDB
import RouteLedgerConfig
import RouteLedgerMetrics
import RouteLedgerModel
import RouteLedgerTestSupport
import Testing

/// The engine against a second method: plain SQL GROUP BYs, row by row, over the same ledger.
@Suite struct SQLCrossCheckTests {
    /// Rows a report counts: every row but LiteLLM spend rows whose call also has a logging payload.
    static let counted = """
        SELECT *, COALESCE(served_model, CASE WHEN router IS NULL THEN model END) AS effective
        FROM invocations_v v
        WHERE NOT (source_kind = 'litellm-spend'
                   AND request_id IN (SELECT request_id FROM invocations WHERE source_kind = 'litellm'))
        """

    static func fixtureLedger(_ directory: TemporaryDirectory) throws -> String {
        let path = directory.path("fixtures.sqlite")
        let result = try runProcess(TestPaths.builtExecutable.path, [
            "ingest", TestPaths.fixtures.appendingPathComponent("logs").path, "--db", path, "--max-ratio", "100", "--quiet",
        ])
        try #require(result.status == 0, "\(result.stderr)")
        return path
    }

    @Test func engineAgreesWithPlainSQL() throws {
        let directory = try TemporaryDirectory()
        let ledger = try Self.fixtureLedger(directory)
        let since = TimeExpression.parseISO("2026-11-01")!, until = TimeExpression.parseISO("2026-11-02")!
        let catalog = PriceCatalog.builtIn()
        let frame = try FrameBuilder.load(ledgerPath: ledger, since: since, until: until)
        let metrics = MetricsCalculator(catalog: catalog).compute(Aggregator.aggregate(frame), since: since, until: until)

        let queue = try DatabaseQueue(path: ledger)
        try queue.read { db in
            let window = "ts_us >= \(since) AND ts_us < \(until)"
            let total = try Int64.fetchOne(db, sql: "SELECT count(*) FROM (\(Self.counted)) WHERE \(window)")!
            #expect(metrics.totals.requests == total)
            #expect(total > 250)

            // Per model: requests, failures and tokens.
            let rows = try GRDB.Row.fetchAll(db, sql: """
                SELECT COALESCE(effective, '(unresolved)') AS m, count(*) AS n, sum(status = 'failure') AS failed,
                       COALESCE(sum(input_tokens), 0) AS i, COALESCE(sum(output_tokens), 0) AS o,
                       COALESCE(sum(cache_read_tokens), 0) AS cr, COALESCE(sum(cache_write_tokens), 0) AS cw
                FROM (\(Self.counted)) WHERE \(window) GROUP BY 1
                """)
            #expect(rows.count == metrics.models.count)
            for row in rows {
                let model: String = row["m"]
                let engine = try #require(metrics.models.first { $0.model == model }, "\(model)")
                #expect(engine.requests == row["n"], "\(model)")
                #expect(engine.failed == row["failed"], "\(model)")
                #expect(engine.tokens == TokenCounts(input: row["i"], output: row["o"], cacheRead: row["cr"], cacheWrite: row["cw"]), "\(model)")
            }

            // Failures by error code.
            let codes = try GRDB.Row.fetchAll(db, sql: """
                SELECT COALESCE(error_code, 'unknown') AS c, count(*) AS n FROM (\(Self.counted))
                WHERE \(window) AND status = 'failure' GROUP BY 1
                """)
            #expect(Dictionary(uniqueKeysWithValues: codes.map { ($0["c"] as String, $0["n"] as Int64) })
                    == Dictionary(uniqueKeysWithValues: metrics.totals.failedByCode.map { ($0.code, $0.count) }))

            // Routing distribution: successful resolved requests per router and served model.
            let served = try GRDB.Row.fetchAll(db, sql: """
                SELECT router, served_model, count(*) AS n FROM (\(Self.counted))
                WHERE \(window) AND router IS NOT NULL AND status = 'success' AND served_model IS NOT NULL GROUP BY 1, 2
                """)
            for row in served {
                let router: String = row["router"], model: String = row["served_model"]
                let engine = metrics.routers.first { $0.router == router }?.served.first { $0.model == model }
                #expect(engine?.requests == row["n"], "\(router) → \(model)")
            }

            // Haiku ratio over successful Claude requests.
            let haiku = try GRDB.Row.fetchOne(db, sql: """
                SELECT sum(effective LIKE '%haiku%') AS h, count(*) AS c FROM (\(Self.counted))
                WHERE \(window) AND status = 'success' AND effective LIKE 'anthropic.%'
                """)!
            #expect(metrics.haiku.haikuRequests == haiku["h"])
            #expect(metrics.haiku.claudeRequests == haiku["c"])

            // Cost row by row: the price in force for the row's model and source Region, times each token kind.
            var sqlCost = 0.0
            var unpriced: Int64 = 0
            let priced = try GRDB.Row.fetchAll(db, sql: """
                SELECT effective, region, status, flags, ts_us, COALESCE(input_tokens, 0) AS i, COALESCE(output_tokens, 0) AS o,
                       COALESCE(cache_read_tokens, 0) AS cr, COALESCE(cache_write_tokens, 0) AS cw
                FROM (\(Self.counted)) WHERE \(window)
                """)
            for row in priced {
                let tokens = TokenCounts(input: row["i"], output: row["o"], cacheRead: row["cr"], cacheWrite: row["cw"])
                if (row["status"] as String) == "failure" && tokens.total == 0 { continue }
                guard (row["flags"] as Int64) & 1 == 0, let model: String = row["effective"],
                      let entry = catalog.entry(model: model, region: row["region"], atMicros: row["ts_us"]),
                      let cost = entry.prices.cost(of: tokens) else {
                    unpriced += 1
                    continue
                }
                sqlCost += cost
            }
            #expect(metrics.totals.unpricedRequests == unpriced)
            #expect(abs((metrics.totals.costUSD ?? -1) - sqlCost) < 1e-9, "engine \(metrics.totals.costUSD ?? -1) vs rows \(sqlCost)")
        }
    }

    @Test func spendRowsOfAPayloadAreCountedOnce() throws {
        let directory = try TemporaryDirectory()
        let ledger = try Self.fixtureLedger(directory)
        let frame = try FrameBuilder.load(ledgerPath: ledger, since: 0, until: .max)
        let queue = try DatabaseQueue(path: ledger)
        let (all, shadowed) = try queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM invocations")!,
             try Int.fetchOne(db, sql: """
                SELECT count(*) FROM invocations WHERE source_kind = 'litellm-spend'
                AND request_id IN (SELECT request_id FROM invocations WHERE source_kind = 'litellm')
                """)!)
        }
        #expect(shadowed > 0)
        #expect(frame.scan.shadowedSpendRows == shadowed)
        #expect(frame.count == all - shadowed)
    }
}
