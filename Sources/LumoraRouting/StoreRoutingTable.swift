import LumoraDatabase
import Logging
import LumoraCore
import PostgresNIO
import Synchronization

/// A store as the routers (edge and cells) see it.
public struct StoreRoute: Sendable, Equatable {
    public let slug: StoreSlug
    public let name: String
    public let plan: Plan
    public let status: StoreStatus
    public let cellID: String?
    public let currency: CurrencyCode
    /// SHA-256 (hex) of each of the store's live API tokens (cells only; empty at the edge).
    public let apiTokenHashes: [String]
    public let domains: [DomainRoute]

    /// The host a store's canonical links use: its primary verified domain, if any.
    public var primaryDomain: DomainRoute? {
        domains.first { $0.isPrimary && $0.status == .verified }
    }
}

public struct DomainRoute: Sendable, Equatable {
    public enum Kind: String, Sendable { case platform, custom }
    public enum Status: String, Sendable { case pending, verified, failed }

    public let hostname: String
    public let kind: Kind
    public let isPrimary: Bool
    public let status: Status
}

public struct CellRoute: Sendable, Equatable {
    public let id: String
    public let kind: String
    public let endpoint: String?
    public let version: String
    public let status: String
}

/// The control schema's routing data in memory: stores by slug and by verified hostname, and
/// cells by id. Loaded when the change feed first connects, kept current from
/// `lumora_control` notifications (each names the store or cell that changed).
public final class StoreRoutingTable: ChangeSubscriber {
    public let channels = ["lumora_control"]

    private struct State {
        var stores: [StoreSlug: StoreRoute] = [:]
        var hosts: [String: StoreSlug] = [:]
        var cells: [String: CellRoute] = [:]
        var loaded = false
        /// Reads are numbered before they query; a read is applied only over older ones, so a
        /// slow read finishing late cannot put back a route that a newer one replaced.
        var nextRead: UInt64 = 0
        var storeReads: [StoreSlug: UInt64] = [:]
        var allStoresRead: UInt64 = 0
        var cellsRead: UInt64 = 0
    }

    private func startRead() -> UInt64 {
        state.withLock { state in
            state.nextRead += 1
            return state.nextRead
        }
    }

    private let client: PostgresClient
    private let logger: Logger
    /// Cells check API tokens; edges never see their hashes (nor may their role read them).
    private let includesAdminTokens: Bool
    private let state = Mutex(State())
    private let listeners = Mutex<[UInt64: AsyncStream<StoreSlug>.Continuation]>([:])
    private let nextListener = Mutex<UInt64>(0)

    public init(client: PostgresClient, includesAdminTokens: Bool = true, logger: Logger) {
        self.client = client
        self.includesAdminTokens = includesAdminTokens
        self.logger = logger
    }

    public func store(_ slug: StoreSlug) -> StoreRoute? {
        state.withLock { $0.stores[slug] }
    }

    /// Whether the table knows `slug` (without copying its route).
    public func contains(_ slug: StoreSlug) -> Bool {
        state.withLock { $0.stores[slug] != nil }
    }

    /// The store a verified domain belongs to (hostnames are compared in lowercase).
    public func store(host: String) -> StoreRoute? {
        state.withLock { state in state.hosts[host.lowercased()].flatMap { state.stores[$0] } }
    }

    public func cell(_ id: String) -> CellRoute? {
        state.withLock { $0.cells[id] }
    }

    public var cells: [CellRoute] {
        state.withLock { Array($0.cells.values).sorted { $0.id < $1.id } }
    }

    /// The cell with the smallest id among those matching — `cells.first(where:)` without
    /// copying and sorting the table (the edge asks on every request).
    public func firstCell(where matches: (CellRoute) -> Bool) -> CellRoute? {
        state.withLock { state in
            var found: CellRoute?
            for cell in state.cells.values where matches(cell) {
                if found.map({ cell.id < $0.id }) ?? true { found = cell }
            }
            return found
        }
    }

    public var stores: [StoreRoute] {
        state.withLock { Array($0.stores.values) }
    }

    public var isLoaded: Bool { state.withLock { $0.loaded } }

