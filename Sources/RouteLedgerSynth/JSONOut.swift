/// A streaming JSON writer into a byte buffer: no intermediate values, no per-field `String`s.
///
/// Three layouts, matching the producers being imitated:
/// - `.compact`: `{"a":1,"b":2}` (Bedrock / Java services),
/// - `.python`: `{"a": 1, "b": 2}` (Python `json.dumps` defaults, LiteLLM),
/// - `.pretty`: Python `json.dumps(indent=4)`.
struct JSONOut {
    enum Layout { case compact, python, pretty }

    struct Escaping {
        /// Write `'` as `\u0027` (seen in Bedrock deliveries).
        var apostrophe: Bool
        /// Write every non-ASCII character as `\uXXXX` (Python `ensure_ascii=True`).
        var asciiOnly: Bool

        static let bedrock = Escaping(apostrophe: false, asciiOnly: false)
        static let bedrockHTMLSafe = Escaping(apostrophe: true, asciiOnly: false)
        static let python = Escaping(apostrophe: false, asciiOnly: true)
    }

    var bytes: [UInt8]
    let layout: Layout
    let escaping: Escaping
    /// One entry per open container: bit 0 = array, bit 1 = has elements.
    private var stack: [UInt8] = []

    init(layout: Layout, escaping: Escaping, capacity: Int = 4096) {
        self.layout = layout
        self.escaping = escaping
        bytes = []
        bytes.reserveCapacity(capacity)
        stack.reserveCapacity(16)
    }

    /// Continue writing after `bytes` already holding other content (e.g. earlier NDJSON lines).
    init(layout: Layout, escaping: Escaping, appendingTo existing: [UInt8]) {
        self.layout = layout
        self.escaping = escaping
        bytes = existing
    }

    // MARK: structure

    @inline(__always)
    private mutating func element() {
        guard let top = stack.last else { return }
        if top & 2 != 0 {
            switch layout {
            case .compact, .pretty: bytes.append(UInt8(ascii: ","))
            case .python: bytes.append(UInt8(ascii: ",")); bytes.append(UInt8(ascii: " "))
            }
        }
        stack[stack.count - 1] = top | 2
        if layout == .pretty { newline(depth: stack.count) }
    }

    @inline(__always)
    private mutating func newline(depth: Int) {
        bytes.append(UInt8(ascii: "\n"))
        for _ in 0..<(depth * 4) { bytes.append(UInt8(ascii: " ")) }
    }

    /// Separator before a value: only arrays need one (objects got theirs from `key`).
    @inline(__always)
    private mutating func value() {
        if let top = stack.last, top & 1 != 0 { element() }
    }

    mutating func beginObject() { value(); bytes.append(UInt8(ascii: "{")); stack.append(0) }
    mutating func beginArray() { value(); bytes.append(UInt8(ascii: "[")); stack.append(1) }

    mutating func endObject() { close(UInt8(ascii: "}")) }
    mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func close(_ bracket: UInt8) {
        let top = stack.removeLast()
        if layout == .pretty, top & 2 != 0 { newline(depth: stack.count) }
        bytes.append(bracket)
    }

    /// Writes an object key (a literal that needs no escaping) and the colon.
    @inline(__always)
    mutating func key(_ name: StaticString) {
        element()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(name)
        bytes.append(UInt8(ascii: "\""))
        colon()
    }

    /// Writes an object key that may need escaping.
    mutating func key(bytes name: [UInt8]) {
        element()
        appendQuoted(name)
        colon()
    }

    @inline(__always)
    private mutating func colon() {
        bytes.append(UInt8(ascii: ":"))
        if layout != .compact { bytes.append(UInt8(ascii: " ")) }
    }

    // MARK: values

