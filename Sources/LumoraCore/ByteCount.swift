/// Sizes as people read them: "840 KB", "12.3 MB", "1 GB" (powers of 1024, one decimal below 10).
public enum ByteCount {
    public static func text(_ bytes: some BinaryInteger) -> String {
        let value = Double(bytes)
        for (unit, size) in [("GB", 1_073_741_824.0), ("MB", 1_048_576.0), ("KB", 1024.0)] where value >= size {
            let scaled = value / size
            let rounded = scaled < 10 ? (scaled * 10).rounded() / 10 : scaled.rounded()
            return rounded == rounded.rounded() ? "\(Int(rounded)) \(unit)" : "\(rounded) \(unit)"
        }
        return "\(Int(value)) bytes"
    }
}
