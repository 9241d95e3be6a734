import Logging
import LumoraCore
import PostgresNIO

/// One store schema copied to another database while the store keeps selling, with
/// PostgreSQL's own logical replication: a publication of the schema's tables and a slot on
/// the source, a subscription (`copy_data`) on the target that copies the rows and then streams
/// every later change. The move job drives it: `start`, `waitUntilCaughtUp` while writes go
/// on, then (writes frozen) `waitUntilCaughtUp` once more, `copySequences` (replication does not
/// carry them), `stop`; or `abort`, which also drops the copy.
///
/// Every step may be run again after a crash: each looks at what is there first.
/// Both clients connect as a role that may replicate and subscribe (a superuser, or on Cloud
/// SQL `cloudsqlsuperuser` with `REPLICATION`); `sourceConninfo` is how the target's workers
/// reach the source (libpq form, `DatabaseURL.conninfo`).
public struct SchemaReplication: Sendable {
    public let schema: SchemaName
    let source: PostgresClient
    let target: PostgresClient
    let sourceConninfo: String
    let migrations: MigrationSet
    let clock: any MonotonicClock
    let logger: Logger

    /// How often `waitUntil…` looks again.
    static let pollInterval = Duration.milliseconds(50)

    public init(schema: SchemaName, source: PostgresClient, target: PostgresClient, sourceConninfo: String,
                migrations: MigrationSet, clock: any MonotonicClock = SystemClock(), logger: Logger) {
        self.schema = schema
        self.source = source
        self.target = target
        self.sourceConninfo = sourceConninfo
        self.migrations = migrations
        self.clock = clock
        self.logger = logger
    }

    /// The publication's and the subscription's name (a schema moves once at a time):
    /// `lumora_move_<schema>`, within PostgreSQL's 63 bytes. The slot's is `slotName()`.
    public var name: String { "lumora_move_" + schema.rawValue }

    /// The source's slot for this move, named by the server (`SQL.slotName`).
    func slotName() async throws -> String {
        guard let slot = try await source.query(SQL.slotName(schema), logger: logger).collect(String.self).first else {
            throw LumoraError.internalError("the source database did not name a slot")
        }
        return slot
    }

    // MARK: Start

    /// Builds the schema on the target at the source's migration version (empty), publishes
    /// the source's tables and subscribes the target to them. Refused, with nothing made, when
    /// the source cannot publish (`wal_level`), the schema is unknown there, a table has no
    /// replica identity, or the target already has a schema of that name that this move did
    /// not make.
    public func start() async throws {
        let level = try await source.query(SQL.walLevel, logger: logger).collect(String.self).first
        guard level == "logical" else {
            throw LumoraError(.unprocessable, code: "database_moves_unavailable",
                              message: "the source database runs with wal_level=\(level ?? "?"); moving a store needs wal_level=logical")
        }
        guard let version = try await source.query(SQL.storeSchemaVersion(schema), logger: logger).collect(Int.self).first else {
            throw LumoraError.notFound("schema_not_found", "the source database has no store schema \(schema)")
        }
        let unidentified = try await source.query(SQL.tablesWithoutReplicaIdentity(schema), logger: logger).collect(String.self)
        guard unidentified.isEmpty else {
            throw LumoraError(.unprocessable, code: "no_replica_identity",
                              message: "tables without a primary key cannot be moved live: \(unidentified.joined(separator: ", "))")
        }
        let subscribed = try await target.query(SQL.subscriptionOID(name), logger: logger).collect(Int64.self).first != nil
        if !subscribed { try await buildTargetSchema(version: version) }
        if try await source.query(SQL.publicationExists(name), logger: logger).collect(Bool.self).first != true {
            try await runFormatted(SQL.createPublicationStatement(name, schema: schema), on: source)
        }
        let slot = try await slotName()
        if try await source.query(SQL.slotExists(slot), logger: logger).collect(Bool.self).first != true {
            try await source.query(SQL.createSlot(slot), logger: logger).drain()
        }
        if !subscribed {
            try await runFormatted(SQL.createSubscriptionStatement(name, conninfo: sourceConninfo, publication: name, slot: slot), on: target)
        }
        logger.info("store schema replication started", metadata: ["schema": "\(schema)", "version": "\(version)"])
    }

    /// The schema at `version`, its tables emptied (a migration may seed a row, the copy brings
    /// the store's own) and marked as a move's copy, in one transaction. A copy a crashed move
    /// left before subscribing is made again; any other schema of that name is refused (a
    /// store of the target's).
    private func buildTargetSchema(version: Int) async throws {
        guard migrations.latestVersion >= version else {
            throw LumoraError(.unprocessable, code: "schema_version_unknown",
                              message: "\(schema) is at store migration \(version); this build knows up to \(migrations.latestVersion)")
        }
        try await target.transaction(logger: logger) { connection in
            if try await connection.query(SQL.isMoveCopy(schema), logger: logger).collect(Bool.self).first == true {
                try await runFormatted(SQL.dropSchemaStatement(schema), on: connection)
            }
            guard try await connection.query(SQL.schemaExists(schema), logger: logger).collect(Bool.self).first == false else {
                throw LumoraError.conflict("schema_exists", "the target database already has a schema \(schema)")
            }
            try await connection.run(SQL.createSchema(schema), logger: logger)
            try await StoreSchemaMigrator.apply(migrations.pending(after: 0).prefix { $0.version <= version }, to: schema, on: connection, logger: logger)
            let truncate = try await connection.query(SQL.truncateSchemaTablesStatement(schema), logger: logger).collect(String?.self).first ?? nil
            if let truncate { try await connection.run(PostgresQuery(unsafeSQL: truncate), logger: logger) }
            try await runFormatted(SQL.markMoveCopyStatement(schema), on: connection)
        }
    }

