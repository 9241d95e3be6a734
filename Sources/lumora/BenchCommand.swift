import ArgumentParser
import Foundation
import Logging
import LumoraBenchmarks
import LumoraDatabase

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Reproducible benchmarks; each prints a Markdown table for docs/BENCHMARKS.md.",
        subcommands: [Provision.self, Migrate.self, Cell.self, Signup.self, Edge.self, Media.self, Release.self, Isolation.self, Checkout.self, Plugins.self, Move.self]
    )

    struct Provision: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store creation: psql DDL replay vs Lumora's replay, warm-pool refill and pooled signup.")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Stores to create on each path.") var stores: Int = 1000
        @Option(help: "Concurrent signups from the warm pool.") var concurrency: Int = 4

        func run() async throws {
            try await options.runBenchmark { database, _, logger in
                try await ProvisionBenchmark(server: try await BenchmarkServer.from(database, logger: logger), stores: stores, signupConcurrency: concurrency, logger: logger).run()
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "lumora migrate over many stores: a no-op run and a real one.")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Stores to create first.") var stores: Int = 1000
        @Option(help: "Store schemas migrated at once.") var concurrency: Int = 4

        func run() async throws {
            try await options.runBenchmark { database, _, logger in
                try await MigrateBenchmark(server: try await BenchmarkServer.from(database, logger: logger), stores: stores, concurrency: concurrency, logger: logger).run()
            }
        }
    }

    struct Cell: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A shared cell's product list: 1 store vs 1000 stores, cache on and off, and a noisy neighbour (needs wrk and hey).")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Stores with the same catalog.") var stores: Int = 1000
        @Option(help: "Seconds per measured run.") var seconds: Int = 15

        func run() async throws {
            try await options.runBenchmark { database, binary, logger in
                try await CellBenchmark(server: try await BenchmarkServer.from(database, logger: logger), binary: binary, stores: stores, seconds: seconds, logger: logger).run()
            }
        }
    }

    struct Edge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The edge vs nginx on the same machine: the API proxy with signed headers, and a cached product page vs a static file (needs wrk and nginx).")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Stores with the same catalog; wrk picks the Host at random among them.") var stores: Int = 10
        @Option(help: "Seconds per measured run (at most 25: nginx's precomputed signatures expire).") var seconds: Int = 15
        @Option(name: .customLong("nginx-workers"), help: "nginx worker_processes.") var nginxWorkers: Int = 2
        @Option(help: "Measure only one path: api or page.") var only: String?
        @Option(help: "ABBA rounds per path (edge, nginx, nginx, edge each).") var rounds: Int = 1

        func run() async throws {
            try await options.runBenchmark { database, binary, logger in
                try await EdgeBenchmark(server: try await BenchmarkServer.from(database, logger: logger), binary: binary, stores: stores, seconds: seconds,
                                        nginxWorkers: nginxWorkers, only: only, rounds: rounds, logger: logger).run()
            }
        }
    }

    struct Media: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A 12-megapixel upload until all sizes are made (p50/p99), and a hot image from the edge vs nginx (needs wrk and nginx).")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Uploads to time.") var uploads: Int = 20
        @Option(help: "Seconds per measured serving run.") var seconds: Int = 15
        @Option(name: .customLong("nginx-workers"), help: "nginx worker_processes.") var nginxWorkers: Int = 2
        @Option(help: "ABBA rounds (edge, nginx, nginx, edge each).") var rounds: Int = 1

        func run() async throws {
            try await options.runBenchmark { database, binary, logger in
                try await MediaBenchmark(server: try await BenchmarkServer.from(database, logger: logger), binary: binary, uploads: uploads,
                                         seconds: seconds, nginxWorkers: nginxWorkers, rounds: rounds, logger: logger).run()
            }
        }
    }

    struct Isolation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mixed shopper, merchant and attack traffic for many stores through a real edge and shared cell, counting answers that belong to another store.")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Stores, each with its own marked catalog.") var stores: Int = 200
        @Option(help: "Requests in all.") var requests: Int = 100_000
        @Option(help: "Concurrent clients.") var concurrency: Int = 32

        func run() async throws {
            try await options.runBenchmark { database, binary, logger in
                try await IsolationBenchmark(server: try await BenchmarkServer.from(database, logger: logger), binary: binary, stores: stores,
                                             requests: requests, concurrency: concurrency, logger: logger).run()
            }
        }
    }

    struct Checkout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Whole checkouts (cart → shipping → payment → paid) through a real edge and shared cell vs pgbench running the same transactions (needs pgbench).")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Stores, each with a shipping zone, a tax rate and test cards.") var stores: Int = 10
        @Option(help: "Seconds per measured run (Lumora, then pgbench).") var seconds: Int = 20
        @Option(help: "Concurrent shoppers (and pgbench clients).") var concurrency: Int = 16

        func run() async throws {
            try await options.runBenchmark { database, binary, logger in
                try await CheckoutBenchmark(server: try await BenchmarkServer.from(database, logger: logger), binary: binary, stores: stores,
                                            seconds: seconds, concurrency: concurrency, logger: logger).run()
            }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A store schema copied to another database by logical replication while it is written to, and the write freeze that ends a move.")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Products in the moving store (two variants and their stock each).") var products: Int = 20_000
        @Option(help: "Concurrent writers on the store throughout.") var writers: Int = 4
        @Option(help: "Moves to measure (each copies afresh).") var rounds: Int = 3

        func run() async throws {
            try await options.runBenchmark { database, _, logger in
                try await MoveBenchmark(server: try await BenchmarkServer.from(database, logger: logger), products: products, writers: writers,
                                        rounds: rounds, logger: logger).run()
            }
        }
    }

    struct Plugins: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A cart.discounts plugin: compile time, per-call latency and calls/s (fresh vs reused instance), fuel budgets, and checkouts without and with it (needs pgbench; build Examples/plugins first).")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "The module to measure.") var module = "Examples/plugins/ten-percent-over-100.wasm"
        @Option(help: "Calls per cart size.") var calls: Int = 20_000
        @Option(help: "Stores for the checkout runs.") var stores: Int = 10
        @Option(help: "Seconds per measured checkout run.") var seconds: Int = 10
        @Option(help: "Concurrent shoppers.") var concurrency: Int = 16

        func run() async throws {
            guard let bytes = FileManager.default.contents(atPath: module) else {
                throw ValidationError("no module at \(module): run Examples/plugins/build.sh first, or pass --module")
            }
            try await options.runBenchmark { database, binary, logger in
                try await PluginBenchmark(server: try await BenchmarkServer.from(database, logger: logger), binary: binary, module: [UInt8](bytes),
                                          calls: calls, stores: stores, seconds: seconds, concurrency: concurrency, logger: logger).run()
            }
        }
    }

    struct Signup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Signup → storefront answering on its host, through real manager and edge processes.")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Standard signups (shared cell).") var standard: Int = 200
        @Option(help: "Enterprise signups (a cell process each).") var enterprise: Int = 10

        func run() async throws {
            try await options.runBenchmark { database, binary, logger in
                try await SignupBenchmark(server: try await BenchmarkServer.from(database, logger: logger), binary: binary, standard: standard, enterprise: enterprise, logger: logger).run()
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A release (one real store migration) over many stores, the shared cell and dedicated cells, under storefront load.")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Stores on the shared cell.") var stores: Int = 1000
        @Option(help: "Stores with a dedicated cell.") var dedicated: Int = 20
        @Option(name: .customLong("batch-size"), help: "Dedicated cells per batch after the canary.") var batchSize: Int = 5
        @Option(name: .customLong("health-window-ms"), help: "Health window after each batch.") var healthWindow: Int = 2000
        @Option(help: "Concurrent shoppers during the release.") var load: Int = 8

        func run() async throws {
            try await options.runBenchmark { database, binary, logger in
                try await ReleaseBenchmark(server: try await BenchmarkServer.from(database, logger: logger), binary: binary, stores: stores, dedicated: dedicated, batchSize: batchSize,
                                           healthWindowMilliseconds: healthWindow, loadConcurrency: load, logger: logger).run()
            }
        }
    }
}

extension DatabaseOptions {
    /// Runs one benchmark on this command's database (its own cluster unless DATABASE_URL is
    /// set) and prints its table. `binary` is this very `lumora`, for benchmarks that start
    /// roles as processes.
    func runBenchmark(_ body: (DatabaseHandle, URL, Logger) async throws -> String) async throws {
        let logger = makeLogger("lumora.bench")
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let table = try await DatabaseHandle.with(dataDirectory: dataDirectoryURL, logger: logger) { database in
            try await body(database, binary, logger)
        }
        print(table)
    }
}
