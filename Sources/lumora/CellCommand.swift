import ArgumentParser
import Foundation
import Hummingbird
import LumoraCell
import LumoraCore
import LumoraDatabase
import LumoraProcess

struct CellCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cell",
        abstract: "Serve the commerce API: --shared for every store placed on it, --store <slug> for one store."
    )

    @OptionGroup var options: DatabaseOptions
    @OptionGroup var media: MediaOptions
    @OptionGroup var paymentOptions: PaymentOptions

    @Flag(help: "Serve many stores; each request names its store in the edge-signed x-store-id header.")
    var shared = false

    @Option(help: "Serve this one store (a dedicated cell).")
    var store: String?

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port; see --port-file).") var port = 8081
    @Option(name: .customLong("port-file"), help: "Write the port listened on to this file once listening.") var portFile: String?
    @Option(name: .customLong("cell-id"), help: "This cell's id in the control schema.") var cellID: String?

    @Option(name: .customLong("secret-file"), help: "A file holding the signing secret shared by the edge and the cells (default: LUMORA_EDGE_SECRET).")
    var secretFile: String?

    @Option(help: "Sustained database-reaching requests per second per standard store.") var storeRate: Double = 200
    @Option(help: "Burst above the sustained rate per standard store.") var storeBurst: Double = 400
    @Option(help: "Requests of one standard store holding the database at once.") var storeConcurrency: Int = 16
    @Option(help: "One visitor's share (0-1] of a store's rate, burst and concurrency; every request, cache hits too, spends the visitor's rate.")
    var visitorShare: Double = 0.25
    @Option(help: "Per-transaction statement timeout, in milliseconds.") var statementTimeout: Int = 5000
    @Option(help: "Database connections in the pool.") var databaseConnections: Int = 16
    @Flag(help: "Stop when standard input closes (the process that started this cell went away).") var lifeline = false
    @Option(help: "Seconds a cached storefront response may live without a change notification (0 turns the cache off).")
    var cacheSeconds: Int = 60
    @Option(name: .customLong("plugin-deadline-ms"),
            help: "A plugin call's wall-clock deadline in milliseconds (default: 250 on a dedicated cell, 50 on a shared one); fuel is the hard stop.")
    var pluginDeadline: Int?

    func validate() throws {
        guard shared != (store != nil) else {
            throw ValidationError("choose exactly one of --shared and --store <slug>")
        }
        if let store { _ = try StoreSlug(validating: store) }
        if let pluginDeadline, pluginDeadline <= 0 { throw ValidationError("--plugin-deadline-ms must be positive") }
    }

    func run() async throws {
        let logger = options.makeLogger("lumora.cell")
        let secret = try Secrets.signingSecret(file: secretFile, role: "cell")
        let (payments, stripe) = try paymentOptions.cellPayments()
        let mode: CellConfiguration.Mode = try store.map { .dedicated(try StoreSlug(validating: $0)) } ?? .shared
        let database = try await DatabaseHandle.open(dataDirectory: options.dataDirectoryURL, logger: logger)
        var configuration = CellConfiguration(
            mode: mode,
            cellID: cellID ?? store.map { "store-\($0)" } ?? "shared",
            host: host, port: port, database: database.cellURL, signingSecret: secret,
            limits: .init(standard: .init(requestsPerSecond: storeRate, burst: storeBurst, concurrency: storeConcurrency, visitorShare: visitorShare),
                          enterprise: .init(requestsPerSecond: max(storeRate, 1000), burst: max(storeBurst, 2000),
                                            concurrency: max(storeConcurrency, 64), visitorShare: visitorShare)),
            statementTimeout: .milliseconds(statementTimeout),
            databaseConnections: databaseConnections,
            version: LumoraVersion.running,
            cacheLifetime: .seconds(cacheSeconds),
            mediaStore: try media.store(dataDirectory: options.dataDirectoryURL))
        configuration.payments = payments
        configuration.stripe = stripe
        configuration.pluginDeadline = pluginDeadline.map { .milliseconds($0) }
        if lifeline { Lifeline.watchStandardInput() }
        do {
            try await RoleRunner.run(buildApplication(configuration: configuration, logger: logger, onListening: PortFile.writer(portFile)),
                                     logger: logger)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}
