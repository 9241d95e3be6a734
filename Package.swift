// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "lumora",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lumora", targets: ["lumora"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swiftwasm/WasmKit.git", exact: "0.4.2"),
    ],
    targets: [
        // Domain types: slugs, plans, money, errors. No I/O.
        .target(
            name: "LumoraCore",
            swiftSettings: swiftSettings
        ),
        // glibc extensions Swift does not import (closefrom for posix_spawn, pipe2).
        .target(name: "CLumoraSystem"),
        // libvips (Debian's libvips-dev), and the non-variadic wrapper Swift calls it through.
        .systemLibrary(name: "CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .target(name: "CLumoraImaging", dependencies: ["CVips"]),
        // Store media: the MediaStore seam and its local-disk store, content-addressed file
        // names, and image processing (validation, sizes, metadata stripping) with libvips.
        .target(
            name: "LumoraMedia",
            dependencies: [
                "LumoraCore",
                "CLumoraImaging",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Child processes and ports: posix_spawn with a lifeline, free ports, port files, private files.
        .target(
            name: "LumoraProcess",
            dependencies: [
                "LumoraCore",
                "CLumoraSystem",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL: configuration, own-cluster bootstrap, migrations, stores, TenantScope.
        .target(
            name: "LumoraDatabase",
            dependencies: [
                "LumoraCore",
                "LumoraProcess",
                "CLumoraSystem",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            resources: [.copy("Resources/Migrations")],
            swiftSettings: swiftSettings
        ),
        // Where requests go: the routing table (stores, domains, cells) kept in memory from the
        // control schema's notifications, the change feed, and the cells' response caches.
        .target(
            name: "LumoraRouting",
            dependencies: [
                "LumoraCore",
                "LumoraDatabase",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // What every HTTP role shares: the error body, the JSON wire format, request signing.
        .target(
            name: "LumoraHTTP",
            dependencies: [
                "LumoraCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The JSON shapes of the cell's and the manager's account API, both directions: resources,
        // envelopes, request bodies. Shared by the roles that send them and those that read them
        // (the edge's storefront and dashboard).
        .target(
            name: "LumoraWire",
            dependencies: ["LumoraCore"],
            swiftSettings: swiftSettings
        ),
        // Payments: the Stripe API client (Checkout Sessions, refunds, Connect's Stripe-Account)
        // and webhook signatures, behind the cell's PaymentProvider seam.
        .target(
            name: "LumoraPayments",
            dependencies: [
                "LumoraCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Mail: MIME messages, an SMTP client (STARTTLS, AUTH) as a state machine over NIO, and
        // the loopback mail catcher `lumora dev` and the tests read mail from.
        .target(
            name: "LumoraMail",
            dependencies: [
                "LumoraCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Private plugins: WebAssembly modules compiled at install and run per call inside fuel,
        // memory, size and time limits (WasmKit, an interpreter written in Swift; no WASI).
        .target(
            name: "LumoraPlugins",
            dependencies: [
                "LumoraCore",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The commerce API (`lumora cell`): store and admin routes on per-store schemas.
        .target(
            name: "LumoraCell",
            dependencies: [
                "LumoraRouting",
                "LumoraCore",
                "LumoraDatabase",
                "LumoraHTTP",
                "LumoraMedia",
                "LumoraPayments",
                "LumoraPlugins",
                "LumoraWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // The storefront and router (`lumora edge`): host → store → cell, pages, API proxy.
        .target(
            name: "LumoraEdge",
            dependencies: [
                "LumoraRouting",
                "CLumoraSystem",
                "LumoraCore",
                "LumoraDatabase",
                "LumoraHTTP",
                "LumoraMedia",
                "LumoraPayments",
                "LumoraWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/Templates"), .copy("Resources/Static")],
            swiftSettings: swiftSettings
        ),
        // Drivers behind the CellRuntime and DomainProvider seams: local processes and domains.
        .target(
            name: "LumoraDrivers",
            dependencies: [
                "LumoraProcess",
                "LumoraCore",
                "LumoraDatabase",
                "LumoraMedia",
                "CLumoraSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The control plane (`lumora manager`): stores, domains, cells, durable jobs.
        .target(
            name: "LumoraManager",
            dependencies: [
                "LumoraRouting",
                "LumoraCore",
                "LumoraDatabase",
                "LumoraDrivers",
                "LumoraMedia",
                "LumoraHTTP",
                "LumoraMail",
                "LumoraPlugins",
                "LumoraWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Resources/Mail")],
            swiftSettings: swiftSettings
        ),
        // Reproducible benchmarks behind `lumora bench …`.
        .target(
            name: "LumoraBenchmarks",
            dependencies: [
                "LumoraProcess",
                "LumoraCore",
                "LumoraDatabase",
                "LumoraHTTP",
                "LumoraMedia",
                "LumoraPlugins",
                "LumoraWire",
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one executable: argument parsing and role start-up only.
        .executableTarget(
            name: "lumora",
            dependencies: [
                "LumoraProcess",
                "CLumoraSystem",
                "LumoraCore",
                "LumoraDatabase",
                "LumoraCell",
                "LumoraEdge",
                "LumoraManager",
                "LumoraDrivers",
                "LumoraHTTP",
                "LumoraMedia",
                "LumoraBenchmarks",
                // The dev mail catcher and SMTP (`--smtp-url`).
                "LumoraMail",
                // Linked now, wired next: Stripe (`--payments stripe`).
                "LumoraPayments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // Shared by the test targets: a private PostgreSQL cluster per test run.
        .target(
            name: "LumoraTestSupport",
            dependencies: [
                "LumoraProcess",
                "LumoraCore",
                "LumoraDatabase",
                "LumoraMedia",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/LumoraTestSupport",
            swiftSettings: swiftSettings
        ),
        // Loopback fakes of what cannot run here — the Cloud Run Admin API, Vercel's domains
        // API, Google's token endpoints, Stripe (whose webhooks the fake delivers over HTTP) —
        // following ../shared/contracts and the providers' own documents, not our clients.
        .target(
            name: "LumoraFakes",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/LumoraFakes",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraDriversTests",
            dependencies: [
                "LumoraCore",
                "LumoraDatabase",
                "LumoraDrivers",
                "LumoraFakes",
                "LumoraMedia",
                "LumoraTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraPaymentsTests",
            dependencies: [
                "LumoraCore",
                "LumoraPayments",
                "LumoraFakes",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraMailTests",
            dependencies: [
                "LumoraCore",
                "LumoraMail",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraCoreTests",
            dependencies: ["LumoraCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraDatabaseTests",
            dependencies: [
                "LumoraCore",
                "LumoraDatabase",
                "LumoraTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraPluginsTests",
            dependencies: [
                "LumoraCore",
                "LumoraPlugins",
                "LumoraTestSupport",
                "LumoraWire",
                .product(name: "WAT", package: "WasmKit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraWireTests",
            dependencies: ["LumoraCore", "LumoraHTTP", "LumoraWire"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraCellTests",
            dependencies: [
                "LumoraCore",
                "LumoraDatabase",
                "LumoraHTTP",
                "LumoraCell",
                "LumoraMedia",
                "LumoraPayments",
                "LumoraFakes",
                "LumoraTestSupport",
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraEdgeTests",
            dependencies: [
                "LumoraProcess",
                "LumoraRouting",
                "LumoraCore",
                "LumoraDatabase",
                "LumoraHTTP",
                "LumoraCell",
                "LumoraEdge",
                "LumoraMedia",
                "LumoraPayments",
                "LumoraFakes",
                "LumoraTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraManagerTests",
            dependencies: [
                "LumoraProcess",
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Crypto", package: "swift-crypto"),
                "LumoraCell",
                "LumoraCore",
                "LumoraDatabase",
                "LumoraDrivers",
                "LumoraManager",
                "LumoraEdge",
                "LumoraHTTP",
                "LumoraFakes",
                "LumoraMail",
                "LumoraMedia",
                "LumoraTestSupport",
                "LumoraWire",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumoraCLITests",
            dependencies: [
                "LumoraProcess",
                "LumoraCore",
                "LumoraFakes",
                "LumoraDatabase",
                "LumoraHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "LumoraTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
