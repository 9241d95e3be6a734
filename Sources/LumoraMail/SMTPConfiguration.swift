import Foundation
import LumoraCore

/// Where and how to send mail, usually from one URL (`LUMORA_SMTP_URL`):
///
/// - `smtp://user:password@host:587`: submission with STARTTLS, which is then required;
/// - `smtps://user:password@host:465`: TLS from the first byte;
/// - `smtp://127.0.0.1:1025?tls=none`: no TLS, for a catcher on loopback.
///
/// User and password are percent-decoded. Credentials never go over plaintext to a host that
/// is not loopback: such a URL is refused here, and the state machine refuses it again.
public struct SMTPConfiguration: Sendable, Equatable, CustomStringConvertible {
    public enum Security: String, Sendable, Equatable {
        /// Plain TCP, then STARTTLS, which the server must offer.
        case startTLS = "starttls"
        /// TLS from the start (port 465).
        case implicitTLS = "implicit"
        /// No TLS at all.
        case none = "none"
    }

    public struct Credentials: Sendable, Equatable, CustomStringConvertible {
        public var user: String
        public var password: String

        public init(user: String, password: String) {
            self.user = user
            self.password = password
        }

        public var description: String { "\(user):****" }
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var credentials: Credentials?
    /// The name this client gives in EHLO.
    public var heloName: String
    /// The whole send, from connecting to the server's acceptance of the message.
    public var timeout: Duration
    /// A PEM file of certificates to trust besides the system's (a self-signed server).
    public var trustRootsPEMPath: String?

    public init(host: String, port: Int, security: Security, credentials: Credentials? = nil,
                heloName: String = "localhost", timeout: Duration = .seconds(60), trustRootsPEMPath: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
        self.heloName = heloName
        self.timeout = timeout
        self.trustRootsPEMPath = trustRootsPEMPath
    }

    public init(url: String, heloName: String = "localhost", timeout: Duration = .seconds(60), trustRootsPEMPath: String? = nil) throws(LumoraError) {
        func refuse(_ why: String) -> LumoraError {
            LumoraError(.badRequest, code: "invalid_smtp_url", message: "the SMTP URL is not usable: \(why)")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw refuse("expected smtp://user:password@host:587, smtps://user:password@host:465 or smtp://host:port?tls=none")
        }
        switch scheme {
        case "smtp": security = .startTLS
        case "smtps": security = .implicitTLS
        default: throw refuse("the scheme is '\(scheme.shownInError(20))'; expected smtp or smtps")
        }
        guard var host = components.host, !host.isEmpty else { throw refuse("it names no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        port = components.port ?? (security == .implicitTLS ? 465 : 587)
        guard (1...65535).contains(port) else { throw refuse("port \(port) is out of range") }
        guard components.path.isEmpty || components.path == "/" else { throw refuse("an SMTP URL has no path") }
        for item in components.queryItems ?? [] {
            switch (item.name, item.value?.lowercased()) {
            case ("tls", "none"):
                guard security == .startTLS else { throw refuse("smtps:// always uses TLS; use smtp:// with tls=none") }
                security = .none
            case ("tls", "starttls"):
                guard security == .startTLS else { throw refuse("smtps:// uses implicit TLS, not STARTTLS") }
            case ("tls", "implicit"):
                security = .implicitTLS
            case ("tls", let value):
                throw refuse("tls=\((value ?? "").shownInError(20)) is not one of none, starttls, implicit")
            default:
                throw refuse("unknown parameter '\(item.name.shownInError(20))' (only tls is understood)")
            }
        }
        if let rawUser = components.percentEncodedUser {
            guard let user = rawUser.removingPercentEncoding, !user.isEmpty else { throw refuse("the user is not valid percent-encoding") }
            guard let password = (components.percentEncodedPassword ?? "").removingPercentEncoding else {
                throw refuse("the password is not valid percent-encoding")
            }
            credentials = Credentials(user: user, password: password)
        } else {
            credentials = nil
        }
        self.heloName = heloName
        self.timeout = timeout
        self.trustRootsPEMPath = trustRootsPEMPath
        if credentials != nil, security == .none, !isLoopback {
            throw refuse("tls=none with a user and password would send them in plaintext to \(host.shownInError()), which is not loopback")
        }
        do {
            try validate()
        } catch {
            throw refuse(error.message)
        }
    }

    /// Whether the server is this machine, where plaintext does not cross a network.
    public var isLoopback: Bool {
        let name = host.lowercased()
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Refuses what would break a command line or leak credentials; `SMTPClient` and the state
    /// machine call it, so a configuration built field by field is held to the URL's rules.
    public func validate() throws(LumoraError) {
        func refuse(_ why: String) -> LumoraError {
            LumoraError(.badRequest, code: "invalid_smtp_configuration", message: why)
        }
        guard !host.isEmpty, !host.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F || $0 == UInt8(ascii: "/") }) else {
            throw refuse("'\(host.shownInError())' is not a host name")
        }
        guard (1...65535).contains(port) else { throw refuse("port \(port) is out of range") }
        guard !heloName.isEmpty, heloName.utf8.count <= 255,
              heloName.utf8.allSatisfy({ Self.heloCharacters.contains($0) }) else {
            throw refuse("'\(heloName.shownInError())' is not a name to give in EHLO (a domain or an address literal such as [127.0.0.1])")
        }
        if let credentials {
            guard !credentials.user.isEmpty, !credentials.user.contains("\u{0}"), !credentials.password.contains("\u{0}") else {
                throw refuse("an SMTP user must not be empty, and neither user nor password may hold NUL")
            }
            if security == .none, !isLoopback {
                throw refuse("credentials without TLS would cross the network in plaintext to \(host.shownInError())")
            }
        }
        guard timeout > .zero else { throw refuse("the SMTP timeout must be positive") }
    }

    private static let heloCharacters: Set<UInt8> = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:[]".utf8)

    public var description: String {
        var url = (security == .implicitTLS ? "smtps://" : "smtp://")
        if let credentials { url += "\(credentials.user):****@" }
        url += host.contains(":") ? "[\(host)]" : host
        url += ":\(port)"
        if security == .none { url += "?tls=none" }
        return url
    }
}
