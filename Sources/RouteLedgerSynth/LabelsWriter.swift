import Foundation

/// The labelled-pairs file (`pairs.csv`) for the synthetic prompt-router traffic: one row per readable
/// Bedrock record whose modelId is a prompt router, both tiers of that router scored on the prompt.
///
/// The labels never touch the log bytes: `prompt_text` is the last user turn read back from the request body the
/// generator wrote (or, where the record carries no body — bodies off, the few records without text delivery,
/// failures — the turn it would have written, drawn from a separate stream), and the scores come from their own
/// seeded stream per record. Turning labels on leaves every log file byte-identical. Rows cover the records an
/// ingest reads (`expected.bedrock.routerRequests`), failures included; corrupt lines, the duplicate line and
/// the lines lost in the cut file get none. `input_tokens_est` is the logged `inputTokenCount` (for failures,
/// which log none, the count the generator drew).
///
/// Label model. The prompt's hidden difficulty is its task kind, which the text reveals by one marker word
/// (whole word, any case; first match in this order wins):
///
/// | kind | marker | P(strong correct) | P(weak correct) |
/// |---|---|---|---|
/// | multi-step reasoning / maths | `quarter` | 0.80 | 0.45 |
/// | code / structured output | `json` | 0.82 | 0.64 |
/// | summarisation | `concise` | 0.88 | 0.84 |
/// | short factual lookup | (none) | 0.93 | 0.93 |
///
/// The logged routing choice is the generator's unchanged draw (about 32% strong, independent of the text, so
/// the log bytes stay as they were); the labels make it informative instead: on prompts the router sent to the
/// strong model the weak model does worse (weak −0.10, strong −0.02), on prompts it sent to the cheap one a
/// little better (weak +0.05, strong +0.01), as if the router saw a difficulty the marker does not show. So the
/// logged setting beats a random split with the same strong share, and a text predictor adds the marker signal.
/// Scores are binary correctness (0 or 1) drawn independently per model, so the weak model sometimes wins.
enum PromptLabels {
    static let textStream: UInt64 = 0x4C41_4245_4C54   // "LABELT"
    static let scoreStream: UInt64 = 0x4C41_4245_4C53  // "LABELS"
    static let header = "prompt_id,prompt_text,input_tokens_est,strong_model,weak_model,strong_score,weak_score"

    enum TaskKind: Int, CaseIterable, Sendable {
        case reasoning, code, summarisation, lookup

        /// Marker words in priority order (`lookup` has none).
        static let markers: [(kind: TaskKind, word: [UInt8])] = [
            (.reasoning, Array("quarter".utf8)), (.code, Array("json".utf8)), (.summarisation, Array("concise".utf8)),
        ]

        /// (P(strong correct), P(weak correct)) before the router adjustment.
        var success: (strong: Double, weak: Double) {
            switch self {
            case .reasoning: return (0.80, 0.45)
            case .code: return (0.82, 0.64)
            case .summarisation: return (0.88, 0.84)
            case .lookup: return (0.93, 0.93)
            }
        }

        /// The kind the (plain UTF-8) prompt text reveals: words are runs of ASCII letters, compared lowercased.
        static func of(_ text: [UInt8]) -> TaskKind {
            var best = lookup.rawValue
            var word: [UInt8] = []
            word.reserveCapacity(16)
            func flush() {
                guard !word.isEmpty else { return }
                for marker in markers where marker.kind.rawValue < best && marker.word == word { best = marker.kind.rawValue }
                word.removeAll(keepingCapacity: true)
            }
            for b in text {
                if b >= 0x41 && b <= 0x5A { word.append(b | 0x20) }
                else if b >= 0x61 && b <= 0x7A { word.append(b) }
                else { flush() }
            }
            flush()
            return TaskKind(rawValue: best)!
        }
    }

    /// Strong and cheap model of a prompt router (`Call.router`: 0 the account's router, 1 the default one).
    static func tiers(router: Int) -> (strong: Int, cheap: Int) {
        Catalog.promptRouterTiers[router]
    }

    /// Scores of one prompt: binary correctness drawn from the kind's probabilities, adjusted by the router's choice.
    static func scores(kind: TaskKind, routedStrong: Bool, rng: inout Rng) -> (strong: Double, weak: Double) {
        var (ps, pw) = kind.success
        if routedStrong { ps -= 0.02; pw -= 0.10 } else { ps += 0.01; pw += 0.05 }
        ps = min(1, max(0, ps))
        pw = min(1, max(0, pw))
        let strong: Double = rng.chance(ps) ? 1 : 0
        let weak: Double = rng.chance(pw) ? 1 : 0
        return (strong, weak)
    }

    // MARK: text

