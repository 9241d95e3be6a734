import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraHTTP
import LumoraMedia
import LumoraWire
import NIOCore
import PostgresNIO

/// A store's uploaded images: processed once at upload, their rows in the store's schema and
/// their files in the platform's `MediaStore` under the store's own prefix.
struct MediaRepository: Sendable {
    let scope: TenantScope
    let files: any MediaStore
    let processor: ImageProcessor
    let quotas: CellConfiguration.MediaQuotas
    let logger: Logger

    /// The uploaded image, and whether it is new (an upload of bytes the store already has
    /// answers with that media, and writes nothing).
    func upload(_ store: StoreRoute, _ body: ByteBuffer) async throws -> (MediaWire, created: Bool) {
        // Refused before a pixel is decoded: not an image, too many bytes, too many pixels.
        let image = try await processor.process(body)
        let quota = quotas[store.plan]
        return try await scope.withStore(store.slug) { connection in
            try await connection.run(CellSQL.lockStoreMedia, logger: logger)
            let existing = try await connection.query(CellSQL.media(hash: image.hash), logger: logger).collect((Int64, Bool).self).first
            if let (id, deleted) = existing, !deleted {
                return (try await media(id: id, on: connection), false)
            }
            let used = try await connection.query(CellSQL.mediaInUse, logger: logger).collect(Int64.self).first ?? 0
            guard used + Int64(image.byteCount) <= quota else {
                throw LumoraError(.payloadTooLarge, code: "media_quota_exceeded", message:
                    "the store's images may take \(ByteCount.text(quota)); \(ByteCount.text(used)) are in use and this one needs \(ByteCount.text(Int64(image.byteCount)))")
            }
            let id: Int64
            if let (deletedID, _) = existing {
                // Deleted but not yet swept: the same bytes bring it back. Its files are written
                // again in case the sweep had begun removing them.
                id = deletedID
                try await connection.run(CellSQL.reviveMedia(id: id), logger: logger)
            } else {
                let widths = Self.distinctWidths(image)
                id = try await connection.query(
                    CellSQL.insertMedia(hash: image.hash, source: image.source.format.rawValue, widths: widths.map { Int32($0.width) },
                                        heights: widths.map { Int32($0.height) }, formats: Self.formats(image).map(\.rawValue),
                                        byteCount: Int64(image.byteCount)), logger: logger).collect(Int64.self)[0]
            }
            // The files are written while the row is locked and uncommitted: a sweep of this
            // media waits, and no reader is told of the media before all its files exist.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for rendition in image.renditions {
                    group.addTask {
                        try await files.put(MediaKey(store: store.slug, file: rendition.file), bytes: rendition.bytes,
                                            contentType: rendition.file.format.contentType)
                    }
                }
                try await group.waitForAll()
            }
            return (try await media(id: id, on: connection), true)
        }
    }

    func library(_ store: StoreRoute, page: Pagination) async throws -> MediaLibraryWire {
        try await scope.withStore(store.slug) { connection in
            let rows = try await connection.query(CellSQL.mediaLibrary(limit: page.limit, offset: page.offset), logger: logger)
                .collect((Int64, String, String, [Int32], [Int32], [String], Int64, Date, Int).self)
            let used = try await connection.query(CellSQL.mediaInUse, logger: logger).collect(Int64.self).first ?? 0
            return MediaLibraryWire(media: rows.map { Self.wire(MediaRow(id: $0.0, hash: $0.1, source: $0.2, widths: $0.3, heights: $0.4, formats: $0.5, byteCount: $0.6, createdAt: $0.7)) },
                                    count: rows.first?.8 ?? 0, limit: page.limit, offset: page.offset,
                                    usage: MediaUsageWire(usedBytes: used, quotaBytes: quotas[store.plan]))
        }
    }

    func media(_ store: StoreSlug, id: Int64) async throws -> MediaWire {
        try await scope.withStore(store) { connection in try await media(id: id, on: connection) }
    }

    /// Takes the media off every product and the logo; its files go after the grace period.
    func delete(_ store: StoreSlug, id: Int64) async throws {
        try await scope.withStore(store) { connection in
            guard try await connection.query(CellSQL.deleteMedia(id: id), logger: logger).hasRows() else {
                throw ResourceID.media.notFound(ResourceID.media.format(id))
            }
            try await connection.run(CellSQL.detachMediaEverywhere(id: id), logger: logger)
            try await connection.run(CellSQL.dropLogoMedia(id: id), logger: logger)
        }
    }

    // MARK: Helpers on an open scope

    func media(id: Int64, on connection: PostgresConnection) async throws -> MediaWire {
        guard let row = try await MediaRow.decode(connection.query(CellSQL.media(id: id), logger: logger)).first else {
            throw ResourceID.media.notFound(ResourceID.media.format(id))
        }
        return Self.wire(row)
    }

    /// The live media of `ids` by id; a 422 naming the first that is not one.
    static func liveMedia(_ ids: [Int64], on connection: PostgresConnection, logger: Logger) async throws -> [Int64: MediaWire] {
        let rows = try await MediaRow.decode(connection.query(CellSQL.liveMedia(ids: ids), logger: logger))
        let found = Dictionary(rows.map { ($0.id, wire($0)) }, uniquingKeysWith: { first, _ in first })
        if let missing = ids.first(where: { found[$0] == nil }) {
            throw LumoraError(.unprocessable, code: "unknown_media", message: "no media '\(ResourceID.media.format(missing))'; upload it first (POST /admin/media)")
        }
        return found
    }

    static func wire(_ row: MediaRow) -> MediaWire {
        let source = ImageFormat(rawValue: row.source) ?? .jpeg
        let formats = Set(row.formats.compactMap(ImageFormat.init(rawValue:)))
        let sizes = zip(row.widths, row.heights).map { width, height in
            MediaSizeWire(width: Int(width), height: Int(height),
                          url: source == .webp ? nil : MediaFile(hash: row.hash, width: Int(width), format: source).path,
                          webpUrl: formats.contains(.webp) ? MediaFile(hash: row.hash, width: Int(width), format: .webp).path : nil)
        }.sorted { $0.width < $1.width }
        let largest = sizes.last ?? MediaSizeWire(width: 1, height: 1, url: nil, webpUrl: nil)
        return MediaWire(id: ResourceID.media.format(row.id), url: largest.url ?? largest.webpUrl ?? "", width: largest.width, height: largest.height,
                         format: row.source, bytes: row.byteCount, sizes: sizes, createdAt: row.createdAt)
    }

    /// Each width once (a rendition per format shares it), widest first.
    static func distinctWidths(_ image: ProcessedImage) -> [(width: Int, height: Int)] {
        var seen = Set<Int>()
        return image.renditions.compactMap { seen.insert($0.file.width).inserted ? ($0.file.width, $0.height) : nil }
    }

    static func formats(_ image: ProcessedImage) -> [ImageFormat] {
        var seen = Set<ImageFormat>()
        return image.renditions.compactMap { seen.insert($0.file.format).inserted ? $0.file.format : nil }
    }
}

