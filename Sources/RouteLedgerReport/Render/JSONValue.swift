import RouteLedgerModel

/// A JSON tree written byte-for-byte the same every time: keys sorted, numbers in fixed formats.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A number printed with exactly this many decimals.
    case fixed(Double, decimals: Int)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public static func usd(_ value: Double?) -> JSONValue { value.map { .fixed($0, decimals: 6) } ?? .null }
    public static func ratio(_ value: Double?) -> JSONValue { value.map { .fixed($0, decimals: 6) } ?? .null }
    public static func int(_ value: Int64?) -> JSONValue { value.map { .int($0) } ?? .null }
    public static func uint(_ value: UInt32?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }
    public static func string(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }

    /// Two-space indented text with a trailing newline.
    public func rendered() -> String {
        var out = ""
        write(into: &out, indent: 0)
        out.append("\n")
        return out
    }

    func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out.append("null")
        case .bool(let value): out.append(value ? "true" : "false")
        case .int(let value): out.append(String(value))
        case .fixed(let value, let decimals):
            out.append(value.isFinite ? Formatting.fixed(value, decimals) : "null")
        case .string(let value): JSONValue.escape(value, into: &out)
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            out.append("[\n")
            for (index, item) in items.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                item.write(into: &out, indent: indent + 2)
                out.append(index == items.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: " ", count: indent) + "]")
        case .object(let members):
            if members.isEmpty { out.append("{}"); return }
            out.append("{\n")
            let keys = members.keys.sorted()
            for (index, key) in keys.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                JSONValue.escape(key, into: &out)
                out.append(": ")
                members[key]!.write(into: &out, indent: indent + 2)
                out.append(index == keys.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: " ", count: indent) + "}")
        }
    }

    static func escape(_ text: String, into out: inout String) {
        JSONText.append(text, to: &out, escapeLessThan: true)   // safe to inline in HTML
    }
}
