import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The three stores `lumora dev` opens on its first run — two standard, one enterprise — each
/// with a name, a generated logo, a theme and a dozen products, made the way a user would:
/// signup through the manager's API, catalog through the store's admin API on its own host.
public struct DemoStores: Sendable {
    public struct Store: Sendable, Codable {
        public let slug: String
        public let name: String
        public let plan: String
        public let primaryColor: String
        public let accentColor: String
        public let description: String
        public let collections: [String]
        public let products: [String]
        public var adminToken: String?
    }

    public static let stores: [Store] = [
        Store(slug: "acme", name: "Acme Hardware", plan: "standard", primaryColor: "#7c2d12", accentColor: "#ea580c",
              description: "Tools that last, since the desert days.", collections: ["Tools", "Workshop"],
              products: ["Claw Hammer", "Anvil", "Rocket Skates", "Giant Magnet", "Tool Belt", "Spring Boots", "Safety Goggles",
                         "Work Gloves", "Tape Measure", "Spirit Level", "Hand Saw", "Screwdriver Set"], adminToken: nil),
        Store(slug: "bloom", name: "Bloom Flowers", plan: "standard", primaryColor: "#831843", accentColor: "#db2777",
              description: "Fresh flowers and plants, delivered.", collections: ["Bouquets", "Plants"],
              products: ["Red Roses", "Sunflower Bunch", "Tulip Mix", "Peony Bouquet", "Orchid", "Fern", "Succulent Trio", "Lavender Pot",
                         "Lily Bouquet", "Daisy Chain", "Bonsai", "Cactus Garden"], adminToken: nil),
        Store(slug: "nimbus", name: "Nimbus Outfitters", plan: "enterprise", primaryColor: "#0c4a6e", accentColor: "#0284c7",
              description: "Gear for every kind of weather.", collections: ["Jackets", "Camping"],
              products: ["Rain Shell", "Down Parka", "Fleece", "Hiking Boots", "Tent", "Sleeping Bag", "Headlamp", "Trekking Poles",
                         "Backpack", "Water Bottle", "Camp Stove", "Wool Socks"], adminToken: nil),
    ]

    let managerURL: String
    let operatorToken: String
    let edgeURL: String
    let rootDomain: String
    let ownerEmail: String
    let logger: Logger

    public init(managerURL: String, operatorToken: String, edgeURL: String, rootDomain: String,
                ownerEmail: String = "owner@example.com", logger: Logger) {
        self.managerURL = managerURL
        self.operatorToken = operatorToken
        self.edgeURL = edgeURL
        self.rootDomain = rootDomain
        self.ownerEmail = ownerEmail
        self.logger = logger
    }

    /// Opens every demo store and fills its catalog; returns them with their admin tokens.
    public func seed() async throws -> [Store] {
        var seeded: [Store] = []
        for var store in Self.stores {
            let created = try await call(managerURL + "/v1/stores", method: .POST, bearer: operatorToken, host: nil,
                                         json: ["slug": store.slug, "name": store.name, "plan": store.plan, "owner_email": ownerEmail])
            let token = created["admin_token"] as? String
            store.adminToken = token
            let jobID = (created["job"] as? [String: Any])?["id"] as? Int ?? 0
            try await waitForJob(jobID)
            try await fillCatalog(store, token: token ?? "")
            seeded.append(store)
        }
        return seeded
    }

    private func waitForJob(_ id: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let job = try await call(managerURL + "/v1/jobs/\(id)", method: .GET, bearer: operatorToken, host: nil, json: nil)["job"] as? [String: Any]
            switch job?["state"] as? String {
            case "succeeded": return
            case "dead", "canceled": throw DemoError("provisioning failed: \(job?["last_error"] ?? "")")
            default: try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw DemoError("provisioning took too long")
    }

    private func fillCatalog(_ store: Store, token: String) async throws {
        let host = "\(store.slug).\(rootDomain)"
        // The edge learns of the new store through a notification: wait until it routes.
        let deadline = ContinuousClock.now + .seconds(20)
        while (try? await call(edgeURL + "/api/store/settings", method: .GET, bearer: nil, host: host, json: nil)) == nil {
            guard ContinuousClock.now < deadline else { throw DemoError("the edge does not route \(host)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        _ = try await call(edgeURL + "/api/admin/settings", method: .PUT, bearer: token, host: host, json: [
            "name": store.name, "description": store.description, "logo_url": "/logo.svg",
            "primary_color": store.primaryColor, "accent_color": store.accentColor,
        ])
        for title in store.collections {
            _ = try await call(edgeURL + "/api/admin/collections", method: .POST, bearer: token, host: host,
                               json: ["title": title, "handle": Self.handle(title)])
        }
        for (index, title) in store.products.enumerated() {
            let price = 900 + (index * 737) % 9000
            let variants: [[String: Any]] = index % 3 == 0
                ? ["S", "M", "L"].enumerated().map { offset, size in
                    ["title": size, "sku": "\(store.slug)-\(index)-\(size)".uppercased(), "price": ["amount": price + offset * 200, "currency": "USD"],
                     "stocked": index == 4 ? 0 : 5 + (index * 3) % 20]
                }
                : [["title": "Standard", "sku": "\(store.slug)-\(index)".uppercased(), "price": ["amount": price, "currency": "USD"],
                    "stocked": index == 4 ? 0 : 5 + (index * 7) % 30]]
            _ = try await call(edgeURL + "/api/admin/products", method: .POST, bearer: token, host: host, json: [
                "title": title, "handle": Self.handle(title), "status": "published",
                "description": "\(title) from \(store.name). \(store.description)",
                "collection": Self.handle(store.collections[index % store.collections.count]), "variants": variants,
            ])
        }
    }

    static func handle(_ title: String) -> String {
        title.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce(into: "") { result, character in
            if character == "-" && (result.isEmpty || result.hasSuffix("-")) { return }
            result.append(character)
        }
    }

    private func call(_ url: String, method: HTTPMethod, bearer: String?, host: String?, json: [String: Any]?) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let host { request.headers.replaceOrAdd(name: "Host", value: host) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = Data(buffer: try await response.body.collect(upTo: 8 << 20))
        guard (200..<300).contains(Int(response.status.code)) else {
            throw DemoError("\(method.rawValue) \(url) (\(host ?? "")): \(response.status.code) \(String(decoding: data, as: UTF8.self))")
        }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }
}

public struct DemoError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
