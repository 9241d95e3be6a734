import Foundation
import LumoraCore
import LumoraDatabase
import PostgresNIO

/// A store as the manager's API shows it.
public struct StoreView: Sendable, Codable, Equatable {
    public let slug: String
    public let name: String
    public let plan: String
    public let status: String
    public let ownerEmail: String?
    public let currency: String
    public let cellId: String?
    public let databaseId: String
    public let url: String
    public let createdAt: Date
    /// Why a `failed` store failed: its provisioning job's last error.
    public var failure: String?

    enum CodingKeys: String, CodingKey {
        case slug, name, plan, status, ownerEmail = "owner_email", currency, cellId = "cell_id", databaseId = "database_id", url, createdAt = "created_at", failure
    }
}

/// The store operations behind the API and the signup form.
struct StoreService: Sendable {
    let platform: Platform
    let poolDoorbell: @Sendable () -> Void

    struct Signup: Decodable, Sendable {
        let slug: String
        let name: String
        let plan: String?
        let ownerEmail: String

        enum CodingKeys: String, CodingKey { case slug, name, plan, ownerEmail = "owner_email" }
    }

    struct Created: Sendable {
        let store: StoreView
        let job: JobRecord
        let adminToken: String
    }

    /// Validates, then in one transaction: the store's schema (from the warm pool), its control
    /// row (`provisioning`), its admin token's hash, and the job that finishes provisioning.
    func create(_ signup: Signup) async throws -> Created {
        try await create(signup) { _ in }.0
    }

    /// `create`, with `alsoDo` run in the same transaction (the owner's account and membership).
    func create<Extra: Sendable>(_ signup: Signup, alsoDo: (PostgresConnection) async throws -> Extra) async throws -> (Created, Extra) {
        let new = try NewStore(
            slug: try StoreSlug(validating: signup.slug), name: signup.name, plan: try Plan(validating: signup.plan ?? "standard"),
            ownerEmail: try EmailAddress(validating: signup.ownerEmail), status: .provisioning)
        let (created, (job, extra)) = try await platform.directory.create(new) { connection in
            let job = try await platform.queue.enqueue(kind: JobKind.provisionStore, store: new.slug.rawValue, on: connection)
            return (job, try await alsoDo(connection))
        }
        poolDoorbell()
        return (Created(store: view(created.store), job: job, adminToken: created.adminToken), extra)
    }

    func list() async throws -> [StoreView] {
        try await platform.directory.list().map(view)
    }

    func get(_ slug: StoreSlug) async throws -> StoreView {
        var store = view(try await platform.directory.get(slug))
        if store.status == StoreStatus.failed.rawValue {
            store.failure = try await platform.queue.jobs(store: slug.rawValue, limit: 1).first?.lastError
        }
        return store
    }

    /// Takes the store offline at once; its data goes after the grace period, or now with `purge`.
    func delete(_ slug: StoreSlug, purge: Bool) async throws -> JobRecord {
        let record = try await platform.directory.get(slug)
        if let existing = try await platform.queue.activeJob(store: slug.rawValue, kinds: [JobKind.deleteStore]) {
            return existing
        }
        return try await platform.client.transaction(logger: platform.logger) { connection in
            try await connection.run(ManagerSQL.setStatus(slug, .deleting, onlyFrom: StoreStatus.allCases), logger: platform.logger)
            let delay = purge ? nil : Date().addingTimeInterval(Double(platform.configuration.deletionGracePeriod.components.seconds))
            _ = record
            return try await platform.queue.enqueue(kind: JobKind.deleteStore, store: slug.rawValue, runAfter: delay, on: connection)
        }
    }

    /// Queues a plan change; the same plan is a no-op, a change already under way a conflict.
    func changePlan(_ slug: StoreSlug, to raw: String) async throws -> (StoreView, JobRecord?) {
        let plan = try Plan(validating: raw)
        let store = try await platform.directory.get(slug)
        guard store.status == .active else {
            throw LumoraError.conflict("store_not_active", "the store is \(store.status.rawValue); plans change only on active stores")
        }
        guard store.plan != plan else { return (view(store), nil) }
        if try await platform.queue.activeJob(store: slug.rawValue, kinds: [JobKind.changePlan, JobKind.provisionStore]) != nil {
            throw LumoraError.conflict("change_in_progress", "a change to this store is already under way")
        }
        let job = try await platform.queue.enqueue(kind: JobKind.changePlan, store: slug.rawValue, payload: ["plan": plan.rawValue])
        return (view(store), job)
    }

    func view(_ record: StoreRecord) -> StoreView { platform.storeView(record) }
}

extension Platform {
    /// A store as the manager's API shows it.
    func storeView(_ record: StoreRecord) -> StoreView {
        StoreView(slug: record.slug.rawValue, name: record.name, plan: record.plan.rawValue, status: record.status.rawValue,
                  ownerEmail: record.ownerEmail, currency: record.currency.code, cellId: record.cellID, databaseId: record.databaseID,
                  url: configuration.storefrontURL(host: platformHost(record.slug)), createdAt: record.createdAt)
    }
}
