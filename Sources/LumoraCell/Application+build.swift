import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraHTTP
import LumoraPayments
import LumoraPlugins
import PostgresNIO

/// Builds the cell: its database pool (shared: one pool for every store; dedicated: the
/// store's `search_path` fixed on every connection), the routing table and response cache kept
/// fresh by one LISTEN connection, and the routes. Tests build the same application.
///
/// `onListening` is told the port the server is bound to (port 0 in the configuration: any free
/// one, as tests ask, so nothing picks a port that another process takes first).
public func buildApplication(configuration: CellConfiguration, logger: Logger,
                             onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    let databaseURL: DatabaseURL
    let scopeMode: TenantScope.Mode
    switch configuration.mode {
    case .shared:
        databaseURL = configuration.database
        scopeMode = .shared
    case .dedicated(let slug):
        databaseURL = TenantScope.dedicatedURL(configuration.database, for: slug)
        scopeMode = .dedicated(slug)
    }
    var poolURL = databaseURL
    poolURL.applicationName = poolURL.applicationName ?? "lumora-cell"
    let client = PostgresClient(configuration: poolURL.clientConfiguration(maximumConnections: configuration.databaseConnections), backgroundLogger: logger)
    let table = StoreRoutingTable(client: client, logger: logger)
    let cache = StoreResponseCache(lifetime: configuration.cacheLifetime)
    // Plugins are read through a pool of their own (StorePluginRegistry says why).
    var pluginURL = configuration.database
    pluginURL.applicationName = "lumora-cell-plugins"
    let pluginClient = PostgresClient(configuration: pluginURL.clientConfiguration(maximumConnections: 2), backgroundLogger: logger)
    let plugins = StorePluginRegistry(client: pluginClient, sandbox: PluginSandbox(limits: configuration.pluginLimits, clock: configuration.clock),
                                      sharedCell: configuration.mode == .shared, logger: logger)
    let feed = ChangeFeed(url: configuration.database, subscribers: [table, cache, plugins], logger: logger)
    let metrics = CellMetrics()
    let limiter = StoreLimiter(clock: configuration.clock)
    let scope = TenantScope(client: client, mode: scopeMode, statementTimeout: configuration.statementTimeout, admission: limiter, logger: logger)

    let router = buildRouter(configuration: configuration, client: client, table: table, cache: cache, metrics: metrics, scope: scope,
                             limiter: limiter, plugins: plugins, logger: logger)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "lumora-cell"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    app.addServices(client, pluginClient, feed)
    app.beforeServerStarts {
        // Serve once the routing table is loaded, or after a few seconds regardless (then
        // /ready says why requests are refused).
        _ = try? await withTimeout(.seconds(10)) { await feed.waitUntilListening() }
    }
    return app
}

/// Every route the cell serves, as `METHOD /path` (the OpenAPI document must list them all).
public func cellRouteDescriptions(configuration: CellConfiguration, logger: Logger) -> [String] {
    let client = PostgresClient(configuration: configuration.database.clientConfiguration(maximumConnections: 1), backgroundLogger: logger)
    let table = StoreRoutingTable(client: client, logger: logger)
    let router = buildRouter(configuration: configuration, client: client, table: table, cache: StoreResponseCache(lifetime: .seconds(1)),
                             metrics: CellMetrics(), scope: TenantScope(client: client, logger: logger), limiter: StoreLimiter(),
                             plugins: StorePluginRegistry(client: client, sandbox: PluginSandbox(limits: .shared), sharedCell: true, logger: logger),
                             logger: logger)
    return router.routes.map { "\($0.method.rawValue) \($0.path)" }.sorted()
}

func buildRouter(
    configuration: CellConfiguration, client: PostgresClient, table: StoreRoutingTable, cache: StoreResponseCache,
    metrics: CellMetrics, scope: TenantScope, limiter: StoreLimiter, plugins: StorePluginRegistry, logger: Logger
) -> Router<CellRequestContext> {
    let catalog = CatalogRepository(scope: scope, images: configuration.imageChecker, logger: logger)
    let carts = CartRepository(scope: scope, plugins: PluginRunner(registry: plugins, metrics: metrics, logger: logger), logger: logger)
    let payments = configuration.offeredPayments
    let stripe = configuration.stripe.map {
        StripeCheckout(client: StripeClient(configuration: $0, backoff: configuration.stripeRetryBackoff, logger: logger))
    }
    let checkout = CheckoutRepository(scope: scope, payments: payments, logger: logger)
    let orders = OrderRepository(scope: scope, carts: carts, checkout: checkout, payments: payments, stripe: stripe, logger: logger)
    let checkoutRoutes = CheckoutRoutes(carts: carts, orders: orders, checkout: checkout, maximumBodySize: configuration.maximumBodySize)

    let router = Router(context: CellRequestContext.self)
    router.add(middleware: VersionHeaderMiddleware(version: configuration.version))
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics, table: table))
    router.add(middleware: ErrorMiddleware(translate: CellErrors.translate))
    router.add(middleware: ControlCharacterMiddleware())
    OperationsRoutes(client: client, table: table, metrics: metrics, configuration: configuration).add(to: router)

    let signer = StoreRequestSigner(secret: configuration.signingSecret)
    let resolution = StoreResolutionMiddleware(
        signer: signer, nonces: NonceRegistry(tolerance: .seconds(signer.tolerance), clock: configuration.clock), table: table,
        mode: configuration.mode, cellID: configuration.cellID, limiter: limiter, limits: configuration.limits,
        bodyLimits: configuration.bodyLimits)
    let storeAPI = router.group("store").add(middleware: resolution)
    StoreRoutes(catalog: catalog, carts: carts, orders: orders, cache: cache, metrics: metrics, maximumBodySize: configuration.maximumBodySize)
        .add(to: storeAPI)
    checkoutRoutes.addStore(to: storeAPI)
    let admin = router.group("admin").add(middleware: resolution.readingWhileSuspended()).add(middleware: AdminAuthenticationMiddleware())
    AdminRoutes(catalog: catalog, orders: orders, overviews: OverviewRepository(scope: scope, logger: logger),
                maximumBodySize: configuration.maximumBodySize)
        .add(to: admin)
    let media = MediaRepository(scope: scope, files: configuration.mediaStore, processor: configuration.imageProcessor,
                                quotas: configuration.mediaQuotas, logger: logger)
    MediaRoutes(media: media, limits: configuration.bodyLimits).add(to: admin)
    checkoutRoutes.addAdmin(to: admin)
    return router
}