    /// Slugs of stores that changed, as they change (for caches keyed by store).
    public func changes() -> AsyncStream<StoreSlug> {
        let (stream, continuation) = AsyncStream<StoreSlug>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let id = nextListener.withLock { value -> UInt64 in
            value += 1
            return value
        }
        listeners.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: ChangeSubscriber

    public func notified(channel: String, payload: String) async throws {
        if payload.hasPrefix("store:"), let slug = try? StoreSlug(validating: String(payload.dropFirst(6))) {
            try await reload(slug)
        } else if payload.hasPrefix("cell:") {
            try await reloadCells()
        } else {
            try await reloadAll()
        }
    }

    public func resynchronize() async throws {
        try await reloadAll()
    }

    // MARK: Loading

    public func reloadAll() async throws {
        let read = startRead()
        let stores = try await loadStores(RoutingSQL.routingStores(adminTokens: includesAdminTokens), domains: RoutingSQL.routingDomains)
        let cells = try await loadCells()
        let slugs = state.withLock { state -> Set<StoreSlug> in
            // A full read that began later has landed already: this one is older news.
            guard read > state.allStoresRead else { return [] }
            var merged = stores
            // A store read on its own after this read began is newer than what this read saw.
            for (slug, newer) in state.storeReads where newer > read {
                merged[slug] = state.stores[slug]
            }
            let changed = Set(state.stores.keys).union(merged.keys)
            state.stores = merged
            state.hosts = Self.hostIndex(state.stores.values)
            state.storeReads = state.storeReads.filter { $0.value > read }
            state.allStoresRead = read
            if read > state.cellsRead {
                state.cells = cells
                state.cellsRead = read
            }
            state.loaded = true
            return changed
        }
        announce(slugs)
    }

    /// Reads `slug`'s route again and returns it (nil: gone).
    @discardableResult
    public func reload(_ slug: StoreSlug) async throws -> StoreRoute? {
        let read = startRead()
        let fresh = try await loadStores(RoutingSQL.routingStore(slug, adminTokens: includesAdminTokens), domains: RoutingSQL.routingDomains(of: slug))
        state.withLock { state in
            guard read > max(state.storeReads[slug] ?? 0, state.allStoresRead) else { return }
            state.storeReads[slug] = read
            if let store = fresh[slug] {
                state.stores[slug] = store
            } else {
                state.stores.removeValue(forKey: slug)
            }
            state.hosts = state.hosts.filter { $0.value != slug }
            for domain in fresh[slug]?.domains ?? [] where domain.status == .verified {
                state.hosts[domain.hostname] = slug
            }
        }
        announce([slug])
        return fresh[slug]
    }

    /// The store's route and every cell, read again now (a request met a route that just moved).
    public func refresh(_ slug: StoreSlug) async throws {
        try await reload(slug)
        try await reloadCells()
    }

    private func reloadCells() async throws {
        let read = startRead()
        let cells = try await loadCells()
        state.withLock { state in
            guard read > state.cellsRead else { return }
            state.cells = cells
            state.cellsRead = read
        }
    }

    private func announce(_ slugs: Set<StoreSlug>) {
        let continuations = listeners.withLock { Array($0.values) }
        for continuation in continuations {
            for slug in slugs { continuation.yield(slug) }
        }
    }

    private static func hostIndex(_ stores: some Sequence<StoreRoute>) -> [String: StoreSlug] {
        var hosts: [String: StoreSlug] = [:]
        for store in stores {
            for domain in store.domains where domain.status == .verified {
                hosts[domain.hostname] = store.slug
            }
        }
        return hosts
    }

    private func loadStores(_ storeQuery: PostgresQuery, domains domainQuery: PostgresQuery) async throws -> [StoreSlug: StoreRoute] {
        try await client.transaction(logger: logger) { connection in
            var domains: [String: [DomainRoute]] = [:]
            for (hostname, slug, kind, primary, status) in try await connection.query(domainQuery, logger: logger)
                .collect((String, String, String, Bool, String).self) {
                guard let kind = DomainRoute.Kind(rawValue: kind), let status = DomainRoute.Status(rawValue: status) else { continue }
                domains[slug, default: []].append(DomainRoute(hostname: hostname, kind: kind, isPrimary: primary, status: status))
            }
            var stores: [StoreSlug: StoreRoute] = [:]
            for (slug, name, plan, status, cell, currency, tokenHashes) in try await connection.query(storeQuery, logger: logger)
                .collect((String, String, String, String, String?, String, [String]).self) {
                guard let slug = try? StoreSlug(validating: slug), let plan = Plan(rawValue: plan),
                      let status = StoreStatus(rawValue: status), let currency = try? CurrencyCode(validating: currency) else { continue }
                stores[slug] = StoreRoute(slug: slug, name: name, plan: plan, status: status, cellID: cell, currency: currency,
                                          apiTokenHashes: tokenHashes, domains: domains[slug.rawValue] ?? [])
            }
            return stores
        }
    }

    private func loadCells() async throws -> [String: CellRoute] {
        var cells: [String: CellRoute] = [:]
        for (id, kind, endpoint, version, status) in try await client.query(RoutingSQL.routingCells, logger: logger)
            .collect((String, String, String?, String, String).self) {
            cells[id] = CellRoute(id: id, kind: kind, endpoint: endpoint, version: version, status: status)
        }
        return cells
    }
}
