import Foundation

/// Strong or cheap member of a model family: what routers choose between.
public enum ModelTier: String, Sendable, Codable, CaseIterable {
    case strong
    case cheap
}

/// USD per million tokens of each kind. `nil` means "not published for this model", which is never
/// the same as zero: tokens of a kind without a price make the request unpriced.
public struct TokenPrices: Sendable, Equatable {
    public var input: Double?
    public var output: Double?
    public var cacheRead: Double?
    public var cacheWrite: Double?

    public init(input: Double?, output: Double?, cacheRead: Double?, cacheWrite: Double?) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }
}

/// Token sums of one request or of many; money is computed once per sum, not per request.
public struct TokenCounts: Sendable, Equatable {
    public var input: Int64
    public var output: Int64
    public var cacheRead: Int64
    public var cacheWrite: Int64

    public init(input: Int64 = 0, output: Int64 = 0, cacheRead: Int64 = 0, cacheWrite: Int64 = 0) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }

    public var total: Int64 { input + output + cacheRead + cacheWrite }

    public static func += (lhs: inout TokenCounts, rhs: TokenCounts) {
        lhs.input += rhs.input
        lhs.output += rhs.output
        lhs.cacheRead += rhs.cacheRead
        lhs.cacheWrite += rhs.cacheWrite
    }
}

extension TokenPrices {
    /// USD for `tokens`, or nil when some kind has tokens but no published price.
    public func cost(of tokens: TokenCounts) -> Double? {
        // No array of pairs here: this runs once per aggregate cell, millions of times in a large report.
        var micro = 0.0
        if tokens.input != 0 { guard let input else { return nil }; micro += Double(tokens.input) * input }
        if tokens.output != 0 { guard let output else { return nil }; micro += Double(tokens.output) * output }
        if tokens.cacheRead != 0 { guard let cacheRead else { return nil }; micro += Double(tokens.cacheRead) * cacheRead }
        if tokens.cacheWrite != 0 { guard let cacheWrite else { return nil }; micro += Double(tokens.cacheWrite) * cacheWrite }
        return micro / 1_000_000
    }
}

/// One row of the catalog: the price of a model in a region (or every region) from a date on.
public struct PriceEntry: Sendable, Equatable {
    public static let anyRegion = "*"

    public var model: String
    public var region: String
    /// First UTC day the price applies (YYYY-MM-DD) and the same instant in microseconds.
    public var effectiveFrom: String
    public var effectiveFromMicros: Int64
    public var prices: TokenPrices
    /// Fraction taken off for batch inference (0.5 = half price); nil when batch is not offered.
    public var batchDiscount: Double?
    public var source: String
    public var asOf: String
}

public struct ModelInfo: Sendable, Equatable {
    public var model: String
    public var name: String
    public var family: String
    public var tier: ModelTier
}

/// The strong and cheap model a family's traffic is re-priced on for counterfactual costs.
public struct FamilyCounterparts: Sendable, Equatable {
    public var strong: String
    public var cheap: String
}

public struct PriceCatalogError: LocalizedError, Sendable, Equatable {
    public var origin: String
    public var message: String
    public var errorDescription: String? { "\(origin): \(message)" }
}

/// The versioned price catalog: shipped in the binary, overridden or extended with `--prices FILE`.
///
/// Lookup order for a request: the entry for its model in its (source) Region in force at its
/// timestamp, else the all-Regions entry in force then. Cross-Region inference is priced at the
/// source Region, so callers pass the Region the request was sent to, never the inference Region.
public struct PriceCatalog: Sendable {
    public private(set) var version: String
    public private(set) var entries: [PriceEntry]
    public private(set) var models: [String: ModelInfo]
    public private(set) var families: [String: FamilyCounterparts]
    /// Where each layer came from ("built-in 2026-11-22", then override files).
    public private(set) var origins: [String]

    /// (model, region) → entries newest first.
    private var schedule: [String: [String: [PriceEntry]]]

