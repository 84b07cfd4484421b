import FuzzSupport
import RouteLedgerAlerts
import RouteLedgerConfig

// fuzz-config: routeledger.yaml as ConfigLoader reads it (Yams, then every section: routers, quotas,
// reports, replay, replay_limits, nightly, alerts and notifiers kept as raw sections), then the alert
// rules (AlertRule.rules: metrics, thresholds, durations) and the notifiers (NotifierConfig: ${VAR}
// expansion against a fixed environment, URL checks), as `routeledger alerts` validates them.

enum ConfigHarness {
    static let environment = ["WEBHOOK_URL": "https://hooks.example.com/services/T000/B000/XXXX", "WEBHOOK_SECRET": "s3cr3t"]

    static func run(_ bytes: [UInt8]) {
        // ConfigLoader.load decodes the file the same way (invalid UTF-8 becomes U+FFFD).
        let text = String(decoding: bytes, as: UTF8.self)
        let configuration: Configuration
        do {
            configuration = try ConfigLoader.parse(text, file: "fuzz.yaml")
        } catch let error as ConfigError {
            _ = error.errorDescription
            return
        } catch {
            fatalError("ConfigLoader.parse threw something other than a ConfigError")
        }
        _ = configuration.warnings.map(\.description)
        do {
            _ = try AlertRule.rules(from: configuration)
        } catch let error as ConfigError {
            _ = error.errorDescription
        } catch {
            fatalError("AlertRule.rules threw something other than a ConfigError")
        }
        do {
            _ = try NotifierConfig.notifiers(from: configuration, environment: environment)
        } catch let error as ConfigError {
            _ = error.errorDescription
        } catch {
            fatalError("NotifierConfig.notifiers threw something other than a ConfigError")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    ConfigHarness.run(fuzzInput(data, size))
    return 0
}

FuzzDriver.main("fuzz-config", fuzzOneInput)
