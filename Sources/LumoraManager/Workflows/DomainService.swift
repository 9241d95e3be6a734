import Foundation
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import LumoraWire
import PostgresNIO

/// A store's domains as the API shows them (the dashboard decodes the same type).
public typealias DomainView = DomainWire

/// Custom domains: validated, unique across stores, pending until verified through the
/// DomainProvider, then live (and the store's primary domain).
struct DomainService: Sendable {
    let platform: Platform

    func list(_ slug: StoreSlug) async throws -> [DomainView] {
        try await rows(ManagerSQL.domains(of: slug)).map(view)
    }

    func add(_ raw: String, to slug: StoreSlug) async throws -> DomainView {
        let hostname = try Self.validate(raw, rootDomain: platform.configuration.rootDomain)
        if let existing = try await rows(ManagerSQL.domain(hostname)).first {
            guard existing.store == slug.rawValue else {
                throw LumoraError.conflict("domain_taken", "\(hostname) is already used by another store")
            }
            return view(existing)
        }
        let token = AdminToken.generate().dropFirst(AdminToken.prefix.count).prefix(24)
        let state = try await platform.domains.addCustomDomain(hostname, for: slug, token: String(token))
        do {
            try await platform.client.query(ManagerSQL.insertCustomDomain(hostname, store: slug, token: String(token), records: try Self.json(state.records),
                                                                          message: state.message), logger: platform.logger).drain()
        } catch where error.hasSQLState(.uniqueViolation) {
            throw LumoraError.conflict("domain_taken", "\(hostname) is already used by another store")
        }
        return DomainView(hostname: hostname, kind: "custom", primary: false, status: state.status == .verified ? "verified" : "pending",
                          records: Self.wire(state.records), message: state.message)
    }

    func verify(_ raw: String, of slug: StoreSlug) async throws -> DomainView {
        let hostname = raw.lowercased()
        guard let row = try await rows(ManagerSQL.domain(hostname)).first, row.store == slug.rawValue else {
            throw LumoraError.notFound("domain_not_found", "\(hostname.prefix(100)) is not a domain of \(slug)")
        }
        guard row.kind == "custom", row.status != "verified" else { return view(row) }
        let state = try await platform.domains.verify(hostname, for: slug, token: row.token ?? "")
        guard state.status == .verified else {
            try await platform.client.query(ManagerSQL.updatePendingDomain(hostname, records: try Self.json(state.records), message: state.message),
                                            logger: platform.logger).drain()
            return DomainView(hostname: hostname, kind: row.kind, primary: row.primary, status: "pending",
                              records: Self.wire(state.records), message: state.message ?? "not verified yet")
        }
        try await platform.client.transaction(logger: platform.logger) { connection in
            try await connection.run(ManagerSQL.unsetPrimary(store: slug), logger: platform.logger)
            try await connection.run(ManagerSQL.markVerified(hostname), logger: platform.logger)
        }
        return try await list(slug).first { $0.hostname == hostname } ?? view(row)
    }

    /// A verified domain becomes the one the store's links use.
    func makePrimary(_ raw: String, of slug: StoreSlug) async throws -> DomainView {
        let hostname = raw.lowercased()
        guard let row = try await rows(ManagerSQL.domain(hostname)).first, row.store == slug.rawValue else {
            throw LumoraError.notFound("domain_not_found", "\(hostname.prefix(100)) is not a domain of \(slug)")
        }
        guard row.status == "verified" else {
            throw LumoraError(.unprocessable, code: "domain_not_verified", message: "\(hostname) is not verified yet: create its DNS records and verify it first.")
        }
        try await platform.client.transaction(logger: platform.logger) { connection in
            try await connection.run(ManagerSQL.unsetPrimary(store: slug), logger: platform.logger)
            try await connection.run(ManagerSQL.makePrimary(hostname), logger: platform.logger)
        }
        return try await list(slug).first { $0.hostname == hostname } ?? view(row)
    }

    func remove(_ raw: String, from slug: StoreSlug) async throws {
        let hostname = raw.lowercased()
        guard let row = try await rows(ManagerSQL.domain(hostname)).first, row.store == slug.rawValue else {
            throw LumoraError.notFound("domain_not_found", "\(hostname.prefix(100)) is not a domain of \(slug)")
        }
        guard row.kind == "custom" else {
            throw LumoraError.conflict("platform_domain", "the platform subdomain cannot be removed")
        }
        try await platform.domains.remove(hostname)
        try await platform.client.transaction(logger: platform.logger) { connection in
            try await connection.run(ManagerSQL.deleteDomain(hostname, store: slug), logger: platform.logger)
            try await connection.run(ManagerSQL.restorePlatformPrimary(store: slug), logger: platform.logger)
        }
    }

    /// A public DNS name: 2+ labels of `[a-z0-9-]` (not starting or ending with `-`), at most
    /// 253 characters, not an address, not under the platform's own domain.
    static func validate(_ raw: String, rootDomain: String) throws(LumoraError) -> String {
        var host = raw.trimmingASCIIWhitespace().lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let validLabel: (Substring) -> Bool = { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        }
        guard host.count <= 253, labels.count >= 2, labels.allSatisfy(validLabel),
              !(labels.last.map { $0.allSatisfy(\.isNumber) } ?? true) else {
            throw LumoraError.badRequest("invalid_hostname", "'\(raw.prefix(100))' is not a domain name")
        }
        guard host != rootDomain, !host.hasSuffix("." + rootDomain) else {
            throw LumoraError.badRequest("invalid_hostname", "\(host) is under the platform's own domain")
        }
        return host
    }

    private struct Row {
        let hostname: String
        let store: String
        let kind: String
        let primary: Bool
        let status: String
        let token: String?
        let records: [DNSRecord]?
        let message: String?
    }

    private func rows(_ query: PostgresQuery) async throws -> [Row] {
        try await platform.client.query(query, logger: platform.logger)
            .collect((String, String, String, Bool, String, String?, Date, Date?, String?, String?).self)
            .map { row in
                Row(hostname: row.0, store: row.1, kind: row.2, primary: row.3, status: row.4, token: row.5,
                    records: row.8.flatMap { try? JSONDecoder().decode([DNSRecord].self, from: Data($0.utf8)) }, message: row.9)
            }
    }

    /// A pending custom domain shows the records its provider asked for (domains added before
    /// they were kept: the local provider's).
    private func view(_ row: Row) -> DomainView {
        guard row.status == "pending", row.kind == "custom" else {
            return DomainView(hostname: row.hostname, kind: row.kind, primary: row.primary, status: row.status, records: [], message: nil)
        }
        let records = row.records
            ?? LocalDomainProvider.records(row.hostname, token: row.token ?? "", edgeHost: "edge.\(platform.configuration.rootDomain)")
        return DomainView(hostname: row.hostname, kind: row.kind, primary: row.primary, status: row.status, records: Self.wire(records), message: row.message)
    }

    private static func wire(_ records: [DNSRecord]) -> [DNSRecordWire] {
        records.map { DNSRecordWire(type: $0.type, name: $0.name, value: $0.value) }
    }

    private static func json(_ records: [DNSRecord]) throws -> String {
        String(decoding: try JSONEncoder().encode(records), as: UTF8.self)
    }
}
