import Foundation
import LumoraCore
import LumoraWire

/// The product form as the merchant filled it in: kept as typed (so a refused form comes back
/// filled), checked for what the edge can tell (a price that is not a number), and turned into
/// the admin API's request. The cell checks everything again and names the field it refuses.
struct ProductDraft {
    struct VariantDraft {
        var title = ""
        var sku = ""
        var price = ""
        var stocked = ""

        init() {}

        init(form: FormFields, index: Int) {
            title = form["variant_\(index)_title"] ?? ""
            sku = form["variant_\(index)_sku"] ?? ""
            price = form["variant_\(index)_price"] ?? ""
            stocked = form["variant_\(index)_stocked"] ?? ""
        }

        var isEmpty: Bool { title.trimmingASCIIWhitespace().isEmpty && price.trimmingASCIIWhitespace().isEmpty }

        /// Errors keyed `title`, `price`, `stocked`.
        func errors(currency: CurrencyCode, required: Bool) -> [String: String] {
            var errors: [String: String] = [:]
            if required || !isEmpty {
                if title.trimmingASCIIWhitespace().isEmpty { errors["title"] = "Give the option a name, like Default or Large." }
                if Money(parsing: price, currency: currency) == nil { errors["price"] = "Enter the price as a number, like 19.99." }
                let stock = stocked.trimmingASCIIWhitespace()
                if !stock.isEmpty && (Int64(stock).map { $0 < 0 } ?? true) { errors["stocked"] = "Enter the stock as a whole number, 0 or more." }
            }
            return errors
        }

        func request(currency: CurrencyCode) -> CreateVariantRequest? {
            guard let money = Money(parsing: price, currency: currency) else { return nil }
            let stock = stocked.trimmingASCIIWhitespace()
            return CreateVariantRequest(title: title.trimmingASCIIWhitespace(), sku: sku.isEmpty ? nil : sku, price: money,
                                        stocked: stock.isEmpty ? 0 : Int64(stock))
        }

        func form(index: Int, errors: [String: String], prefix: String) -> ProductFormPage.VariantForm {
            .init(index: index, title: FieldView(title, error: errors[prefix + "title"]), sku: FieldView(sku, error: errors[prefix + "sku"]),
                  price: FieldView(price, error: errors[prefix + "price"]), stocked: FieldView(stocked, error: errors[prefix + "stocked"]))
        }
    }

    /// A new product's form offers this many option rows.
    static let variantRows = 3

    var title = ""
    var handle = ""
    var description = ""
    var images = ""
    var collection = ""
    var published = true
    var variants: [VariantDraft] = []
    /// The add-an-option form of an existing product, when it was refused.
    var added: VariantDraft?

    init(form: FormFields?) {
        guard let form else {
            variants = Array(repeating: VariantDraft(), count: Self.variantRows)
            return
        }
        title = form["title"] ?? ""
        handle = form["handle"] ?? ""
        description = form["description"] ?? ""
        images = form["images"] ?? ""
        collection = form["collection"] ?? ""
        published = form["published"] == "yes"
        variants = (1...Self.variantRows).map { VariantDraft(form: form, index: $0) }
    }

    init(product: ProductWire) {
        title = product.title
        handle = product.handle
        description = product.description
        images = product.images.joined(separator: "\n")
        collection = product.collection?.handle ?? ""
        published = product.status == "published"
    }

