import Foundation

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

    public static func bytes(_ text: String) -> [UInt8]? {
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

/// Who a request is from, for limits and logs: the peer's address, or — when the peer is a
/// trusted proxy — the nearest address in `X-Forwarded-For` that is not one (proxies append,
/// so addresses left of the last untrusted one are the client's own claims).
public enum VisitorAddress {
    public static func resolve(peer: String?, forwardedFor: String?, trustedProxies: [IPRange]) -> String? {
        guard let peer else { return nil }
        guard !trustedProxies.isEmpty, trustedProxies.contains(where: { $0.contains(peer) }), let forwardedFor else { return peer }
        var nearest: String?
        for entry in forwardedFor.split(separator: ",").reversed() {
            let address = entry.trimmingCharacters(in: .whitespaces)
            guard IPRange.bytes(address) != nil else { break }
            nearest = address
            if !trustedProxies.contains(where: { $0.contains(address) }) { break }
        }
        return nearest ?? peer
    }
}
