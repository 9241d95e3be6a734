import AsyncHTTPClient
import Foundation
import LumoraCore

/// Store domains as domains of the storefront's Vercel project.
///
/// A domain is live (`.verified`) only when Vercel has verified it **and** its DNS config is
/// not misconfigured: Vercel may call a domain verified before DNS points anywhere. Until
/// then the state is `.pending` with the records the merchant still has to create — Vercel's
/// TXT challenge while unverified, and the A (apex) or CNAME (subdomain) record. Lumora's own
/// challenge token is not used: Vercel's verification replaces it.
public struct VercelDomainProvider: DomainProvider {
    public static let apexAddress = "76.76.21.21"
    public static let subdomainTarget = "cname.vercel-dns.com"

    public let configuration: VercelConfiguration
    public let client: VercelClient

    public init(configuration: VercelConfiguration, httpClient: HTTPClient = .shared) {
        self.configuration = configuration
        self.client = VercelClient(configuration: configuration, httpClient: httpClient)
    }

    // MARK: DomainProvider

    /// The platform's own subdomain: DNS is the platform's (a wildcard to Vercel), so it is
    /// verified right away where Vercel allows.
    public func addPlatformDomain(_ hostname: String, for store: StoreSlug) async throws -> DomainState {
        var domain = try await add(hostname)
        if domain.verified != true { domain = try await verifying(hostname, fallback: domain) }
        return try await state(domain)
    }

    public func addCustomDomain(_ hostname: String, for store: StoreSlug, token: String) async throws -> DomainState {
        try await state(try await add(hostname))
    }

    public func verify(_ hostname: String, for store: StoreSlug, token: String) async throws -> DomainState {
        var domain: VercelDomain
        if let existing = try await client.domain(hostname) {
            domain = existing
        } else {
            domain = try await add(hostname)
        }
        if domain.verified != true { domain = try await verifying(hostname, fallback: domain) }
        return try await state(domain)
    }

    public func remove(_ hostname: String) async throws {
        try await client.removeDomain(hostname)
    }

    // MARK: Steps

    /// Adds the domain to our project; adding it again is a success, a domain held elsewhere
    /// is a conflict the merchant can act on.
    func add(_ hostname: String) async throws -> VercelDomain {
        do {
            return try await client.addDomain(hostname)
        } catch let error as LumoraError {
            switch error.details["vercel_code"] {
            case "domain_already_in_use":
                // Repeating an add answers this; it is ours when our project holds the domain.
                if let domain = try await client.domain(hostname) { return domain }
                throw Self.taken(hostname, vercel: error)
            case "domain_taken":
                throw Self.taken(hostname, vercel: error)
            case "forbidden" where error.code != "vercel_unauthorized":
                throw LumoraError.conflict("domain_forbidden",
                                           "\(hostname) belongs to another Vercel account or team; its owner must remove it there (or transfer it) before it can point at this store (Vercel: \(error.details["vercel_message"] ?? error.message))")
            default:
                throw error
            }
        }
    }

    static func taken(_ hostname: String, vercel: LumoraError) -> LumoraError {
        LumoraError.conflict("domain_taken",
                             "\(hostname) is already used by another site; remove it there first, or use another domain (Vercel: \(vercel.details["vercel_message"] ?? vercel.message))")
    }

    /// Asks Vercel to check the TXT challenge; a missing record leaves the domain pending.
    func verifying(_ hostname: String, fallback: VercelDomain) async throws -> VercelDomain {
        do {
            return try await client.verifyDomain(hostname)
        } catch let error as LumoraError where error.details["vercel_code"] == "missing_txt_record" || error.status == .badRequest {
            return try await client.domain(hostname) ?? fallback
        }
    }

    /// What the domain's state is for Lumora, asking for its DNS config once Vercel has
    /// verified it.
    func state(_ domain: VercelDomain) async throws -> DomainState {
        let routing = Self.routingRecord(domain)
        guard domain.verified == true else {
            let challenges = (domain.verification ?? []).map { DNSRecord(type: $0.type, name: $0.domain, value: $0.value) }
            return DomainState(status: .pending, records: challenges + [routing],
                               message: "create these DNS records, then verify \(domain.name)")
        }
        let config = try await client.config(domain.name)
        if config.misconfigured == false {
            return DomainState(status: .verified)
        }
        return DomainState(status: .pending, records: [routing],
                           message: "\(domain.name) is verified but its DNS does not point at the storefront yet: create the \(routing.type) record")
    }

    /// Apex → `A 76.76.21.21`; a subdomain → `CNAME cname.vercel-dns.com`.
    static func routingRecord(_ domain: VercelDomain) -> DNSRecord {
        let isApex = domain.apexName.map { $0 == domain.name } ?? (domain.name.split(separator: ".").count <= 2)
        return isApex ? DNSRecord(type: "A", name: domain.name, value: apexAddress)
                      : DNSRecord(type: "CNAME", name: domain.name, value: subdomainTarget)
    }
}
