import Foundation
import Testing
@testable import RouteLedgerModel

@Suite struct PriceCatalogTests {
    static func micros(_ iso: String) -> Int64 { TimeExpression.parseISO(iso)! }

    /// The models the issue names, each with an input and output price on 2026-11-01 in us-east-1.
    @Test(arguments: [
        "anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0",
        "amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0",
        "meta.llama3-1-8b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0", "meta.llama3-2-11b-instruct-v1:0",
        "meta.llama3-2-90b-instruct-v1:0", "meta.llama3-3-70b-instruct-v1:0",
    ])
    func builtInCatalogPricesTheRequiredModels(_ model: String) throws {
        let catalog = PriceCatalog.builtIn()
        let entry = try #require(catalog.entry(model: model, region: "us-east-1", atMicros: Self.micros("2026-11-01")))
        #expect(entry.prices.input != nil && entry.prices.output != nil)
        #expect(entry.source.hasPrefix("http"))
        #expect(CivilCalendar.parseDay(entry.asOf) != nil)
        #expect(catalog.family(of: model) != nil)
        #expect(catalog.tier(of: model) != nil)
    }

    @Test func builtInCatalogIsWellFormed() {
        let catalog = PriceCatalog.builtIn()
        #expect(catalog.version == "2026-11-22")
        for (family, pair) in catalog.families {
            #expect(catalog.family(of: pair.strong) == family && catalog.tier(of: pair.strong) == .strong, "\(family)")
            #expect(catalog.family(of: pair.cheap) == family && catalog.tier(of: pair.cheap) == .cheap, "\(family)")
        }
        for entry in catalog.entries { #expect(catalog.models[entry.model] != nil, "\(entry.model) has a price but no model entry") }
    }

    static let json = """
        {"schema": "routeledger.prices/1", "version": "t1",
         "models": [{"model": "m", "family": "f", "tier": "strong"}],
         "prices": [
           {"model": "m", "region": "*", "effective_from": "2025-01-01", "input": 1, "output": 2, "cache_read": null, "cache_write": 0},
           {"model": "m", "region": "*", "effective_from": "2025-06-01", "input": 0.5, "output": 1},
           {"model": "m", "region": "eu-west-1", "effective_from": "2025-01-01", "input": 1.2, "output": 2.4}]}
        """

    @Test func priceInForceAtTheRequestTimeAndRegion() throws {
        let catalog = try PriceCatalog.decode(Data(Self.json.utf8), origin: "t.json")
        #expect(catalog.entry(model: "m", region: "us-east-1", atMicros: Self.micros("2024-12-31T23:59:59Z")) == nil)
        #expect(catalog.entry(model: "m", region: "us-east-1", atMicros: Self.micros("2025-01-01"))?.prices.input == 1)
        #expect(catalog.entry(model: "m", region: "us-east-1", atMicros: Self.micros("2025-05-31T23:59:59Z"))?.prices.input == 1)
        #expect(catalog.entry(model: "m", region: "us-east-1", atMicros: Self.micros("2025-06-01"))?.prices.input == 0.5)
        #expect(catalog.entry(model: "m", region: nil, atMicros: Self.micros("2025-07-01"))?.prices.input == 0.5)
        // A Region with its own price uses it; before its first date, the all-Regions price applies.
        #expect(catalog.entry(model: "m", region: "eu-west-1", atMicros: Self.micros("2025-07-01"))?.prices.input == 1.2)
        #expect(catalog.changePoints(model: "m") == [Self.micros("2025-01-01"), Self.micros("2025-06-01")])
    }

    @Test func everyTokenKindIsPricedAndAMissingPriceIsNeverZero() throws {
        let catalog = try PriceCatalog.decode(Data(Self.json.utf8), origin: "t.json")
        let prices = try #require(catalog.entry(model: "m", region: nil, atMicros: Self.micros("2025-02-01"))).prices
        // 1000 in × $1 + 500 out × $2 + 4000 cache writes × $0 (published as free) = 0.002
        #expect(prices.cost(of: TokenCounts(input: 1000, output: 500, cacheRead: 0, cacheWrite: 4000)) == 0.002)
        // Cache reads have no published price: unknown, not free.
        #expect(prices.cost(of: TokenCounts(input: 1000, output: 500, cacheRead: 1, cacheWrite: 0)) == nil)
    }

    @Test func overridesReplaceAndExtend() throws {
        let base = try PriceCatalog.decode(Data(Self.json.utf8), origin: "base")
        let layer = try PriceCatalog.decode(Data("""
            {"schema": "routeledger.prices/1", "version": "t2",
             "models": [{"model": "n", "family": "f", "tier": "cheap"}],
             "families": {"f": {"strong": "m", "cheap": "n"}},
             "prices": [{"model": "m", "region": "*", "effective_from": "2025-06-01", "input": 0.25, "output": 0.5},
                        {"model": "n", "effective_from": "2025-01-01", "input": 0.1, "output": 0.2}]}
            """.utf8), origin: "layer")
        let merged = base.overlaid(with: layer)
        #expect(merged.entry(model: "m", region: nil, atMicros: Self.micros("2025-07-01"))?.prices.input == 0.25)
        #expect(merged.entry(model: "m", region: nil, atMicros: Self.micros("2025-02-01"))?.prices.input == 1)
        #expect(merged.entry(model: "n", region: "ap-south-1", atMicros: Self.micros("2025-02-01"))?.prices.output == 0.2)
        #expect(merged.families["f"] == FamilyCounterparts(strong: "m", cheap: "n"))
        #expect(merged.origins == ["base t1", "layer t2"])
    }

    @Test(arguments: [
        (#"{"schema": "other"}"#, "\"schema\""),
        (#"{"schema": "routeledger.prices/1", "prices": [{"model": "m", "effective_from": "2025-02-30", "input": 1}]}"#, "effective_from"),
        (#"{"schema": "routeledger.prices/1", "prices": [{"model": "m", "effective_from": "2025-02-01", "input": -1}]}"#, "\"input\""),
        (#"{"schema": "routeledger.prices/1", "prices": [{"model": "m", "effective_from": "2025-02-01", "input": true}]}"#, "\"input\""),
        (#"{"schema": "routeledger.prices/1", "prices": [{"model": "m", "effective_from": "2025-02-01"}]}"#, "at least"),
        (#"{"schema": "routeledger.prices/1", "prices": [{"model": "m", "effective_from": "2025-02-01", "input": 1}, {"model": "m", "effective_from": "2025-02-01", "input": 2}]}"#, "second price"),
        (#"{"schema": "routeledger.prices/1", "models": [{"model": "m", "family": "f", "tier": "medium"}]}"#, "tier"),
        ("not json", "not valid JSON"),
    ])
    func badPriceFilesAreRejectedWithTheEntryNamed(_ text: String, _ fragment: String) {
        do {
            _ = try PriceCatalog.decode(Data(text.utf8), origin: "bad.json")
            Issue.record("accepted \(text)")
        } catch let error as PriceCatalogError {
            #expect(error.errorDescription?.hasPrefix("bad.json: ") == true)
            #expect(error.message.contains(fragment), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func loadNamesTheFileThatCannotBeRead() {
        #expect(throws: PriceCatalogError.self) { try PriceCatalog.load(overrides: ["/nonexistent/prices.json"]) }
    }
}

@Suite struct TimeExpressionTests {
    static let now = TimeExpression.parseISO("2026-11-22T07:30:00Z")!

    @Test(arguments: [
        ("2026-11-03", "2026-11-03T00:00:00Z"),
        ("2026-11-03T14:05:09Z", "2026-11-03T14:05:09Z"),
        ("2026-11-03T14:05:09.250Z", "2026-11-03T14:05:09Z"),
        ("2026-11-03T14:05:09+02:00", "2026-11-03T12:05:09Z"),
        ("2026-11-03T14:05-01:30", "2026-11-03T15:35:00Z"),
        ("now", "2026-11-22T07:30:00Z"),
        ("today", "2026-11-22T00:00:00Z"),
        ("yesterday", "2026-11-21T00:00:00Z"),
        ("now-7d", "2026-11-15T07:30:00Z"),
        ("today+1d", "2026-11-23T00:00:00Z"),
        ("now-90m", "2026-11-22T06:00:00Z"),
        ("now-12h", "2026-11-21T19:30:00Z"),
        ("today-2w", "2026-11-08T00:00:00Z"),
    ])
    func parses(_ text: String, _ expected: String) throws {
        let micros = try #require(TimeExpression.parse(text, nowMicros: Self.now))
        #expect(CivilCalendar.formatTimestamp(micros) == expected)
    }

    @Test(arguments: ["", "2026-13-01", "2026-02-30", "2026-11-03T14:05:09", "now-7", "now-7y", "tomorrow", "2026-11-03T25:00Z", "now+-1d"])
    func rejects(_ text: String) {
        #expect(TimeExpression.parse(text, nowMicros: Self.now) == nil)
    }
}

@Suite struct NumberAndDayTextTests {
    @Test(arguments: [(0.25, 6, "0.25"), (3.0, 6, "3"), (-0.0000001, 6, "0"), (1.23456789, 4, "1.2346"),
                      (105.882352941, 6, "105.882353"), (-2.5, 2, "-2.5"), (Double.nan, 6, "NaN")])
    func trimmed(_ value: Double, _ decimals: Int, _ expected: String) {
        #expect(NumberText.trimmed(value, decimals: decimals) == expected)
    }

    @Test func daysAreMidnights() {
        let now = TimeExpression.parseISO("2026-11-22T07:30:00Z")!
        #expect(TimeExpression.day("yesterday", nowMicros: now) == TimeExpression.parseISO("2026-11-21"))
        #expect(TimeExpression.day("2026-11-03", nowMicros: now) == TimeExpression.parseISO("2026-11-03"))
        #expect(TimeExpression.day("now", nowMicros: now) == nil)
        #expect(TimeExpression.day("2026-11-03T01:00:00Z", nowMicros: now) == nil)
        #expect(TimeExpression.day("2026-13-03", nowMicros: now) == nil)
    }
}
