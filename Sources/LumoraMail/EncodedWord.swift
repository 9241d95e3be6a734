import Foundation

/// RFC 2047 encoded-words (`=?UTF-8?B?…?=`), how a header carries text that is not plain
/// ASCII. Encoding always uses UTF-8 and base64: base64 encodes every byte, so a CR, LF or
/// quote in the text can never reach the header as itself.
enum EncodedWord {
    /// At most this many UTF-8 bytes per word: 12 characters of `=?UTF-8?B??=` plus 48 of
    /// base64 make 60, which leaves room for `Subject: ` and friends within 78.
    static let bytesPerWord = 36

    /// `text` as encoded-words, each a whole number of Unicode scalars (RFC 2047 §5 forbids
    /// splitting a character between words).
    static func encode(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > bytesPerWord, !chunk.isEmpty {
                words.append(word(chunk))
                chunk = []
            }
            chunk.append(contentsOf: bytes)
        }
        if !chunk.isEmpty || words.isEmpty { words.append(word(chunk)) }
        return words
    }

    private static func word(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }

    /// An unstructured header value with its encoded-words decoded; white space between two
    /// adjacent encoded-words is dropped, as RFC 2047 §6.2 says. Words in a charset this does
    /// not know, or that do not decode, are left as they are.
    static func decode(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        var output = ""
        var lastWasEncoded = false
        var rest = Substring(value)
        while !rest.isEmpty {
            let spaceEnd = rest.firstIndex(where: { $0 != " " && $0 != "\t" }) ?? rest.endIndex
            let space = rest[..<spaceEnd]
            rest = rest[spaceEnd...]
            guard !rest.isEmpty else {
                output += space
                break
            }
            let tokenEnd = rest.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? rest.endIndex
            let token = rest[..<tokenEnd]
            rest = rest[tokenEnd...]
            if let decoded = decodeWord(token) {
                if !lastWasEncoded { output += space }
                output += decoded
                lastWasEncoded = true
            } else {
                output += space
                output += token
                lastWasEncoded = false
            }
        }
        return output
    }

    /// One `=?charset?B|Q?text?=`, or nil when `token` is not one.
    static func decodeWord(_ token: Substring) -> String? {
        guard token.hasPrefix("=?"), token.hasSuffix("?="), token.count >= 8 else { return nil }
        let inner = token.dropFirst(2).dropLast(2)
        let parts = inner.split(separator: "?", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        // RFC 2231 lets a language follow the charset (`UTF-8*en`).
        let charset = parts[0].split(separator: "*").first.map { $0.lowercased() } ?? ""
        let bytes: [UInt8]
        switch parts[1].lowercased() {
        case "b":
            guard let data = Data(base64Encoded: String(parts[2]), options: .ignoreUnknownCharacters) else { return nil }
            bytes = Array(data)
        case "q":
            bytes = QuotedPrintable.decode(parts[2].utf8.map { $0 == UInt8(ascii: "_") ? 0x20 : $0 })
        default:
            return nil
        }
        return Charset.decode(bytes, charset: charset)
    }
}

/// The charsets a received mail is decoded from: UTF-8 (and ASCII, its subset) and Latin-1,
/// which between them cover what mail software sends by default.
enum Charset {
    static func decode(_ bytes: [UInt8], charset: String) -> String? {
        switch charset {
        case "utf-8", "utf8", "us-ascii", "ascii", "":
            String(decoding: bytes, as: UTF8.self)
        case "iso-8859-1", "latin1", "iso8859-1":
            String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        default:
            nil
        }
    }
}
