import Foundation
import LumoraMedia
import NIOCore

/// Images for upload tests: pictures drawn as SVG and rendered (each seed looks different), a
/// JPEG carrying EXIF with an orientation and a GPS position, and a real PNG decompression bomb.
public enum TestImages {
    /// A picture `width`×`height` in `format`; the seed picks its colours. A `grainy` one is
    /// covered in noise, as a photo is, so it does not compress to almost nothing.
    public static func make(_ format: ImageFormat, width: Int, height: Int, seed: Int = 1, grainy: Bool = false) async throws -> ByteBuffer {
        try await SVGRenderer.render(svg(width: width, height: height, seed: seed, grainy: grainy), as: format)
    }

    public static func svg(width: Int, height: Int, seed: Int, grainy: Bool = false) -> String {
        let hue = (seed * 47) % 360
        let grain = grainy ? """
            <filter id="grain"><feTurbulence type="fractalNoise" baseFrequency="0.9" numOctaves="2" seed="\(seed)"/></filter>
            <rect width="100%" height="100%" filter="url(#grain)"/>
            """ : ""
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)">
        <rect width="100%" height="100%" fill="hsl(\(hue),60%,70%)"/>\(grain)
        <circle cx="\(width / 2)" cy="\(height / 2)" r="\(min(width, height) / 3)" fill="hsl(\((hue + 180) % 360),70%,40%)"/>
        <rect x="\(width / 8)" y="\(height / 8)" width="\(width / 4)" height="\(height / 4)" fill="#ffffff" fill-opacity="0.7"/>
        </svg>
        """
    }

    /// The latitude written into `withExif`'s GPS block: 51° 28' 38" (as EXIF rationals).
    public static let gpsLatitude: [(UInt32, UInt32)] = [(51, 1), (28, 1), (38, 1)]

    /// `jpeg` with an EXIF block (APP1) right after its start marker: `orientation` (1–8) and a
    /// GPS latitude, as a phone camera writes them.
    public static func withExif(_ jpeg: ByteBuffer, orientation: UInt16) -> [UInt8] {
        var tiff: [UInt8] = Array("II".utf8) + [0x2A, 0x00] + le32(8)
        // IFD0 at 8: Orientation, and the GPS IFD's offset (38).
        tiff += le16(2)
        tiff += le16(0x0112) + le16(3) + le32(1) + le16(orientation) + [0, 0]
        tiff += le16(0x8825) + le16(4) + le32(1) + le32(38)
        tiff += le32(0)
        // GPS IFD at 38: latitude reference "N" and the latitude (three rationals at 68).
        tiff += le16(2)
        tiff += le16(0x0001) + le16(2) + le32(2) + Array("N".utf8) + [0, 0, 0]
        tiff += le16(0x0002) + le16(5) + le32(3) + le32(68)
        tiff += le32(0)
        for (numerator, denominator) in gpsLatitude { tiff += le32(numerator) + le32(denominator) }
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        let segment: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        let bytes = Array(jpeg.readableBytesView)
        return Array(bytes[0..<2]) + segment + Array(bytes[2...])
    }

    /// Whether `bytes` carry an EXIF block (JPEG's `Exif\0\0` or WebP's `EXIF` chunk) or the GPS latitude.
    public static func carriesMetadata(_ bytes: ByteBuffer) -> Bool {
        let all = Array(bytes.readableBytesView)
        let latitude = gpsLatitude.flatMap { le32($0.0) + le32($0.1) }
        return contains(all, Array("Exif".utf8) + [0, 0]) || contains(all, Array("EXIF".utf8)) || contains(all, latitude)
    }

    /// A valid PNG of `width`×`height` one-bit grey pixels, all black: a few hundred kilobytes
    /// that decode to width×height pixels (a decompression bomb). The image data is a zlib
    /// stream of fixed-Huffman deflate blocks: one literal zero, then back-references of 258
    /// zeros at distance 1.
    public static func pngBomb(width: Int, height: Int) -> [UInt8] {
        let rowBytes = 1 + (width + 7) / 8
        let total = rowBytes * height
        var bits = BitWriter()
        bits.write(1, count: 1)            // BFINAL
        bits.write(1, count: 2)            // BTYPE = 01, fixed Huffman
        bits.writeCode(0x30, length: 8)    // literal 0
        var remaining = total - 1
        while remaining >= 258 {
            bits.writeCode(0b1100_0101, length: 8)  // length 258 (symbol 285)
            bits.writeCode(0, length: 5)            // distance 1 (code 0)
            remaining -= 258
        }
        for _ in 0..<remaining { bits.writeCode(0x30, length: 8) }
        bits.writeCode(0, length: 7)       // end of block (256)
        let adler = (UInt32(total % 65521) << 16) | 1
        let zlib: [UInt8] = [0x78, 0x01] + bits.finished + be32(adler)

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [1, 0, 0, 0, 0])
        png += chunk("IDAT", zlib)
        png += chunk("IEND", [])
        return png
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return be32(UInt32(data.count)) + typeBytes + data + be32(crc32(typeBytes + data))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
    static func be32(_ value: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8((value >> (8 * $0)) & 0xFF) } }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in haystack[start..<(start + needle.count)].elementsEqual(needle) }
    }
}

/// Deflate's bit order: values least significant bit first, Huffman codes most significant first.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var current: UInt8 = 0
    private var used = 0

    mutating func write(_ value: UInt32, count: Int) {
        for index in 0..<count { push(UInt8((value >> index) & 1)) }
    }

    mutating func writeCode(_ code: UInt32, length: Int) {
        for index in (0..<length).reversed() { push(UInt8((code >> index) & 1)) }
    }

    private mutating func push(_ bit: UInt8) {
        current |= bit << used
        used += 1
        if used == 8 { flush() }
    }

    private mutating func flush() {
        bytes.append(current)
        current = 0
        used = 0
    }

    var finished: [UInt8] {
        var copy = self
        if copy.used > 0 { copy.flush() }
        return copy.bytes
    }
}
