import Logging
import LumoraCore
import LumoraDatabase
import PostgresNIO

/// Where a database's URL is kept: `env:<NAME>`, a variable of the manager's environment, or
/// `secret:<name>`, a secret manager's (which cells on Cloud Run are given; the manager itself
/// reads only `env:` ones). The control schema keeps the reference, never the URL.
struct DatabaseReference: Sendable {
    let raw: String

    init(_ raw: String) throws(LumoraError) {
        let body = raw.drop { $0 != ":" }.dropFirst()
        guard raw.hasPrefix("env:") || raw.hasPrefix("secret:"), (1...200).contains(body.utf8.count),
              body.utf8.allSatisfy({ $0.isASCIIAlphanumeric || "_./-".utf8.contains($0) }) else {
            throw LumoraError.badRequest("invalid_connection_ref", "connection_ref is env:<VARIABLE> or secret:<name> (letters, digits, _ . / -)")
        }
        self.raw = raw
    }

    func resolve(in environment: [String: String]) throws(LumoraError) -> DatabaseURL {
        guard raw.hasPrefix("env:") else {
            throw LumoraError(.unprocessable, code: "secret_refs_unavailable",
                              message: "the manager reads env: references; give the URL to the manager in a variable")
        }
        let name = String(raw.dropFirst(4))
        guard let value = environment[name], !value.isEmpty else {
            throw LumoraError(.unprocessable, code: "unknown_connection_ref", message: "the manager's environment has no \(name)")
        }
        do {
            return try DatabaseURL(string: value)
        } catch {
            throw LumoraError(.unprocessable, code: "invalid_database_url", message: "\(name) does not hold a usable database URL: \(error.reason)")
        }
    }

    /// Connects once and reads the server's version: store schemas move there with
    /// `FOR TABLES IN SCHEMA` publications, which PostgreSQL has from 15 on.
    static func check(_ url: DatabaseURL, logger: Logger) async throws {
        let version: Int
        do {
            let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 0, logger: logger)
            defer { Task { try? await connection.close() } }
            version = try await connection.query("SELECT current_setting('server_version_num')::int", logger: logger).collect(Int.self).first ?? 0
        } catch {
            throw LumoraError(.unprocessable, code: "database_unreachable", message: "could not use the database: \(error.databaseMessage)")
        }
        guard version >= 150000 else {
            throw LumoraError(.unprocessable, code: "database_too_old", message: "the database runs PostgreSQL \(version / 10000); Lumora needs 15 or later")
        }
    }

    static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (2...32).contains(bytes.count), let first = bytes.first, let last = bytes.last,
              (0x61...0x7A).contains(first), last != 0x2D else { return false }
        return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }
}

private extension UInt8 {
    var isASCIIAlphanumeric: Bool { (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
}
