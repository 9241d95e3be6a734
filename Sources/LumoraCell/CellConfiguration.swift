import Foundation
import LumoraCore
import LumoraDatabase

/// Everything a cell needs to start.
public struct CellConfiguration: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Many stores; the store comes from the edge-signed `x-store-id` header.
        case shared
        /// One store, whose `search_path` is fixed when each connection starts.
        case dedicated(StoreSlug)
    }

    /// Per-store limits in shared mode, so one busy store cannot starve the rest.
    public struct StoreLimits: Sendable, Equatable {
        /// Sustained requests per second per store (token bucket refill rate).
        public var requestsPerSecond: Double
        /// Requests a store may send in a burst above the sustained rate.
        public var burst: Double
        /// Requests of one store in flight at once.
        public var concurrency: Int

        public init(requestsPerSecond: Double = 200, burst: Double = 400, concurrency: Int = 16) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
            self.concurrency = concurrency
        }

        /// No limits (benchmarks of raw throughput).
        public static let unlimited = StoreLimits(requestsPerSecond: .infinity, burst: .infinity, concurrency: .max)
    }

    public var mode: Mode
    /// The id this cell has in `lumora.cells` (shared cells) — reported, not enforced.
    public var cellID: String
    public var host: String
    public var port: Int
    public var database: DatabaseURL
    /// The secret shared with the edge for `x-lumora-signature`.
    public var signingSecret: String
    public var limits: StoreLimits
    public var statementTimeout: Duration
    public var maximumBodySize: Int
    public var databaseConnections: Int
    /// The running Lumora version, sent as `x-lumora-version` on every response.
    public var version: String
    /// How long a cached storefront response may live without a change notification.
    public var cacheLifetime: Duration

    public init(
        mode: Mode,
        cellID: String = "shared",
        host: String = "127.0.0.1",
        port: Int = 8081,
        database: DatabaseURL,
        signingSecret: String,
        limits: StoreLimits = StoreLimits(),
        statementTimeout: Duration = .seconds(5),
        maximumBodySize: Int = 256 * 1024,
        databaseConnections: Int = 16,
        version: String = LumoraVersion.current,
        cacheLifetime: Duration = .seconds(60)
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
    }
}
