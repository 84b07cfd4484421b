import Foundation

/// A prompt turned into model inputs: hashed word n-grams (sparse, sorted bucket indices) and dense length features.
struct PromptFeatures: Sendable {
    var indices: [Int32]
    /// Sublinear term frequency `1 + ln(count)` of each bucket in `indices`.
    var values: [Float]
    /// Raw dense features (not yet standardised), `FeatureHasher.denseCount` of them.
    var dense: [Float]
}

/// Turns prompt text into features, identically in every process and on every platform.
///
/// * Tokens: the UTF-8 bytes are split on ASCII non-alphanumerics (bytes ≥ 0x80 count as letters, so non-Latin words
///   stay whole), ASCII is lower-cased. Digit tokens are kept, and each also emits a shape token (`#num`, plus
///   `#numN` for its digit count) so numbers generalise across values.
/// * Hashed features: unigrams and bigrams of adjacent tokens, FNV-1a 64 (seed-free, unlike Swift's `Hasher`),
///   folded into `buckets` buckets.
/// * Feature values: sublinear term frequency `1 + ln(count)` per bucket. The predictor then weighs each bucket by its
///   inverse document frequency in the training set and scales the hashed part to unit L2 norm (TF-IDF), so long and
///   short prompts weigh alike and the length signal lives in the dense features only.
/// * Dense features: ln(1+characters), ln(1+words), ln(1+input tokens) (estimated as characters/4 when not given),
///   digit share, ln(1+lines), ln(1+answer-option lines such as "A." / "B)" / "(C)"), ln(1+numbers), mean word
///   length, non-ASCII share and code-symbol share. They are standardised with the training set's mean and spread.
struct FeatureHasher: Sendable, Equatable {
    var buckets: Int
    var bigrams: Bool

    static let denseCount = 10

    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    @inline(__always) static func fnv(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* fnvPrime
    }

    static func fnv(_ string: String) -> UInt64 {
        var h = fnvOffset
        for b in string.utf8 { h = fnv(h, b) }
        return h
    }

