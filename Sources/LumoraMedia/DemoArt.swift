import CLumoraImaging
import LumoraCore
import NIOCore
import NIOPosix

/// Pictures drawn as SVG, rendered to pixels: demo catalogs' product photos (so a fresh
/// `lumora dev` looks like a shop, and its images take the merchant's upload path), and the
/// images tests upload.
public enum SVGRenderer {
    public static func render(_ svg: String, as format: ImageFormat, quality: Int = 85) async throws -> ByteBuffer {
        try await NIOThreadPool.singleton.runIfActive {
            ImageLibrary.start()
            let bytes = Array(svg.utf8)
            let image = try bytes.withUnsafeBytes { raw in
                try DecodedImage { lumora_imaging_render_svg(raw.baseAddress, raw.count, &$0) }
            }
            return try image.encoded(as: format, quality: quality)
        }
    }
}