    public init(version: String, entries: [PriceEntry], models: [ModelInfo], families: [String: FamilyCounterparts],
                origins: [String]) {
        self.version = version
        self.entries = entries.sorted { ($0.model, $0.region, $0.effectiveFrom) < ($1.model, $1.region, $1.effectiveFrom) }
        self.models = Dictionary(models.map { ($0.model, $0) }, uniquingKeysWith: { $1 })
        self.families = families
        self.origins = origins
        var schedule: [String: [String: [PriceEntry]]] = [:]
        for entry in self.entries {
            schedule[entry.model, default: [:]][entry.region, default: []].append(entry)
        }
        for (model, regions) in schedule {
            for (region, list) in regions {
                schedule[model]![region] = list.sorted { $0.effectiveFromMicros > $1.effectiveFromMicros }
            }
        }
        self.schedule = schedule
    }

    /// The entry in force for `model` in `region` at `micros`, or nil (unpriced).
    public func entry(model: String, region: String?, atMicros micros: Int64) -> PriceEntry? {
        guard let byRegion = schedule[model] else { return nil }
        if let region, let list = byRegion[region], let hit = list.first(where: { $0.effectiveFromMicros <= micros }) {
            return hit
        }
        return byRegion[PriceEntry.anyRegion]?.first { $0.effectiveFromMicros <= micros }
    }

    /// Instants (microseconds) at which some price of `model` changes; windows split there price exactly.
    public func changePoints(model: String) -> [Int64] {
        guard let byRegion = schedule[model] else { return [] }
        return Array(Set(byRegion.values.flatMap { $0.map(\.effectiveFromMicros) })).sorted()
    }

    public func isKnown(model: String) -> Bool { schedule[model] != nil }

    /// Family of a model: from the catalog, else from its provider prefix (`mistral.…` → `mistral`).
    public func family(of model: String) -> String? {
        if let info = models[model] { return info.family }
        return Self.inferredFamily(model)
    }

    public func tier(of model: String) -> ModelTier? { models[model]?.tier }

    public static func inferredFamily(_ model: String) -> String? {
        if model.hasPrefix("anthropic.") { return "anthropic" }
        if model.hasPrefix("amazon.nova") { return "amazon-nova" }
        if model.hasPrefix("meta.llama") { return "meta-llama" }
        guard let dot = model.firstIndex(of: "."), dot != model.startIndex else { return nil }
        return String(model[..<dot])
    }

    /// Haiku detection for the haiku ratio: by the model id, so new Haiku versions count without a catalog change.
    public static func isHaiku(_ model: String) -> Bool { ModelIdentifier.containsBytes(model, "haiku") }

    /// This catalog with `other` laid over it: an entry with the same (model, region, effective date)
    /// is replaced, new ones are added; model and family definitions of `other` win.
    public func overlaid(with other: PriceCatalog) -> PriceCatalog {
        func key(_ e: PriceEntry) -> String { "\(e.model)\u{1}\(e.region)\u{1}\(e.effectiveFrom)" }
        let replaced = Set(other.entries.map(key))
        let merged = entries.filter { !replaced.contains(key($0)) } + other.entries
        var models = self.models
        for (k, v) in other.models { models[k] = v }
        var families = self.families
        for (k, v) in other.families { families[k] = v }
        return PriceCatalog(version: "\(version)+\(other.version)", entries: merged, models: Array(models.values),
                            families: families, origins: origins + other.origins)
    }
}

// MARK: Loading

extension PriceCatalog {
    /// The catalog compiled into the binary (`Resources/prices.json`).
    public static func builtIn() -> PriceCatalog {
        do {
            return try decode(Data(PackageResources.prices_json), origin: "built-in prices.json")
        } catch {
            // The shipped file is validated by the tests; a broken one is a build defect, not user input.
            fatalError("built-in price catalog is invalid: \(error.localizedDescription)")
        }
    }