    // MARK: Catching up

    /// Whether the target holds everything committed on the source before this call: a marker
    /// written on the source now has arrived, and every table's first copy is done.
    public func isCaughtUp(marker: Int64) async throws -> Bool {
        guard try await target.query(SQL.subscriptionTablesCopying(name), logger: logger).collect(Int.self).first == 0 else { return false }
        let seen = try await target.query(SQL.replicationMarker(schema), logger: logger).collect(Int64.self).first ?? 0
        return seen >= marker
    }

    /// Writes a marker on the source (one more catalog version) and returns it.
    public func writeMarker() async throws -> Int64 {
        guard let marker = try await source.query(SQL.bumpReplicationMarker(schema), logger: logger).collect(Int64.self).first else {
            throw LumoraError.internalError("\(schema) has no settings row to mark")
        }
        return marker
    }

    /// Returns once the target holds everything the source committed before the call (with
    /// writes still going on, more will follow; frozen, the copy is then whole). `deadline`
    /// bounds a subscription that cannot keep up or has stopped.
    public func waitUntilCaughtUp(within limit: Duration) async throws {
        let marker = try await writeMarker()
        try await pollUntil(on: clock, every: Self.pollInterval, for: limit,
                       timedOut: LumoraError(.gatewayTimeout, code: "replication_behind",
                                             message: "the copy of \(schema) did not catch up with its source within \(limit)")) {
            try await isCaughtUp(marker: marker)
        }
    }

    /// Sets each of the target's sequences to the source's last value, so that rows made on
    /// the target after the move get ids past every id the source handed out. Run with writes
    /// frozen (a value taken on the source after it would be missed).
    public func copySequences() async throws {
        let values = try await source.query(SQL.sequenceValues(schema), logger: logger).collect((String, Int64?).self)
        for case let (sequence, value?) in values {
            try await target.query(SQL.setSequence(schema, sequence, to: value), logger: logger).drain()
        }
    }

    // MARK: Ending

    /// Ends the replication and keeps the copy: the subscription goes from the target, the
    /// slots and the publication from the source. The source's schema stays (the move job
    /// drops it after a grace period).
    public func stop() async throws {
        try await removeReplication()
        logger.info("store schema replication stopped", metadata: ["schema": "\(schema)"])
    }

    /// Ends the replication and drops the copy on the target (only a schema this move made:
    /// never a store of the target's); the source is as before.
    public func abort() async throws {
        try await removeReplication()
        if try await target.query(SQL.isMoveCopy(schema), logger: logger).collect(Bool.self).first == true {
            try await runFormatted(SQL.dropSchemaStatement(schema), on: target)
        }
        logger.info("store schema replication aborted", metadata: ["schema": "\(schema)"])
    }

    private func removeReplication() async throws {
        let oid = try await target.query(SQL.subscriptionOID(name), logger: logger).collect(Int64.self).first
        if oid != nil {
            try await runFormatted(SQL.disableSubscriptionStatement(name), on: target)
            // The workers stop on their own after DISABLE; the slot can be detached only then.
            try await waitUntil("the subscription's workers to stop") {
                try await target.query(SQL.subscriptionWorkers(name), logger: logger).collect(Int.self).first == 0
            }
            try await runFormatted(SQL.detachSubscriptionSlotStatement(name), on: target)
            try await runFormatted(SQL.dropSubscriptionStatement(name), on: target)
        }
        // A walsender lets its slot go a moment after its subscriber stopped.
        let slot = try await slotName()
        let syncPrefix = oid.map { "pg_\($0)_sync_" } ?? "\(slot)_no_sync_"
        try await waitUntil("the move's replication slots to be released") {
            let slots = try await source.query(SQL.moveSlots(slot, syncPrefix: syncPrefix), logger: logger).collect((String, Bool).self)
            for (slot, active) in slots where !active {
                try await source.query(SQL.dropSlot(slot), logger: logger).drain()
            }
            return slots.allSatisfy { !$0.1 }
        }
        try await runFormatted(SQL.dropPublicationStatement(name), on: source)
    }

    private func waitUntil(_ what: String, limit: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        try await pollUntil(on: clock, every: Self.pollInterval, for: limit,
                       timedOut: LumoraError(.gatewayTimeout, code: "replication_stuck", message: "waited \(limit) for \(what) of \(schema)"),
                       until: condition)
    }

    /// Runs the statement `statement` makes (a `format()` of names and literals, by the server).
    private func runFormatted(_ statement: PostgresQuery, on client: PostgresClient) async throws {
        try await client.withConnection { connection in try await runFormatted(statement, on: connection) }
    }

    private func runFormatted(_ statement: PostgresQuery, on connection: PostgresConnection) async throws {
        guard let text = try await connection.query(statement, logger: logger).collect(String.self).first else {
            throw LumoraError.internalError("a statement for \(schema) came back empty")
        }
        try await connection.run(PostgresQuery(unsafeSQL: text), logger: logger)
    }
}

/// What a test (or an operator checking a move) compares: each table's rows, digested.
public struct SchemaDigest: Sendable, Equatable, CustomStringConvertible {
    public let tables: [String: String]

    public static func of(_ schema: SchemaName, on client: PostgresClient, logger: Logger) async throws -> SchemaDigest {
        var tables: [String: String] = [:]
        for (table, statement) in try await client.query(SQL.tableDigestStatements(schema), logger: logger).collect((String, String).self) {
            tables[table] = try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect(String.self).first
        }
        return SchemaDigest(tables: tables)
    }

    public var description: String {
        tables.keys.sorted().map { "\($0)=\(tables[$0]!.prefix(8))" }.joined(separator: " ")
    }
}
