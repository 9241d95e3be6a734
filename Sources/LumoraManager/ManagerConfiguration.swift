import Foundation
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import LumoraMedia
import LumoraHTTP

/// Everything the manager needs to start.
public struct ManagerConfiguration: Sendable {
    public var host: String
    /// What `env:<NAME>` connection references of databases resolve against (the manager's
    /// own environment; tests give their own).
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    public var port: Int
    public var database: DatabaseURL
    /// `Authorization: Bearer <operator token>` for everything but the public signup.
    public var operatorToken: String
    public var rootDomain: String
    /// The version new cells run (and the shared cell, when the manager starts it).
    public var cellVersion: CellVersion
    /// Start and supervise the shared cells (`lumora dev`, the local runtime).
    public var runsSharedCell: Bool
    /// How many shared cells serve the database (`shared`, `shared-2`, …); signup puts each
    /// standard store on the one with the most room.
    public var sharedCells: Int
    public var workers: Int
    /// Store schemas a release migrates at once.
    public var migrationConcurrency: Int
    public var jobLease: Duration
    public var jobBackoff: JobRunner.Backoff
    /// Store schemas kept ready in the warm pool.
    public var warmPoolSize: Int
    /// How long a deleted store's data is kept before it is purged.
    public var deletionGracePeriod: Duration
    /// Public signups per client address per minute.
    public var signupsPerMinute: Int
    public var version: String
    /// How shoppers reach the edge: store URLs are `<scheme>://<host>[:<port>]/`.
    public var storefrontScheme: String
    public var storefrontPort: Int?
    /// Stop the cells when the manager stops (a developer's machine); otherwise they keep
    /// serving and the next manager adopts them.
    public var stopsCellsOnShutdown: Bool
    /// Peers whose `X-Forwarded-For` names the visitor (the edge, for the landing page's
    /// signup); anyone else is counted by their own address.
    public var trustedProxies: [IPRange]
    /// What cells' `/metrics` ask for (the release health gate reads them); nil sends none.
    public var cellMetricsToken: String?
    /// What the signup limiter reads the time from (tests move it by hand).
    public var clock: any MonotonicClock
    /// What the edge presents to the account API (`AccountsToken`); nil: no dashboard.
    public var accountsToken: String?
    /// log2 of scrypt's cost for new password hashes (tests use less).
    public var passwordLogRounds: Int
    public var sessionLifetime: Duration
    /// Where the outbox sends mail: an `SMTPMailer` (`--smtp-url`), else the console.
    public var mailer: (any Mailer)?
    /// Where store media are kept (the cells write there): the sweep removes deleted media's
    /// files, and a purged store's go with it.
    public var mediaStore: any MediaStore
    /// How long a deleted media's files stay (an upload of the same bytes brings it back).
    public var mediaGracePeriod: Duration
    /// How often the sweep of deleted media is queued.
    public var mediaSweepInterval: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 9090,
        database: DatabaseURL,
        operatorToken: String,
        rootDomain: String = "lumora.localhost",
        cellVersion: CellVersion = CellVersion(name: LumoraVersion.current),
        runsSharedCell: Bool = true,
        sharedCells: Int = 1,
        workers: Int = 4,
        migrationConcurrency: Int = 4,
        jobLease: Duration = .seconds(10),
        jobBackoff: JobRunner.Backoff = .init(),
        warmPoolSize: Int = 20,
        deletionGracePeriod: Duration = .seconds(7 * 24 * 3600),
        signupsPerMinute: Int = 5,
        version: String = LumoraVersion.current,
        storefrontScheme: String = "http",
        storefrontPort: Int? = nil,
        stopsCellsOnShutdown: Bool = false,
        trustedProxies: [IPRange] = [],
        cellMetricsToken: String? = nil,
        clock: any MonotonicClock = SystemClock(),
        accountsToken: String? = nil,
        passwordLogRounds: Int = 15,
        sessionLifetime: Duration = .seconds(14 * 24 * 3600),
        mailer: (any Mailer)? = nil,
        mediaStore: any MediaStore = LocalDiskMediaStore.inTemporaryFolder,
        mediaGracePeriod: Duration = .seconds(24 * 3600),
        mediaSweepInterval: Duration = .seconds(3600)
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.operatorToken = operatorToken
        self.rootDomain = rootDomain.lowercased()
        self.cellVersion = cellVersion
        self.runsSharedCell = runsSharedCell
        self.sharedCells = max(1, sharedCells)
        self.workers = workers
        self.migrationConcurrency = migrationConcurrency
        self.jobLease = jobLease
        self.jobBackoff = jobBackoff
        self.warmPoolSize = warmPoolSize
        self.deletionGracePeriod = deletionGracePeriod
        self.signupsPerMinute = signupsPerMinute
        self.version = version
        self.storefrontScheme = storefrontScheme
        self.storefrontPort = storefrontPort
        self.stopsCellsOnShutdown = stopsCellsOnShutdown
        self.trustedProxies = trustedProxies
        self.cellMetricsToken = cellMetricsToken
        self.clock = clock
        self.accountsToken = accountsToken
        self.passwordLogRounds = passwordLogRounds
        self.sessionLifetime = sessionLifetime
        self.mailer = mailer
        self.mediaStore = mediaStore
        self.mediaGracePeriod = mediaGracePeriod
        self.mediaSweepInterval = mediaSweepInterval
    }

    /// The merchant dashboard's address (`app.` under the root domain), with a trailing slash.
    public var dashboardURL: String {
        storefrontURL(host: "app." + rootDomain)
    }

    public func storefrontURL(host: String) -> String {
        "\(storefrontScheme)://\(host)\(storefrontPort.map { ":\($0)" } ?? "")/"
    }
}
