/// Prompt and completion text from a small word list, written straight into a buffer already JSON-escaped.
///
/// The list mixes plain words with apostrophes (`'` → `\u0027` in some Bedrock files), non-ASCII words
/// (raw UTF-8 for Bedrock, `\uXXXX` for Python-written LiteLLM JSON), quoted phrases and newlines.
struct Vocabulary: Sendable {
    /// Every escaped word, then every capitalized one, back to back; `bounds[i]..<bounds[i+1]` is entry i.
    let flat: [UInt8]
    let bounds: [Int]
    let count: Int
    let quote: [UInt8]
    let newline: [UInt8]

    init(escaping: JSONOut.Escaping) {
        func escape(_ s: String) -> [UInt8] {
            var out: [UInt8] = []
            JSONOut.appendEscaped(Array(s.utf8), escaping: escaping, to: &out)
            return out
        }
        let words = Vocabulary.source.map(escape)
        let capitalized = Vocabulary.source.map { word in
            guard let first = word.unicodeScalars.first, first.isASCII, first.properties.isLowercase else { return escape(word) }
            return escape(word.prefix(1).uppercased() + word.dropFirst())
        }
        var flat: [UInt8] = []
        var bounds = [0]
        for entry in words + capitalized {
            flat.append(contentsOf: entry)
            bounds.append(flat.count)
        }
        self.flat = flat
        self.bounds = bounds
        count = words.count
        quote = escape("\"")
        newline = escape("\n")
    }

    static let bedrock = Vocabulary(escaping: .bedrock)
    static let bedrockHTMLSafe = Vocabulary(escaping: .bedrockHTMLSafe)
    static let python = Vocabulary(escaping: .python)

    /// Common words first: `index()` favours the front of the list, so the non-ASCII tail is rare.
    static let source: [String] = [
        "the", "to", "and", "of", "a", "in", "is", "for", "that", "with", "on", "as", "this", "be", "are", "it",
        "your", "we", "can", "by", "from", "or", "at", "not", "will", "have", "an", "all", "more", "please",
        "customer", "order", "invoice", "account", "request", "policy", "summary", "answer", "question", "data",
        "report", "model", "latency", "tokens", "cost", "budget", "region", "service", "support", "ticket",
        "refund", "shipment", "delivery", "contract", "clause", "review", "draft", "email", "meeting", "notes",
        "quarterly", "revenue", "forecast", "growth", "churn", "retention", "pricing", "discount", "tier", "plan",
        "don't", "it's", "we're", "customer's", "can't", "you'll", "O'Brien", "that's", "isn't", "team's",
        "explain", "describe", "compare", "list", "classify", "extract", "translate", "rewrite", "check", "verify",
        "carefully", "briefly", "clearly", "exactly", "only", "also", "then", "first", "next", "finally",
        "important", "relevant", "accurate", "concise", "formal", "friendly", "technical", "legal", "medical",
        "three", "five", "ten", "sentences", "bullet", "points", "steps", "examples", "items", "fields",
        "product", "catalog", "inventory", "warehouse", "supplier", "vendor", "partner", "employee", "manager",
        "schedule", "deadline", "priority", "status", "update", "issue", "incident", "outage", "alert", "metric",
        "document", "section", "paragraph", "table", "chart", "figure", "appendix", "reference", "source", "link",
        "user", "agent", "assistant", "system", "context", "instruction", "format", "json", "output", "input",
        "because", "however", "therefore", "although", "unless", "while", "before", "after", "during", "since",
        "good", "better", "best", "new", "old", "high", "low", "large", "small", "fast", "slow", "safe", "risky",
        "yesterday", "today", "tomorrow", "week", "month", "quarter", "year", "morning", "evening", "Monday",
        "Berlin", "Paris", "Tokyo", "Seattle", "Dublin", "Sydney", "Singapore", "Toronto", "Mumbai", "Austin",
        // Rare: non-ASCII words (raw UTF-8 in Bedrock bodies, \uXXXX in Python-written JSON).
        "café", "東京", "naïve", "Zürich", "São Paulo", "résumé", "jalapeño", "crème brûlée", "München", "Åsa",
        "🚀", "naïveté", "Ελλάδα", "Kraków", "Québec", "façade", "coöperate", "smörgåsbord", "北京", "서울",
    ]

    @inline(__always)
    func index(_ rng: inout Rng) -> Int {
        // min of two uniforms: a linear skew toward common words.
        min(rng.below(count), rng.below(count))
    }

    @inline(__always)
    func appendWord(_ i: Int, capitalized: Bool, to out: inout [UInt8]) {
        let k = capitalized ? i + count : i
        flat.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[bounds[k]..<bounds[k + 1]])) }
    }

    /// Appends roughly `target` bytes of escaped text (whole sentences, at least one).
    func write(target: Int, rng: inout Rng, into out: inout [UInt8]) {
        let start = out.count
        repeat {
            let length = rng.int(5...16)
            let quoteAt = rng.chance(0.12) ? rng.below(length) : -1
            for w in 0..<length {
                if w > 0 { out.append(UInt8(ascii: " ")) }
                if w == quoteAt { out.append(contentsOf: quote) }
                let i = index(&rng)
                appendWord(i, capitalized: w == 0, to: &out)
                if w == quoteAt { out.append(contentsOf: quote) }
                if w > 1 && w < length - 2 && rng.below(14) == 0 { out.append(UInt8(ascii: ",")) }
            }
            let end = rng.below(20)
            out.append(end == 0 ? UInt8(ascii: "?") : end == 1 ? UInt8(ascii: "!") : UInt8(ascii: "."))
            if out.count - start >= target { break }
            let gap = rng.below(100)
            if gap < 10 {
                out.append(contentsOf: newline)
            } else if gap < 14 {
                out.append(contentsOf: newline); out.append(contentsOf: newline)
                out.append(UInt8(ascii: "-")); out.append(UInt8(ascii: " "))
            } else {
                out.append(UInt8(ascii: " "))
            }
        } while true
    }

    /// Text as a fresh buffer.
    func text(target: Int, rng: inout Rng) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(target + 64)
        write(target: target, rng: &rng, into: &out)
        return out
    }
}

/// Cuts escaped text into stream deltas at spaces (never inside an escape sequence).
func splitIntoChunks(_ text: [UInt8], maxChunks: Int, rng: inout Rng) -> [ArraySlice<UInt8>] {
    let count = max(1, min(maxChunks, text.count / 24 + 1))
    var chunks: [ArraySlice<UInt8>] = []
    chunks.reserveCapacity(count)
    var start = 0
    var k = 1
    while k < count {
        var cut = text.count * k / count + rng.int(-6...6)
        cut = max(start + 1, min(text.count - 1, cut))
        // Move to the next space so a chunk never splits a word or an escape.
        while cut < text.count && text[cut] != UInt8(ascii: " ") { cut += 1 }
        if cut >= text.count { break }
        chunks.append(text[start..<cut])
        start = cut
        k += 1
    }
    chunks.append(text[start..<text.count])
    return chunks
}
