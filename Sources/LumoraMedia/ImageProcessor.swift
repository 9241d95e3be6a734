import CLumoraImaging
import Crypto
import LumoraCore
import NIOCore
import NIOPosix

/// Turns an upload into the renditions a storefront serves, with libvips: checked by content
/// (JPEG, PNG, WebP), refused before decoding when too big, turned upright by its EXIF
/// orientation, stripped of all metadata (GPS included), and made once in every width of
/// `ImageSizes`, as WebP and in the original format.
public struct ImageProcessor: Sendable {
    public var limits: ImageLimits
    public var sizes: ImageSizes

    public init(limits: ImageLimits = ImageLimits(), sizes: ImageSizes = ImageSizes()) {
        self.limits = limits
        self.sizes = sizes
    }

    /// Decoding and encoding block a thread for tens to hundreds of milliseconds: they run on
    /// NIO's blocking pool, never on an event loop or Swift's cooperative pool.
    public func process(_ upload: ByteBuffer) async throws -> ProcessedImage {
        let bytes = Array(upload.readableBytesView)
        return try await NIOThreadPool.singleton.runIfActive { try self.processNow(bytes) }
    }

    /// What the bytes are, from their header only.
    public func inspect(_ bytes: [UInt8]) throws(LumoraError) -> ImageHeader {
        ImageLibrary.start()
        guard bytes.count <= limits.maximumBytes else {
            throw LumoraError(.payloadTooLarge, code: "image_too_large",
                              message: "an image may be at most \(limits.maximumBytes / 1_048_576) MB; this one is \(ByteCount.text(bytes.count))")
        }
        var header = lumora_image_header()
        let probed = bytes.withUnsafeBytes { lumora_imaging_probe($0.baseAddress, $0.count, &header) }
        let format: ImageFormat? = switch header.format {
        case Int32(LUMORA_FORMAT_JPEG.rawValue): .jpeg
        case Int32(LUMORA_FORMAT_PNG.rawValue): .png
        case Int32(LUMORA_FORMAT_WEBP.rawValue): .webp
        default: nil
        }
        guard let format else {
            throw LumoraError(.unsupportedMediaType, code: "unsupported_image",
                              message: "the file is not a JPEG, PNG or WebP image (its content was checked, not its name)")
        }
        guard probed == 0, header.width > 0, header.height > 0 else {
            throw LumoraError(.unprocessable, code: "unreadable_image", message: "the image's header could not be read: \(ImageLibrary.lastError())")
        }
        guard ImageContainer.isComplete(bytes, format: format) else {
            throw LumoraError(.unprocessable, code: "unreadable_image", message: "the image is cut short (its end is missing); upload the whole file")
        }
        let pixels = Int(header.width) * Int(header.height)
        guard pixels <= limits.maximumPixels else {
            throw LumoraError(.payloadTooLarge, code: "image_too_many_pixels",
                              message: "an image may have at most \(limits.maximumPixels / 1_000_000) megapixels; this one is \(header.width)×\(header.height)")
        }
        // Orientations 5–8 turn the picture a quarter: its upright width is its stored height.
        let turned = (5...8).contains(header.orientation)
        return ImageHeader(format: format, width: Int(turned ? header.height : header.width),
                           height: Int(turned ? header.width : header.height), hasAlpha: header.has_alpha != 0)
    }

    func processNow(_ bytes: [UInt8]) throws -> ProcessedImage {
        let header = try inspect(bytes)
        let widths = sizes.widths(forImageWidth: header.width)
        let formats = header.format == .webp ? [ImageFormat.webp] : [.webp, header.format]
        let hash = Hex.lowercase(SHA256.hash(data: bytes))

        let largest = try bytes.withUnsafeBytes { raw in
            try DecodedImage { lumora_imaging_thumbnail(raw.baseAddress, raw.count, Int32(widths[0]), &$0) }
        }
        var renditions: [Rendition] = []
        var current = largest
        for width in widths {
            if width < current.width { current = try DecodedImage { lumora_imaging_shrink(largest.pointer, Int32(width), &$0) } }
            for format in formats {
                renditions.append(Rendition(file: MediaFile(hash: hash, width: current.width, format: format), height: current.height,
                                            bytes: try current.encoded(as: format, quality: format == .webp ? 80 : 82)))
            }
        }
        return ProcessedImage(hash: hash, source: header, width: largest.width, height: largest.height, renditions: renditions)
    }

}

