/// Outcome of parsing one JSON value from a buffer that may hold only part of the input.
public enum JSONParseOutcome: Equatable {
    /// A complete value ends at `end` (exclusive); `newlines` counts raw newlines inside it.
    case complete(end: Int, newlines: Int)
    /// The buffer ended inside the value: read more input and try again.
    case incomplete
    /// Not JSON: the first offending byte and why.
    case invalid(offset: Int, reason: String)
}

/// A validating, non-recursive JSON parser that writes a `JSONTape`.
///
/// Strict where it protects the ledger (control characters in strings, bad escapes,
/// trailing commas, nesting depth) and fast where the bytes are bulky (strings are
/// skipped eight bytes at a time).
public enum JSONParser {
    public static let maxDepth = 256

    public static func parse(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int,
                             into tape: inout JSONTape) -> JSONParseOutcome {
        tape.nodes.removeAll(keepingCapacity: true)
        // Offsets in the tape are relative to the value's first byte so Int32 always suffices.
        let origin = base + start
        tape.base = origin
        let limit = end - start
        var position = 0
        var newlines = 0
        var stack: [Int32] = []
        stack.reserveCapacity(16)

        @inline(__always) func skipWhitespace() {
            while position < limit {
                let byte = origin[position]
                if byte == 0x20 || byte == 0x09 || byte == 0x0D { position += 1 }
                else if byte == 0x0A { newlines += 1; position += 1 }
                else { break }
            }
        }

        enum Expect { case value, keyOrClose, key, colon, commaOrClose }
        var expect = Expect.value

        while true {
            skipWhitespace()
            if position >= limit { return .incomplete }
            let byte = origin[position]
            switch expect {
            case .value, .key, .keyOrClose:
                if expect != .value {
                    if byte == UInt8(ascii: "}") && expect == .keyOrClose {
                        // Empty object.
                        closeContainer(&tape, &stack, at: position + 1)
                        position += 1
                        if stack.isEmpty { return .complete(end: start + position, newlines: newlines) }
                        expect = .commaOrClose
                        continue
                    }
                    guard byte == UInt8(ascii: "\"") else {
                        return .invalid(offset: start + position, reason: "expected an object key")
                    }
                }
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard stack.count < maxDepth else {
                        return .invalid(offset: start + position, reason: "nesting deeper than \(maxDepth)")
                    }
                    let kind: JSONTape.Kind = byte == UInt8(ascii: "{") ? .object : .array
                    stack.append(Int32(tape.nodes.count))
                    tape.nodes.append(.init(kind: kind, start: Int32(position), end: 0, next: 0))
                    position += 1
                    if kind == .object {
                        expect = .keyOrClose
                    } else {
                        skipWhitespace()
                        if position >= limit { return .incomplete }
                        if origin[position] == UInt8(ascii: "]") {
                            closeContainer(&tape, &stack, at: position + 1)
                            position += 1
                            if stack.isEmpty { return .complete(end: start + position, newlines: newlines) }
                            expect = .commaOrClose
                        } else {
                            expect = .value
                        }
                    }
                    continue
                case UInt8(ascii: "\""):
                    let isKey = expect != .value
                    let contentStart = position + 1
                    var cursor = contentStart
                    var escaped = false
                    scan: while true {
                        // Eight bytes at a time while none of them is a quote, backslash or control byte.
                        while cursor + 8 <= limit {
                            let word = UnsafeRawPointer(origin + cursor).loadUnaligned(as: UInt64.self)
                            if !mayNeedAttention(word) { cursor += 8 } else { break }
                        }
                        if cursor >= limit { return .incomplete }
                        let current = origin[cursor]
                        if current == UInt8(ascii: "\"") { break scan }
                        if current == UInt8(ascii: "\\") {
                            escaped = true
                            guard cursor + 1 < limit else { return .incomplete }
                            let next = origin[cursor + 1]
                            switch next {
                            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                                 UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                                cursor += 2
                            case UInt8(ascii: "u"):
                                guard cursor + 6 <= limit else { return .incomplete }
                                for offset in 2..<6 where !isHexDigit(origin[cursor + offset]) {
                                    return .invalid(offset: start + cursor, reason: "bad \\u escape")
                                }
                                cursor += 6
                            default:
                                return .invalid(offset: start + cursor, reason: "bad escape in string")
                            }
                            continue
                        }
                        if current < 0x20 {
                            return .invalid(offset: start + cursor, reason: current == 0x0A
                                ? "line ends inside a string" : "control byte inside a string")
                        }
                        cursor += 1
                    }
                    tape.nodes.append(.init(kind: escaped ? .escapedString : .string,
                                            start: Int32(contentStart), end: Int32(cursor),
                                            next: Int32(tape.nodes.count + 1)))
                    position = cursor + 1
                    if isKey {
                        expect = .colon
                        continue
                    }
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    let word: StaticString = byte == UInt8(ascii: "t") ? "true" : byte == UInt8(ascii: "f") ? "false" : "null"
                    let length = word.utf8CodeUnitCount
                    if position + length > limit {
                        // Could still be a prefix of the literal.
                        for offset in 0..<(limit - position) where origin[position + offset] != word.utf8Start[offset] {
                            return .invalid(offset: start + position, reason: "unexpected literal")
                        }
                        return .incomplete
                    }
                    for offset in 0..<length where origin[position + offset] != word.utf8Start[offset] {
                        return .invalid(offset: start + position, reason: "unexpected literal")
                    }
                    tape.nodes.append(.init(kind: byte == UInt8(ascii: "n") ? .null : .bool, start: Int32(position),
                                            end: Int32(position + length), next: Int32(tape.nodes.count + 1)))
                    position += length
                case UInt8(ascii: "-"), 48...57:
                    var cursor = position
                    if origin[cursor] == UInt8(ascii: "-") { cursor += 1 }
                    let digitsStart = cursor
                    while cursor < limit, origin[cursor] >= 48, origin[cursor] <= 57 { cursor += 1 }
                    if cursor == digitsStart {
                        return cursor >= limit ? .incomplete : .invalid(offset: start + cursor, reason: "bad number")
                    }
                    if cursor - digitsStart > 1, origin[digitsStart] == 48 {
                        return .invalid(offset: start + digitsStart, reason: "leading zero in number")
                    }
                    var isInteger = true
                    if cursor < limit, origin[cursor] == UInt8(ascii: ".") {
                        isInteger = false
                        cursor += 1
                        let fractionStart = cursor
                        while cursor < limit, origin[cursor] >= 48, origin[cursor] <= 57 { cursor += 1 }
                        if cursor == fractionStart {
                            return cursor >= limit ? .incomplete : .invalid(offset: start + cursor, reason: "bad number")
                        }
                    }
                    if cursor < limit, origin[cursor] | 0x20 == UInt8(ascii: "e") {
                        isInteger = false
                        cursor += 1
                        if cursor < limit, origin[cursor] == UInt8(ascii: "+") || origin[cursor] == UInt8(ascii: "-") { cursor += 1 }
                        let exponentStart = cursor
                        while cursor < limit, origin[cursor] >= 48, origin[cursor] <= 57 { cursor += 1 }
                        if cursor == exponentStart {
                            return cursor >= limit ? .incomplete : .invalid(offset: start + cursor, reason: "bad number")
                        }
                    }
                    // A number touching the end of the buffer may continue in the next read.
                    if cursor >= limit, !stack.isEmpty { return .incomplete }
                    if origin[position] == UInt8(ascii: "-") { isInteger = false }
                    tape.nodes.append(.init(kind: isInteger ? .integer : .number, start: Int32(position),
                                            end: Int32(cursor), next: Int32(tape.nodes.count + 1)))
                    position = cursor
                default:
                    return .invalid(offset: start + position, reason: "unexpected byte 0x\(String(byte, radix: 16))")
                }
                if stack.isEmpty { return .complete(end: start + position, newlines: newlines) }
                expect = .commaOrClose
            case .colon:
                guard byte == UInt8(ascii: ":") else { return .invalid(offset: start + position, reason: "expected ':'") }
                position += 1
                expect = .value
            case .commaOrClose:
                let top = tape.nodes[Int(stack[stack.count - 1])].kind
                if byte == UInt8(ascii: ",") {
                    position += 1
                    expect = top == .object ? .key : .value
                } else if (byte == UInt8(ascii: "}") && top == .object) || (byte == UInt8(ascii: "]") && top == .array) {
                    closeContainer(&tape, &stack, at: position + 1)
                    position += 1
                    if stack.isEmpty { return .complete(end: start + position, newlines: newlines) }
                } else {
                    return .invalid(offset: start + position, reason: "expected ',' or a closing bracket")
                }
            }
        }
    }

    @inline(__always)
    private static func closeContainer(_ tape: inout JSONTape, _ stack: inout [Int32], at end: Int) {
        let index = Int(stack.removeLast())
        tape.nodes[index].end = Int32(end)
        tape.nodes[index].next = Int32(tape.nodes.count)
    }

    @inline(__always)
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte | 0x20 >= 97 && byte | 0x20 <= 102)
    }

    /// True when any byte of `word` is `"`, `\` or below 0x20 (SWAR test, may not give false negatives).
    @inline(__always)
    private static func mayNeedAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote & highs
        let hasBackslash = (backslash &- ones) & ~backslash & highs
        let hasControl = (word &- ones &* 0x20) & ~word & highs
        return (hasQuote | hasBackslash | hasControl) != 0
    }
}
