import Foundation

/// An uploaded image (`{"media": {…}}` from `POST /admin/media`). Its URLs are paths on the
/// store's own hosts (`/media/<hash>-<width>.<ext>`): they resolve on every domain of the
/// store, and their bytes never change.
public struct MediaWire: Codable, Sendable, Equatable {
    public let id: String
    /// The largest rendition in the upload's own format (JPEG or PNG; WebP stays WebP).
    public let url: String
    public let width: Int
    public let height: Int
    /// What was uploaded: `jpeg`, `png` or `webp`.
    public let format: String
    /// All renditions together.
    public let bytes: Int64
    /// Narrowest first.
    public let sizes: [MediaSizeWire]
    public let createdAt: Date

    enum CodingKeys: String, CodingKey { case id, url, width, height, format, bytes, sizes, createdAt = "created_at" }

    public init(id: String, url: String, width: Int, height: Int, format: String, bytes: Int64, sizes: [MediaSizeWire], createdAt: Date) {
        self.id = id
        self.url = url
        self.width = width
        self.height = height
        self.format = format
        self.bytes = bytes
        self.sizes = sizes
        self.createdAt = createdAt
    }

    /// `srcset` of one format: `url 160w, url 320w, …`.
    public func srcset(webp: Bool) -> String {
        sizes.compactMap { size in (webp ? size.webpUrl : size.url).map { "\($0) \(size.width)w" } }.joined(separator: ", ")
    }

    /// The narrowest rendition at least `width` wide (else the largest), in the upload's format.
    public func url(atLeast width: Int) -> String {
        (sizes.first { $0.width >= width } ?? sizes.last)?.url ?? url
    }
}

/// One width of a media: in the upload's format (`url`, absent for a WebP upload, whose
/// `webp_url` is its own format) and as WebP.
public struct MediaSizeWire: Codable, Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let url: String?
    public let webpUrl: String?

    enum CodingKeys: String, CodingKey { case width, height, url, webpUrl = "webp_url" }

    public init(width: Int, height: Int, url: String?, webpUrl: String?) {
        self.width = width
        self.height = height
        self.url = url
        self.webpUrl = webpUrl
    }
}

/// A product's picture: a media, with the alt text it has on this product.
public struct ProductMediaWire: Codable, Sendable, Equatable {
    public let alt: String
    public let media: MediaWire

    public init(alt: String, media: MediaWire) {
        self.alt = alt
        self.media = media
    }
}

/// `{"media": [...], "count", "limit", "offset", "usage": {...}}` from `GET /admin/media`.
public struct MediaLibraryWire: Codable, Sendable, Equatable {
    public let media: [MediaWire]
    public let count: Int
    public let limit: Int
    public let offset: Int
    public let usage: MediaUsageWire

    public init(media: [MediaWire], count: Int, limit: Int, offset: Int, usage: MediaUsageWire) {
        self.media = media
        self.count = count
        self.limit = limit
        self.offset = offset
        self.usage = usage
    }
}

/// How much of the store's media quota (its plan's) is in use, in bytes.
public struct MediaUsageWire: Codable, Sendable, Equatable {
    public let usedBytes: Int64
    public let quotaBytes: Int64

    enum CodingKeys: String, CodingKey { case usedBytes = "used_bytes", quotaBytes = "quota_bytes" }

    public init(usedBytes: Int64, quotaBytes: Int64) {
        self.usedBytes = usedBytes
        self.quotaBytes = quotaBytes
    }
}

/// A picture to show on a product, in the order given (`"media": [{"id": "med_3", "alt": "…"}]`).
public struct MediaAttachment: Codable, Sendable, Equatable {
    public let id: String
    public let alt: String?

    public init(id: String, alt: String? = nil) {
        self.id = id
        self.alt = alt
    }
}