    /// Decodes the content of a JSON string (as the generator escaped it) to plain UTF-8.
    static func unescapeJSON(_ escaped: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(escaped.count)
        var i = escaped.startIndex
        let end = escaped.endIndex
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= end else { return nil }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = escaped[k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        func appendScalar(_ v: UInt32) {
            guard let scalar = Unicode.Scalar(v) else { return }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
        while i < end {
            let b = escaped[i]
            guard b == 0x5C, i + 1 < end else { out.append(b); i += 1; continue }
            let c = escaped[i + 1]
            i += 2
            switch c {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var v = hex4(i) else { out.append(c); continue }
                i += 4
                if v >= 0xD800 && v < 0xDC00, i + 6 <= end, escaped[i] == 0x5C, escaped[i + 1] == UInt8(ascii: "u"),
                   let low = hex4(i + 2), low >= 0xDC00 && low < 0xE000 {
                    v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                appendScalar(v)
            default: out.append(c)   // \" \\ \/
            }
        }
        return out
    }

    // MARK: CSV

    /// One RFC 4180 field: quoted (quotes doubled) when it holds a comma, quote, CR or LF.
    static func appendField(_ field: [UInt8], to out: inout [UInt8]) {
        let needsQuotes = field.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { out.append(contentsOf: field); return }
        out.append(0x22)
        for b in field {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    }

    /// Fixed score format: at most 6 decimals, trailing zeros (and a bare point) trimmed (`1`, `0`, `0.25`).
    static func formatScore(_ v: Double) -> String {
        let micros = Int64((min(1, max(0, v)) * 1_000_000).rounded())
        let whole = micros / 1_000_000
        var fraction = micros % 1_000_000
        guard fraction != 0 else { return String(whole) }
        var digits = 6
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }

    /// A finished row: CSV bytes with the CRLF record terminator, and the keys it is sorted by.
    static func row(requestId: [UInt8], text: [UInt8], inputTokens: Int, router: Int,
                    scores: (strong: Double, weak: Double)) -> [UInt8] {
        let (strong, cheap) = tiers(router: router)
        var line: [UInt8] = []
        line.reserveCapacity(text.count + 200)
        appendField(requestId, to: &line); line.append(0x2C)
        appendField(text, to: &line); line.append(0x2C)
        line.append(contentsOf: String(inputTokens).utf8); line.append(0x2C)
        appendField(Array(Catalog.models[strong].canonical.utf8), to: &line); line.append(0x2C)
        appendField(Array(Catalog.models[cheap].canonical.utf8), to: &line); line.append(0x2C)
        line.append(contentsOf: formatScore(scores.strong).utf8); line.append(0x2C)
        line.append(contentsOf: formatScore(scores.weak).utf8)
        line.append(0x0D); line.append(0x0A)
        return line
    }

    // MARK: file

    /// Refuses a labels path inside (or equal to) the output directory: an ingest of that folder would read it.
    /// Without `overwrite` an existing labels file is refused as well.
    static func checkOutside(labels: String, out: String, overwrite: Bool) throws {
        let labelsParts = resolvedComponents(labels)
        let outParts = resolvedComponents(out)
        if labelsParts.count >= outParts.count && Array(labelsParts.prefix(outParts.count)) == outParts {
            throw SynthError.invalidOption(
                "labels file \(labels) is inside the output directory \(out); write it elsewhere "
                + "(the log folder is what `routeledger ingest` reads)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: labels, isDirectory: &isDirectory), isDirectory.boolValue {
            throw SynthError.invalidOption("labels file \(labels) is a directory")
        }
        if !overwrite && FileManager.default.fileExists(atPath: labels) { throw SynthError.outputExists(labels) }
    }

    /// Absolute path components with symlinks resolved in the part that exists.
    static func resolvedComponents(_ path: String) -> [String] {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var tail: [String] = []
        let fm = FileManager.default
        while !fm.fileExists(atPath: url.path) && url.pathComponents.count > 1 {
            tail.insert(url.lastPathComponent, at: 0)
            url = url.deletingLastPathComponent()
        }
        var base = url.path
        if let real = realpath(base, nil) {
            base = String(cString: real)
            free(real)
        }
        return URL(fileURLWithPath: base).pathComponents + tail
    }

    /// Sorts rows by timestamp then request id and writes the file atomically (temporary file, then rename).
    static func write(_ rows: [LabelRow], to path: String) throws {
        let sorted = rows.sorted { a, b in
            a.millis != b.millis ? a.millis < b.millis : a.requestId.lexicographicallyPrecedes(b.requestId)
        }
        var data = Array(header.utf8)
        data.append(0x0D); data.append(0x0A)
        data.reserveCapacity(sorted.reduce(data.count) { $0 + $1.line.count })
        for row in sorted { data.append(contentsOf: row.line) }

        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SynthError.io("cannot create \(directory.path): \(error)")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        do {
            try Sink.write(data, to: temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard rename(temporary, url.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: temporary)
            throw SynthError.io("cannot rename \(temporary) to \(path): errno \(code)")
        }
    }
}

/// One labels row with its sort keys.
struct LabelRow: Sendable {
    var millis: Int64
    var requestId: [UInt8]
    var line: [UInt8]
}
