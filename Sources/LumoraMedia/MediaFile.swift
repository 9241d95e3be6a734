import LumoraCore

/// One rendition of an uploaded image: `<hash>-<width>.<ext>`, where the hash is the SHA-256
/// (hex) of the uploaded bytes. The name is all a URL carries, so it is parsed strictly: only
/// names this type itself formats are accepted.
public struct MediaFile: Sendable, Hashable, CustomStringConvertible {
    public let hash: String
    public let width: Int
    public let format: ImageFormat

    public init(hash: String, width: Int, format: ImageFormat) {
        precondition(Self.isHash(hash) && width > 0, "a media file needs a SHA-256 hex hash and a width")
        self.hash = hash
        self.width = width
        self.format = format
    }

    /// Parses a name from a URL; nil unless it is exactly `<64 hex>-<width>.<jpg|png|webp>`.
    public init?(name: Substring) {
        guard let dash = name.firstIndex(of: "-"), let dot = name.lastIndex(of: "."), dash < dot else { return nil }
        let hash = name[..<dash], widthText = name[name.index(after: dash)..<dot], ext = name[name.index(after: dot)...]
        guard Self.isHash(hash), (1...5).contains(widthText.utf8.count), widthText.utf8.first != UInt8(ascii: "0"),
              widthText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let width = Int(widthText), let format = ImageFormat(fileExtension: ext) else { return nil }
        self.init(hash: String(hash), width: width, format: format)
    }

    public var name: String { "\(hash)-\(width).\(format.fileExtension)" }
    public var description: String { name }
    /// The path the edge serves it at, on each of the store's hosts.
    public var path: String { "/media/\(name)" }

    static func isHash(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}

/// The image formats Lumora accepts and serves.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case jpeg, png, webp

    public init?(fileExtension: some StringProtocol) {
        switch fileExtension {
        case "jpg": self = .jpeg
        case "png": self = .png
        case "webp": self = .webp
        default: return nil
        }
    }

    public var fileExtension: String {
        switch self {
        case .jpeg: return "jpg"
        case .png: return "png"
        case .webp: return "webp"
        }
    }

    public var contentType: String {
        switch self {
        case .jpeg: return "image/jpeg"
        case .png: return "image/png"
        case .webp: return "image/webp"
        }
    }
}
