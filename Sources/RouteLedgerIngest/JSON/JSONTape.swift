import Foundation

/// A flat, index-linked parse of one JSON value over borrowed bytes.
///
/// The ingest path parses millions of records; building Swift dictionaries per record
/// would dominate the run. The tape stores one small node per token and lets decoders
/// look up the handful of fields they need, decoding strings only on demand.
public struct JSONTape {
    public enum Kind: UInt8 {
        case object, array, string, escapedString, integer, number, bool, null
    }

    public struct Node {
        public var kind: Kind
        /// For strings: the first byte after the opening quote. Otherwise the first byte of the token.
        public var start: Int32
        /// For strings: the closing quote. Otherwise one past the last byte of the token.
        public var end: Int32
        /// Index of the first node after this node's subtree.
        public var next: Int32
    }

    public var nodes: [Node] = []
    /// Bytes the offsets refer to; valid only while the parsed buffer is.
    public var base: UnsafePointer<UInt8>

    public init() {
        base = UnsafePointer(bitPattern: 1)!
        nodes.reserveCapacity(256)
    }

    public subscript(_ index: Int) -> Node { nodes[index] }

    // MARK: Navigation

    /// The value node of `key` in the object at `object`, or nil.
    @inline(__always)
    public func member(_ object: Int, _ key: StaticString) -> Int? {
        guard object >= 0, object < nodes.count, nodes[object].kind == .object else { return nil }
        let keyLength = key.utf8CodeUnitCount
        let keyStart = key.utf8Start
        var index = object + 1
        let stop = Int(nodes[object].next)
        while index < stop {
            let keyNode = nodes[index]
            let valueIndex = index + 1
            if Int(keyNode.end - keyNode.start) == keyLength,
               memcmp(base + Int(keyNode.start), keyStart, keyLength) == 0 {
                return valueIndex
            }
            if keyNode.kind == .escapedString, string(index) == key.description {
                return valueIndex
            }
            index = Int(nodes[valueIndex].next)
        }
        return nil
    }

    /// Follows a path of object keys.
    public func path(_ start: Int, _ keys: StaticString...) -> Int? {
        var current = start
        for key in keys {
            guard let next = member(current, key) else { return nil }
            current = next
        }
        return current
    }

    /// Visits (key node, value node) pairs of an object.
    public func forEachMember(_ object: Int, _ body: (Int, Int) throws -> Void) rethrows {
        guard nodes[object].kind == .object else { return }
        var index = object + 1
        let stop = Int(nodes[object].next)
        while index < stop {
            try body(index, index + 1)
            index = Int(nodes[index + 1].next)
        }
    }

    /// Visits the elements of an array.
    public func forEachElement(_ array: Int, _ body: (Int) throws -> Void) rethrows {
        guard nodes[array].kind == .array else { return }
        var index = array + 1
        let stop = Int(nodes[array].next)
        while index < stop {
            try body(index)
            index = Int(nodes[index].next)
        }
    }

    public func elementCount(_ array: Int) -> Int {
        var count = 0
        forEachElement(array) { _ in count += 1 }
        return count
    }

    public func lastElement(_ array: Int) -> Int? {
        var last: Int?
        forEachElement(array) { last = $0 }
        return last
    }

    // MARK: Values

    public func isNull(_ index: Int) -> Bool { nodes[index].kind == .null }

    /// The raw bytes of a node (strings without quotes; containers including brackets).
    public func rawBytes(_ index: Int) -> UnsafeRawBufferPointer {
        let node = nodes[index]
        return UnsafeRawBufferPointer(start: base + Int(node.start), count: Int(node.end - node.start))
    }

    /// The full JSON text of a node, quotes included for strings.
    public func jsonText(_ index: Int) -> UnsafeRawBufferPointer {
        let node = nodes[index]
        switch node.kind {
        case .string, .escapedString:
            return UnsafeRawBufferPointer(start: base + Int(node.start) - 1, count: Int(node.end - node.start) + 2)
        default:
            return rawBytes(index)
        }
    }

    /// A string node decoded (escapes resolved); nil for non-strings.
    public func string(_ index: Int) -> String? {
        let node = nodes[index]
        switch node.kind {
        case .string:
            return String(decoding: rawBytes(index), as: UTF8.self)
        case .escapedString:
            return JSONTape.unescape(rawBytes(index))
        default:
            return nil
        }
    }