    mutating func string(_ literal: StaticString) {
        value()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(literal)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func string(_ text: String) {
        value()
        appendQuoted(Array(text.utf8))
    }

    mutating func string(bytes text: [UInt8]) {
        value()
        appendQuoted(text)
    }

    /// A string whose content is already escaped for this writer (generated text).
    mutating func string(escaped text: [UInt8]) {
        value()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: text)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A string whose content is already escaped, given as a slice.
    mutating func string(escaped text: ArraySlice<UInt8>) {
        value()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: text)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Starts a string value whose content the caller appends to `bytes` (already escaped); then `closeString()`.
    mutating func openString() {
        value()
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func closeString() { bytes.append(UInt8(ascii: "\"")) }

    mutating func int(_ v: Int) { value(); bytes.appendInt(v) }

    /// Python / Swift shortest round-trip representation (`0.0`, `1.5e-05`, `1793529646.847371`).
    mutating func double(_ v: Double) {
        value()
        var text = v.description
        // Both Swift and Python print the shortest round-trip digits and whole numbers with ".0";
        // only exponent spelling may differ.
        if text.contains("e") { text = pythonExponent(text) }
        bytes.append(contentsOf: text.utf8)
    }

    mutating func bool(_ v: Bool) { value(); bytes.append(v ? "true" : "false") }
    mutating func null() { value(); bytes.append("null") }

    /// A complete JSON value serialized elsewhere.
    mutating func raw(_ json: [UInt8]) { value(); bytes.append(contentsOf: json) }
    mutating func raw(_ json: StaticString) { value(); bytes.append(json) }

    // MARK: escaping

    private mutating func appendQuoted(_ text: [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        JSONOut.appendEscaped(text, escaping: escaping, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// JSON string escaping of UTF-8 `text` (without the quotes).
    static func appendEscaped(_ text: [UInt8], escaping: Escaping, to out: inout [UInt8]) {
        var i = 0
        let n = text.count
        while i < n {
            let b = text[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C && b < 0x80 && !(b == 0x27 && escaping.apostrophe) {
                out.append(b)
                i += 1
                continue
            }
            switch b {
            case 0x22: out.append(UInt8(ascii: "\\")); out.append(0x22); i += 1
            case 0x5C: out.append(UInt8(ascii: "\\")); out.append(0x5C); i += 1
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n")); i += 1
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r")); i += 1
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t")); i += 1
            case 0x27: appendUnicodeEscape(0x27, to: &out); i += 1
            case ..<0x20: appendUnicodeEscape(UInt32(b), to: &out); i += 1
            default:
                // Non-ASCII: a UTF-8 sequence.
                let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                if !escaping.asciiOnly {
                    out.append(contentsOf: text[i..<min(n, i + length)])
                } else {
                    var scalar = UInt32(b) & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F)
                    for k in 1..<length where i + k < n { scalar = scalar << 6 | UInt32(text[i + k] & 0x3F) }
                    if scalar >= 0x10000 {
                        let v = scalar - 0x10000
                        appendUnicodeEscape(0xD800 + (v >> 10), to: &out)
                        appendUnicodeEscape(0xDC00 + (v & 0x3FF), to: &out)
                    } else {
                        appendUnicodeEscape(scalar, to: &out)
                    }
                }
                i += length
            }
        }
    }

    static func appendUnicodeEscape(_ unit: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hexDigits[Int((unit >> UInt32(shift)) & 0xF)])
        }
    }

    /// Swift writes `1e-05`/`1.5e-07` exactly like Python; large exponents differ in sign style only.
    private func pythonExponent(_ text: String) -> String {
        guard let e = text.firstIndex(of: "e") else { return text }
        let mantissa = text[..<e]
        var exponent = text[text.index(after: e)...]
        var sign = "+"
        if exponent.first == "-" { sign = "-"; exponent = exponent.dropFirst() } else if exponent.first == "+" { exponent = exponent.dropFirst() }
        let digits = exponent.count < 2 ? "0" + exponent : String(exponent)
        return "\(mantissa)e\(sign)\(digits)"
    }
}
