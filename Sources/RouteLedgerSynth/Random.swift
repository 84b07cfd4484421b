/// Seeded, platform-independent randomness for the synthetic corpus.
///
/// Everything here uses only IEEE-754 basic operations (no libm `exp`/`log`), so a seed produces the same
/// bytes on every platform, not only on the machine that made the reference corpus.

/// SplitMix64: used to seed xoshiro and to derive independent per-file seeds.
struct SplitMix64 {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed for work unit `index` of kind `stream`; depends only on the three inputs.
    static func derive(_ seed: UInt64, stream: UInt64, index: UInt64) -> UInt64 {
        var mixer = SplitMix64(seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        _ = mixer.next()
        mixer.state ^= index &* 0x8CB9_2BA7_2F3D_8DD7
        return mixer.next()
    }
}

/// xoshiro256**: the generator every record draws from.
struct Rng {
    private var s0, s1, s2, s3: UInt64

    init(seed: UInt64) {
        var sm = SplitMix64(seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<n (n > 0); Lemire's multiply-shift, bias below 2^-32 for our sizes.
    @inline(__always)
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform integer in the closed range.
    @inline(__always)
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Approximately standard normal (Irwin–Hall of 12 uniforms): no transcendental functions.
    mutating func normal() -> Double {
        var sum = 0.0
        for _ in 0..<12 { sum += unit() }
        return sum - 6
    }

    /// Log-normal with the given median and log-space sigma.
    mutating func logNormal(median: Double, sigma: Double) -> Double {
        median * DetMath.exp(sigma * normal())
    }

    /// Index drawn from cumulative weights (last element = total).
    mutating func pick(cumulative: [Double]) -> Int {
        let x = unit() * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > x { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// Lowercase hex digits, `count` of them.
    mutating func hex(_ count: Int, into out: inout [UInt8]) {
        var remaining = count
        while remaining > 0 {
            var bits = next()
            for _ in 0..<min(16, remaining) {
                out.append(hexDigits[Int(bits & 0xF)])
                bits >>= 4
            }
            remaining -= 16
        }
    }

    /// A version-4-looking UUID (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`).
    mutating func uuid(into out: inout [UInt8]) {
        let a = next(), b = next()
        func put(_ v: UInt64, _ shift: Int, _ n: Int, _ out: inout [UInt8]) {
            var s = shift
            for _ in 0..<n { out.append(hexDigits[Int((v >> UInt64(s)) & 0xF)]); s -= 4 }
        }
        put(a, 60, 8, &out); out.append(UInt8(ascii: "-"))
        put(a, 28, 4, &out); out.append(UInt8(ascii: "-"))
        out.append(UInt8(ascii: "4")); put(a, 12, 3, &out); out.append(UInt8(ascii: "-"))
        out.append(hexDigits[8 + Int(b >> 62)]); put(b, 56, 3, &out); out.append(UInt8(ascii: "-"))
        put(b, 44, 12, &out)
    }

    mutating func uuid() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(36)
        uuid(into: &out)
        return out
    }
}

let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Deterministic elementary functions built from IEEE basic operations only.
enum DetMath {
    static let ln2 = 0.693_147_180_559_945_3

    /// e^x for |x| < 700, relative error ~1e-15.
    static func exp(_ x: Double) -> Double {
        if x < -700 { return 0 }
        let k = (x / ln2).rounded()
        let r = x - k * ln2
        // Taylor series of e^r on |r| <= ln2/2, Horner form.
        var p = 1.0
        var i = 17.0
        while i >= 1 {
            p = 1 + p * r / i
            i -= 1
        }
        return scale(p, Int(k))
    }

    /// x * 2^n without libm.
    static func scale(_ x: Double, _ n: Int) -> Double {
        var result = x
        var e = n
        while e > 1000 { result *= 0x1.0p1000; e -= 1000 }
        while e < -1000 { result *= 0x1.0p-1000; e += 1000 }
        return result * Double(sign: .plus, exponent: e, significand: 1)
    }
}
