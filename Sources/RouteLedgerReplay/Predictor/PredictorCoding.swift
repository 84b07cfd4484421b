import Foundation

/// The saved predictor: deterministic JSON (sorted keys), parameters as base64 little-endian Float32.
///
///     {"dense":"<mean…, scale…>","options":{…},"schema":"routeledger.predictor/1",
///      "strong":"<bias, dense…, buckets…>","trainedOn":14037,"weak":"<…>"}
extension QualityPredictor: Codable {
    enum CodingKeys: String, CodingKey {
        case schema, options, trainedOn, dense, strong, weak
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.schema, forKey: .schema)
        try c.encode(options, forKey: .options)
        try c.encode(trainedOn, forKey: .trainedOn)
        try c.encode(Self.base64(denseMean + denseScale), forKey: .dense)
        try c.encode(Self.base64(strongWeights), forKey: .strong)
        try c.encode(Self.base64(weakWeights), forKey: .weak)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let schema = try c.decode(String.self, forKey: .schema)
        guard schema == Self.schema else {
            throw DecodingError.dataCorruptedError(forKey: .schema, in: c,
                debugDescription: "schema \"\(schema)\" is not \(Self.schema)")
        }
        let options = try c.decode(PredictorOptions.self, forKey: .options)
        guard (1...PredictorOptions.maxBuckets).contains(options.buckets) else {
            throw DecodingError.dataCorruptedError(forKey: .options, in: c,
                debugDescription: "buckets \(options.buckets) is outside 1...\(PredictorOptions.maxBuckets)")
        }
        let d = FeatureHasher.denseCount
        let count = Self.parameterCount(options)
        func floats(_ key: CodingKeys, _ expected: Int) throws -> [Float] {
            let text = try c.decode(String.self, forKey: key)
            guard let values = Self.floats(base64: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c,
                    debugDescription: "\(key.rawValue) is not base64 of little-endian Float32 values")
            }
            guard values.count == expected else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c,
                    debugDescription: "\(key.rawValue) holds \(values.count) values, expected \(expected)")
            }
            guard values.allSatisfy(\.isFinite) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c,
                    debugDescription: "\(key.rawValue) holds a non-finite value")
            }
            return values
        }
        let dense = try floats(.dense, 2 * d)
        self.init(options: options, denseMean: Array(dense[0..<d]), denseScale: Array(dense[d...]),
                  strongWeights: try floats(.strong, count), weakWeights: try floats(.weak, count),
                  trainedOn: try c.decode(Int.self, forKey: .trainedOn))
    }

    /// The saved form: the same predictor gives the same bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a saved predictor; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> QualityPredictor {
        do {
            return try JSONDecoder().decode(QualityPredictor.self, from: data)
        } catch let error as DecodingError {
            throw ReplayError(file: file, "not a \(schema) predictor: \(describe(error))")
        } catch {
            throw ReplayError(file: file, "not a \(schema) predictor: \(error.localizedDescription)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            return context.debugDescription
        case .keyNotFound(let key, _):
            return "missing key \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func base64(_ values: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for v in values {
            let bits = v.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }

    static func floats(base64 text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        var values = [Float](repeating: 0, count: data.count / 4)
        data.withUnsafeBytes { raw in
            for i in values.indices {
                var bits: UInt32 = 0
                for k in 0..<4 { bits |= UInt32(raw[4 * i + k]) << (8 * UInt32(k)) }
                values[i] = Float(bitPattern: bits)
            }
        }
        return values
    }
}
