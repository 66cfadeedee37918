// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "defence-rooms",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "defence-server", targets: ["DefenceServerCommand"]),
        .executable(name: "defence", targets: ["DefenceCommand"]),
        .executable(name: "defence-bench", targets: ["DefenceBench"]),
        .library(name: "DefenceProtocol", targets: ["DefenceProtocol"]),
        .library(name: "DefenceCore", targets: ["DefenceCore"]),
        .library(name: "DefenceClient", targets: ["DefenceClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Pure: the wire format. No NIO, no GRDB.
        .target(name: "DefenceProtocol"),
        // Pure: the domain (accounts, roles, permissions, throttling). No NIO, no GRDB.
        .target(
            name: "DefenceCore",
            dependencies: [
                "DefenceProtocol",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/referential.json")]
        ),
        // IO shared by server and client: NIO channel handlers for the line framing.
        .target(
            name: "DefenceChannel",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Pure: what the terminal clients show (room view, sentences in French and English, the screen).
        .target(name: "DefenceConsole", dependencies: ["DefenceProtocol"]),
        // C: an SQLite VFS shim that gathers the small writes of a write-ahead log into large ones (docs/performance.md).
        .target(name: "CWALBuffer", linkerSettings: [.linkedLibrary("sqlite3")]),
        // SQLite through GRDB.
        .target(
            name: "DefenceStore",
            dependencies: [
                "CWALBuffer",
                "DefenceCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C interface, for the checkpointer's sync of the database file (a VFS call GRDB does not wrap).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // IO: TLS listener, sessions, certificates.
        .target(
            name: "DefenceServer",
            dependencies: [
                "DefenceProtocol",
                "DefenceChannel",
                "DefenceCore",
                "DefenceStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // IO: the client library used by `defence` (and later the benchmark).
        .target(
            name: "DefenceClient",
            dependencies: [
                "DefenceProtocol",
                "DefenceChannel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "DefenceServerCommand",
            dependencies: [
                "DefenceServer",
                "DefenceStore",
                "DefenceCore",
                "DefenceProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "DefenceCommand",
            dependencies: [
                "DefenceClient",
                "DefenceConsole",
                "DefenceProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "DefenceBench",
            dependencies: [
                "DefenceClient",
                "DefenceProtocol",
                "DefenceCore",
                "DefenceStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .testTarget(name: "DefenceBenchTests", dependencies: ["DefenceBench"]),
        .testTarget(name: "DefenceProtocolTests", dependencies: ["DefenceProtocol"]),
        // The golden screens are read from the source tree (`#filePath`), not bundled.
        .testTarget(name: "DefenceConsoleTests", dependencies: ["DefenceConsole", "DefenceProtocol"], exclude: ["Fixtures"]),
        .testTarget(name: "DefenceCoreTests", dependencies: ["DefenceCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DefenceChannelTests", dependencies: ["DefenceChannel", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(
            name: "DefenceStoreTests",
            dependencies: [
                "CWALBuffer", "DefenceStore", "DefenceCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "DefenceServerTests",
            dependencies: [
                "DefenceServer",
                "DefenceChannel",
                "DefenceClient",
                "DefenceStore",
                "DefenceCore",
                "DefenceProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
