/// Splitting text at any of LF, CR and CRLF. Mail wants CRLF and nothing else; taking all
/// three as a break and writing CRLF means no bare CR or LF ever reaches the wire, where
/// servers disagree about them (the root of "SMTP smuggling").
enum LineBreaks {
    /// The lines of `bytes` without their breaks; text ending in a break ends with an empty line.
    static func lines(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var afterCR = false
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0D:
                lines.append(current)
                current = []
                afterCR = true
            case 0x0A:
                lines.append(current)
                current = []
            default:
                current.append(byte)
            }
        }
        lines.append(current)
        return lines
    }
}
