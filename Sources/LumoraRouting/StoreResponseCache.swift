import NIOCore
import LumoraCore
import Synchronization

/// Encoded responses per store (a cell's storefront JSON, an edge's rendered pages), so hot
/// reads skip the database and the rendering — spreading traffic over many schemas costs
/// PostgreSQL dearly, a dictionary lookup costs nothing.
///
/// Entries are dropped when the store's data changes: triggers in every store schema announce
/// catalog, stock and settings changes on `lumora_catalog`, and store changes arrive on
/// `lumora_control`. A response computed while a change commits must not be kept: each store
/// has a generation, taken before the read and checked on insert. Entries also expire, a
/// safety net for a notification lost with the listening connection (which triggers a full
/// flush on reconnect anyway).
public final class StoreResponseCache: ChangeSubscriber {
    public let channels = ["lumora_catalog", "lumora_control"]

    public struct Token: Equatable, Sendable {
        fileprivate let epoch: UInt64
        fileprivate let generation: UInt64
    }

    private struct Entry {
        let body: ByteBuffer
        let storedAt: ContinuousClock.Instant
    }

    private struct StoreEntries {
        var generation: UInt64 = 0
        var entries: [String: Entry] = [:]
    }

    private struct State {
        var epoch: UInt64 = 0
        var stores: [StoreSlug: StoreEntries] = [:]
    }

    private let state = Mutex(State())
    private let lifetime: Duration
    private let maximumEntriesPerStore: Int

    public init(lifetime: Duration, maximumEntriesPerStore: Int = 256) {
        self.lifetime = lifetime
        self.maximumEntriesPerStore = maximumEntriesPerStore
    }

    /// A lifetime of zero turns the cache off (benchmarks of the database path).
    public var isEnabled: Bool { lifetime > .zero }

    public func lookup(_ store: StoreSlug, key: String) -> ByteBuffer? {
        guard isEnabled else { return nil }
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.stores[store]?.entries[key] else { return nil }
            guard now - entry.storedAt < lifetime else {
                state.stores[store]?.entries.removeValue(forKey: key)
                return nil
            }
            return entry.body
        }
    }

    /// Take before reading from the database; pass to ``insert(_:key:body:token:)``.
    public func token(_ store: StoreSlug) -> Token {
        state.withLock { Token(epoch: $0.epoch, generation: $0.stores[store]?.generation ?? 0) }
    }

    public func insert(_ store: StoreSlug, key: String, body: ByteBuffer, token: Token) {
        guard isEnabled else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            guard token == Token(epoch: state.epoch, generation: state.stores[store]?.generation ?? 0) else { return }
            var entries = state.stores[store] ?? StoreEntries()
            if entries.entries.count >= maximumEntriesPerStore { entries.entries.removeAll(keepingCapacity: true) }
            entries.entries[key] = Entry(body: body, storedAt: now)
            state.stores[store] = entries
        }
    }

    public func invalidate(_ store: StoreSlug) {
        state.withLock { state in
            var entries = state.stores[store] ?? StoreEntries()
            entries.generation &+= 1
            entries.entries.removeAll()
            state.stores[store] = entries
        }
    }

    public func notified(channel: String, payload: String) async {
        if channel == "lumora_catalog", let store = StoreSlug(schemaName: payload) {
            invalidate(store)
        } else if payload.hasPrefix("store:"), let store = try? StoreSlug(validating: String(payload.dropFirst(6))) {
            invalidate(store)
        }
    }

    public func resynchronize() async {
        state.withLock { state in
            state.epoch &+= 1
            state.stores.removeAll()
        }
    }
}
