import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import LumoraDatabase
import LumoraCore
import LumoraHTTP

/// Per-request state: the resolved store (set by ``StoreResolutionMiddleware``).
public struct CellRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var store: StoreRoute?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.store = nil
    }

    public var responseEncoder: JSONEncoder { JSONWire.encoder }
    public var requestDecoder: JSONDecoder { JSONWire.decoder }

    /// The store this request is for; routes behind the resolution middleware always have one.
    public func requireStore() throws -> StoreRoute {
        guard let store else { throw LumoraError(.internalError, code: "internal_error", message: "no store resolved for this route") }
        return store
    }
}
