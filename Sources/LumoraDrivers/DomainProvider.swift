import Foundation
import LumoraCore

/// A DNS record a merchant creates for a custom domain.
public struct DNSRecord: Sendable, Equatable, Codable {
    public let type: String
    public let name: String
    public let value: String

    public init(type: String, name: String, value: String) {
        self.type = type
        self.name = name
        self.value = value
    }
}

/// Where a domain stands with the provider.
public struct DomainState: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case pending, verified, failed }

    public let status: Status
    /// Records still to create (verification challenge, A/CNAME).
    public let records: [DNSRecord]
    public let message: String?

    public init(status: Status, records: [DNSRecord] = [], message: String? = nil) {
        self.status = status
        self.records = records
        self.message = message
    }
}

/// Binds hostnames to the storefront: the control schema alone locally, Vercel's project
/// domains in production. Calls are idempotent.
public protocol DomainProvider: Sendable {
    /// `<slug>.<root domain>`: live at once.
    func addPlatformDomain(_ hostname: String, for store: StoreSlug) async throws -> DomainState
    /// A merchant's own domain: pending until verified; returns the records to create.
    func addCustomDomain(_ hostname: String, for store: StoreSlug, token: String) async throws -> DomainState
    func verify(_ hostname: String, for store: StoreSlug, token: String) async throws -> DomainState
    func remove(_ hostname: String) async throws
}

/// The local provider: nothing outside the control schema; a custom domain's TXT challenge
/// is shown as if DNS were involved, and verifying it succeeds (there is no DNS to ask).
public struct LocalDomainProvider: DomainProvider {
    public let edgeHost: String

    public init(edgeHost: String) {
        self.edgeHost = edgeHost
    }

    public func addPlatformDomain(_ hostname: String, for store: StoreSlug) async throws -> DomainState {
        DomainState(status: .verified)
    }

    public func addCustomDomain(_ hostname: String, for store: StoreSlug, token: String) async throws -> DomainState {
        DomainState(status: .pending, records: Self.records(hostname, token: token, edgeHost: edgeHost),
                    message: Self.localNote)
    }

    public func verify(_ hostname: String, for store: StoreSlug, token: String) async throws -> DomainState {
        DomainState(status: .verified)
    }

    public func remove(_ hostname: String) async throws {}

    /// What the records mean here: nothing is checked.
    public static let localNote = "local domains: these are the records a DNS provider would need; verifying succeeds without looking at DNS "
        + "(the local provider keeps domains in the control schema only; --domains vercel checks them for real)"

    public static func records(_ hostname: String, token: String, edgeHost: String) -> [DNSRecord] {
        [DNSRecord(type: "TXT", name: "_lumora-challenge.\(hostname)", value: "lumora-verify=\(token)"),
         DNSRecord(type: "CNAME", name: hostname, value: edgeHost)]
    }
}
