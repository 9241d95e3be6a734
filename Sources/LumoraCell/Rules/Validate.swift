import LumoraCore
import LumoraWire

/// The rules for what merchants and shoppers send, each failure a 400 naming the field.
enum Validate {
    static func title(_ value: String, field: String = "title") throws(LumoraError) -> String {
        let trimmed = value.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw .badRequest("invalid_\(field)", "\(field) must be 1 to 200 characters")
        }
        return trimmed
    }

    static func description(_ value: String) throws(LumoraError) -> String {
        guard value.count <= 10_000 else { throw .badRequest("invalid_description", "description must be at most 10000 characters") }
        return value
    }

    /// `^[a-z0-9]+(-[a-z0-9]+)*$`, at most 100 characters: it becomes part of a URL.
    static func handle(_ value: String) throws(LumoraError) -> String {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard value.count <= 100, !parts.isEmpty,
              parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) } }) else {
            throw .badRequest("invalid_handle", "handle must be lowercase letters and digits separated by single '-', at most 100 characters")
        }
        return value
    }

    static func status(_ value: String) throws(LumoraError) -> String {
        guard value == "draft" || value == "published" else {
            throw .badRequest("invalid_status", "status must be 'draft' or 'published'")
        }
        return value
    }

    static func sku(_ value: String?) throws(LumoraError) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { return nil }
        guard trimmed.count <= 64 else { throw .badRequest("invalid_sku", "sku must be at most 64 characters") }
        return trimmed
    }

    /// A price in the store's currency, from 0 to 10^12 minor units.
    static func price(_ money: Money, storeCurrency: CurrencyCode) throws(LumoraError) -> Money {
        guard money.currency == storeCurrency else {
            throw LumoraError(.unprocessable, code: "currency_mismatch", message: "prices must be in the store's currency, \(storeCurrency.code)")
        }
        guard money.amount >= 0, money.amount <= 1_000_000_000_000 else {
            throw .badRequest("invalid_price", "price.amount must be from 0 to 1000000000000 minor units")
        }
        return money
    }

    static func stocked(_ value: Int64) throws(LumoraError) -> Int64 {
        guard value >= 0, value <= 1_000_000_000 else { throw .badRequest("invalid_stock", "stocked must be from 0 to 1000000000") }
        return value
    }

    static func weight(_ value: Int64?) throws(LumoraError) -> Int64? {
        guard let value else { return nil }
        guard value >= 0, value <= 1_000_000_000 else { throw .badRequest("invalid_weight", "weight_grams must be from 0 to 1000000000") }
        return value
    }

    static func quantity(_ value: Int) throws(LumoraError) -> Int {
        guard value >= 1, value <= 1000 else { throw .badRequest("invalid_quantity", "quantity must be from 1 to 1000") }
        return value
    }

    /// Image and logo URLs reach HTML attributes: only `https:` URLs or paths on the store's
    /// own site (`/…`, not `//…`), without spaces, quotes or angle brackets.
    static func url(_ value: String, field: String) throws(LumoraError) -> String {
        let trimmed = value.trimmingASCIIWhitespace()
        let lower = trimmed.lowercased()
        let forbidden: Set<Character> = [" ", "\"", "'", "<", ">", "`", "\\", "\n", "\r", "\t"]
        guard trimmed.count <= 2048, !trimmed.contains(where: { forbidden.contains($0) }),
              (lower.hasPrefix("https://") && trimmed.count > 8) || (trimmed.hasPrefix("/") && !trimmed.hasPrefix("//")) else {
            throw .badRequest("invalid_url", "\(field) must be an https: URL or a path on the store's site")
        }
        return trimmed
    }

    /// A product's uploaded pictures: at most 20, each once, alt text at most 500 characters.
    static func mediaAttachments(_ values: [MediaAttachment]) throws(LumoraError) -> [(id: Int64, alt: String)] {
        guard values.count <= 20 else { throw .badRequest("invalid_media", "a product shows at most 20 pictures") }
        var result: [(id: Int64, alt: String)] = []
        for (index, value) in values.enumerated() {
            let id = try mediaID(value.id, field: "media[\(index)].id")
            let alt = (value.alt ?? "").trimmingASCIIWhitespace()
            guard alt.count <= 500 else { throw .badRequest("invalid_alt", "media[\(index)].alt must be at most 500 characters") }
            guard !result.contains(where: { $0.id == id }) else { throw .badRequest("invalid_media", "media[\(index)] repeats \(value.id.prefix(40))") }
            result.append((id, alt))
        }
        return result
    }

    /// A `med_<n>` id; a 422 when it is not one (it names nothing the store has).
    static func mediaID(_ value: String, field: String) throws(LumoraError) -> Int64 {
        do {
            return try ResourceID.media.parse(value)
        } catch {
            throw LumoraError(.unprocessable, code: "unknown_media", message: "\(field): no media '\(value.prefix(60))'; upload it first (POST /admin/media)")
        }
    }

    static func images(_ values: [String]) throws(LumoraError) -> [String] {
        guard values.count <= 10 else { throw .badRequest("invalid_images", "at most 10 images") }
        var result: [String] = []
        for (index, value) in values.enumerated() { result.append(try url(value, field: "images[\(index)]")) }
        return result
    }

    /// A theme colour that carries white text (the header, buttons): WCAG AA's 4.5:1 or a 422
    /// that says what the contrast is.
    static func themeColor(_ value: String, field: String) throws(LumoraError) -> String {
        let color = try color(value, field: field)
        let contrast = ColorContrast.withWhite(color) ?? 0
        guard contrast >= ColorContrast.minimumWithWhite else {
            let shown = (contrast * 10).rounded(.down) / 10
            throw LumoraError(.unprocessable, code: "insufficient_contrast",
                              message: "\(field) \(color) has a contrast of \(shown):1 with white text; WCAG AA asks for 4.5:1 — choose a darker colour")
        }
        return color
    }

    static func color(_ value: String, field: String) throws(LumoraError) -> String {
        let bytes = Array(value.utf8)
        guard bytes.count == 7, bytes[0] == UInt8(ascii: "#"),
              bytes.dropFirst().allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }) else {
            throw .badRequest("invalid_color", "\(field) must be a colour like #1a2b3c")
        }
        return value.lowercased()
    }
}
