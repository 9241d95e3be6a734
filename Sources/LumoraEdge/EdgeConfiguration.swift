import Foundation
import NIOCore
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraMedia

/// Everything an edge needs to start.
public struct EdgeConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Stores live at `<slug>.<rootDomain>`; the root domain itself shows Lumora's landing page.
    public var rootDomain: String
    public var database: DatabaseURL
    /// Shared with the cells: the edge signs `x-store-id` with it.
    public var signingSecret: String
    /// Where stores without a cell of their own are served, when `lumora.cells` names no
    /// shared cell with an endpoint.
    public var sharedCellURL: String?
    /// Addresses whose `x-forwarded-host` / `x-forwarded-proto` are believed (the CDN).
    public var trustedProxies: [IPRange]
    /// The manager's URL, for the landing page's signup form and the dashboard.
    public var managerURL: String?
    /// What the edge presents to the manager's account API (`AccountsToken`); with `managerURL`
    /// it opens the dashboard at `app.<rootDomain>` and the landing page's signup.
    public var accountsToken: String?
    public var version: String
    public var pageCacheLifetime: Duration
    public var maximumBodySize: Int
    /// A visitor's request head must be complete this long after its first byte.
    public var headerTimeout: Duration
    /// A visitor connection with nothing to do is closed after this long.
    public var idleTimeout: Duration
    /// Open connections one client address may hold (trusted proxies: no limit).
    public var maximumConnectionsPerAddress: Int
    /// Where store media are read from (the cells write there).
    public var mediaStore: any MediaStore
    /// Memory for the media files served lately.
    public var mediaCacheBytes: Int
    /// Request bodies: `maximumBodySize`, and image uploads through the API (10 MB and the form).
    public var bodyLimits: BodyLimits { BodyLimits(general: maximumBodySize, upload: ImageLimits().maximumBytes + 64 * 1024) }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        rootDomain: String = "lumora.localhost",
        database: DatabaseURL,
        signingSecret: String,
        sharedCellURL: String? = nil,
        trustedProxies: [IPRange] = [],
        managerURL: String? = nil,
        accountsToken: String? = nil,
        version: String = LumoraVersion.current,
        pageCacheLifetime: Duration = .seconds(60),
        maximumBodySize: Int = 256 * 1024,
        headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        maximumConnectionsPerAddress: Int = 256,
        mediaStore: any MediaStore = LocalDiskMediaStore.inTemporaryFolder,
        mediaCacheBytes: Int = 64 * 1_048_576
    ) {
        self.host = host
        self.port = port
        self.rootDomain = rootDomain.lowercased()
        self.database = database
        self.signingSecret = signingSecret
        self.sharedCellURL = sharedCellURL
        self.trustedProxies = trustedProxies
        self.managerURL = managerURL
        self.accountsToken = accountsToken
        self.version = version
        self.pageCacheLifetime = pageCacheLifetime
        self.maximumBodySize = maximumBodySize
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maximumConnectionsPerAddress = maximumConnectionsPerAddress
        self.mediaStore = mediaStore
        self.mediaCacheBytes = mediaCacheBytes
    }

    var connectionDeadlines: ConnectionDeadlines.Configuration {
        ConnectionDeadlines.Configuration(headerTimeout: TimeAmount(headerTimeout), idleTimeout: TimeAmount(idleTimeout))
    }

    /// Whether a request from `peer` may name the host and scheme in `x-forwarded-*`.
    func trusts(_ peer: SocketAddress?) -> Bool {
        // No trusted proxies (the common case): no need to format the peer's address.
        guard !trustedProxies.isEmpty, let address = peer?.ipAddress else { return false }
        return trustedProxies.contains { $0.contains(address) }
    }

    /// The visitor's address: the peer's, or behind trusted proxies the nearest untrusted
    /// address of `x-forwarded-for`.
    func visitor(peer: SocketAddress?, forwardedFor: String?) -> String? {
        VisitorAddress.resolve(peer: peer?.ipAddress, forwardedFor: forwardedFor, trustedProxies: trustedProxies)
    }
}
