import Foundation
import RouteLedgerConfig
import RouteLedgerModel
import RouteLedgerQuery
import RouteLedgerTestSupport
import Testing

/// Collects a result in memory.
struct Collect: ResultSink {
    var columns: [String] = []
    var rows: [[SQLValue]] = []
    mutating func begin(columns: [String]) throws { self.columns = columns }
    mutating func row(_ values: [SQLValue]) throws { rows.append(values) }
    mutating func end() throws {}
}

/// A small ledger shared by the runner tests: the committed fixtures, ingested once per test.
func fixtureLedger(_ directory: TemporaryDirectory) throws -> String {
    let path = directory.path("q.sqlite")
    let result = try runProcess(TestPaths.builtExecutable.path, [
        "ingest", TestPaths.fixtures.appendingPathComponent("logs").path, "--db", path, "--max-ratio", "100", "--quiet",
    ])
    try #require(result.status == 0, "\(result.stderr)")
    return path
}

@Suite struct QueryFileHeaderTests {
    @Test func parsesTitleDescriptionAndTypedParameters() throws {
        let file = try QueryFile.parse("""
            -- @title Haiku ratio by day
            -- @description Share of successful Claude requests
            -- served by a Haiku model.
            -- @param since: timestamp = now-7d  -- start of the window
            -- @param day: date = yesterday
            -- @param tenant: text
            -- @param limit: integer = 20
            SELECT 1 WHERE :since > 0
            """, path: "/q/haiku.sql")
        #expect(file.name == "haiku")
        #expect(file.title == "Haiku ratio by day")
        #expect(file.description == "Share of successful Claude requests served by a Haiku model.")
        #expect(file.parameters.map(\.name) == ["since", "day", "tenant", "limit"])
        #expect(file.parameters.map(\.type) == [.timestamp, .date, .text, .integer])
        #expect(file.parameters.map(\.defaultText) == ["now-7d", "yesterday", nil, "20"])
        #expect(file.parameters[0].help == "start of the window")
        #expect(file.parameters.map(\.line) == [4, 5, 6, 7])
        let now = TimeExpression.parseISO("2026-11-22T07:30:00Z")!
        #expect(file.parameters[0].value("now-7d", nowMicros: now) == .integer(now - 7 * 86_400_000_000))
        #expect(file.parameters[1].value("yesterday", nowMicros: now) == .text("2026-11-21"))
        #expect(file.parameters[3].value("x", nowMicros: now) == nil)
    }

