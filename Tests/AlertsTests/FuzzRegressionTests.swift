import Foundation
import RouteLedgerAlerts
import RouteLedgerConfig
import RouteLedgerTestSupport
import Testing

/// Config inputs that crashed the fuzz-config harness's path (fixtures/fuzz/regressions/config/): ConfigLoader,
/// then AlertRule.rules and NotifierConfig.notifiers, as `routeledger config check` and `alert` run them.
@Suite struct ConfigFuzzRegressionTests {
    static func load(_ name: String) throws -> Configuration {
        try ConfigLoader.load(path: TestPaths.fixtures.appendingPathComponent("fuzz/regressions/config/\(name)").path)
    }

    /// `renotify: 99999999999999999w` overflowed Int64 seconds (a trap); now a located config error.
    @Test func renotifyBeyondInt64IsAConfigError() throws {
        let config = try Self.load("renotify-overflow.yaml")
        let error = try #require(throws: ConfigError.self) { try AlertRule.rules(from: config) }
        #expect(error.location.keyPath == "alerts[0].renotify")
        #expect(error.message.contains("is not a duration"))
    }

    /// Seconds that fit Int64 but not as microseconds (the evaluator's unit) are refused too.
    @Test func renotifyBeyondInt64MicrosecondsIsAConfigError() throws {
        let config = try Self.load("renotify-past-microseconds.yaml")
        let error = try #require(throws: ConfigError.self) { try AlertRule.rules(from: config) }
        #expect(error.location.keyPath == "alerts[0].renotify")
    }

    /// A notifier `timeout:` goes through the same duration parser.
    @Test func notifierTimeoutBeyondInt64IsAConfigError() throws {
        let config = try Self.load("notifier-timeout-overflow.yaml")
        let error = try #require(throws: ConfigError.self) { try NotifierConfig.notifiers(from: config, environment: [:]) }
        #expect(error.location.keyPath == "notifiers[0].timeout")
    }

    @Test func durationsAtTheEdges() {
        #expect(AlertRule.parseDuration("2w") == 1_209_600)
        #expect(AlertRule.parseDuration("9223372036854s") == 9_223_372_036_854)
        #expect(AlertRule.parseDuration("9223372036855s") == nil)
        #expect(AlertRule.parseDuration("15250284452w") == nil)
        #expect(AlertRule.parseDuration("9223372036854775807w") == nil)
        #expect(AlertRule.parseDuration("0s") == nil)
    }
}
