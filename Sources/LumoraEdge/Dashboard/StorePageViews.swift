import Foundation

/// The views of the store pages the cell's admin API answers.

struct OverviewPage {
    struct LowStock {
        let product: String
        let variant: String
        let available: Int64
        let url: String
    }

    struct RecentOrder {
        let number: Int64
        let email: String
        let total: String
        let status: String
        let url: String
    }

    let chrome: DashboardChrome
    let ordersToday: Int
    let revenueToday: String
    let pendingOrders: Int
    let lowStock: [LowStock]
    let hasLowStock: Bool
    let recent: [RecentOrder]
    let hasRecent: Bool
}

struct ProductListPage {
    struct Row {
        let title: String
        let handle: String
        let status: String
        let price: String
        let stock: String
        let url: String
    }

    struct Filter {
        let title: String
        let url: String
        let selected: Bool
    }

    let chrome: DashboardChrome
    let baseURL: String
    let query: String
    let filters: [Filter]
    let products: [Row]
    let hasProducts: Bool
    let emptyMessage: String
    let previousURL: String?
    let nextURL: String?
}

/// The product form: new (with its variants) or existing (variants edited one by one).
struct ProductFormPage {
    struct CollectionOption {
        let handle: String
        let title: String
        let selected: Bool
    }

    struct VariantForm {
        let index: Int
        let title: FieldView
        let sku: FieldView
        let price: FieldView
        let stocked: FieldView
    }

    /// An uploaded picture of the product, shown small, with what can be done to it.
    struct PictureRow {
        let thumbnailURL: String
        let alt: String
        let removeURL: String
        /// Nil for the first picture (it already is the main one).
        let firstURL: String?
    }

    struct VariantRow {
        let title: String
        let sku: String
        let price: FieldView
        let stocked: Int64
        let available: Int64
        let updateURL: String
        let deleteURL: String
        let removable: Bool
    }

    let chrome: DashboardChrome
    let heading: String
    let isNew: Bool
    let action: String
    let title: FieldView
    let handle: FieldView
    let description: FieldView
    let images: FieldView
    let published: Bool
    let collections: [CollectionOption]
    let noCollection: Bool
    /// New products: the variant rows of the form.
    let newVariants: [VariantForm]
    /// Existing products: each variant, its price and stock.
    let variants: [VariantRow]
    let addVariantURL: String?
    let addVariant: VariantForm?
    let publishURL: String?
    let unpublishURL: String?
    let storefrontURL: String?
    let deleteURL: String?
    let pictures: [PictureRow]
    /// Where the upload form goes (existing products only).
    let pictureURL: String?
    let pictureError: String?
    let saved: Bool
}

struct CollectionsPage {
    struct Row {
        let title: String
        let handle: String
        let deleteURL: String
    }

    let chrome: DashboardChrome
    let baseURL: String
    let collections: [Row]
    let hasCollections: Bool
    let title: FieldView
    let handle: FieldView
}

struct OrderListPage {
    struct Row {
        let number: Int64
        let email: String
        let date: String
        let items: Int
        let total: String
        let status: String
        let url: String
    }

    let chrome: DashboardChrome
    let filters: [ProductListPage.Filter]
    let orders: [Row]
    let hasOrders: Bool
    let emptyMessage: String
    let previousURL: String?
    let nextURL: String?
}

struct OrderPage {
    struct Line {
        let title: String
        let variant: String
        let sku: String?
        let quantity: Int
        let unitPrice: String
        let total: String
    }

    let chrome: DashboardChrome
    let number: Int64
    let status: String
    let date: String
    let email: String
    let lines: [Line]
    let subtotal: String
    let total: String
    let shipping: String?
    let tax: String?
    let refunded: String?
    let payment: String?
    let flag: String?
    let name: String
    let address: [String]
    let awaitingPayment: Bool
    let canFulfil: Bool
    let canRefund: Bool
    /// What is left to refund, as a person types it.
    let refundable: String
    let fulfilURL: String
    let cancelURL: String
    let markPaidURL: String
    let refundURL: String
    let backURL: String
}

struct SettingsPage {
    struct CurrencyOption {
        let code: String
        let selected: Bool
    }

    let chrome: DashboardChrome
    let action: String
    let name: FieldView
    let description: FieldView
    /// Nil while the logo is an upload.
    let logoURL: FieldView?
    let primaryColor: FieldView
    let accentColor: FieldView
    let currency: FieldView
    let currencies: [CurrencyOption]
    /// The uploaded logo, shown small; where a new one is uploaded; why the last upload failed.
    let logoThumbnailURL: String?
    let logoAction: String
    let logoError: String?
    /// "12.3 MB of 1 GB".
    let mediaUsage: String?
    let saved: Bool
}

/// Payments, shipping zones and tax rates: one page, three kinds of form.
struct CheckoutSettingsPage {
    struct ProviderOption {
        let value: String
        let title: String
        let sentence: String
        let selected: Bool
        /// The fields that belong to this provider, shown inside its choice.
        let isManual: Bool
        let isStripe: Bool
    }

    struct ZoneRow {
        let name: String
        let countries: String
        let rates: [String]
        let deleteURL: String
    }

    struct TaxRow {
        let country: String
        let region: String
        let name: String
        let percent: String
        let deleteURL: String
    }

    struct KindOption {
        let value: String
        let title: String
        let selected: Bool
    }

    let chrome: DashboardChrome
    let paymentsAction: String
    let providers: [ProviderOption]
    let provider: FieldView
    let stripeAccount: FieldView
    let instructions: FieldView
    let pricesIncludeTax: Bool
    let noticeEmail: FieldView
    let paymentsError: String?

    let zones: [ZoneRow]
    let hasZones: Bool
    let zoneAction: String
    let zoneName: FieldView
    let zoneCountries: FieldView
    let rateName: FieldView
    let rateKinds: [KindOption]
    let rateKind: FieldView
    let rateAmount: FieldView
    let rateFreeOver: FieldView
    let zoneError: String?

    let taxRates: [TaxRow]
    let hasTaxRates: Bool
    let taxAction: String
    let taxCountry: FieldView
    let taxRegion: FieldView
    let taxPercent: FieldView
    let taxName: FieldView
    let taxError: String?
    /// The currency shipping prices are typed in.
    let currency: String
}
