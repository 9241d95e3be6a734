import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraDrivers
import LumoraHTTP
import LumoraWire
import PostgresNIO
import ServiceLifecycle

/// The manager's moving parts, for callers that start them in their own order (`lumora dev`)
/// and for tests.
public struct Manager: Sendable {
    public let application: any ApplicationProtocol
    public let queue: JobQueue
    public let runtime: any CellRuntime
}

/// Builds the manager: the operator API, the public signup, the job workers (woken by
/// LISTEN/NOTIFY), the warm-pool keeper, and — at start — recovery of the cells this machine
/// runs and (for the local runtime) the shared cell.
///
/// `onListening` is told the port the API listens on (port 0 in the configuration: any free one).
public func buildManager(
    configuration: ManagerConfiguration,
    runtime makeRuntime: (PostgresClient) -> any CellRuntime,
    domains: any DomainProvider,
    logger: Logger,
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> Manager {
    var databaseURL = configuration.database
    databaseURL.applicationName = "lumora-manager"
    let client = PostgresClient(configuration: databaseURL.clientConfiguration(maximumConnections: configuration.workers + configuration.migrationConcurrency + 6), backgroundLogger: logger)
    let migrations = LiveMigrationSet(try MigrationSet.store())
    let runtime = makeRuntime(client)
    let queue = JobQueue(client: client, owner: "manager-\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))",
                         lease: configuration.jobLease, logger: logger)
    let platform = Platform(
        client: client, directory: StoreDirectory(client: client, live: migrations, logger: logger), queue: queue,
        runtime: runtime, domains: domains, configuration: configuration, logger: logger)
    let keeper = WarmPoolKeeper(pool: SchemaPool(client: client, live: migrations, logger: logger), target: configuration.warmPoolSize, logger: logger)
    let stores = StoreService(platform: platform, poolDoorbell: { keeper.doorbell.ring() })
    let mailer = configuration.mailer ?? ConsoleMailer(logger: logger)
    let mailTemplates = try OrderMailJob.loadTemplates()
    let runner = JobRunner(
        queue: queue,
        handlers: [
            JobKind.provisionStore: ProvisionStoreJob(platform: platform),
            JobKind.changePlan: ChangePlanJob(platform: platform),
            JobKind.deleteStore: DeleteStoreJob(platform: platform),
            JobKind.release: ReleaseJob(platform: platform, migrations: migrations, migrationConcurrency: configuration.migrationConcurrency),
            JobKind.moveCell: MoveCellJob(platform: platform),
            JobKind.moveStore: MoveStoreJob(platform: platform),
            JobKind.sweepMedia: MediaSweepJob(platform: platform),
            JobKind.expireOrder: ExpireOrderJob(platform: platform),
            JobKind.sendMail: OrderMailJob(platform: platform, mailer: mailer, templates: mailTemplates),
            JobKind.sendAccountMail: AccountMailJob(platform: platform, mailer: mailer),
            PluginOrderInput.jobKind: OrderCreatedPluginsJob(platform: platform),
        ],
        workers: configuration.workers, backoff: configuration.jobBackoff, logger: logger)
    let feed = ChangeFeed(url: configuration.database, subscribers: [runner], logger: logger)

    let router = Router(context: ManagerRequestContext.self)
    router.add(middleware: VersionHeaderMiddleware(version: configuration.version))
    router.add(middleware: ErrorMiddleware())
    router.get("health") { _, _ in try JSONWire.response(["status": "ok"]) }
    let signupLimiter = SignupLimiter(perMinute: configuration.signupsPerMinute, clock: configuration.clock)
    SignupRoutes(stores: stores, limiter: signupLimiter, trustedProxies: configuration.trustedProxies, maximumBodySize: 64 * 1024).add(to: router)
    let accounts = AccountService(platform: platform, stores: stores, hasher: PasswordHasher(logRounds: configuration.passwordLogRounds),
                                  throttle: LoginThrottle(clock: configuration.clock),
                                  sessionLifetime: configuration.sessionLifetime)
    let accountRoutes = AccountRoutes(accounts: accounts, domains: DomainService(platform: platform), signupLimiter: signupLimiter, maximumBodySize: 64 * 1024)
    if let accountsToken = configuration.accountsToken {
        accountRoutes.add(to: router.group("accounts/v1").add(middleware: EdgeAuthentication(token: accountsToken)))
    }
    accountRoutes.addOperatorRoutes(to: router.group("v1").add(middleware: OperatorAuthentication(token: configuration.operatorToken)))
    ManagerRoutes(stores: stores, domains: DomainService(platform: platform), queue: queue, maximumBodySize: 64 * 1024)
        .add(to: router.group("v1").add(middleware: OperatorAuthentication(token: configuration.operatorToken)))
    ReleaseRoutes(releases: ReleaseService(platform: platform), maximumBodySize: 64 * 1024)
        .add(to: router.group("v1").add(middleware: OperatorAuthentication(token: configuration.operatorToken)))
    PlacementRoutes(placement: PlacementService(platform: platform), maximumBodySize: 64 * 1024)
        .add(to: router.group("v1").add(middleware: OperatorAuthentication(token: configuration.operatorToken)))
    PluginRoutes(plugins: PluginService(platform: platform))
        .add(to: router.group("v1").add(middleware: OperatorAuthentication(token: configuration.operatorToken)))

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "lumora-manager"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    let sweeper = MediaSweeper(queue: queue, interval: configuration.mediaSweepInterval, logger: logger)
    app.addServices(client, CellSupervisor(platform: platform, migrations: migrations), feed, runner, keeper, sweeper)
    return Manager(application: app, queue: queue, runtime: runtime)
}

/// Starts with the manager: recovers the cells recorded for this machine, starts the shared
/// cells (when the manager runs them) and places the stores no cell names yet; stops
/// supervising when the manager stops.
struct CellSupervisor: Service {
    let platform: Platform
    let migrations: LiveMigrationSet

    func run() async throws {
        let runtime = platform.runtime
        do {
            try await adoptReleasedMigrations()
            try await runtime.recover()
            // A shared cell keeps the version it was recorded with (a release moves it, not a
            // manager restart); one not recorded yet starts on the current version.
            if platform.configuration.runsSharedCell {
                for number in 1...platform.configuration.sharedCells {
                    let id = CellSpec.sharedCellID(number)
                    let recorded = try await platform.client.query(PlacementSQL.sharedCellVersion(id), logger: platform.logger)
                        .collect((String, String?, String?).self).first.map { CellVersion(name: $0.0, binary: $0.1, image: $0.2) }
                    let version = if let recorded { recorded } else { try await platform.currentVersion() }
                    _ = try await runtime.ensure(.shared(id: id, version: version))
                }
                // Stores that signed up before a shared cell was recorded get one now.
                let placed = try await PlacementService(platform: platform).placeUnplacedStores()
                if !placed.isEmpty { platform.logger.info("placed stores on shared cells", metadata: ["stores": "\(placed)"]) }
            }
        } catch {
            platform.logger.error("could not start the cells", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
        await runtime.shutdown(stopCells: platform.configuration.stopsCellsOnShutdown)
    }

    /// A release may have shipped store migrations newer than this manager's own: new schemas
    /// are built with those.
    private func adoptReleasedMigrations() async throws {
        guard let binary = try await platform.client.query(ReleaseSQL.newestMigratedBinary, logger: platform.logger).collect(String.self).first,
              let set = try? MigrationSet.store(shippedWith: URL(fileURLWithPath: binary)) else { return }
        if migrations.adopt(set) {
            platform.logger.info("building new store schemas with a release's migrations", metadata: ["binary": "\(binary)", "version": "\(set.latestVersion)"])
        }
    }
}
