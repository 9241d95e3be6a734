import Foundation
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraWire

/// `<head>` contents: what a search engine and a link preview read.
struct PageMeta {
    let title: String
    let description: String
    let canonicalURL: String?
    let siteName: String?
    let image: String?
    let ogType: String
    let iconURL: String
    let themed: Bool
}

/// The store's look on every page.
struct StoreView {
    let name: String
    let description: String
    let logoURL: String?
    let initial: String
    /// The visitor's cart's item count, or in a cached page the placeholder personalisation
    /// replaces (`CartCount`).
    let cartCount: String
    /// What the search box holds.
    let query: String
}

struct ProductCard {
    let title: String
    let url: String
    let image: String
    /// The uploaded picture in every width, when there is one (else `image` alone).
    let picture: PictureView?
    let price: String
    let available: Bool
}

/// An uploaded image as `<picture>`: WebP for browsers that take it, the upload's format
/// otherwise, each in every width for the browser to pick by `sizes`.
struct PictureView {
    let src: String
    let srcset: String
    /// Absent for a WebP upload (its `srcset` is WebP already).
    let webpSrcset: String?
    let sizes: String
    let alt: String
    let width: Int
    let height: Int
}

struct CollectionLink {
    let handle: String
    let title: String
    let selected: Bool
}

struct VariantOption {
    let id: String
    let title: String
    let price: String
    let inStock: Bool
    let checked: Bool
    let availability: String
}

struct CartLineView {
    let id: String
    let title: String
    let variant: String
    let url: String
    let image: String
    let quantity: Int
    let unitPrice: String
    let total: String
    let csrf: String
}

struct CheckoutForm {
    var email = ""
    var firstName = ""
    var lastName = ""
    var address1 = ""
    var city = ""
    var postalCode = ""
    var province = ""
    var countryCode = ""

    /// What the cart already holds (the shopper came back to change it).
    init(_ cart: CartWire) {
        email = cart.email ?? ""
        if let address = cart.shippingAddress {
            (firstName, lastName, address1, city, postalCode) = (address.firstName, address.lastName, address.address1, address.city, address.postalCode)
            (province, countryCode) = (address.province ?? "", address.countryCode)
        }
    }

    init(email: String, firstName: String, lastName: String, address1: String, city: String, postalCode: String, province: String, countryCode: String) {
        (self.email, self.firstName, self.lastName, self.address1) = (email, firstName, lastName, address1)
        (self.city, self.postalCode, self.province, self.countryCode) = (city, postalCode, province, countryCode)
    }

    var address: ShippingAddress {
        ShippingAddress(firstName: firstName, lastName: lastName, address1: address1, city: city, postalCode: postalCode,
                        countryCode: countryCode, province: province.isEmpty ? nil : province)
    }
}

/// How store-supplied values are made safe for a page.
enum Presentable {
    static let placeholderImage = "/lumora-assets/placeholder.svg"

    /// Only `https:` URLs and paths on the store's own site reach `src`/`href` attributes
    /// (the cell validates them too; the edge does not rely on it).
    static func url(_ raw: String?) -> String? {
        guard let raw, !raw.isEmpty, raw.count <= 2048 else { return nil }
        let forbidden: Set<Character> = [" ", "\"", "'", "<", ">", "`", "\\", "\n", "\r", "\t"]
        guard !raw.contains(where: { forbidden.contains($0) }) else { return nil }
        if raw.lowercased().hasPrefix("https://") || (raw.hasPrefix("/") && !raw.hasPrefix("//")) { return raw }
        return nil
    }

