// swift-tools-version:6.1
import PackageDescription

// Layers, data flowing one way:
//   Model (records, model catalog, prices) → Archive (bytes out of containers)
//         → Ingest (record layouts, decoders) → Store (SQLite ledger, ingest runs, ledger scans)
//         → Metrics (columnar frame, mergeable aggregates; no I/O) → Report (renderers), Query (SQL files),
//           Alerts (rules, state, notifiers)
//         → routeledger (thin CLI)
// Config (the YAML file: routers, tenants, quotas, reports) sits on Model; Synth only writes files.
let package = Package(
    name: "RouteLedger",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "routeledger", targets: ["routeledger"]),
        .library(name: "RouteLedgerModel", targets: ["RouteLedgerModel"]),
        .library(name: "RouteLedgerIngest", targets: ["RouteLedgerIngest"]),
        .library(name: "RouteLedgerStore", targets: ["RouteLedgerStore"]),
        .library(name: "RouteLedgerMetrics", targets: ["RouteLedgerMetrics"]),
        .library(name: "RouteLedgerReport", targets: ["RouteLedgerReport"]),
        .library(name: "RouteLedgerReplay", targets: ["RouteLedgerReplay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CDeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CCrypto", providers: [.apt(["libssl-dev"])]),

        // The shipped price catalog is compiled into the binary: a copied binary still prices correctly.
        .target(name: "RouteLedgerModel", exclude: ["Resources/PRICES.md"],
                resources: [.embedInCode("Resources/prices.json")]),
        .target(name: "RouteLedgerConfig", dependencies: ["RouteLedgerModel", .product(name: "Yams", package: "Yams")]),
        .target(name: "RouteLedgerArchive", dependencies: ["RouteLedgerModel", "CArchive", "CZlib", "CDeflate", "CCrypto"]),
        .target(name: "RouteLedgerIngest", dependencies: ["RouteLedgerModel", "RouteLedgerArchive"]),
        .target(name: "RouteLedgerStore", dependencies: [
            "RouteLedgerModel", "RouteLedgerArchive", "RouteLedgerIngest",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        .target(name: "RouteLedgerMetrics", dependencies: ["RouteLedgerModel", "RouteLedgerConfig", "RouteLedgerStore"]),
        .target(name: "RouteLedgerReport", dependencies: ["RouteLedgerModel", "RouteLedgerMetrics", "RouteLedgerReplay"]),
        .target(name: "RouteLedgerAlerts", dependencies: [
            "RouteLedgerModel", "RouteLedgerConfig", "RouteLedgerMetrics", "RouteLedgerStore", "CCrypto",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "RouteLedgerQuery", dependencies: [
            "RouteLedgerModel", "RouteLedgerConfig", .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // Replay sits beside Report and Alerts: labelled pairs, the built-in predictor, threshold sweeps,
        // router-quality metrics, recommendations, and the gateway rate-limit replay. No SQL, no files written.
        .target(name: "RouteLedgerReplay", dependencies: [
            "RouteLedgerModel", "RouteLedgerConfig", .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "RouteLedgerSynth", dependencies: ["RouteLedgerModel", "CArchive", "CZlib"]),
        .executableTarget(name: "routeledger", dependencies: [
            "RouteLedgerModel", "RouteLedgerArchive", "RouteLedgerIngest", "RouteLedgerStore", "RouteLedgerSynth",
            "RouteLedgerConfig", "RouteLedgerMetrics", "RouteLedgerReport", "RouteLedgerQuery", "RouteLedgerAlerts",
            "RouteLedgerReplay", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // `make bench-replay`: the threshold sweep on ten million scored requests against a sort-and-scan baseline.
        .executableTarget(name: "replay-bench", dependencies: ["RouteLedgerReplay"], path: "Sources/replay-bench"),
        .target(name: "RouteLedgerTestSupport", dependencies: ["RouteLedgerModel"], path: "Sources/RouteLedgerTestSupport"),

        // Fuzzing (`make fuzz`, `make fuzz-smoke`, bench/fuzz.sh, fixtures/fuzz/README.md). A plain build makes each
        // fuzz-* executable a replay driver (runs the files given through the harness); built with
        // `-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING` it is a libFuzzer target.
        .systemLibrary(name: "CFuzzerDriver", path: "Sources/CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"], path: "Sources/FuzzSupport"),
        .target(name: "FuzzDecodeSupport", dependencies: ["RouteLedgerArchive", "RouteLedgerIngest"], path: "Sources/FuzzDecodeSupport"),
        .executableTarget(name: "fuzz-bedrock", dependencies: ["FuzzSupport", "FuzzDecodeSupport", "RouteLedgerIngest"],
                          path: "Sources/Fuzz/fuzz-bedrock"),
        .executableTarget(name: "fuzz-litellm-payload", dependencies: ["FuzzSupport", "FuzzDecodeSupport", "RouteLedgerIngest"],
                          path: "Sources/Fuzz/fuzz-litellm-payload"),
        .executableTarget(name: "fuzz-litellm-spend", dependencies: ["FuzzSupport", "FuzzDecodeSupport", "RouteLedgerIngest"],
                          path: "Sources/Fuzz/fuzz-litellm-spend"),
        .executableTarget(name: "fuzz-archive", dependencies: ["FuzzSupport", "RouteLedgerArchive", "RouteLedgerIngest"],
                          path: "Sources/Fuzz/fuzz-archive"),
        .executableTarget(name: "fuzz-query-header", dependencies: ["FuzzSupport", "RouteLedgerModel", "RouteLedgerQuery"],
                          path: "Sources/Fuzz/fuzz-query-header"),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzSupport", "RouteLedgerConfig", "RouteLedgerAlerts"],
                          path: "Sources/Fuzz/fuzz-config"),

        .testTarget(name: "ModelTests", dependencies: ["RouteLedgerModel"]),
        .testTarget(name: "ArchiveTests", dependencies: ["RouteLedgerArchive", "RouteLedgerTestSupport"]),
        .testTarget(name: "IngestTests", dependencies: ["RouteLedgerIngest", "RouteLedgerTestSupport"]),
        .testTarget(name: "StoreTests", dependencies: [
            "RouteLedgerStore", "RouteLedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "ConfigTests", dependencies: ["RouteLedgerConfig", "RouteLedgerTestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: [
            "RouteLedgerMetrics", "RouteLedgerStore", "RouteLedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "ReportTests", dependencies: ["RouteLedgerReport", "RouteLedgerMetrics", "RouteLedgerReplay", "RouteLedgerTestSupport"]),
        .testTarget(name: "AlertsTests", dependencies: [
            "RouteLedgerAlerts", "RouteLedgerMetrics", "RouteLedgerConfig", "RouteLedgerStore", "RouteLedgerTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "QueryTests", dependencies: [
            "RouteLedgerQuery", "RouteLedgerMetrics", "RouteLedgerConfig", "RouteLedgerTestSupport",
        ]),
        .testTarget(name: "ReplayTests", dependencies: ["RouteLedgerReplay", "RouteLedgerModel", "RouteLedgerTestSupport"]),
        .testTarget(name: "SynthTests", dependencies: ["RouteLedgerSynth", "RouteLedgerIngest", "RouteLedgerTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["RouteLedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    ]
)
