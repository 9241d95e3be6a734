import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import LumoraCore
import LumoraHTTP
import LumoraMedia
import LumoraWire
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
        public let products: [Product]
        public var adminToken: String?
        /// The dashboard's owner account (`lumora dev` prints it).
        public var owner: Owner?

        init(slug: String, name: String, plan: String, primaryColor: String, accentColor: String, description: String,
             collections: [String], products: [Product], adminToken: String?) {
            self.slug = slug
            self.name = name
            self.plan = plan
            self.primaryColor = primaryColor
            self.accentColor = accentColor
            self.description = description
            self.collections = collections
            self.products = products
            self.adminToken = adminToken
        }

        /// Data folders from earlier versions listed products by title only: still read.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            slug = try container.decode(String.self, forKey: .slug)
            name = try container.decode(String.self, forKey: .name)
            plan = try container.decode(String.self, forKey: .plan)
            primaryColor = try container.decode(String.self, forKey: .primaryColor)
            accentColor = try container.decode(String.self, forKey: .accentColor)
            description = try container.decode(String.self, forKey: .description)
            collections = try container.decode([String].self, forKey: .collections)
            products = (try? container.decode([Product].self, forKey: .products)) ?? []
            adminToken = try container.decodeIfPresent(String.self, forKey: .adminToken)
            owner = try container.decodeIfPresent(Owner.self, forKey: .owner)
        }
    }

    /// Who signs in to a demo store's dashboard: made at the first run, with a random password.
    public struct Owner: Sendable, Codable {
        public let email: String
        public let password: String
    }

    /// A product of a demo catalog: its own price (minor units), options and stock, so the
    /// three shops look like three shops.
    public struct Product: Sendable, Codable {
        public let title: String
        public let price: Int
        public let options: [String]
        /// Per option; 0 is sold out.
        public let stock: Int
        public let description: String
        /// Index into the store's collections.
        public let collection: Int

        init(_ title: String, _ price: Int, options: [String] = [], stock: Int = 12, collection: Int = 0, _ description: String) {
            self.title = title
            self.price = price
            self.options = options
            self.stock = stock
            self.description = description
            self.collection = collection
        }
    }

    public static let stores: [Store] = [
        Store(slug: "acme", name: "Acme Hardware", plan: "standard", primaryColor: "#7c2d12", accentColor: "#c2410c",
              description: "Tools that last, since the desert days.", collections: ["Tools", "Workshop"], products: [
                Product("Claw Hammer", 2495, "Drop-forged steel head, hickory handle, 16 oz."),
                Product("Anvil", 18900, options: ["25 lb", "50 lb", "100 lb"], stock: 3, "Cast steel with a hardened face. Ships by freight."),
                Product("Rocket Skates", 34900, options: ["S", "M", "L"], stock: 0, collection: 1, "Twin solid-fuel boosters. Helmet not included."),
                Product("Giant Magnet", 7950, stock: 6, collection: 1, "Lifts 80 kg of steel; keep away from watches."),
                Product("Tool Belt", 3900, options: ["S/M", "L/XL"], stock: 14, "Waxed canvas, nine pockets, a hammer loop."),
                Product("Spring Boots", 11900, options: ["40", "42", "44", "46"], stock: 5, collection: 1, "Coiled steel soles for an extra metre of reach."),
                Product("Safety Goggles", 1295, stock: 40, "Anti-fog, scratch-resistant polycarbonate."),
                Product("Work Gloves", 1850, options: ["M", "L", "XL"], stock: 25, "Split leather palms, breathable backs."),
                Product("Tape Measure", 1599, stock: 30, "8 m, magnetic hook, belt clip."),
                Product("Spirit Level", 2699, stock: 11, collection: 1, "600 mm aluminium with three vials."),
                Product("Hand Saw", 2199, stock: 9, "Hardpoint teeth for clean cross-cuts."),
                Product("Screwdriver Set", 3450, stock: 0, "Twelve drivers, magnetic tips, a roll-up case."),
              ], adminToken: nil),
        Store(slug: "bloom", name: "Bloom Flowers", plan: "standard", primaryColor: "#831843", accentColor: "#be185d",
              description: "Fresh flowers and plants, delivered.", collections: ["Bouquets", "Plants"], products: [
                Product("Red Roses", 4500, options: ["12 stems", "24 stems"], stock: 20, "Long-stemmed roses from Ecuador."),
                Product("Sunflower Bunch", 2800, stock: 15, "Seven sunflowers that last a week and more."),
                Product("Tulip Mix", 3200, options: ["Pastel", "Bright"], stock: 0, "Ten Dutch tulips, cut this morning."),
                Product("Peony Bouquet", 5900, stock: 4, "Blush peonies with eucalyptus."),
                Product("Orchid", 3900, options: ["White", "Pink"], stock: 8, collection: 1, "Phalaenopsis in a ceramic pot."),
                Product("Boston Fern", 2400, stock: 10, collection: 1, "Feathery fronds for a bright bathroom."),
                Product("Succulent Trio", 2200, stock: 18, collection: 1, "Three succulents in terracotta."),
                Product("Lavender Pot", 1800, stock: 0, collection: 1, "English lavender, fragrant in June."),
                Product("Lily Bouquet", 4200, stock: 7, "Oriental lilies, pollen removed."),
                Product("Daisy Chain", 1950, stock: 22, "A handful of cheerful daisies."),
                Product("Bonsai", 7800, stock: 2, collection: 1, "A ten-year-old juniper with a care guide."),
                Product("Cactus Garden", 2900, stock: 12, collection: 1, "Five cacti in a shallow bowl."),
              ], adminToken: nil),
        Store(slug: "nimbus", name: "Nimbus Outfitters", plan: "enterprise", primaryColor: "#0c4a6e", accentColor: "#0369a1",
              description: "Gear for every kind of weather.", collections: ["Jackets", "Camping"], products: [
                Product("Rain Shell", 18900, options: ["S", "M", "L", "XL"], stock: 9, "Three-layer waterproof, pit zips, 340 g."),
                Product("Down Parka", 34900, options: ["S", "M", "L"], stock: 4, "700-fill responsible down to -20 °C."),
                Product("Fleece Jacket", 8900, options: ["S", "M", "L", "XL"], stock: 16, "Recycled polyester grid fleece."),
                Product("Hiking Boots", 21900, options: ["41", "42", "43", "44", "45"], stock: 0, collection: 1, "Waterproof leather, Vibram soles."),
                Product("Two-Person Tent", 42900, stock: 3, collection: 1, "Freestanding, 1.9 kg, four-season poles."),
                Product("Sleeping Bag", 24900, options: ["Regular", "Long"], stock: 6, collection: 1, "Comfort to -5 °C, packs to 4 litres."),
                Product("Headlamp", 4900, stock: 30, collection: 1, "400 lumens, rechargeable, red night mode."),
                Product("Trekking Poles", 11900, stock: 8, collection: 1, "Carbon, three sections, cork grips."),
                Product("Daypack 28 L", 12900, options: ["Slate", "Moss"], stock: 11, collection: 1, "Ventilated back panel, rain cover."),
                Product("Water Bottle", 2900, stock: 45, collection: 1, "Vacuum-insulated steel, 750 ml."),
                Product("Camp Stove", 6900, stock: 0, collection: 1, "Folds to the size of an egg; boils a litre in 3 minutes."),
                Product("Wool Socks", 2400, options: ["S", "M", "L"], stock: 50, "Merino cushioned hiking socks."),
              ], adminToken: nil),
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
            store.owner = try await addOwner(store)
            seeded.append(store)
        }
        return seeded
    }

    /// Gives every store without one its owner account.
    public func addOwners(_ stores: [Store]) async throws -> [Store] {
        var updated: [Store] = []
        for var store in stores {
            if store.owner == nil { store.owner = try await addOwner(store) }
            updated.append(store)
        }
        return updated
    }

    /// The owner's password is derived from the operator token (as secret as it, and the same
    /// on every start: an owner made by an earlier start keeps working).
    private func addOwner(_ store: Store) async throws -> Owner {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        let mac = HMAC<SHA256>.authenticationCode(for: Data("demo-owner|\(store.slug)".utf8), using: SymmetricKey(data: Data(operatorToken.utf8)))
        let password = String(mac.prefix(12).map { alphabet[Int($0) % alphabet.count] })
        let owner = Owner(email: "owner@\(store.slug).example", password: password)
        _ = try await call(managerURL + "/v1/stores/\(store.slug)/members", method: .POST, bearer: operatorToken, host: nil,
                           json: ["email": owner.email, "password": owner.password, "role": "owner"])
        return owner
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
        // The admin API's own request types (LumoraWire), as any integration would send them.
        _ = try await call(edgeURL + "/api/admin/settings", method: .PUT, bearer: token, host: host, body: UpdateSettingsRequest(
            name: store.name, description: store.description, logoUrl: .value("/logo.svg"),
            primaryColor: store.primaryColor, accentColor: store.accentColor))
        for title in store.collections {
            _ = try await call(edgeURL + "/api/admin/collections", method: .POST, bearer: token, host: host,
                               body: CreateCollectionRequest(title: title, handle: Handle.suggested(from: title)))
        }
        // Each product's photo, drawn and uploaded as a merchant's would be; two at a time
        // (drawing takes a core), before the products are made in order.
        let photos = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var ids: [Int: String] = [:]
            for (index, product) in store.products.enumerated() {
                if index >= 2, let (done, id) = try await group.next() { ids[done] = id }
                group.addTask { (index, try await uploadPhoto(of: product, store: store, token: token, host: host)) }
            }
            for try await (done, id) in group { ids[done] = id }
            return ids
        }
        for (index, product) in store.products.enumerated() {
            let handle = Handle.suggested(from: product.title)
            let sku = "\(store.slug)-\(index + 1)".uppercased()
            let options = product.options.isEmpty ? ["Standard"] : product.options
            let variants = options.enumerated().map { position, option in
                // Bigger options cost a little more.
                CreateVariantRequest(title: option, sku: options.count == 1 ? sku : "\(sku)-\(position + 1)",
                                     price: Money(amount: Int64(product.price + (product.options.isEmpty ? 0 : position * product.price / 10)), currency: .usd),
                                     stocked: Int64(product.stock))
            }
            _ = try await call(edgeURL + "/api/admin/products", method: .POST, bearer: token, host: host, body: CreateProductRequest(
                title: product.title, handle: handle, description: product.description, status: "published",
                collection: Handle.suggested(from: store.collections[product.collection % store.collections.count]),
                media: photos[index].map { [MediaAttachment(id: $0, alt: product.title)] }, variants: variants))
        }
    }

    /// The media id of the product's photo, uploaded through the admin API.
    private func uploadPhoto(of product: Product, store: Store, token: String, host: String) async throws -> String {
        let photo = try await SVGRenderer.render(DemoPhotos.svg(title: product.title, primary: store.primaryColor, accent: store.accentColor), as: .jpeg)
        let uploaded = try await call(edgeURL + "/api/admin/media", method: .POST, bearer: token, host: host, encoded: Data(buffer: photo),
                                      contentType: ImageFormat.jpeg.contentType)
        guard let id = (uploaded["media"] as? [String: Any])?["id"] as? String else { throw DemoError("the upload of \(product.title)'s photo named no media") }
        return id
    }

    private func call(_ url: String, method: HTTPMethod, bearer: String?, host: String?, json: [String: Any]?) async throws -> [String: Any] {
        try await call(url, method: method, bearer: bearer, host: host, encoded: try json.map { try JSONSerialization.data(withJSONObject: $0) })
    }

    private func call(_ url: String, method: HTTPMethod, bearer: String?, host: String?, body: some Encodable) async throws -> [String: Any] {
        try await call(url, method: method, bearer: bearer, host: host, encoded: try JSONWire.encoder.encode(body))
    }

    private func call(_ url: String, method: HTTPMethod, bearer: String?, host: String?, encoded: Data?,
                      contentType: String = "application/json") async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let host { request.headers.replaceOrAdd(name: "Host", value: host) }
        if let encoded {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: encoded))
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