    /// Only `#rrggbb` reaches CSS.
    static func color(_ raw: String, fallback: String) -> String {
        let bytes = Array(raw.utf8)
        let valid = bytes.count == 7 && bytes[0] == UInt8(ascii: "#") && bytes.dropFirst().allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46)
        }
        return valid ? raw.lowercased() : fallback
    }

    static func store(_ settings: SettingsWire, route: StoreRoute, cartCount: String, query: String = "") -> StoreView {
        let name = settings.name.isEmpty ? route.name : settings.name
        return StoreView(name: name, description: settings.description, logoURL: url(settings.logoUrl),
                         initial: String(name.prefix(1)).uppercased(), cartCount: cartCount, query: query)
    }

    static func card(_ product: ProductWire) -> ProductCard {
        ProductCard(title: product.title, url: "/products/\(product.handle)",
                    image: url(product.thumbnail) ?? placeholderImage,
                    picture: product.media.first.flatMap { picture($0.media, alt: product.title, sizes: cardSizes) },
                    price: priceLabel(product.variants), available: product.variants.contains { $0.inStock })
    }

    /// A card is a column of the grid: about a third of the page, all of a phone's width.
    static let cardSizes = "(max-width: 600px) 100vw, (max-width: 1000px) 50vw, 320px"
    /// The product page's gallery: the page's width on a phone, half of it beside the details.
    static let gallerySizes = "(max-width: 800px) 100vw, 480px"

    /// Nil unless every URL of the media is a path on the store's own site.
    static func picture(_ media: MediaWire, alt: String, sizes: String) -> PictureView? {
        let all = media.sizes.flatMap { [$0.url, $0.webpUrl].compactMap { $0 } } + [media.url]
        guard all.allSatisfy({ url($0) != nil && $0.hasPrefix("/media/") }) else { return nil }
        let original = media.srcset(webp: false)
        let webp = media.srcset(webp: true)
        return PictureView(src: media.url(atLeast: 640), srcset: original.isEmpty ? webp : original,
                           webpSrcset: original.isEmpty || webp.isEmpty ? nil : webp, sizes: sizes, alt: alt,
                           width: media.width, height: media.height)
    }

    /// "$19.99", or "from $19.99" when variants differ.
    static func priceLabel(_ variants: [VariantWire]) -> String {
        guard let lowest = variants.min(by: { $0.price.amount < $1.price.amount }) else { return "" }
        let varies = variants.contains { $0.price.amount != lowest.price.amount }
        return (varies ? "from " : "") + lowest.price.formatted
    }

    static func availability(_ variant: VariantWire) -> String {
        switch variant.available {
        case ..<1: return "sold out"
        case 1...5: return "only \(variant.available) left"
        default: return "in stock"
        }
    }

    /// A meta description: the text, one line, at most 160 characters.
    static func summary(_ text: String, fallback: String) -> String {
        let flat = text.split(whereSeparator: { $0.isNewline }).joined(separator: " ").trimmingASCIIWhitespace()
        let source = flat.isEmpty ? fallback : flat
        return source.count > 160 ? String(source.prefix(157)) + "…" : source
    }
}

extension StoreView {
    /// For a page cached for every visitor: the cart count is filled in per visitor.
    static func from(_ settings: SettingsWire, route: StoreRoute, query: String = "") -> StoreView {
        Presentable.store(settings, route: route, cartCount: CartCount.placeholder, query: query)
    }

    /// For a page made for one visitor, whose cart holds `cartCount` items.
    static func from(_ settings: SettingsWire, route: StoreRoute, cartCount: Int) -> StoreView {
        Presentable.store(settings, route: route, cartCount: String(cartCount))
    }
}

struct HomePage {
    let meta: PageMeta
    let store: StoreView
    let featured: [ProductCard]
    let hasProducts: Bool
}

struct ProductsPage {
    let meta: PageMeta
    let store: StoreView
    let heading: String
    let products: [ProductCard]
    let hasProducts: Bool
    /// Why there is nothing to show, when there is not.
    let emptyTitle: String
    let emptyMessage: String
    let collections: [CollectionLink]
    let hasCollections: Bool
    let allSelected: Bool
    let page: Int
    let pages: Int
    let previousURL: String?
    let nextURL: String?
}

struct ProductPageView {
    let meta: PageMeta
    let store: StoreView
    let title: String
    let description: String
    let collection: CollectionLink?
    /// Uploaded pictures, in order; else `images` (hosted elsewhere, or the placeholder).
    let pictures: [PictureView]
    let images: [String]
    let price: String
    let variants: [VariantOption]
    let purchasable: Bool
    let csrf: String
}

