extension DatabaseURL {
    /// The URL as a libpq connection string (`host='…' port='…' …`), what a subscription's
    /// `CONNECTION` takes: every value single-quoted, with `\` and `'` escaped as libpq reads
    /// them. The string then reaches SQL only as a literal quoted by the server (`format('%L')`).
    public var conninfo: String {
        var pairs = [("host", host), ("port", String(port)), ("dbname", database), ("user", username)]
        if let password { pairs.append(("password", password)) }
        pairs.append(("sslmode", tlsMode.rawValue))
        if let applicationName { pairs.append(("application_name", applicationName)) }
        return pairs.map { "\($0.0)=\(Self.conninfoValue($0.1))" }.joined(separator: " ")
    }

    static func conninfoValue(_ value: String) -> String {
        var quoted = "'"
        for character in value {
            if character == "\\" || character == "'" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "'"
    }
}
