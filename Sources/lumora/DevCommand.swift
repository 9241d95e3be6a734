import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import LumoraCore
import LumoraDatabase
import LumoraProcess
import LumoraDrivers
import LumoraEdge
import LumoraHTTP
import LumoraMail
import LumoraManager
import PostgresNIO
import ServiceLifecycle

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run the whole platform on this machine: PostgreSQL, the manager, a shared cell, the edge and demo stores."
    )

    @OptionGroup var options: DatabaseOptions
    @OptionGroup var media: MediaOptions
    @OptionGroup var paymentOptions: PaymentOptions
    @Option(name: .customLong("edge-port"), help: "The storefronts' port.") var edgePort = 8080
    @Option(name: .customLong("manager-port"), help: "The manager's port.") var managerPort = 9090
    @Option(name: .customLong("root-domain"), help: "Stores live at <slug>.<root-domain>; *.localhost needs no DNS.")
    var rootDomain = "lumora.localhost"
    @Option(help: "Pre-made store schemas kept ready for fast signups.") var warmPool = 20
    @Flag(help: "Do not open the demo stores on the first run.") var noDemo = false
    @Option(name: .customLong("shared-cells"), help: "Shared cells to run (shared, shared-2, …); signup puts each standard store on the one with the most room.")
    var sharedCells = 1
    @OptionGroup var drivers: DriverOptions
    @OptionGroup var mail: MailOptions
    @Option(name: .customLong("mail-page-port"), help: "The caught-mail page's port (0: any free one).") var mailPagePort = 0

    func validate() throws {
        // A Stripe asked for but not configured is refused here, not at the first checkout.
        _ = try paymentOptions.cellPayments(fallback: "test")
        // Before anything starts: a taken port found after PostgreSQL, the manager and the
        // cells are up would have to unwind all of them.
        for (port, flag) in [(edgePort, "--edge-port"), (managerPort, "--manager-port"), (mailPagePort, "--mail-page-port")]
        where port != 0 && !FreePort.isAvailable(port) {
            throw ValidationError("port \(port) on 127.0.0.1 is taken (another lumora dev, or another program): choose another with \(flag) <port>")
        }
        guard edgePort != managerPort else { throw ValidationError("--edge-port and --manager-port must differ") }
        guard (1...16).contains(sharedCells) else { throw ValidationError("--shared-cells must be between 1 and 16") }
    }

    func run() async throws {
        let logger = options.makeLogger("lumora.dev")
        let folder = options.dataDirectoryURL
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("logs"), withIntermediateDirectories: true)
        // Mail goes to the server given, else to a catcher on loopback that a page shows.
        let given = try mail.makeMailer(rootDomain: rootDomain, logger: logger)
        let catcher: MailCatcher? = given == nil ? try await MailCatcher.start(host: "127.0.0.1", port: 0, logger: logger) : nil
        let database: DatabaseHandle
        let mailer: SMTPMailer
        do {
            if let given {
                mailer = given
            } else {
                mailer = try SMTPMailer(configuration: SMTPConfiguration(host: "127.0.0.1", port: catcher?.port ?? 0, security: .none),
                                        from: mail.sender(rootDomain: rootDomain), logger: logger)
            }
            database = try await DatabaseHandle.open(dataDirectory: folder, logger: logger)
        } catch {
            try? await catcher?.shutdown()
            throw error
        }
        do {
            try await PostgresClient.withRunning(database.url.clientConfiguration(maximumConnections: 4), logger: logger) { client in
                _ = try await PlatformMigrator(client: client, logger: logger).migrate()
            }
            let secret = try Secrets.edgeSecret(folder)
            let operatorToken = try Secrets.operatorToken(folder)
            let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            let version = CellVersion(name: LumoraVersion.running, binary: binary)
            let runtime = LocalCellRuntime.Configuration(
                database: database.cellURL, signingSecret: secret, tieCellsToManager: true, logDirectory: folder.appendingPathComponent("logs"),
                environment: media.cellEnvironment(dataDirectory: folder).merging(try paymentOptions.cellEnvironment(fallback: "test")) { given, _ in given })
            let manager = try buildManager(
                configuration: ManagerConfiguration(
                    port: managerPort, database: database.url, operatorToken: operatorToken, rootDomain: rootDomain, cellVersion: version,
                    sharedCells: sharedCells, warmPoolSize: warmPool, storefrontPort: edgePort, stopsCellsOnShutdown: true,
                    // The edge runs in this process and reaches the manager over loopback.
                    trustedProxies: [IPRange("127.0.0.1")!, IPRange("::1")!],
                    cellMetricsToken: MetricsToken.derived(fromSigningSecret: secret),
                    accountsToken: AccountsToken.derived(fromSigningSecret: secret), mailer: mailer,
                    mediaStore: try media.store(dataDirectory: folder)),
                runtime: try drivers.makeRuntime(local: runtime, edgeSecret: secret, logger: logger),
                domains: try drivers.makeDomains(rootDomain: rootDomain), logger: logger,
                onListening: ManagerAddress.writer(dataDirectory: folder, host: "127.0.0.1"))
            let edge = try await LumoraEdge.buildApplication(
                configuration: EdgeConfiguration(port: edgePort, rootDomain: rootDomain, database: database.edgeURL, signingSecret: secret,
                                                 managerURL: "http://127.0.0.1:\(managerPort)", accountsToken: AccountsToken.derived(fromSigningSecret: secret),
                                                 mediaStore: try media.store(dataDirectory: folder)),
                logger: logger)
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: manager.application), .init(service: edge)]
            let mailLine: Welcome.MailLine
            if let catcher {
                let pagePort = ReportedPort()
                services.append(.init(service: try CaughtMailPage.buildApplication(catcher: catcher, port: mailPagePort, logger: logger,
                                                                                   onListening: { pagePort.report($0) })))
                mailLine = .caught(smtp: "smtp://127.0.0.1:\(catcher.port)", page: pagePort)
            } else {
                mailLine = .sent("\(mailer.client.configuration)")
            }
            let welcome = Welcome(
                folder: folder, database: database, managerURL: "http://127.0.0.1:\(managerPort)", edgePort: edgePort,
                rootDomain: rootDomain, operatorToken: operatorToken, seedDemo: !noDemo, mail: mailLine, logger: logger)
            services.append(.init(service: welcome, successTerminationBehavior: .ignore))

            var group = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = .seconds(20)
            group.maximumCancellationDuration = .seconds(5)
            try await ServiceGroup(configuration: group).run()
        } catch {
            await database.close()
            try? await catcher?.shutdown()
            throw error
        }
        await database.close()
        try? await catcher?.shutdown()
        print("Lumora stopped.")
    }
}

