/// Whether a file's container is whole: decoders fill a cut-short image with grey and call it
/// a warning, so a half-uploaded photo would otherwise be kept. Checked on the bytes, before
/// decoding: a JPEG's last end-of-image marker comes after its last start-of-scan, a PNG has
/// its IEND chunk, a WebP is as long as its RIFF header says.
enum ImageContainer {
    static func isComplete(_ bytes: [UInt8], format: ImageFormat) -> Bool {
        switch format {
        case .jpeg:
            guard let end = lastMarker(0xD9, in: bytes) else { return false }
            return lastMarker(0xDA, in: bytes).map { $0 < end } ?? false
        case .png:
            // IEND: length 0, "IEND", CRC — the last 12 bytes, or followed only by padding.
            let iend: [UInt8] = [0x49, 0x45, 0x4E, 0x44]
            let tail = bytes.suffix(4096)
            return tail.indices.contains { index in index + 4 <= tail.endIndex && tail[index..<(index + 4)].elementsEqual(iend) }
        case .webp:
            guard bytes.count >= 12 else { return false }
            let size = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
            return size + 8 <= bytes.count
        }
    }

    /// The offset of the last `FF <marker>` pair.
    static func lastMarker(_ marker: UInt8, in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0xFF && bytes[index + 1] == marker { return index }
            index -= 1
        }
        return nil
    }
}

/// libvips 8.14's WebP saver writes an EXIF chunk of its own (dimensions, resolution) even
/// when told to strip: the chunks are taken out here, and the header's flags for them cleared.
enum WebPContainer {
    static func removingMetadata(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WEBP".utf8) else { return bytes }
        var chunks: [UInt8] = []
        var offset = 12
        while offset + 8 <= bytes.count {
            let type = bytes[offset..<(offset + 4)]
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            let end = offset + 8 + size + (size & 1)  // chunks are padded to an even size
            guard end <= bytes.count else { return bytes }
            if !type.elementsEqual("EXIF".utf8) && !type.elementsEqual("XMP ".utf8) {
                var chunk = Array(bytes[offset..<end])
                // VP8X flags: 0x08 EXIF, 0x04 XMP.
                if type.elementsEqual("VP8X".utf8), chunk.count > 8 { chunk[8] &= ~UInt8(0x0C) }
                chunks += chunk
            }
            offset = end
        }
        let riffSize = UInt32(4 + chunks.count)
        return Array("RIFF".utf8) + (0..<4).map { UInt8((riffSize >> (8 * $0)) & 0xFF) } + Array("WEBP".utf8) + chunks
    }
}
