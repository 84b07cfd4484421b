/// Which log family a record came from. Dedupe is per (source kind, request id):
/// a Bedrock request id and a LiteLLM call id can never collide by accident.
public enum SourceKind: String, Sendable, CaseIterable, Codable {
    case bedrock
    case litellm
    case litellmSpend = "litellm-spend"
}

public enum InvocationStatus: String, Sendable, Codable {
    case success
    case failure
}

/// The normalized record: one logged attempt (one Bedrock request id, one LiteLLM call).
///
/// Optional numbers mean "not in the log", never zero: a success without token
/// counts is flagged (`tokensMissing`) instead of being priced as free.
public struct InvocationRecord: Sendable, Equatable {
    public var sourceKind: SourceKind
    public var requestId: String
    /// Microseconds since the Unix epoch, UTC.
    public var timestampMicros: Int64

    public var accountId: String?
    public var principal: String?
    public var region: String?
    public var inferenceRegion: String?
    public var operation: String?

    /// The model id exactly as the caller passed it (id, profile id, ARN, router ARN).
    public var rawModelId: String
    /// Canonical model id of `rawModelId` (nil when it is a router or an unresolved application profile).
    public var canonicalModel: String?
    /// The prompt router that received the call (Bedrock router ARN, or a LiteLLM model group that routes).
    public var routerId: String?
    /// Canonical id of the model that actually served the request; nil when it cannot be known.
    public var servedModel: String?

    public var modelGroup: String?
    public var deployment: String?
    public var provider: String?

    public var inputTokens: Int64?
    public var outputTokens: Int64?
    public var cacheReadTokens: Int64?
    public var cacheWriteTokens: Int64?

    public var latencyMs: Int64?
    public var ttftMs: Int64?

    public var status: InvocationStatus
    public var errorCode: String?
    public var errorClass: String?

    public var tenant: String?
    public var correlationId: String?
    /// LiteLLM `attempted_fallbacks` (0 = primary served); nil when the log does not say.
    public var fallbackAttempt: Int64?
    public var originalModelGroup: String?

    /// Cost as the source logged it (LiteLLM `response_cost` / `spend`); Bedrock logs carry none.
    public var loggedCostUSD: Double?

    public var promptChars: Int64?
    /// Hex SHA-256 of the prompt text (the body as logged), so repeated prompts can be found without storing them.
    public var promptSHA256: String?
    public var promptBody: String?
    public var responseBody: String?

    public var flags: RecordFlags
    /// `normalizedFingerprint` of the record: tells a true duplicate from a conflicting re-use of a request id.
    public var contentHash: Int64

    public init(sourceKind: SourceKind, requestId: String, timestampMicros: Int64, rawModelId: String,
                status: InvocationStatus, contentHash: Int64 = 0) {
        self.sourceKind = sourceKind
        self.requestId = requestId
        self.timestampMicros = timestampMicros
        self.rawModelId = rawModelId
        self.status = status
        self.flags = []
        self.contentHash = contentHash
    }
}

/// Data-quality flags kept with each row.
public struct RecordFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// A success whose log carries no token counts (never priced as zero).
    public static let tokensMissing = RecordFlags(rawValue: 1 << 0)
    /// A prompt-router request whose served model is not in the log (bodies off or offloaded).
    public static let servedModelUnresolved = RecordFlags(rawValue: 1 << 1)
    /// An application-inference-profile ARN with no entry in the profile mapping.
    public static let profileUnresolved = RecordFlags(rawValue: 1 << 2)
    /// The request used a cross-Region inference profile.
    public static let crossRegion = RecordFlags(rawValue: 1 << 3)
    /// The request was a streaming operation.
    public static let streaming = RecordFlags(rawValue: 1 << 4)
    /// Input or output body was offloaded to S3 (`…BodyS3Path`).
    public static let bodyOffloaded = RecordFlags(rawValue: 1 << 5)
    /// Timestamp is before 2020 or more than a day in the future of the ingest.
    public static let timestampSuspect = RecordFlags(rawValue: 1 << 6)
}

extension InvocationRecord {
    /// A 64-bit fingerprint of the normalized content (every field but bodies and the fingerprint itself).
    ///
    /// Two records with one request id are duplicates when their fingerprints match, even when the raw
    /// bytes differ (a spend log exported once as JSON lines and once as CSV, or keys in another order);
    /// otherwise they conflict.
    public var normalizedFingerprint: Int64 {
        // A fixed (unseeded) 64-bit mix, eight bytes at a time: it is stored, so it must never change
        // between processes, which rules out Swift's seeded `Hasher`.
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15
        func mix(_ word: UInt64) {
            hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 29
        }
        func feed(_ text: String?) {
            guard var text else { return mix(0x1E) }
            text.withUTF8 { bytes in
                var index = 0
                while index + 8 <= bytes.count {
                    mix(UnsafeRawBufferPointer(bytes).loadUnaligned(fromByteOffset: index, as: UInt64.self))
                    index += 8
                }
                var tail: UInt64 = 0x1F
                while index < bytes.count {
                    tail = tail << 8 | UInt64(bytes[index])
                    index += 1
                }
                mix(tail)
                mix(UInt64(bytes.count))
            }
        }
        func feed(_ number: Int64?) {
            guard let number else { return mix(0x1E) }
            mix(UInt64(bitPattern: number))
            mix(0x1D)
        }
        feed(sourceKind.rawValue); feed(requestId); feed(timestampMicros)
        feed(accountId); feed(principal); feed(region); feed(inferenceRegion); feed(operation)
        feed(rawModelId); feed(canonicalModel); feed(routerId); feed(servedModel)
        feed(modelGroup); feed(deployment); feed(provider)
        feed(inputTokens); feed(outputTokens); feed(cacheReadTokens); feed(cacheWriteTokens)
        feed(latencyMs); feed(ttftMs); feed(status.rawValue); feed(errorCode); feed(errorClass)
        feed(tenant); feed(correlationId); feed(fallbackAttempt); feed(originalModelGroup)
        feed(loggedCostUSD.map { Int64(bitPattern: $0.bitPattern) }); feed(promptChars); feed(promptSHA256); feed(flags.rawValue)
        return Int64(bitPattern: hash ^ (hash >> 32))
    }
}
