import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import PostgresNIO

/// What the workflows share: the database, the drivers and the configuration.
struct Platform: Sendable {
    let client: PostgresClient
    let directory: StoreDirectory
    let queue: JobQueue
    let runtime: any CellRuntime
    let domains: any DomainProvider
    let configuration: ManagerConfiguration
    let logger: Logger

    func platformHost(_ slug: StoreSlug) -> String { "\(slug).\(configuration.rootDomain)" }

    /// The store's dedicated cell at the version it should run: its pinned version, else the
    /// platform's current one.
    func dedicatedSpec(_ slug: StoreSlug) async throws -> CellSpec {
        let pinned = try await client.query(ReleaseSQL.pinnedVersion(slug), logger: logger).collect(String?.self).first ?? nil
        if let pinned, let version = try await knownVersion(pinned) { return .dedicated(slug, version: version) }
        return .dedicated(slug, version: try await currentVersion())
    }

    /// What new cells run: the newest release that succeeded, else the manager's own version.
    func currentVersion() async throws -> CellVersion {
        guard let row = try await client.query(ReleaseSQL.currentVersion, logger: logger).collect((String, String?, String?).self).first else {
            return configuration.cellVersion
        }
        return CellVersion(name: row.0, binary: row.1, image: row.2)
    }

    /// A version cells can be moved to: the manager's own or one that was released.
    func knownVersion(_ name: String) async throws -> CellVersion? {
        if name == configuration.cellVersion.name { return configuration.cellVersion }
        guard let row = try await client.query(ReleaseSQL.knownVersion(name), logger: logger).collect((String, String?, String?).self).first else {
            return nil
        }
        return CellVersion(name: row.0, binary: row.1, image: row.2)
    }

    func status(_ slug: StoreSlug) async throws -> (status: StoreStatus, plan: Plan, cellID: String?)? {
        guard let row = try await client.query(ManagerSQL.storeStatus(slug), logger: logger).collect((String, String, String?).self).first,
              let status = StoreStatus(rawValue: row.0), let plan = Plan(rawValue: row.1) else { return nil }
        return (status, plan, row.2)
    }
}

/// Signup's second half. The schema, the admin token and the control row were made by the
/// request (in the transaction that queued this job); the job binds the platform subdomain,
/// starts a dedicated cell for an enterprise store and waits until it is ready, then makes the
/// store active — the edges hear of it through the `lumora.stores` trigger. Until then the
/// store is `provisioning` and not served; a job that gives up leaves it `failed`, retriable.
struct ProvisionStoreJob: JobHandler {
    let platform: Platform

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        guard let raw = job.storeSlug, let slug = try? StoreSlug(validating: raw) else { throw PermanentJobFailure("the job names no store") }
        guard let store = try await platform.status(slug) else { throw PermanentJobFailure("the store \(raw) no longer exists") }
        if store.status == .failed {
            _ = try await platform.client.query(ManagerSQL.setStatus(slug, .provisioning, onlyFrom: [.failed]), logger: platform.logger).hasRows()
        }
        try await steps.step("domain") {
            let host = platform.platformHost(slug)
            _ = try await platform.domains.addPlatformDomain(host, for: slug)
            try await platform.client.query(ManagerSQL.insertPlatformDomain(host, store: slug), logger: platform.logger).drain()
        }
        let spec = try await platform.dedicatedSpec(slug)
        if store.plan.hasDedicatedCell {
            try await steps.step("cell") {
                _ = try await platform.runtime.ensure(spec)
            }
        }
        try await steps.step("activate") {
            let cell = store.plan.hasDedicatedCell ? spec.id : nil
            guard try await platform.client.query(ManagerSQL.activate(slug, dedicatedCellID: cell), logger: platform.logger).hasRows() else {
                // Run again after an attempt that activated the store but lost its lease before
                // recording the step (a loaded machine): already active is done.
                if try await platform.status(slug)?.status == .active { return }
                throw PermanentJobFailure("the store \(slug) is no longer waiting to be provisioned")
            }
        }
    }

    func gaveUp(_ job: JobRecord, error: String) async {
        guard let raw = job.storeSlug, let slug = try? StoreSlug(validating: raw) else { return }
        _ = try? await platform.client.query(ManagerSQL.setStatus(slug, .failed, onlyFrom: [.provisioning]), logger: platform.logger).hasRows()
    }
}

/// standard → enterprise: start the dedicated cell, wait until ready, switch the route (plan and
/// cell in one statement). enterprise → standard: switch the route back to the shared cell,
/// let the edges follow and the dedicated cell drain, then stop it. Requests keep being served
/// throughout: the old route stays valid until the new one is ready.
struct ChangePlanJob: JobHandler {
    let platform: Platform

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        guard let raw = job.storeSlug, let slug = try? StoreSlug(validating: raw),
              let target = job.payload["plan"].flatMap(Plan.init(rawValue:)) else {
            throw PermanentJobFailure("the job names no store or plan")
        }
        let spec = try await platform.dedicatedSpec(slug)
        if target.hasDedicatedCell {
            try await steps.step("cell") { _ = try await platform.runtime.ensure(spec) }
            try await steps.step("switch") {
                try await platform.client.query(ManagerSQL.switchPlan(slug, plan: target, dedicatedCellID: spec.id), logger: platform.logger).drain()
            }
        } else {
            try await steps.step("switch") {
                try await platform.client.query(ManagerSQL.switchPlan(slug, plan: target, dedicatedCellID: nil), logger: platform.logger).drain()
            }
            try await steps.step("drain") {
                // Edges follow the switch within milliseconds; requests already routed to the
                // dedicated cell finish there.
                try await Task.sleep(for: .seconds(2))
            }
            try await steps.step("stop") { try await platform.runtime.stop(id: spec.id) }
        }
    }
}

/// After the grace period (or at once with `?purge=true`): stop the store's dedicated cell,
/// release its domains, remove its media files, drop its schema and control rows.
struct DeleteStoreJob: JobHandler {
    let platform: Platform

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        guard let raw = job.storeSlug, let slug = try? StoreSlug(validating: raw) else { throw PermanentJobFailure("the job names no store") }
        try await steps.step("cell") {
            try await platform.client.query(ManagerSQL.detachCell(slug), logger: platform.logger).drain()
            try await platform.runtime.stop(id: CellSpec.dedicated(slug, version: platform.configuration.cellVersion).id)
        }
        try await steps.step("domains") {
            for domain in try await DomainService(platform: platform).list(slug) {
                try await platform.domains.remove(domain.hostname)
            }
        }
        try await steps.step("media") { try await platform.configuration.mediaStore.deleteAll(of: slug) }
        try await steps.step("data") {
            do {
                try await platform.directory.delete(slug)
            } catch let error as LumoraError where error.code == "store_not_found" {}
        }
    }
}

/// A pinned store's dedicated cell moves to its pinned version (the same zero-downtime switch
/// as a release: the new process starts beside the old one).
struct MoveCellJob: JobHandler {
    let platform: Platform

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        guard let raw = job.storeSlug, let slug = try? StoreSlug(validating: raw) else { throw PermanentJobFailure("the job names no store") }
        guard let store = try await platform.status(slug), store.plan.hasDedicatedCell else { return }
        try await steps.step("cell") { _ = try await platform.runtime.ensure(try await platform.dedicatedSpec(slug)) }
    }
}