    @Test(arguments: [
        ("-- @param since timestamp\nSELECT 1", 1, "@param name: type"),
        ("-- @param since: time\nSELECT 1", 1, "unknown type \"time\""),
        ("-- @title t\n-- @parm x: text\nSELECT 1", 2, "unknown header tag @parm"),
        ("-- @param a: text\n-- @param a: integer\nSELECT 1", 2, "declared twice"),
    ])
    func badHeadersNameTheLine(_ text: String, _ line: Int, _ fragment: String) {
        do {
            _ = try QueryFile.parse(text, path: "q.sql")
            Issue.record("accepted \(text)")
        } catch let error as QueryError {
            #expect(error.line == line)
            #expect(error.message.contains(fragment), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }
}

@Suite struct QueryRunnerTests {
    static func run(_ sql: String, _ parameters: [String: BoundValue] = [:], ledger: String, timeout: Double? = nil,
                    routers: [RouterDefinition] = []) throws -> Collect {
        let file = try QueryFile.parse(sql, path: "test.sql")
        let runner = try QueryRunner(ledgerPath: ledger, catalog: PriceCatalog.builtIn(), routers: routers)
        var sink = Collect()
        try runner.run(file, parameters: parameters, timeout: timeout, into: &sink)
        return sink
    }

    static func error(_ sql: String, ledger: String) -> QueryError? {
        do {
            _ = try run(sql, ledger: ledger)
            return nil
        } catch {
            return error as? QueryError
        }
    }

    @Test func writesAttachAndPragmasAreRefusedAndTheLedgerIsUnchanged() throws {
        let directory = try TemporaryDirectory()
        let ledger = try fixtureLedger(directory)
        let before = try Data(contentsOf: URL(fileURLWithPath: ledger))
        let attempts: [(String, String)] = [
            ("DELETE FROM invocations", "DELETE"),
            ("UPDATE invocations SET status = 'failure'", "UPDATE"),
            ("INSERT INTO strings(value) VALUES ('x')", "INSERT"),
            ("DROP TABLE invocations", "schema change"),
            ("CREATE TABLE t(x)", "schema change"),
            ("ATTACH '\(directory.path("other.sqlite"))' AS other", "ATTACH"),
            ("PRAGMA writable_schema = 1", "PRAGMA writable_schema"),
            ("PRAGMA journal_mode = DELETE", "PRAGMA journal_mode"),
            ("VACUUM", "read-only"),
            ("SELECT 1; DELETE FROM invocations", "one statement"),
            ("WITH x AS (SELECT 1) DELETE FROM invocations", "DELETE"),
        ]
        for (sql, fragment) in attempts {
            let error = try #require(Self.error(sql, ledger: ledger), "accepted: \(sql)")
            #expect(error.message.contains(fragment), "\(sql): \(error.message)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: ledger)) == before)
        #expect(!FileManager.default.fileExists(atPath: directory.path("other.sqlite")))
        // A read-only PRAGMA is fine.
        #expect(try Self.run("PRAGMA table_info(invocations)", ledger: ledger).rows.count > 30)
    }

    @Test func parametersAreBoundNeverSpliced() throws {
        let directory = try TemporaryDirectory()
        let ledger = try fixtureLedger(directory)
        let sql = """
            -- @param tenant: text
            SELECT count(*) AS n FROM requests WHERE tenant = :tenant
            """
        let hostile = try Self.run(sql, ["tenant": .text("x' OR '1'='1")], ledger: ledger)
        #expect(hostile.rows == [[.integer(0)]])
        let real = try Self.run(sql, ["tenant": .text("t-acme")], ledger: ledger)
        guard case .integer(let n) = real.rows[0][0] else { Issue.record("not an integer"); return }
        #expect(n > 50)
    }

    @Test func undeclaredOrPositionalParametersAreErrors() throws {
        let directory = try TemporaryDirectory()
        let ledger = try fixtureLedger(directory)
        let undeclared = try #require(Self.error("-- @param a: integer\nSELECT :a, :b", ledger: ledger))
        #expect(undeclared.message.contains(":b") && undeclared.message.contains(":a"))
        let positional = try #require(Self.error("SELECT ?", ledger: ledger))
        #expect(positional.message.contains("positional"))
    }

    @Test func sqlErrorsPointAtTheFileLineAndColumn() throws {
        let directory = try TemporaryDirectory()
        let ledger = try fixtureLedger(directory)
        let syntax = try #require(Self.error("-- @title t\nSELECT model\nFROM requests WHERE;", ledger: ledger))
        #expect(syntax.line == 3 && syntax.column == 20)
        #expect(syntax.errorDescription == "test.sql:3:20: near \";\": syntax error")
        let column = try #require(Self.error("-- @title t\n-- modell is not a column\nSELECT\n  modell FROM requests", ledger: ledger))
        #expect(column.line == 4 && column.column == 3)
        #expect(column.message == "no such column: modell")
        let table = try #require(Self.error("SELECT * FROM requestz", ledger: ledger))
        #expect(table.line == 1 && table.column == 15)
    }

    @Test func timeoutStopsARunawayQuery() throws {
        let directory = try TemporaryDirectory()
        let ledger = try fixtureLedger(directory)
        let start = Date()
        do {
            _ = try Self.run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
                             ledger: ledger, timeout: 0.5)
            Issue.record("an endless query finished")
        } catch let error as QueryError {
            #expect(error.message.contains("--timeout"))
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func functionsAndTheView() throws {
        let directory = try TemporaryDirectory()
        let ledger = try fixtureLedger(directory)
        let catalog = PriceCatalog.builtIn()
        let haiku = "anthropic.claude-3-5-haiku-20241022-v1:0"
        let ts = TimeExpression.parseISO("2026-11-01")!
        let expected = try #require(catalog.entry(model: haiku, region: "us-east-1", atMicros: ts)?.prices
            .cost(of: TokenCounts(input: 1000, output: 200, cacheRead: 50, cacheWrite: 10)))
        let result = try Self.run("""
            SELECT cost_usd('\(haiku)', 'us-east-1', \(ts), 1000, 200, 50, 10),
                   cost_usd('nobody.unknown-model', 'us-east-1', \(ts), 1, 1, 0, 0),
                   model_family('\(haiku)'), model_tier('\(haiku)'), model_tier('nobody.x'),
                   router_fallback_model('r1'), router_fallback_model('r2')
            """, ledger: ledger, routers: [RouterDefinition(id: "r1", strong: "a", cheap: haiku, fallback: haiku)])
        #expect(result.rows == [[.real(expected), .null, .text("anthropic"), .text("cheap"), .null, .text(haiku), .null]])

        // percentile: nearest rank over non-NULL values, p in 0…100.
        let p = try Self.run("""
            SELECT percentile(x, 50), percentile(x, 90), percentile(x, 100), percentile(NULL, 50)
            FROM (SELECT 10 AS x UNION ALL SELECT 20 UNION ALL SELECT 30 UNION ALL SELECT NULL UNION ALL SELECT 40)
            """, ledger: ledger)
        #expect(p.rows == [[.integer(20), .integer(40), .integer(40), .null]])
        #expect(Self.error("SELECT percentile(1, 150)", ledger: ledger)?.message.contains("between 0 and 100") == true)

        // The view counts a LiteLLM call once even when its spend-log row is in the ledger too.
        let counts = try Self.run("""
            SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM invocations),
                   (SELECT count(*) FROM invocations i WHERE source_kind = 'litellm-spend'
                    AND request_id IN (SELECT request_id FROM invocations WHERE source_kind = 'litellm'))
            """, ledger: ledger)
        guard case .integer(let view) = counts.rows[0][0], case .integer(let all) = counts.rows[0][1],
              case .integer(let shadowed) = counts.rows[0][2] else { Issue.record("not integers"); return }
        #expect(shadowed > 0)
        #expect(view == all - shadowed)
    }

    @Test func formats() throws {
        let directory = try TemporaryDirectory()
        let ledger = try fixtureLedger(directory)
        let sql = "SELECT 'a,b' AS name, 1 AS n, 2.5 AS x, NULL AS missing, 'say \"hi\"' AS q UNION ALL SELECT 'c|d', -20, 0.000001, NULL, 'x'"
        let file = try QueryFile.parse(sql, path: "f.sql")
        let runner = try QueryRunner(ledgerPath: ledger, catalog: PriceCatalog.builtIn())
        func render(_ format: ResultFormat) throws -> String {
            let writer = StringWriter()
            var sink = makeSink(format, writer: writer)
            try runner.run(file, parameters: [:], into: &sink)
            return writer.text
        }
        #expect(try render(.csv) == "name,n,x,missing,q\r\n\"a,b\",1,2.5,,\"say \"\"hi\"\"\"\r\nc|d,-20,0.000001,,x\r\n")
        #expect(try render(.table) == """
            name    n         x  missing  q
            ----  ---  --------  -------  --------
            a,b     1       2.5        -  say "hi"
            c|d   -20  0.000001        -  x
            (2 rows)

            """)
        let json = try render(.json)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(parsed.count == 2)
        #expect(parsed[0]["n"] as? Int == 1)
        #expect(parsed[0]["x"] as? Double == 2.5)
        #expect(parsed[0]["missing"] is NSNull)
        #expect(parsed[1]["name"] as? String == "c|d")
        #expect(try render(.md).contains("| c\\|d | -20 | 0.000001 | - | x |"))
    }
}
