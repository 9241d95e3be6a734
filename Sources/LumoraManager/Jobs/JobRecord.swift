import Foundation

/// A durable job as stored in `lumora.jobs`.
public struct JobRecord: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case queued, running, retrying, succeeded, dead, canceled
    }

    public let id: Int64
    public let kind: String
    public let storeSlug: String?
    public let payload: [String: String]
    public let state: State
    public let stepsDone: [String]
    public let currentStep: String?
    public let attempts: Int
    public let maxAttempts: Int
    public let runAfter: Date
    public let lastError: String?
    public let createdAt: Date
    public let updatedAt: Date
    public let finishedAt: Date?
    /// The payload as stored, for jobs whose payload is a structured document (a store's
    /// mail, queued by its cell) rather than a map of strings. Not listed by the API.
    public var payloadJSON: String = "{}"

    enum CodingKeys: String, CodingKey {
        case id, kind, storeSlug = "store_slug", payload, state, stepsDone = "steps_done", currentStep = "current_step", attempts
        case maxAttempts = "max_attempts", runAfter = "run_after", lastError = "last_error", createdAt = "created_at"
        case updatedAt = "updated_at", finishedAt = "finished_at"
    }

    public var isFinished: Bool { state == .succeeded || state == .dead || state == .canceled }
}

/// Job kinds the manager knows.
public enum JobKind {
    public static let provisionStore = "provision_store"
    public static let changePlan = "change_plan"
    public static let deleteStore = "delete_store"
    public static let release = "release"
    /// Moves a dedicated cell to the version its store is pinned to.
    public static let moveCell = "move_cell"
    /// Moves a standard store to another shared cell of its database.
    public static let moveStore = "move_store"
    /// Removes the files (and rows) of media deleted longer ago than the grace period, store by store.
    public static let sweepMedia = "sweep_media"
    /// Queued by a store's own transaction (control migration 0008): the outbox and unpaid orders.
    public static let sendMail = "send_mail"
    public static let expireOrder = "expire_order"
    /// The platform's own mail to a person (a password reset, a staff invitation), queued in
    /// the transaction that makes its link.
    public static let sendAccountMail = "send_account_mail"
}
