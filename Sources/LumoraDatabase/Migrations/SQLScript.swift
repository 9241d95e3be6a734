/// Splits a SQL script into statements for the extended query protocol, which runs one
/// statement per message (PostgresNIO offers no simple-query call).
///
/// Understands what can hide a `;`: single-quoted strings (with `''` and `E'\''` escapes),
/// quoted identifiers, dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`), line comments and
/// nested block comments. Statements are returned trimmed; empty ones are dropped.
public enum SQLScript {
    public static func statements(in script: String) -> [String] {
        let scalars = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let text = String(current).trimmingWhitespace()
            if !text.isEmpty && !isOnlyComments(text) { statements.append(text) }
            current = String.UnicodeScalarView()
        }

        while index < scalars.count {
            let scalar = scalars[index]
            let next: Unicode.Scalar? = index + 1 < scalars.count ? scalars[index + 1] : nil

            switch scalar {
            case ";":
                flush()
                index += 1
            case "-" where next == "-":
                let end = scalars[index...].firstIndex(of: "\n") ?? scalars.count
                current.append(contentsOf: scalars[index..<end])
                index = end
            case "/" where next == "*":
                let end = blockCommentEnd(scalars, from: index)
                current.append(contentsOf: scalars[index..<end])
                index = end
            case "'":
                let escapes = index > 0 && (scalars[index - 1] == "E" || scalars[index - 1] == "e")
                let end = quotedEnd(scalars, from: index, quote: "'", backslashEscapes: escapes)
                current.append(contentsOf: scalars[index..<end])
                index = end
            case "\"":
                let end = quotedEnd(scalars, from: index, quote: "\"", backslashEscapes: false)
                current.append(contentsOf: scalars[index..<end])
                index = end
            case "$":
                if let tagEnd = dollarTagEnd(scalars, from: index) {
                    let tag = Array(scalars[index...tagEnd])
                    let end = closingDollarTag(scalars, tag: tag, from: tagEnd + 1)
                    current.append(contentsOf: scalars[index..<end])
                    index = end
                } else {
                    current.append(scalar)
                    index += 1
                }
            default:
                current.append(scalar)
                index += 1
            }
        }
        flush()
        return statements
    }

    /// One `DO` block that `EXECUTE`s each statement, each quoted with a dollar tag that does
    /// not occur in it. It runs with the caller's `search_path` and fails as a whole.
    public static func doBlock(_ statements: [String]) -> String {
        var body = ""
        for statement in statements {
            var tag = "$lumora_statement$"
            var counter = 0
            while statement.contains(tag) {
                counter += 1
                tag = "$lumora_statement_\(counter)$"
            }
            body += "EXECUTE \(tag)\(statement)\(tag);\n"
        }
        var outer = "$lumora_block$"
        var counter = 0
        while body.contains(outer) {
            counter += 1
            outer = "$lumora_block_\(counter)$"
        }
        return "DO \(outer) BEGIN\n\(body)END \(outer)"
    }

    private static func quotedEnd(_ s: [Unicode.Scalar], from start: Int, quote: Unicode.Scalar, backslashEscapes: Bool) -> Int {
        var i = start + 1
        while i < s.count {
            if backslashEscapes && s[i] == "\\" {
                i += 2
                continue
            }
            if s[i] == quote {
                if i + 1 < s.count && s[i + 1] == quote {
                    i += 2  // doubled quote inside the literal
                    continue
                }
                return i + 1
            }
            i += 1
        }
        return s.count
    }

    private static func blockCommentEnd(_ s: [Unicode.Scalar], from start: Int) -> Int {
        var depth = 0
        var i = start
        while i < s.count {
            if s[i] == "/" && i + 1 < s.count && s[i + 1] == "*" {
                depth += 1
                i += 2
            } else if s[i] == "*" && i + 1 < s.count && s[i + 1] == "/" {
                depth -= 1
                i += 2
                if depth == 0 { return i }
            } else {
                i += 1
            }
        }
        return s.count
    }

    /// `$tag$` starts a dollar quote when the tag is empty or an identifier; `$1` is a parameter.
    private static func dollarTagEnd(_ s: [Unicode.Scalar], from start: Int) -> Int? {
        var i = start + 1
        while i < s.count {
            let c = s[i]
            if c == "$" { return i }
            let isIdentifier = c == "_" || c.properties.isAlphabetic || (i > start + 1 && ("0"..."9").contains(c))
            if !isIdentifier { return nil }
            i += 1
        }
        return nil
    }

    private static func closingDollarTag(_ s: [Unicode.Scalar], tag: [Unicode.Scalar], from start: Int) -> Int {
        var i = start
        while i + tag.count <= s.count {
            if s[i] == "$" && Array(s[i..<(i + tag.count)]) == tag { return i + tag.count }
            i += 1
        }
        return s.count
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        var rest = Substring(text)
        while !rest.isEmpty {
            rest = rest.drop(while: { $0.isWhitespace })
            if rest.hasPrefix("--") {
                rest = rest.drop(while: { $0 != "\n" })
            } else if rest.hasPrefix("/*") {
                guard let end = rest.range(of: "*/") else { return true }
                rest = rest[end.upperBound...]
            } else {
                return rest.isEmpty
            }
        }
        return true
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