    /// The built-in catalog with the files laid over it in order.
    public static func load(overrides paths: [String]) throws -> PriceCatalog {
        var catalog = builtIn()
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw PriceCatalogError(origin: path, message: "cannot read the price file")
            }
            // Errors name the path as given; reports record only the file name, so they do not change
            // with the folder they were built in.
            var layer = try decode(data, origin: path)
            layer.origins = ["\(URL(fileURLWithPath: path).lastPathComponent) \(layer.version)"]
            catalog = catalog.overlaid(with: layer)
        }
        return catalog
    }

    /// Parses a `routeledger.prices/1` JSON document; every error names the entry and field.
    public static func decode(_ data: Data, origin: String) throws -> PriceCatalog {
        func fail(_ message: String) -> PriceCatalogError { PriceCatalogError(origin: origin, message: message) }
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw fail("not valid JSON (\(error.localizedDescription))")
        }
        guard let document = root as? [String: Any] else { throw fail("top level must be an object") }
        guard let schema = document["schema"] as? String, schema == "routeledger.prices/1" else {
            throw fail("\"schema\" must be \"routeledger.prices/1\"")
        }
        let version = document["version"] as? String ?? "unversioned"

        var models: [ModelInfo] = []
        for (index, item) in (document["models"] as? [Any] ?? []).enumerated() {
            let at = "models[\(index)]"
            guard let object = item as? [String: Any], let model = object["model"] as? String, !model.isEmpty else {
                throw fail("\(at): needs a \"model\" string")
            }
            guard let family = object["family"] as? String, !family.isEmpty else { throw fail("\(at) (\(model)): needs \"family\"") }
            guard let tierText = object["tier"] as? String, let tier = ModelTier(rawValue: tierText) else {
                throw fail("\(at) (\(model)): \"tier\" must be \"strong\" or \"cheap\"")
            }
            models.append(ModelInfo(model: model, name: object["name"] as? String ?? model, family: family, tier: tier))
        }

        var families: [String: FamilyCounterparts] = [:]
        for (family, item) in document["families"] as? [String: Any] ?? [:] {
            guard let object = item as? [String: Any], let strong = object["strong"] as? String,
                  let cheap = object["cheap"] as? String else {
                throw fail("families.\(family): needs \"strong\" and \"cheap\" model ids")
            }
            families[family] = FamilyCounterparts(strong: strong, cheap: cheap)
        }

        var entries: [PriceEntry] = []
        var seen = Set<String>()
        for (index, item) in (document["prices"] as? [Any] ?? []).enumerated() {
            let at = "prices[\(index)]"
            guard let object = item as? [String: Any], let model = object["model"] as? String, !model.isEmpty else {
                throw fail("\(at): needs a \"model\" string")
            }
            let label = "\(at) (\(model))"
            let region = object["region"] as? String ?? PriceEntry.anyRegion
            guard let from = object["effective_from"] as? String, let day = CivilCalendar.parseDay(from) else {
                throw fail("\(label): \"effective_from\" must be a YYYY-MM-DD date")
            }
            func price(_ key: String) throws -> Double? {
                guard let value = object[key], !(value is NSNull) else { return nil }
                guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
                      number.doubleValue.isFinite, number.doubleValue >= 0 else {
                    throw fail("\(label): \"\(key)\" must be a non-negative number of USD per million tokens, or null")
                }
                return number.doubleValue
            }
            let prices = TokenPrices(input: try price("input"), output: try price("output"),
                                     cacheRead: try price("cache_read"), cacheWrite: try price("cache_write"))
            if prices.input == nil && prices.output == nil {
                throw fail("\(label): needs at least an \"input\" or \"output\" price")
            }
            let discount = try price("batch_discount")
            if let discount, discount > 1 { throw fail("\(label): \"batch_discount\" is a fraction between 0 and 1") }
            let key = "\(model)\u{1}\(region)\u{1}\(from)"
            guard seen.insert(key).inserted else {
                throw fail("\(label): a second price for \(model) in \(region) from \(from)")
            }
            entries.append(PriceEntry(model: model, region: region, effectiveFrom: from,
                                      effectiveFromMicros: Int64(day) * 86_400_000_000, prices: prices,
                                      batchDiscount: discount, source: object["source"] as? String ?? "",
                                      asOf: object["as_of"] as? String ?? ""))
        }
        return PriceCatalog(version: version, entries: entries, models: models, families: families,
                            origins: ["\(origin) \(version)"])
    }
}