    /// A string value, or the text of a number (some exporters quote numbers, some don't).
    public func text(_ index: Int) -> String? {
        switch nodes[index].kind {
        case .string, .escapedString: return string(index)
        case .integer, .number, .bool: return String(decoding: rawBytes(index), as: UTF8.self)
        default: return nil
        }
    }

    public enum IntegerValue: Equatable {
        case value(Int64)
        case absent
        case invalid
    }

    /// A non-negative integer field. JSON `null` counts as absent; strings holding digits are accepted
    /// (CSV-derived rows); fractions, negatives, overflow and text are invalid.
    public func count(_ index: Int?) -> IntegerValue {
        guard let index else { return .absent }
        let node = nodes[index]
        switch node.kind {
        case .null: return .absent
        case .integer, .string:
            let bytes = rawBytes(index)
            if bytes.isEmpty { return node.kind == .string ? .absent : .invalid }
            var value: Int64 = 0
            for byte in bytes {
                guard byte >= 48, byte <= 57 else { return .invalid }
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(Int64(byte - 48))
                if o1 || o2 { return .invalid }
                value = sum
            }
            return .value(value)
        case .number:
            // `12.0` is an integer written as a float by some exporters; `12.5` is not a count.
            guard let double = self.double(index), double >= 0, double < 9.0e15, double.rounded() == double else {
                return .invalid
            }
            return .value(Int64(double))
        default:
            return .invalid
        }
    }

    public func double(_ index: Int) -> Double? {
        let node = nodes[index]
        switch node.kind {
        case .integer, .number:
            return JSONTape.parseDouble(rawBytes(index))
        case .string:
            let bytes = rawBytes(index)
            return bytes.isEmpty ? nil : JSONTape.parseDouble(bytes)
        default:
            return nil
        }
    }

    public func bool(_ index: Int) -> Bool? {
        let node = nodes[index]
        guard node.kind == .bool else { return nil }
        return base[Int(node.start)] == UInt8(ascii: "t")
    }

    /// True when a string node's bytes equal `literal` (no decoding).
    @inline(__always)
    public func stringEquals(_ index: Int, _ literal: StaticString) -> Bool {
        let node = nodes[index]
        guard node.kind == .string else { return node.kind == .escapedString && string(index) == literal.description }
        let count = literal.utf8CodeUnitCount
        return Int(node.end - node.start) == count && memcmp(base + Int(node.start), literal.utf8Start, count) == 0
    }

    static func parseDouble(_ bytes: UnsafeRawBufferPointer) -> Double? {
        guard bytes.count < 64 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer in
            for (offset, byte) in bytes.enumerated() { buffer[offset] = CChar(bitPattern: byte) }
            buffer[bytes.count] = 0
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &endPointer)
            guard endPointer == buffer.baseAddress! + bytes.count, value.isFinite else { return nil }
            return value
        }
    }

    /// Resolves JSON escapes. Invalid escapes were rejected by the parser; lone surrogates become U+FFFD.
    public static func unescape(_ bytes: UnsafeRawBufferPointer) -> String {
        var output = [UInt8]()
        output.reserveCapacity(bytes.count)
        var index = 0
        let count = bytes.count
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= count else { return nil }
            var value: UInt32 = 0
            for offset in 0..<4 {
                let byte = bytes[at + offset]
                let digit: UInt32
                switch byte {
                case 48...57: digit = UInt32(byte - 48)
                case 65...70: digit = UInt32(byte - 55)
                case 97...102: digit = UInt32(byte - 87)
                default: return nil
                }
                value = value << 4 | digit
            }
            return value
        }
        func appendScalar(_ value: UInt32) {
            let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            output.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
        while index < count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < count else {
                output.append(byte)
                index += 1
                continue
            }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "n"): output.append(10)
            case UInt8(ascii: "t"): output.append(9)
            case UInt8(ascii: "r"): output.append(13)
            case UInt8(ascii: "b"): output.append(8)
            case UInt8(ascii: "f"): output.append(12)
            case UInt8(ascii: "u"):
                guard let unit = hex4(index) else { appendScalar(0xFFFD); continue }
                index += 4
                if unit >= 0xD800, unit < 0xDC00, index + 6 <= count, bytes[index] == UInt8(ascii: "\\"),
                   bytes[index + 1] == UInt8(ascii: "u"), let low = hex4(index + 2), low >= 0xDC00, low < 0xE000 {
                    index += 6
                    appendScalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                } else {
                    appendScalar(unit)
                }
            default: output.append(escape)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
