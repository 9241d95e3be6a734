import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import LumoraDatabase
import LumoraRouting
import LumoraHTTP
import NIOCore

/// Per-request state: the site the host resolved to and how the visitor reached us.
public struct EdgeRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The loop of the visitor's connection: requests to cells use its connection pool.
    let eventLoop: any EventLoop
    var site: Site = .unknown
    /// The host the visitor typed (after trusted `x-forwarded-host`).
    var host: String = ""
    /// "https" behind a trusted TLS-terminating proxy, else "http".
    var scheme: String = "http"
    /// The visitor's address (after trusted proxies), for the cells' per-visitor limits.
    var visitor: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.eventLoop = source.channel.eventLoop
    }

    public var responseEncoder: JSONEncoder { JSONWire.encoder }
    public var requestDecoder: JSONDecoder { JSONWire.decoder }

    /// The store this request is for; store routes always have one.
    var store: StoreRoute? {
        if case .store(let route, _) = site { return route }
        return nil
    }

    var canonicalHost: String? {
        if case .store(_, let host) = site { return host }
        return nil
    }

    var isSecure: Bool { scheme == "https" }

    /// `:<port>` as the visitor typed it in the request's authority, or nothing.
    func visitorPort(_ request: Request) -> String {
        guard let authority = request.head.authority, let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") else { return "" }
        let digits = authority[authority.index(after: colon)...]
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return "" }
        return ":" + digits
    }

    /// Where the visitor reached us: scheme, host and port (for links that leave and come back).
    func visitorOrigin(_ request: Request) -> String {
        "\(scheme)://\(host)\(visitorPort(request))"
    }
}
