// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "kobling",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kobling", targets: ["kobling"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Pure domain logic: no HTTP, no SQL.
        .target(
            name: "KoblingCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Matching: scoring and optimal assignment, pure Swift.
        .target(name: "Matching", swiftSettings: swiftSettings),
        // Generated communities with a planted truth, for the matching tests and benchmark.
        .target(name: "MatchingFixtures", dependencies: ["Matching"], swiftSettings: swiftSettings),
        // The database behind intent-level methods.
        .target(
            name: "Storage",
            dependencies: [
                "KoblingCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one interface every part sends email through, and its transports.
        .target(
            name: "Mail",
            dependencies: [
                "KoblingCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // libcurl, for its SMTP client; typed shims over its variadic calls.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Newsletter issues: Markdown to HTML and text, personalised through a Mustache layout. Pure.
        .target(
            name: "Newsletter",
            dependencies: [
                .product(name: "Ink", package: "Ink"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        // Every email that is not a newsletter, from Mustache templates in Danish and English. Pure.
        .target(
            name: "Notices",
            dependencies: ["KoblingCore", .product(name: "Mustache", package: "swift-mustache")],
            resources: [.copy("Templates")],
            swiftSettings: swiftSettings
        ),
        // Sending mail through an SMTP server with libcurl.
        .target(
            name: "Mailer",
            dependencies: ["CCurl", "Mail", "KoblingCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // The contract, openapi/openapi.yaml, as a resource of the build.
        .target(
            name: "OpenAPISpec",
            path: "openapi",
            resources: [.copy("openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        // Work in the background: the job runner, its jobs (round runs) and the outbox's engine.
        .target(
            name: "Background",
            dependencies: [
                "KoblingCore", "Storage", "Mail", "Matching",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP: the application, its controllers and middleware.
        .target(
            name: "KoblingAPI",
            dependencies: [
                "KoblingCore", "Storage", "Mail", "Background", "Matching", "Newsletter", "Notices", "OpenAPISpec",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "kobling",
            dependencies: [
                "KoblingAPI", "Background", "Storage", "Mail", "Mailer", "KoblingCore", "Matching", "Newsletter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        // The ceiling the read benchmark compares against (scripts/bench-reads).
        .executableTarget(
            name: "kobling-static-body",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Benchmarks/StaticBody",
            swiftSettings: swiftSettings
        ),
        // A whole round on a generated community (scripts/bench-matching).
        .executableTarget(
            name: "kobling-match-bench",
            dependencies: ["Matching", "MatchingFixtures"],
            path: "Benchmarks/MatchingRound",
            swiftSettings: swiftSettings
        ),
        // A round through the API on a generated community (scripts/bench-round).
        .executableTarget(
            name: "kobling-round-bench",
            dependencies: ["Background", "Storage", "KoblingCore", "Matching", "MatchingFixtures"],
            path: "Benchmarks/RoundBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KoblingTests",
            dependencies: [
                "KoblingAPI", "Background", "Storage", "Mail", "Mailer", "Newsletter", "Notices", "KoblingCore", "Matching", "MatchingFixtures",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