    /// A bigram's hash from its two token hashes (order matters).
    @inline(__always) static func pair(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a &* 0x9E37_79B9_7F4A_7C15 ^ (b &+ 0x632B_E59B_D9B4_E019)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static let charGrams = ProcessInfo.processInfo.environment["CHARS"] != nil
    static let charWeight = Double(ProcessInfo.processInfo.environment["CHARW"] ?? "1")!
    static let numberHash = fnv("#num")
    static let emptyHash = fnv("#empty")

    @inline(__always) func bucket(_ hash: UInt64) -> Int32 {
        Int32(truncatingIfNeeded: hash % UInt64(buckets))
    }

    func features(text: String, inputTokens: Int?) -> PromptFeatures {
        var hashes: [UInt64] = []
        var dense = [Float](repeating: 0, count: Self.denseCount)
        var native = text
        native.makeContiguousUTF8()  // no-op for native strings; bridged ones get contiguous UTF-8
        return native.utf8.withContiguousStorageIfAvailable { buf in
            extract(buf, inputTokens: inputTokens, hashes: &hashes, dense: &dense)
        }!
    }

    private func extract(_ buf: UnsafeBufferPointer<UInt8>, inputTokens: Int?,
                         hashes: inout [UInt64], dense: inout [Float]) -> PromptFeatures {
        let n = buf.count
        hashes.reserveCapacity(n / 2 + 4)
        var characters = 0, digits = 0, lines = n > 0 ? 1 : 0, words = 0, numbers = 0, options = 0
        var nonASCII = 0, codeSymbols = 0, wordBytes = 0
        var previous: UInt64? = nil
        var charHashes: [UInt64] = []
        var i = 0
        var atLineStart = true
        while i < n {
            let b = buf[i]
            if b & 0xC0 != 0x80 { characters += 1 }
            if b >= 0x80 { nonASCII += 1 }
            if b == 0x0A { lines += 1; atLineStart = true; i += 1; continue }
            if atLineStart {
                // Answer options: "A." "A)" "(A)" at the start of a line (after spaces), followed by a space.
                var j = i
                while j < n, buf[j] == 0x20 || buf[j] == 0x09 { j += 1 }
                var k = j
                if k < n, buf[k] == UInt8(ascii: "(") { k += 1 }
                if k + 2 < n, buf[k] >= UInt8(ascii: "A"), buf[k] <= UInt8(ascii: "H"),
                   buf[k + 1] == UInt8(ascii: ".") || buf[k + 1] == UInt8(ascii: ")"),
                   buf[k + 2] == 0x20 {
                    options += 1
                }
                atLineStart = false
            }
            if Self.isWordByte(b) {
                // One token: lower-cased ASCII alphanumerics and non-ASCII bytes.
                var h = Self.fnvOffset
                var allDigits = true
                let start = i
                while i < n, Self.isWordByte(buf[i]) {
                    var c = buf[i]
                    if c >= 0x41, c <= 0x5A { c |= 0x20 }
                    if c >= 0x30, c <= 0x39 { digits += 1 } else { allDigits = false }
                    if i > start {  // the first byte was counted above
                        if c & 0xC0 != 0x80 { characters += 1 }
                        if c >= 0x80 { nonASCII += 1 }
                    }
                    h = Self.fnv(h, c)
                    i += 1
                }
                let length = i - start
                if Self.charGrams {
                    var word: [UInt8] = [0x20]
                    for q in start..<i { var c = buf[q]; if c >= 0x41, c <= 0x5A { c |= 0x20 }; word.append(c) }
                    word.append(0x20)
                    for L in 3...5 where word.count >= L {
                        for a in 0...(word.count - L) {
                            var g = Self.fnvOffset ^ UInt64(L)
                            for q in a..<(a + L) { g = Self.fnv(g, word[q]) }
                            charHashes.append(g)
                        }
                    }
                }
                words += 1
                wordBytes += length
                hashes.append(h)
                if let previous, bigrams { hashes.append(Self.pair(previous, h)) }
                previous = h
                if allDigits {
                    numbers += 1
                    hashes.append(Self.numberHash)
                    hashes.append(Self.pair(Self.numberHash, UInt64(min(length, 8))))
                }
                continue
            }
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "="),
                 UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ";"), UInt8(ascii: "_"), UInt8(ascii: "\\"),
                 UInt8(ascii: "^"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "$"):
                codeSymbols += 1
            default: break
            }
            i += 1
        }
        if hashes.isEmpty { hashes.append(Self.emptyHash) }

        // Sparse part: bucket and sublinear term frequency (IDF weighting and unit norm are the model's part).
        let signed = ProcessInfo.processInfo.environment["SIGNED"] != nil
        var pairs: [(slot: Int32, sign: Int, weight: Double)] = []
        for h in hashes { pairs.append((bucket(h), signed && (h >> 63) == 1 ? -1 : 1, 1)) }
        for h in charHashes { pairs.append((bucket(h), signed && (h >> 63) == 1 ? -1 : 1, Self.charWeight)) }
        pairs.sort { $0.slot < $1.slot || ($0.slot == $1.slot && $0.weight < $1.weight) }
        var indices: [Int32] = []
        var values: [Float] = []
        var k = 0
        while k < pairs.count {
            var m = k
            var value = 0.0
            while m < pairs.count, pairs[m].slot == pairs[k].slot {
                var e = m
                var sum = 0
                while e < pairs.count, pairs[e].slot == pairs[k].slot, pairs[e].weight == pairs[m].weight { sum += pairs[e].sign; e += 1 }
                if sum != 0 { value += pairs[m].weight * Double(sum.signum()) * (1 + log(Double(abs(sum)))) }
                m = e
            }
            if value != 0 { indices.append(pairs[k].slot); values.append(Float(value)) }
            k = m
        }

        let chars = Double(characters)
        let tokens = Double(inputTokens ?? Int((chars / 4).rounded(.up)))
        dense[0] = Float(log1p(chars))
        dense[1] = Float(log1p(Double(words)))
        dense[2] = Float(log1p(max(0, tokens)))
        dense[3] = Float(Double(digits) / max(1, chars))
        dense[4] = Float(log1p(Double(lines)))
        dense[5] = Float(log1p(Double(options)))
        dense[6] = Float(log1p(Double(numbers)))
        dense[7] = Float(words > 0 ? Double(wordBytes) / Double(words) / 10 : 0)
        dense[8] = Float(Double(nonASCII) / max(1, Double(n)))
        dense[9] = Float(Double(codeSymbols) / max(1, chars))
        return PromptFeatures(indices: indices, values: values, dense: dense)
    }

    @inline(__always) static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b >= 0x80
    }
}
