// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "QuartierSync",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SyncKernel", targets: ["SyncKernel"]),
        .library(name: "SyncCore", targets: ["SyncCore"]),
        .library(name: "SyncRemote", targets: ["SyncRemote"]),
        .library(name: "SyncServer", targets: ["SyncServer"]),
        .executable(name: "syncctl", targets: ["syncctl"]),
        .executable(name: "sync-server", targets: ["sync-server"]),
        .executable(name: "sync-bench", targets: ["SyncBench"]),
        .executable(name: "quartiersync-demo", targets: ["quartiersync-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // `swift package generate-documentation` (DocC), checked by .ci/run.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // Layers, lowest first; each imports only those above it (docs/architecture.md).

        // The merge kernel: clocks, record model, merge, binary encoding. No SQLite, no networking.
        .target(name: "SyncKernel"),
        // The state store on GRDB: record states, feed, routes, knowledge, peers, conflicts, and
        // apply (merge, plan, write). What both an office and the server keep; no data tables.
        .target(
            name: "SyncStore",
            dependencies: [
                "SyncKernel",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The office's replica on the state store: data tables, change capture, fold, CSV.
        .target(
            name: "SyncCore",
            dependencies: [
                "SyncKernel", "SyncStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The wire: protocol version, headers, JSON messages, compression. Shared by both ends.
        .target(
            name: "SyncProtocol",
            dependencies: [
                "SyncKernel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        // The client side of the protocol: HTTP client and the sync of a replica with a server.
        .target(
            name: "SyncRemote",
            dependencies: [
                "SyncKernel", "SyncStore", "SyncCore", "SyncProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The server side: routes, authentication, the store protocol and its stores (SQLite, PostgreSQL).
        .target(
            name: "SyncServer",
            dependencies: [
                "SyncKernel", "SyncStore", "SyncProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What both executables' `main` share: the log, a mistyped command named, an error as one line.
        .target(
            name: "CommandLineSupport",
            dependencies: [
                "SyncKernel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "sync-server",
            dependencies: [
                "SyncKernel", "SyncServer", "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // The office's command line: no server in it.
        .executableTarget(
            name: "syncctl",
            dependencies: [
                "SyncKernel", "SyncCore", "SyncProtocol", "SyncRemote", "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The README's first command: offices syncing through a server run in process.
        .executableTarget(
            name: "quartiersync-demo",
            dependencies: [
                "SyncKernel", "SyncCore", "SyncRemote", "SyncServer",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "SyncBench",
            dependencies: [
                "SyncKernel", "SyncStore", "SyncCore", "SyncRemote", "ProcessHarness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Benchmarks/SyncBench"
        ),

        // What the benchmark and the tests share: the process runner, a real sync-server on a
        // free port, peak memory, a seeded generator, a pull flood. Not test code: no Testing.
        .target(
            name: "ProcessHarness",
            dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")]
        ),
        // What the tests share besides: temporary directories, the built binaries, a
        // fault-injecting proxy, fixtures, the docs' shell blocks.
        .target(
            name: "TestSupport",
            dependencies: [
                "SyncKernel", "ProcessHarness", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/TestSupport"),
        .testTarget(name: "SyncKernelTests", dependencies: ["SyncKernel", "TestSupport"]),
        .testTarget(name: "SyncProtocolTests", dependencies: ["SyncProtocol"]),
        .testTarget(
            name: "CommandLineSupportTests",
            dependencies: ["CommandLineSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "ProcessHarnessTests", dependencies: ["ProcessHarness"]),
        .testTarget(
            name: "SyncRemoteTests",
            dependencies: [
                "SyncKernel", "SyncCore", "SyncProtocol", "SyncRemote", "SyncServer", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "SyncStoreTests",
            dependencies: [
                "SyncKernel", "SyncStore", "SyncCore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "SyncCoreTests",
            dependencies: ["SyncKernel", "SyncCore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "SyncServerTests",
            dependencies: [
                "SyncKernel", "SyncStore", "SyncCore", "SyncProtocol", "SyncRemote", "SyncServer", "TestSupport",
                "sync-server",
                "syncctl",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .testTarget(
            name: "syncctlTests",
            dependencies: [
                "SyncKernel", "SyncCore", "SyncProtocol", "SyncRemote", "SyncServer", "TestSupport", "syncctl",
                "quartiersync-demo",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
