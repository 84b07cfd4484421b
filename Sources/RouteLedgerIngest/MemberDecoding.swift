import RouteLedgerArchive
import RouteLedgerModel

/// A `ByteStream` over bytes already in memory, handed out in small chunks so that record
/// boundaries fall across reads exactly as they do with real files.
public final class MemoryByteStream: ByteStream {
    private let bytes: [UInt8]
    private var offset = 0
    private let chunkSize: Int

    public init(_ bytes: [UInt8], chunkSize: Int = 1 << 16) {
        self.bytes = bytes
        self.chunkSize = max(1, chunkSize)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, chunkSize, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

/// Everything decoded from one member, for tests, fuzzing and small inputs.
public struct DecodedMember {
    public var records: [(record: InvocationRecord, line: Int)] = []
    public var rejections: [Rejection] = []
    public var layout: RecordScanner.Layout = .jsonValues
    public var streamError: Error?
    public var read: Int { records.count + rejections.count }
}

public enum MemberDecoding {
    /// Scans and decodes a whole stream with one decoder.
    public static func decode(_ stream: ByteStream, options: DecodeOptions = .init(),
                              maxRecordBytes: Int = 64 << 20, initialCapacity: Int = 1 << 20) -> DecodedMember {
        var result = DecodedMember()
        var decoder = RecordDecoder(options: options)
        let scanner = RecordScanner(stream: stream, maxRecordBytes: maxRecordBytes, initialCapacity: initialCapacity)
        scanner.scan(onRecord: { tape, line in
            let bytes = tape.jsonText(0)
            decoder.decode(&tape) { outcome in
                switch outcome {
                case .record(let record): result.records.append((record, line))
                case .rejected(let reason, let detail):
                    result.rejections.append(Rejection(line: line, reason: reason, detail: detail,
                                                       snippet: Array(bytes.prefix(RecordScanner.snippetLimit))))
                }
            }
        }, onReject: { result.rejections.append($0) })
        result.layout = scanner.layout
        result.streamError = scanner.streamError
        return result
    }

    public static func decode(_ bytes: [UInt8], options: DecodeOptions = .init(), chunkSize: Int = 1 << 16) -> DecodedMember {
        decode(MemoryByteStream(bytes, chunkSize: chunkSize), options: options, initialCapacity: 4096)
    }
}