/// A row of `CellSQL.mediaColumns`.
struct MediaRow: Sendable {
    let id: Int64
    let hash: String
    let source: String
    let widths: [Int32]
    let heights: [Int32]
    let formats: [String]
    let byteCount: Int64
    let createdAt: Date

    static func decode(_ rows: PostgresRowSequence) async throws -> [MediaRow] {
        try await rows.collect((Int64, String, String, [Int32], [Int32], [String], Int64, Date).self).map {
            MediaRow(id: $0.0, hash: $0.1, source: $0.2, widths: $0.3, heights: $0.4, formats: $0.5, byteCount: $0.6, createdAt: $0.7)
        }
    }

    /// The columns as a LEFT JOIN returns them: nil when it found no media.
    init?(optional columns: (Int64?, String?, String?, [Int32]?, [Int32]?, [String]?, Int64?, Date?)) {
        guard let id = columns.0, let hash = columns.1, let source = columns.2, let widths = columns.3, let heights = columns.4,
              let formats = columns.5, let byteCount = columns.6, let createdAt = columns.7 else { return nil }
        self.init(id: id, hash: hash, source: source, widths: widths, heights: heights, formats: formats, byteCount: byteCount, createdAt: createdAt)
    }

    init(id: Int64, hash: String, source: String, widths: [Int32], heights: [Int32], formats: [String], byteCount: Int64, createdAt: Date) {
        self.id = id
        self.hash = hash
        self.source = source
        self.widths = widths
        self.heights = heights
        self.formats = formats
        self.byteCount = byteCount
        self.createdAt = createdAt
    }
}
