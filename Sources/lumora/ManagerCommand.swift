import ArgumentParser
import Foundation
import Hummingbird
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import LumoraHTTP
import LumoraManager

struct ManagerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manager",
        abstract: "Run the control plane: stores, domains, cells and the durable jobs that change them."
    )

    @OptionGroup var options: DatabaseOptions
    @OptionGroup var media: MediaOptions
    @OptionGroup var paymentOptions: PaymentOptions
    @OptionGroup var platform: PlatformOptions
    @OptionGroup var drivers: DriverOptions
    @OptionGroup var mail: MailOptions

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port; written to <data-dir>/manager.url either way).") var port = 9090
    @Option(help: "Concurrent job workers.") var workers = 4
    @Flag(help: "Do not start the shared cells (another manager or a deployment runs them).") var noSharedCell = false
    @Option(name: .customLong("shared-cells"), help: "Shared cells to run (shared, shared-2, …); signup puts each standard store on the one with the most room.")
    var sharedCells = 1

    func validate() throws {
        guard (1...16).contains(sharedCells) else { throw ValidationError("--shared-cells must be between 1 and 16") }
        // A Stripe asked for but not configured is refused here, not at the first checkout.
        // (Cloud Run cells may get the keys from Secret Manager, LUMORA_STRIPE_*_REF, which only
        // they can read: there only the providers' names are checked.)
        if try drivers.runtime(ProcessInfo.processInfo.environment) == .local {
            _ = try paymentOptions.cellPayments()
        } else {
            _ = try paymentOptions.providers()
        }
    }

    func run() async throws {
        let logger = options.makeLogger("lumora.manager")
        let database = try await DatabaseHandle.open(dataDirectory: options.dataDirectoryURL, logger: logger)
        do {
            let secret = try Secrets.edgeSecret(options.dataDirectoryURL)
            let mailer = try mail.makeMailer(rootDomain: platform.rootDomain, logger: logger)
            if let mailer {
                logger.info("sending mail over SMTP", metadata: ["smtp.server": "\(mailer.client.configuration)", "mail.from": "\(mailer.sender)"])
            }
            let configuration = ManagerConfiguration(
                host: host, port: port, database: database.url, operatorToken: try Secrets.operatorToken(options.dataDirectoryURL),
                rootDomain: platform.rootDomain, cellVersion: platform.cellVersion, runsSharedCell: !noSharedCell, sharedCells: sharedCells, workers: workers,
                storefrontScheme: platform.storefrontScheme, storefrontPort: platform.storefrontPort,
                trustedProxies: try platform.trustedProxyRanges(), cellMetricsToken: MetricsToken.derived(fromSigningSecret: secret),
                accountsToken: AccountsToken.derived(fromSigningSecret: secret), mailer: mailer,
                mediaStore: try media.store(dataDirectory: options.dataDirectoryURL))
            let runtime = LocalCellRuntime.Configuration(
                database: database.cellURL, signingSecret: secret, logDirectory: options.dataDirectoryURL.appendingPathComponent("logs"),
                environment: media.cellEnvironment(dataDirectory: options.dataDirectoryURL).merging(try paymentOptions.cellEnvironment(fallback: "")) { given, _ in given })
            try FileManager.default.createDirectory(at: options.dataDirectoryURL.appendingPathComponent("logs"), withIntermediateDirectories: true)
            let manager = try buildManager(
                configuration: configuration,
                runtime: try drivers.makeRuntime(local: runtime, edgeSecret: secret, logger: logger),
                domains: try drivers.makeDomains(rootDomain: platform.rootDomain), logger: logger,
                onListening: ManagerAddress.writer(dataDirectory: options.dataDirectoryURL, host: host))
            try await RoleRunner.run(manager.application, logger: logger)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}

/// What the manager and `lumora dev` share about the platform around them.
struct PlatformOptions: ParsableArguments {
    @Option(name: .customLong("root-domain"), help: "Stores live at <slug>.<root-domain>.") var rootDomain = "lumora.localhost"
    @Option(name: .customLong("storefront-port"), help: "The port shoppers use to reach the edge (for store URLs).") var storefrontPort: Int?
    @Option(name: .customLong("storefront-scheme"), help: "http or https: how shoppers reach the edge (for store URLs).") var storefrontScheme = "http"
    @Option(name: .customLong("cell-binary"), help: "The lumora binary cells run (default: this one).") var cellBinary: String?
    @Option(name: .customLong("trusted-proxy"),
            help: "An address or CIDR range whose X-Forwarded-For names the visitor (the edge, for signups; repeatable).")
    var trustedProxies: [String] = []

    func trustedProxyRanges() throws -> [IPRange] {
        try trustedProxies.map { raw in
            guard let range = IPRange(raw) else { throw ValidationError("--trusted-proxy \(raw) is not an address or CIDR range") }
            return range
        }
    }

    var cellVersion: CellVersion {
        let binary = cellBinary ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        return CellVersion(name: LumoraVersion.running, binary: binary)
    }
}
