/// Quoted-printable (RFC 2045 §6.7) for bodies: the text stays readable in the raw mail, every
/// line of the result is at most 76 characters, and only 7-bit bytes go over the wire, so no
/// relay can re-wrap or re-encode it.
enum QuotedPrintable {
    static let maximumLineLength = 76

    /// `text` with its line breaks (LF, CR or CRLF) made CRLF and everything else encoded.
    static func encode(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        var first = true
        for line in LineBreaks.lines(text.utf8) {
            if !first { output.append(contentsOf: crlf) }
            first = false
            encodeLine(line, into: &output)
        }
        return output
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func encodeLine(_ line: [UInt8], into output: inout [UInt8]) {
        var physical = 0
        for index in line.indices {
            let isLast = index == line.count - 1
            var token = self.token(for: line, at: index, atLineStart: physical == 0)
            // The last token of a line needs no room for a soft break after it.
            if physical + token.count > (isLast ? maximumLineLength : maximumLineLength - 1) {
                output.append(UInt8(ascii: "="))
                output.append(contentsOf: crlf)
                physical = 0
                token = self.token(for: line, at: index, atLineStart: true)
            }
            output.append(contentsOf: token)
            physical += token.count
        }
    }

    private static func token(for line: [UInt8], at index: Int, atLineStart: Bool) -> [UInt8] {
        let byte = line[index]
        switch byte {
        case UInt8(ascii: "F") where atLineStart && line[index...].starts(with: "From ".utf8):
            // Some agents still rewrite "From " at the start of a line (mbox quoting).
            return escaped(byte)
        case UInt8(ascii: "="):
            return escaped(byte)
        case 0x21...0x7E:
            return [byte]
        case 0x20 where index < line.count - 1, 0x09 where index < line.count - 1:
            // White space at the end of a line may be stripped in transit; elsewhere it is kept.
            return [byte]
        default:
            return escaped(byte)
        }
    }

    private static func escaped(_ byte: UInt8) -> [UInt8] {
        [UInt8(ascii: "="), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
    }

    /// The bytes `encoded` stands for. Lenient as decoders should be: a `=` not followed by two
    /// hex digits is kept as it is, and white space before a line break is transport padding.
    static func decode(_ encoded: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count)
        let lines = LineBreaks.lines(encoded)
        for (number, line) in lines.enumerated() {
            var end = line.count
            while end > 0, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
            var index = 0
            var softBreak = false
            while index < end {
                let byte = line[index]
                if byte == UInt8(ascii: "=") {
                    if index == end - 1 {
                        softBreak = true
                        break
                    }
                    if index + 2 < end, let high = hexValue(line[index + 1]), let low = hexValue(line[index + 2]) {
                        output.append(high << 4 | low)
                        index += 3
                        continue
                    }
                }
                output.append(byte)
                index += 1
            }
            if !softBreak, number < lines.count - 1 { output.append(contentsOf: crlf) }
        }
        return output
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