    var imageList: [String] {
        images.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { String($0).trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
    }

    /// What the edge can tell before asking the cell, keyed by field (`variant2_price`…).
    func errors(currency: CurrencyCode, checkingVariants: Bool = true) -> [String: String] {
        var errors: [String: String] = [:]
        if title.trimmingASCIIWhitespace().isEmpty { errors["title"] = "Give the product a title." }
        guard checkingVariants else { return errors }
        for (index, variant) in variants.enumerated() {
            for (field, message) in variant.errors(currency: currency, required: index == 0) { errors["variant\(index + 1)_\(field)"] = message }
        }
        return errors
    }

    func createRequest(currency: CurrencyCode) -> CreateProductRequest {
        CreateProductRequest(
            title: title, handle: handle.isEmpty ? Handle.suggested(from: title) : handle, description: description,
            status: published ? "published" : "draft", collection: collection.isEmpty ? nil : collection, images: imageList,
            variants: variants.filter { !$0.isEmpty }.compactMap { $0.request(currency: currency) })
    }

    func updateRequest() -> UpdateProductRequest {
        UpdateProductRequest(title: title, handle: handle, description: description, collection: collection.isEmpty ? .null : .value(collection),
                             images: imageList)
    }

    /// A refusal the merchant can fix in the form (not a lost session or a missing product).
    static func isFieldError(_ error: LumoraError) -> Bool {
        [.badRequest, .unprocessable, .conflict].contains(error.status)
    }

    /// The field a cell error is about: `invalid_handle` → handle; anything else → the form.
    static func field(for error: LumoraError) -> String {
        switch error.code {
        case "invalid_title": return "title"
        case "invalid_handle", "handle_taken", "product_exists": return "handle"
        case "invalid_description": return "description"
        case "invalid_url", "invalid_images", "image_unreachable": return "images"
        case "invalid_price", "currency_mismatch": return "variant1_price"
        case "invalid_stock": return "variant1_stocked"
        case "invalid_sku", "sku_taken": return "variant1_sku"
        default: return error.code.contains("handle") ? "handle" : "form"
        }
    }

    static func variantField(for error: LumoraError) -> String {
        switch error.code {
        case "invalid_price", "currency_mismatch": return "price"
        case "invalid_stock": return "stocked"
        case "invalid_sku", "sku_taken": return "sku"
        default: return "title"
        }
    }
}

/// The settings form, as typed.
struct SettingsDraft {
    let name: String
    let description: String
    /// Nil when the form has no logo URL field (the logo is an upload, changed on its own form).
    let logoURL: String?
    let primaryColor: String
    let accentColor: String
    let currency: String

    /// What the form offers (any ISO 4217 code is accepted by the API).
    static let currencies = ["USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "JPY", "CNY", "INR", "BRL", "MXN", "ZAR"]

    init(_ settings: SettingsWire) {
        name = settings.name
        description = settings.description
        logoURL = settings.logo == nil ? settings.logoUrl ?? "" : nil
        primaryColor = settings.primaryColor
        accentColor = settings.accentColor
        currency = settings.currency
    }

    init(_ form: FormFields) {
        name = form["name"] ?? ""
        description = form["description"] ?? ""
        logoURL = form["logo_url"].map { $0.trimmingASCIIWhitespace() }
        primaryColor = (form["primary_color"] ?? "").trimmingASCIIWhitespace()
        accentColor = (form["accent_color"] ?? "").trimmingASCIIWhitespace()
        currency = (form["currency"] ?? "").trimmingASCIIWhitespace()
    }

    var request: UpdateSettingsRequest {
        UpdateSettingsRequest(name: name, description: description,
                              logoUrl: logoURL.map { $0.isEmpty ? .null : .value($0) } ?? .absent,
                              primaryColor: primaryColor, accentColor: accentColor, currency: currency.isEmpty ? nil : currency)
    }

    /// The field a refusal names: the colour or URL in its message, else by its code.
    static func field(for error: LumoraError) -> String {
        for field in ["primary_color", "accent_color", "logo_url"] where error.message.contains(field) { return field }
        switch error.code {
        case "invalid_name": return "name"
        case "invalid_description": return "description"
        case "invalid_url", "image_unreachable": return "logo_url"
        case "invalid_currency", "currency_locked": return "currency"
        default: return "form"
        }
    }
}

extension LumoraError {
    /// A 4xx the person can fix in the form they sent — not a lost session (401), a role that
    /// does not reach (403) or too many requests.
    var isFormRefusal: Bool {
        (400..<500).contains(httpStatusCode) && ![Status.unauthorized, .forbidden, .tooManyRequests].contains(status)
    }
}
