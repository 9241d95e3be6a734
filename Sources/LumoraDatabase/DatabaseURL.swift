import Foundation
import NIOSSL
import PostgresNIO

/// Where the database is: parsed from a `postgres://user:password@host:port/database?…` URL
/// (`DATABASE_URL`). Query options understood: `sslmode` (disable, prefer, require),
/// `search_path` (fixed at connect time, as a dedicated cell wants) and `application_name`.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode
    public var searchPath: String?
    public var applicationName: String?

    public init(host: String, port: Int, username: String, password: String?, database: String,
                tlsMode: TLSMode = .disable, searchPath: String? = nil, applicationName: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
        self.searchPath = searchPath
        self.applicationName = applicationName
    }

    public init(string: String) throws(DatabaseURLError) {
        guard let components = URLComponents(string: string),
              let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql" else {
            throw DatabaseURLError(reason: "expected postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw DatabaseURLError(reason: "the URL names no host")
        }
        guard let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
            throw DatabaseURLError(reason: "the URL names no user")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw DatabaseURLError(reason: "the URL names no database")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user
        self.password = components.percentEncodedPassword?.removingPercentEncoding
        self.database = database.removingPercentEncoding ?? database
        self.tlsMode = .prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value {
                case "disable", "allow": tlsMode = .disable
                case "prefer": tlsMode = .prefer
                case "require", "verify-ca", "verify-full": tlsMode = .require
                default: throw DatabaseURLError(reason: "unknown sslmode '\(item.value ?? "")'")
                }
            case "search_path": searchPath = item.value
            case "application_name": applicationName = item.value
            default: continue
            }
        }
        // A loopback server without TLS is the common local case; do not try TLS there.
        if tlsMode == .prefer && (host == "127.0.0.1" || host == "localhost" || host == "::1") {
            tlsMode = .disable
        }
    }

    /// The URL with its password, for child processes that need to connect.
    public var string: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.host = host
        components.port = port
        components.user = username
        components.password = password
        components.path = "/" + database
        var items = [URLQueryItem(name: "sslmode", value: tlsMode.rawValue)]
        if let searchPath { items.append(URLQueryItem(name: "search_path", value: searchPath)) }
        if let applicationName { items.append(URLQueryItem(name: "application_name", value: applicationName)) }
        components.queryItems = items
        return components.string ?? ""
    }

    /// Safe to print: the password is masked.
    public var description: String {
        var copy = self
        if copy.password != nil { copy.password = "****" }
        return copy.string
    }

    /// The same server, another database.
    public func database(_ name: String) -> DatabaseURL {
        var copy = self
        copy.database = name
        return copy
    }

    /// A single-connection configuration (for LISTEN, which must not hold a pool slot).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch tlsMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    private var startupParameters: [(String, String)] {
        var parameters: [(String, String)] = []
        if let searchPath { parameters.append(("search_path", searchPath)) }
        if let applicationName { parameters.append(("application_name", applicationName)) }
        return parameters
    }

    /// A pool configuration for this URL.
    public func clientConfiguration(maximumConnections: Int = 20) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch tlsMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }
}

public struct DatabaseURLError: Error, CustomStringConvertible, Equatable {
    public var reason: String
    public var description: String { "DATABASE_URL is not usable: \(reason)" }
}
