import Foundation
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraHTTP
import NIOCore

public struct ManagerRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    public var responseEncoder: JSONEncoder { JSONWire.encoder }
    public var requestDecoder: JSONDecoder { JSONWire.decoder }
}

extension ManagerRequestContext {
    /// The `:slug` route parameter; a name that cannot be a store is simply not found.
    func storeSlug() throws -> StoreSlug {
        let raw = try parameters.decoded("slug")
        guard let slug = try? StoreSlug(validating: raw) else {
            throw LumoraError.notFound("store_not_found", "no store named '\(raw.prefix(40))'")
        }
        return slug
    }

    /// The `:id` route parameter of a numbered resource (a job, a release).
    func numericID(notFound code: String, _ what: String) throws -> Int64 {
        guard let id = Int64(try parameters.decoded("id")), id > 0 else { throw LumoraError.notFound(code, "no such \(what)") }
        return id
    }
}
