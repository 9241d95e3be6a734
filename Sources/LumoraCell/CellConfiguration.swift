import Foundation
import LumoraCore
import LumoraPlugins
import LumoraDatabase
import LumoraHTTP
import LumoraMedia
import LumoraPayments

/// Everything a cell needs to start.
public struct CellConfiguration: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Many stores; the store comes from the edge-signed `x-store-id` header.
        case shared
        /// One store, whose `search_path` is fixed when each connection starts.
        case dedicated(StoreSlug)
    }

    /// Per-store limits, so one busy store cannot starve the rest and one visitor cannot starve
    /// a store's other shoppers.
    public struct StoreLimits: Sendable, Equatable {
        /// Sustained database-reaching requests per second per store (token bucket refill rate).
        public var requestsPerSecond: Double
        /// Requests a store may send in a burst above the sustained rate.
        public var burst: Double
        /// Requests of one store holding the database at once.
        public var concurrency: Int
        /// One visitor's part of each of the above (0 < share <= 1): every request spends the
        /// visitor's rate, cache hits included.
        public var visitorShare: Double

        public init(requestsPerSecond: Double = 200, burst: Double = 400, concurrency: Int = 16, visitorShare: Double = 0.25) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
            self.concurrency = concurrency
            self.visitorShare = min(max(visitorShare, 0.001), 1)
        }

        var visitorRate: Double { requestsPerSecond * visitorShare }
        var visitorBurst: Double { max(1, (burst * visitorShare).rounded(.down)) }
        var visitorConcurrency: Int { concurrency == .max ? .max : max(1, Int((Double(concurrency) * visitorShare).rounded(.down))) }

        /// No limits (benchmarks of raw throughput).
        public static let unlimited = StoreLimits(requestsPerSecond: .infinity, burst: .infinity, concurrency: .max, visitorShare: 1)
    }

    /// Limits by plan: a standard store shares a cell, an enterprise store's cell is its own.
    public struct PlanLimits: Sendable, Equatable {
        public var standard: StoreLimits
        public var enterprise: StoreLimits

        public init(standard: StoreLimits = StoreLimits(),
                    enterprise: StoreLimits = StoreLimits(requestsPerSecond: 1000, burst: 2000, concurrency: 64)) {
            self.standard = standard
            self.enterprise = enterprise
        }

        /// The same limits whatever the plan.
        public init(all limits: StoreLimits) {
            self.init(standard: limits, enterprise: limits)
        }

        public subscript(plan: Plan) -> StoreLimits {
            switch plan {
            case .standard: return standard
            case .enterprise: return enterprise
            }
        }

        public static let unlimited = PlanLimits(all: .unlimited)
    }

    /// How many bytes of images (all renditions) a store may keep, by plan.
    /// Which payment providers this platform offers stores, and for how long an order waits
    /// for an online payment before its stock is released.
    public struct Payments: Sendable, Equatable {
        /// Always holds `manual`.
        public var available: [PaymentProviderKind]
        /// What a store that chose nothing uses: `test` where offered (a developer's machine), else manual.
        public var defaultProvider: PaymentProviderKind
        public var paymentWindow: Duration

        public init(available: [PaymentProviderKind] = [.manual], paymentWindow: Duration = .seconds(30 * 60)) {
            let offered = Set(available + [.manual]).sorted()
            self.available = offered
            self.defaultProvider = offered.contains(.test) ? .test : .manual
            self.paymentWindow = paymentWindow
        }

        /// Stripe takes a session's expiry no sooner than 30 minutes after it is made; an order
        /// paid there waits a little longer than that, so its session ends with it.
        public func paymentWindow(for provider: PaymentProviderKind) -> Duration {
            provider == .stripe ? max(paymentWindow, Self.stripeMinimumWindow) : paymentWindow
        }

        public static let stripeMinimumWindow = Duration.seconds(35 * 60)
    }

    public struct MediaQuotas: Sendable, Equatable {
        public var standard: Int64
        public var enterprise: Int64

        public init(standard: Int64 = 1 << 30, enterprise: Int64 = 50 << 30) {
            self.standard = standard
            self.enterprise = enterprise
        }

        public subscript(plan: Plan) -> Int64 {
            switch plan {
            case .standard: return standard
            case .enterprise: return enterprise
            }
        }
    }

    public var mode: Mode
    /// The id this cell has in `lumora.cells` (shared cells) — reported, not enforced.
    public var cellID: String
    public var host: String
    public var port: Int
    public var database: DatabaseURL
    /// The secret shared with the edge for `x-lumora-signature`.
    public var signingSecret: String
    public var limits: PlanLimits
    public var statementTimeout: Duration
    public var maximumBodySize: Int
    public var databaseConnections: Int
    /// The running Lumora version, sent as `x-lumora-version` on every response.
    public var version: String
    /// How long a cached storefront response may live without a change notification.
    public var cacheLifetime: Duration
    /// What the limiters read the time from (tests move it by hand).
    public var clock: any MonotonicClock
    /// What `/metrics` asks for; derived from the signing secret unless set.
    public var metricsToken: String
    /// Whether a logo URL a merchant sets loads (tests answer for URLs they cannot fetch).
    public var imageChecker: any ImageURLChecker
    /// Where uploaded images' files go (the data folder's `media`, or Cloud Storage).
    public var mediaStore: any MediaStore
    public var mediaQuotas: MediaQuotas
    public var imageProcessor: ImageProcessor
    public var payments: Payments
    /// The platform's Stripe key and webhook secret; with it the cell offers `stripe`.
    public var stripe: StripeConfiguration?
    /// The first wait before a Stripe call that met a 429, a 5xx or no answer is retried (then
    /// doubling, with jitter). Real time, not `clock`: the retry is the client's policy, and a
    /// test that shortens it never has to move a clock in step with a request in flight.
    public var stripeRetryBackoff: Duration = .milliseconds(500)
    /// A plugin call's wall-clock deadline, if not its limits' own (`lumora cell
    /// --plugin-deadline-ms`): fuel is what bounds a call; this discards a slow one's answer.
    public var pluginDeadline: Duration?
    /// A plugin call's fuel, if not its limits' own (tests keep a spinning module's calls short).
    public var pluginFuel: UInt64?
    /// What one plugin call may spend: a dedicated cell's limits, or a shared cell's tighter ones.
    var pluginLimits: PluginLimits {
        var limits: PluginLimits = if case .dedicated = mode { .dedicated } else { .shared }
        if let pluginDeadline { limits.deadline = pluginDeadline }
        if let pluginFuel { limits.fuel = pluginFuel }
        return limits
    }
    /// Which providers stores on this cell may choose: `payments`, and Stripe where configured.
    public var offeredPayments: Payments {
        guard stripe != nil, !payments.available.contains(.stripe) else { return payments }
        return Payments(available: payments.available + [.stripe], paymentWindow: payments.paymentWindow)
    }
    /// Bodies of requests: the general limit is `maximumBodySize`; image uploads get theirs.
    public var bodyLimits: BodyLimits { BodyLimits(general: maximumBodySize, upload: imageProcessor.limits.maximumBytes + 64 * 1024) }

    public init(
        mode: Mode,
        cellID: String = "shared",
        host: String = "127.0.0.1",
        port: Int = 8081,
        database: DatabaseURL,
        signingSecret: String,
        limits: PlanLimits = PlanLimits(),
        statementTimeout: Duration = .seconds(5),
        maximumBodySize: Int = 256 * 1024,
        databaseConnections: Int = 16,
        version: String = LumoraVersion.current,
        cacheLifetime: Duration = .seconds(60),
        clock: any MonotonicClock = SystemClock(),
        mediaStore: any MediaStore = LocalDiskMediaStore.inTemporaryFolder,
        mediaQuotas: MediaQuotas = MediaQuotas()
    ) {
        self.mode = mode
        self.cellID = cellID
        self.host = host
        self.port = port
        self.database = database
        self.signingSecret = signingSecret
        self.limits = limits
        self.statementTimeout = statementTimeout
        self.maximumBodySize = maximumBodySize
        self.databaseConnections = databaseConnections
        self.version = version
        self.cacheLifetime = cacheLifetime
        self.clock = clock
        self.metricsToken = MetricsToken.derived(fromSigningSecret: signingSecret)
        self.imageChecker = HTTPImageURLChecker()
        self.mediaStore = mediaStore
        self.mediaQuotas = mediaQuotas
        self.imageProcessor = ImageProcessor()
        self.payments = Payments()
        self.stripe = nil
    }
}
