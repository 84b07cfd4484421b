/// JSON string literals, written the same way by every renderer (reports, query results, notifications).
public enum JSONText {
    /// Appends `text` as a quoted JSON string. Control characters and U+2028/2029 are escaped; with
    /// `escapeLessThan`, `<` becomes `\u003c` so the JSON can sit inside an HTML page.
    public static func append(_ text: String, to out: inout String, escapeLessThan: Bool = false) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "<" where escapeLessThan: out += "\\u003c"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    public static func quoted(_ text: String, escapeLessThan: Bool = false) -> String {
        var out = ""
        append(text, to: &out, escapeLessThan: escapeLessThan)
        return out
    }
}