/// Refusal thresholds, checked before a pixel is decoded.
public struct ImageLimits: Sendable, Equatable {
    public var maximumBytes: Int
    public var maximumPixels: Int

    public init(maximumBytes: Int = 10 * 1_048_576, maximumPixels: Int = 40_000_000) {
        self.maximumBytes = maximumBytes
        self.maximumPixels = maximumPixels
    }
}

/// The widths renditions are made in. An image is never enlarged: one narrower than the
/// largest width gets its own width as its largest rendition.
public struct ImageSizes: Sendable, Equatable {
    public var widths: [Int]

    public init(widths: [Int] = [160, 320, 640, 1280, 2048]) {
        self.widths = widths.sorted()
    }

    /// Widest first.
    func widths(forImageWidth imageWidth: Int) -> [Int] {
        let largest = min(imageWidth, widths.last ?? imageWidth)
        return [largest] + widths.filter { $0 < largest }.reversed()
    }
}

/// An upload's header: its format and upright size.
public struct ImageHeader: Sendable, Equatable {
    public let format: ImageFormat
    public let width: Int
    public let height: Int
    public let hasAlpha: Bool
}

public struct ProcessedImage: Sendable {
    public let hash: String
    public let source: ImageHeader
    /// The largest rendition's size.
    public let width: Int
    public let height: Int
    /// Widest first; each width as WebP, then in the original format.
    public let renditions: [Rendition]

    public var byteCount: Int { renditions.reduce(0) { $0 + $1.bytes.readableBytes } }
}

public struct Rendition: Sendable {
    public let file: MediaFile
    public let height: Int
    public let bytes: ByteBuffer
}

/// A decoded image held by libvips, released when the last reference goes.
final class DecodedImage {
    let pointer: OpaquePointer

    init(_ make: (inout OpaquePointer?) -> Int32) throws {
        var pointer: OpaquePointer?
        guard make(&pointer) == 0, let pointer else {
            throw LumoraError(.unprocessable, code: "unreadable_image", message: "the image could not be decoded: \(ImageLibrary.lastError())")
        }
        self.pointer = pointer
    }

    deinit { lumora_imaging_release(pointer) }

    var width: Int { Int(lumora_imaging_width(pointer)) }
    var height: Int { Int(lumora_imaging_height(pointer)) }

    func encoded(as format: ImageFormat, quality: Int) throws -> ByteBuffer {
        var output: UnsafeMutableRawPointer?
        var length = 0
        let code: Int32 = switch format {
        case .jpeg: Int32(LUMORA_FORMAT_JPEG.rawValue)
        case .png: Int32(LUMORA_FORMAT_PNG.rawValue)
        case .webp: Int32(LUMORA_FORMAT_WEBP.rawValue)
        }
        guard lumora_imaging_save(pointer, code, Int32(quality), &output, &length) == 0, let output else {
            throw LumoraError.internalError("the image could not be encoded as \(format.rawValue): \(ImageLibrary.lastError())")
        }
        defer { lumora_imaging_free(output) }
        let bytes = UnsafeRawBufferPointer(start: output, count: length)
        return format == .webp ? ByteBuffer(bytes: WebPContainer.removingMetadata(Array(bytes))) : ByteBuffer(bytes: bytes)
    }
}

/// libvips, started once per process.
enum ImageLibrary {
    private static let started: Bool = lumora_imaging_start() == 0

    static func start() {
        precondition(started, "libvips could not start: \(lastError())")
    }

    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        lumora_imaging_error(&buffer, buffer.count)
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return message.split(whereSeparator: \.isNewline).first.map(String.init) ?? "unknown error"
    }
}
