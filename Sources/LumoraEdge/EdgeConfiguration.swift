import Foundation
import NIOCore
import LumoraCore
import LumoraDatabase

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
    /// The manager's URL, for the landing page's signup form.
    public var managerURL: String?
    public var version: String
    public var pageCacheLifetime: Duration
    public var maximumBodySize: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        rootDomain: String = "lumora.localhost",
        database: DatabaseURL,
        signingSecret: String,
        sharedCellURL: String? = nil,
        trustedProxies: [IPRange] = [],
        managerURL: String? = nil,
        version: String = LumoraVersion.current,
        pageCacheLifetime: Duration = .seconds(60),
        maximumBodySize: Int = 256 * 1024
    ) {
        self.host = host
        self.port = port
        self.rootDomain = rootDomain.lowercased()
        self.database = database
        self.signingSecret = signingSecret
        self.sharedCellURL = sharedCellURL
        self.trustedProxies = trustedProxies
        self.managerURL = managerURL
        self.version = version
        self.pageCacheLifetime = pageCacheLifetime
        self.maximumBodySize = maximumBodySize
    }

    /// Whether a request from `peer` may name the host and scheme in `x-forwarded-*`.
    func trusts(_ peer: SocketAddress?) -> Bool {
        // No trusted proxies (the common case): no need to format the peer's address.
        guard !trustedProxies.isEmpty, let address = peer?.ipAddress else { return false }
        return trustedProxies.contains { $0.contains(address) }
    }
}

/// An IPv4 or IPv6 address range in CIDR notation (`10.0.0.0/8`, `::1/128`, or one address).
public struct IPRange: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let address = IPRange.bytes(String(parts[0])) else { return nil }
        let maximum = address.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maximum).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = maximum
        }
        network = address
    }

    public func contains(_ address: String) -> Bool {
        guard let bytes = IPRange.bytes(address), bytes.count == network.count else { return false }
        var remaining = prefixLength
        for index in 0..<bytes.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if bytes[index] & mask != network[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(network)/\(prefixLength)" }

    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
