import Foundation
import RouteLedgerConfig

/// A configured notifier, its stable label (kind#index) and its settings with secrets expanded.
public struct ConfiguredNotifier: Sendable {
    public var label: String
    public var settings: NotifierSettings
}

public enum NotifierConfig {
    static let knownKeys: Set<String> = ["kind", "url", "secret", "timeout", "attempts"]

    /// `${NAME}` references expanded from the environment; a missing variable is an error naming the key.
    /// Values are never echoed: they are secrets (webhook URLs carry tokens).
    public static func expand(_ text: String, environment: [String: String], location: ConfigLocation) throws -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw ConfigError(location: location, message: "unterminated ${ in the value")
            }
            let name = String(rest[open.upperBound..<close])
            guard let value = environment[name], !value.isEmpty else {
                throw ConfigError(location: location, message: "environment variable \(name) is not set")
            }
            out += value
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    public static func notifiers(from configuration: Configuration,
                                 environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [ConfiguredNotifier] {
        try configuration.notifiers.enumerated().map { index, section in
            var location = section.location
            func at(_ key: String) -> ConfigLocation {
                var l = location
                l.keyPath = "notifiers[\(index)].\(key)"
                return l
            }
            location.keyPath = "notifiers[\(index)]"
            guard let kind = NotifierKind(rawValue: section.values["kind"] ?? "") else {
                throw ConfigError(location: at("kind"), message: "kind is webhook or slack")
            }
            guard let rawURL = section.values["url"] else { throw ConfigError(location: at("url"), message: "missing") }
            let url = try expand(rawURL, environment: environment, location: at("url"))
            guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
                throw ConfigError(location: at("url"), message: "not an http(s) URL (value not shown: it may hold a secret)")
            }
            var settings = NotifierSettings(kind: kind, url: url)
            if let secret = section.values["secret"] {
                settings.secret = try expand(secret, environment: environment, location: at("secret"))
            }
            if let timeout = section.values["timeout"] {
                guard let seconds = AlertRule.parseDuration(timeout) ?? Int64(timeout), seconds > 0 else {
                    throw ConfigError(location: at("timeout"), message: "a timeout in seconds (5, 10s)")
                }
                settings.timeoutSeconds = Double(seconds)
            }
            if let attempts = section.values["attempts"] {
                guard let n = Int(attempts), (1...10).contains(n) else {
                    throw ConfigError(location: at("attempts"), message: "attempts is between 1 and 10")
                }
                settings.attempts = n
            }
            return ConfiguredNotifier(label: "\(kind.rawValue)#\(index)", settings: settings)
        }
    }
}