struct CartPage {
    let meta: PageMeta
    let store: StoreView
    let items: [CartLineView]
    let hasItems: Bool
    /// The store's discounts on this cart (its plugins'), shown above the total.
    let discounts: [DiscountView]
    let total: String
    let notice: String?
}

/// A discount line: its title as the store's plugin gave it (escaped like all page text) and
/// what it takes off.
struct DiscountView {
    let title: String
    let amount: String

    static func list(_ discounts: [DiscountWire]) -> [DiscountView] {
        discounts.map { DiscountView(title: $0.title, amount: "−" + $0.amount.formatted) }
    }
}

struct OrderLineView {
    let title: String
    let variant: String
    let quantity: Int
    let total: String

    static func lines(_ items: [LineItemWire]) -> [OrderLineView] {
        items.map { OrderLineView(title: $0.productTitle, variant: $0.variantTitle, quantity: $0.quantity, total: $0.total.formatted) }
    }

    static func lines(_ items: [OrderLineWire]) -> [OrderLineView] {
        items.map { OrderLineView(title: $0.productTitle, variant: $0.variantTitle, quantity: $0.quantity, total: $0.total.formatted) }
    }
}

/// The money lines every checkout page and the receipt show, as the cell computed them.
struct TotalsView {
    let subtotal: String
    let discounts: [DiscountView]
    let shipping: String?
    let tax: String
    let taxIncluded: Bool
    let total: String
    let refunded: String?

    init(_ cart: CartWire) {
        subtotal = cart.subtotal.formatted
        discounts = DiscountView.list(cart.discounts)
        shipping = cart.shippingOption.map { _ in cart.shippingTotal.amount == 0 ? "Free" : cart.shippingTotal.formatted }
        tax = cart.taxTotal.formatted
        taxIncluded = cart.taxIncluded
        total = cart.total.formatted
        refunded = nil
    }

    init(_ order: OrderWire) {
        subtotal = order.subtotal.formatted
        discounts = DiscountView.list(order.discounts)
        shipping = order.shippingMethod.map { _ in order.shippingTotal.amount == 0 ? "Free" : order.shippingTotal.formatted }
        tax = order.taxTotal.formatted
        taxIncluded = order.taxIncluded
        total = order.total.formatted
        refunded = order.refundedAmount.amount > 0 ? order.refundedAmount.formatted : nil
    }
}

struct CheckoutPage {
    let meta: PageMeta
    let store: StoreView
    let items: [OrderLineView]
    let totals: TotalsView
    let form: CheckoutForm
    let notice: String?
    let csrf: String
}

struct ShippingOptionView {
    let id: String
    let name: String
    let amount: String
    let chosen: Bool
}

struct ShippingPage {
    let meta: PageMeta
    let store: StoreView
    let items: [OrderLineView]
    let totals: TotalsView
    let options: [ShippingOptionView]
    let shippingRequired: Bool
    let email: String
    let address: String
    let notice: String?
    let csrf: String
}

struct PaymentPage {
    let meta: PageMeta
    let store: StoreView
    let number: Int64
    let totals: TotalsView
    let notice: String?
    /// The attempt waiting for its second step, if any.
    let confirming: String?
    let confirmMessage: String?
    let csrf: String
}

struct ConfirmationPage {
    let meta: PageMeta
    let store: StoreView
    let number: Int64
    let email: String
    let items: [OrderLineView]
    let totals: TotalsView
    let name: String
    let address: String
    let city: String
    let postalCode: String
    let country: String
    let shippingMethod: String?
    let paid: Bool
    let awaitingManualPayment: Bool
    let instructions: String?
    let needsPayment: Bool
    let payURL: String
    let expired: Bool
    let status: String
}

struct LandingPage {
    let rootDomain: String
    /// `/login` on the dashboard's host (the scheme and port as the visitor came).
    let dashboardURL: String
    let signupOpen: Bool
    let notice: String?
    let csrf: String
    let slug: String
    let name: String
    let email: String
}
