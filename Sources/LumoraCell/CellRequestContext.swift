import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import LumoraDatabase
import LumoraRouting
import LumoraCore
import LumoraHTTP

/// Per-request state: the resolved store (set by ``StoreResolutionMiddleware``).
public struct CellRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var store: StoreRoute?
    /// The dashboard's person, when the edge's signature names one (admin routes).
    public var actor: StoreActor?
    /// Whether `actor`'s header was present at all (a malformed one is refused, not ignored).
    public var actorHeader: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.store = nil
        self.actor = nil
        self.actorHeader = nil
    }

    public var responseEncoder: JSONEncoder { JSONWire.encoder }
    public var requestDecoder: JSONDecoder { JSONWire.decoder }

    /// The store this request is for; routes behind the resolution middleware always have one.
    public func requireStore() throws -> StoreRoute {
        guard let store else { throw LumoraError(.internalError, code: "internal_error", message: "no store resolved for this route") }
        return store
    }
}
