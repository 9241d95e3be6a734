import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import PostgresNIO

/// The durable job queue in `lumora.jobs`.
public struct JobQueue: Sendable {
    public let client: PostgresClient
    /// This worker's identity in leases (unique per process).
    public let owner: String
    public let lease: Duration
    public let logger: Logger

    public init(client: PostgresClient, owner: String, lease: Duration = .seconds(10), logger: Logger) {
        self.client = client
        self.owner = owner
        self.lease = lease
        self.logger = logger
    }

    var leaseMilliseconds: Int { Int(lease.components.seconds * 1000 + lease.components.attoseconds / 1_000_000_000_000_000) }

    /// Adds a job (on `connection`, inside the caller's transaction, when given — so a job and
    /// the change that needs it commit together).
    @discardableResult
    public func enqueue(kind: String, store: String?, payload: [String: String] = [:], maxAttempts: Int = 8,
                        runAfter: Date? = nil, on connection: PostgresConnection? = nil) async throws -> JobRecord {
        try await enqueue(kind: kind, store: store, document: payload, maxAttempts: maxAttempts, runAfter: runAfter, on: connection)
    }

    /// Adds a job whose payload is a structured document (a mail), read back from
    /// `payloadJSON`; a document that is not a map of strings is not listed with the job.
    @discardableResult
    public func enqueue(kind: String, store: String?, document: some Encodable, maxAttempts: Int = 8,
                        runAfter: Date? = nil, on connection: PostgresConnection? = nil) async throws -> JobRecord {
        let json = String(decoding: try JSONEncoder().encode(document), as: UTF8.self)
        let query = JobSQL.enqueue(kind: kind, store: store, payload: json, maxAttempts: maxAttempts, runAfter: runAfter)
        let rows = if let connection {
            try await connection.query(query, logger: logger)
        } else {
            try await client.query(query, logger: logger)
        }
        guard let job = try await Self.decode(rows).first else { throw LumoraError.internalError("enqueue returned no job") }
        return job
    }

    public func claim() async throws -> JobRecord? {
        try await Self.decode(try await client.query(JobSQL.claim(owner: owner, leaseMilliseconds: leaseMilliseconds), logger: logger)).first
    }

    /// Extends the lease; false when the lease was lost (another worker took the job over).
    public func renewLease(_ id: Int64) async throws -> Bool {
        try await client.query(JobSQL.renewLease(id: id, owner: owner, leaseMilliseconds: leaseMilliseconds), logger: logger).hasRows()
    }

    func startStep(_ id: Int64, _ step: String) async throws {
        guard try await client.query(JobSQL.startStep(id: id, owner: owner, step: step), logger: logger).hasRows() else {
            throw LeaseLost()
        }
    }

    func finishStep(_ id: Int64, _ step: String) async throws {
        _ = try await client.query(JobSQL.finishStep(id: id, owner: owner, step: step), logger: logger).hasRows()
    }

    /// Rewrites the payload of a job this worker holds (to forget what it no longer needs).
    func replacePayload(_ id: Int64, with document: some Encodable) async throws {
        let json = String(decoding: try JSONEncoder().encode(document), as: UTF8.self)
        try await client.query(JobSQL.replacePayload(id: id, owner: owner, payload: json), logger: logger).drain()
    }

    func succeed(_ id: Int64) async throws {
        try await client.query(JobSQL.succeed(id: id, owner: owner), logger: logger).drain()
    }

    func retryLater(_ id: Int64, error: String, after delay: Duration) async throws {
        let milliseconds = Int(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
        try await client.query(JobSQL.retryLater(id: id, owner: owner, error: error, delayMilliseconds: milliseconds), logger: logger).drain()
    }

    func kill(_ id: Int64, error: String) async throws {
        try await client.query(JobSQL.kill(id: id, owner: owner, error: error), logger: logger).drain()
    }

    public func job(_ id: Int64) async throws -> JobRecord {
        guard let job = try await Self.decode(try await client.query(JobSQL.job(id: id), logger: logger)).first else {
            throw LumoraError.notFound("job_not_found", "no job \(id)")
        }
        return job
    }

    public func jobs(state: JobRecord.State? = nil, store: String? = nil, limit: Int = 100) async throws -> [JobRecord] {
        try await Self.decode(try await client.query(JobSQL.jobs(state: state?.rawValue, store: store, limit: limit), logger: logger))
    }

    public func retry(_ id: Int64) async throws -> JobRecord {
        guard let job = try await Self.decode(try await client.query(JobSQL.retry(id: id), logger: logger)).first else {
            _ = try await self.job(id)
            throw LumoraError.conflict("job_not_retryable", "only a dead or waiting job can be retried")
        }
        return job
    }

    public func activeJob(store: String, kinds: [String]) async throws -> JobRecord? {
        try await Self.decode(try await client.query(JobSQL.activeJob(store: store, kinds: kinds), logger: logger)).first
    }

    public func activePlatformJob(kind: String) async throws -> JobRecord? {
        try await Self.decode(try await client.query(JobSQL.activePlatformJob(kind: kind), logger: logger)).first
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [JobRecord] {
        try await rows.collect((Int64, String, String?, String, String, [String], String?, Int, Int, Date, String?, Date, Date, Date?).self).map { row in
            JobRecord(
                id: row.0, kind: row.1, storeSlug: row.2,
                payload: (try? JSONDecoder().decode([String: String].self, from: Data(row.3.utf8))) ?? [:],
                state: JobRecord.State(rawValue: row.4) ?? .queued, stepsDone: row.5, currentStep: row.6, attempts: row.7,
                maxAttempts: row.8, runAfter: row.9, lastError: row.10, createdAt: row.11, updatedAt: row.12, finishedAt: row.13,
                payloadJSON: row.3)
        }
    }
}

/// This worker no longer holds the job's lease: stop without recording anything.
struct LeaseLost: Error {}
