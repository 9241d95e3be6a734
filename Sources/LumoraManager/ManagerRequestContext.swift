import Foundation
import Hummingbird
import HummingbirdCore
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
