import Foundation

/// Numbers for people and machines alike: at most `decimals` decimals, trailing zeros dropped
/// (`0.250000` → `0.25`, `3.000000` → `3`), never `-0`. Query results, alert tables, notification
/// messages and the Prometheus textfile all print through here.
public enum NumberText {
    public static func trimmed(_ value: Double, decimals: Int = 6) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "Infinity" : "-Infinity") }
        var text = String(format: "%.\(decimals)f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }
}
