import ArgumentParser
import Foundation
import Hummingbird
import LumoraCell
import LumoraCore
import LumoraDatabase

struct CellCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cell",
        abstract: "Serve the commerce API: --shared for every store placed on it, --store <slug> for one store."
    )

    @OptionGroup var options: DatabaseOptions

    @Flag(help: "Serve many stores; each request names its store in the edge-signed x-store-id header.")
    var shared = false

    @Option(help: "Serve this one store (a dedicated cell).")
    var store: String?

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8081
    @Option(name: .customLong("cell-id"), help: "This cell's id in the control schema.") var cellID: String?

    @Option(help: "Secret shared with the edge for request signatures (default: LUMORA_EDGE_SECRET).")
    var secret: String?

    @Option(help: "Sustained requests per second per store (shared mode).") var storeRate: Double = 200
    @Option(help: "Burst above the sustained rate per store (shared mode).") var storeBurst: Double = 400
    @Option(help: "Requests in flight per store (shared mode).") var storeConcurrency: Int = 16
    @Option(help: "Per-transaction statement timeout, in milliseconds.") var statementTimeout: Int = 5000
    @Option(help: "Database connections in the pool.") var databaseConnections: Int = 16
    @Flag(help: "Stop when standard input closes (the process that started this cell went away).") var lifeline = false
    @Option(help: "Seconds a cached storefront response may live without a change notification (0 turns the cache off).")
    var cacheSeconds: Int = 60

    func validate() throws {
        guard shared != (store != nil) else {
            throw ValidationError("choose exactly one of --shared and --store <slug>")
        }
        if let store { _ = try StoreSlug(validating: store) }
    }

    func run() async throws {
        let logger = options.makeLogger("lumora.cell")
        let environment = ProcessInfo.processInfo.environment
        guard let secret = secret ?? environment["LUMORA_EDGE_SECRET"], !secret.isEmpty else {
            throw ValidationError("the cell needs the edge's signing secret: --secret or LUMORA_EDGE_SECRET")
        }
        let mode: CellConfiguration.Mode = try store.map { .dedicated(try StoreSlug(validating: $0)) } ?? .shared
        let database = try await DatabaseHandle.open(dataDirectory: options.dataDirectoryURL, logger: logger)
        let configuration = CellConfiguration(
            mode: mode,
            cellID: cellID ?? store.map { "store-\($0)" } ?? "shared",
            host: host, port: port, database: database.url, signingSecret: secret,
            limits: .init(requestsPerSecond: storeRate, burst: storeBurst, concurrency: storeConcurrency),
            statementTimeout: .milliseconds(statementTimeout),
            databaseConnections: databaseConnections,
            version: LumoraVersion.running,
            cacheLifetime: .seconds(cacheSeconds))
        if lifeline { Lifeline.watchStandardInput() }
        do {
            try await RoleRunner.run(buildApplication(configuration: configuration, logger: logger), logger: logger)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}
