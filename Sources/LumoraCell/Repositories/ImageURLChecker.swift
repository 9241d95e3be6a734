import AsyncHTTPClient
import Foundation
import LumoraCore
import LumoraHTTP
import NIOCore

/// Whether an image URL a merchant sets (the store's logo) loads: a logo that does not would
/// leave a broken image on every page of the store, so the admin API refuses it with a 422
/// that says why. A seam: tests answer for URLs they cannot fetch.
public protocol ImageURLChecker: Sendable {
    /// Throws a 422 `image_unreachable` when `url` does not answer with an image.
    func check(_ url: String, field: String) async throws(LumoraError)
}

/// Fetches `https:` URLs — from public addresses only, so a merchant cannot make the cell call
/// into the platform's own network — and wants a 2xx with an `image/*` type, without
/// following redirects. Paths on the store's own site (`/logo.svg`) are the edge's and pass.
public struct HTTPImageURLChecker: ImageURLChecker {
    let http: HTTPClient
    var timeout: TimeAmount = .seconds(5)

    public init(http: HTTPClient = .shared) {
        self.http = http
    }

    public func check(_ url: String, field: String) async throws(LumoraError) {
        guard url.lowercased().hasPrefix("https://") else { return }
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw Self.unreachable(field, url, "it is not a URL")
        }
        // Checked before the fetch; a name that resolves differently a moment later (DNS
        // rebinding) could still slip through, which is why nothing of the answer is kept.
        let addresses = Self.addresses(of: host)
        guard !addresses.isEmpty else { throw Self.unreachable(field, url, "\(host) does not resolve") }
        guard addresses.allSatisfy(PublicAddress.isPublic) else { throw Self.unreachable(field, url, "\(host) is not a public address") }
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "image/*")
        do {
            let response = try await http.execute(request, timeout: timeout)
            let type = response.headers.first(name: "content-type")?.lowercased() ?? ""
            guard (200..<300).contains(Int(response.status.code)) else {
                throw Self.unreachable(field, url, "it answered \(response.status.code)")
            }
            guard type.hasPrefix("image/") else { throw Self.unreachable(field, url, "it is \(type.isEmpty ? "not typed" : type), not an image") }
        } catch let error as LumoraError {
            throw error
        } catch {
            throw Self.unreachable(field, url, "it did not answer within \(timeout.nanoseconds / 1_000_000_000) s")
        }
    }

    static func unreachable(_ field: String, _ url: String, _ why: String) -> LumoraError {
        LumoraError(.unprocessable, code: "image_unreachable", message: "\(field) \(url.prefix(200)) does not load: \(why)")
    }

    /// The host's addresses (an IP literal is its own).
    static func addresses(of host: String) -> [String] {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(bare, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(cString: buffer))
            }
            entry = info.pointee.ai_next
        }
        return addresses
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local, CGNAT,
/// multicast, unspecified or documentation space.
enum PublicAddress {
    static let nonPublic = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
                            "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
                            "224.0.0.0/3", "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "fc00::/7", "fe80::/10", "ff00::/8",
                            "2001:db8::/32"].compactMap(IPRange.init)

    static func isPublic(_ address: String) -> Bool {
        IPRange.bytes(address) != nil && !nonPublic.contains { $0.contains(address) }
    }
}

/// Answers from a list instead of the network: for tests, which cannot fetch `https:` URLs,
/// and for machines without a way out. URLs it does not list do not load.
public struct ListedImageURLChecker: ImageURLChecker {
    public let loading: Set<String>

    public init(loading: Set<String>) {
        self.loading = loading
    }

    public func check(_ url: String, field: String) async throws(LumoraError) {
        guard url.lowercased().hasPrefix("https://"), !loading.contains(url) else { return }
        throw HTTPImageURLChecker.unreachable(field, url, "it is not on this checker's list")
    }
}