/// Waits for the platform to answer, opens the demo stores on the first run, and prints where
/// everything is.
struct Welcome: Service {
    let folder: URL
    let database: DatabaseHandle
    let managerURL: String
    let edgePort: Int
    let rootDomain: String
    let operatorToken: String
    let seedDemo: Bool
    let mail: MailLine
    let logger: Logger

    /// Where the platform's mail goes.
    enum MailLine: Sendable {
        /// To the catcher, shown on a page whose port is reported once it listens.
        case caught(smtp: String, page: ReportedPort)
        /// To the SMTP server given (its URL without the password).
        case sent(String)
    }

    func run() async throws {
        let edgeURL = "http://127.0.0.1:\(edgePort)"
        try await waitFor(managerURL + "/health")
        let demoFile = folder.appendingPathComponent("demo-stores.json")
        var stores: [DemoStores.Store] = (try? JSONDecoder().decode([DemoStores.Store].self, from: Data(contentsOf: demoFile))) ?? []
        let demo = DemoStores(managerURL: managerURL, operatorToken: operatorToken, edgeURL: edgeURL, rootDomain: rootDomain, logger: logger)
        if stores.isEmpty && seedDemo {
            print("Opening the demo stores (first run)…")
            stores = try await demo.seed()
            try PrivateFile.create(demoFile, contents: try JSONEncoder().encode(stores))
        } else if stores.contains(where: { $0.owner == nil }) {
            // A data folder from before the dashboard: give each demo store its owner now.
            stores = try await demo.addOwners(stores)
            try PrivateFile.create(demoFile, contents: try JSONEncoder().encode(stores))
        }
        let port = edgePort == 80 ? "" : ":\(edgePort)"
        var lines = ["", "Lumora is running.", "", "  Storefronts"]
        for store in stores {
            lines.append("    \(store.name.padding(toLength: 20, withPad: " ", startingAt: 0)) http://\(store.slug).\(rootDomain)\(port)/  (\(store.plan)\(store.plan == "enterprise" ? ", its own cell" : ", shared cell"))")
        }
        if stores.isEmpty { lines.append("    (none yet: sign up on the landing page)") }
        lines += [
            "  Dashboard            http://app.\(rootDomain)\(port)/",
        ]
        for store in stores {
            if let owner = store.owner { lines.append("    \(store.name.padding(toLength: 20, withPad: " ", startingAt: 0)) owner \(owner.email)  password \(owner.password)") }
        }
        lines += [
            "  Landing page         http://\(rootDomain)\(port)/",
            "  Manager              \(managerURL)   operator token: \(operatorToken)",
            "  PostgreSQL           \(database.url)",
        ]
        for cell in await cells() {
            lines.append("  Cell \(cell.id.padding(toLength: 15, withPad: " ", startingAt: 0)) \(cell.endpoint ?? "(starting)")  \(cell.kind), \(cell.stores.count) store\(cell.stores.count == 1 ? "" : "s")")
        }
        switch mail {
        case .caught(let smtp, let page):
            lines.append("  Mail                 \(smtp) — caught mails at http://127.0.0.1:\(try await page.value)/")
        case .sent(let server):
            lines.append("  Mail                 sent through \(server)")
        }
        if !stores.isEmpty {
            lines.append("  Owners and API tokens in \(folder.appendingPathComponent("demo-stores.json").path)")
        }
        lines += ["", "Try: swift run lumora stores list --data-dir \(folder.path)", "Press Ctrl-C to stop.", ""]
        print(lines.joined(separator: "\n"))
        try? await gracefulShutdown()
    }

    /// The cells and the stores each serves, as the manager lists them (none if it cannot say).
    private func cells() async -> [CellView] {
        var request = HTTPClientRequest(url: managerURL + "/v1/cells")
        request.headers.add(name: "Authorization", value: "Bearer \(operatorToken)")
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)), response.status == .ok,
              let body = try? await response.body.collect(upTo: 1 << 20),
              let listed = try? JSONWire.decoder.decode(Listed.self, from: Data(buffer: body)) else { return [] }
        return listed.cells
    }

    private struct Listed: Decodable { let cells: [CellView] }

    private func waitFor(_ url: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if (try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(1)).status) == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw OperatorError("\(url) did not answer")
    }
}

/// A port a server started on port 0 reports once it listens (`onListening`), for whoever
/// prints it.
final class ReportedPort: Sendable {
    private let stream: AsyncStream<Int>
    private let continuation: AsyncStream<Int>.Continuation

    init() {
        (stream, continuation) = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func report(_ port: Int) {
        continuation.yield(port)
        continuation.finish()
    }

    var value: Int {
        get async throws {
            for await port in stream { return port }
            throw OperatorError("the server stopped before it listened")
        }
    }
}
