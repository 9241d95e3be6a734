import Foundation
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import PostgresNIO

/// Databases and cells, and moving a store from one shared cell to another.
struct PlacementService: Sendable {
    let platform: Platform

    func databases() async throws -> [DatabaseView] {
        try await databases(PlacementSQL.databases)
    }

    func database(_ id: String) async throws -> DatabaseView {
        guard let database = try await databases(PlacementSQL.database(id)).first else {
            throw LumoraError.notFound("database_not_found", "no database '\(id.prefix(64))'")
        }
        return database
    }

    private func databases(_ query: PostgresQuery) async throws -> [DatabaseView] {
        try await platform.client.query(query, logger: platform.logger)
            .collect((String, String?, Int, String, Date, Int, [String]).self)
            .map { DatabaseView(id: $0.0, connectionRef: $0.1, capacityStores: $0.2, state: $0.3, stores: $0.5, cells: $0.6, createdAt: $0.4) }
    }

    /// Records another database for store schemas, once the manager has reached it through
    /// its reference. Only the reference is kept (`env:<NAME>`: a variable of the manager's
    /// environment), never the URL. It takes stores once shared cells are bound to it.
    func addDatabase(id: String, connectionRef: String, capacityStores: Int) async throws -> DatabaseView {
        guard DatabaseReference.isValidID(id) else {
            throw LumoraError.badRequest("invalid_database_id", "a database id is 2–32 lowercase letters, digits and hyphens, starting with a letter")
        }
        guard (1...1_000_000).contains(capacityStores) else {
            throw LumoraError.badRequest("invalid_capacity", "capacity_stores is a number of stores from 1 to 1000000")
        }
        let url = try DatabaseReference(connectionRef).resolve(in: platform.configuration.environment)
        try await DatabaseReference.check(url, logger: platform.logger)
        guard try await platform.client.query(PlacementSQL.insertDatabase(id: id, connectionRef: connectionRef, capacityStores: capacityStores),
                                              logger: platform.logger).hasRows() else {
            throw LumoraError.conflict("database_exists", "a database '\(id)' is already recorded")
        }
        platform.logger.notice("database recorded", metadata: ["database": "\(id)", "ref": "\(connectionRef)"])
        return try await database(id)
    }

    /// open: signup places stores there; full: it keeps its stores and takes no more;
    /// draining: likewise, while its stores are moved off.
    func setState(ofDatabase id: String, to state: String) async throws -> DatabaseView {
        guard ["open", "full", "draining"].contains(state) else {
            throw LumoraError.badRequest("invalid_state", "a database's state is open, full or draining")
        }
        guard try await platform.client.query(PlacementSQL.setDatabaseState(id, state), logger: platform.logger).hasRows() else {
            throw LumoraError.notFound("database_not_found", "no database '\(id.prefix(64))'")
        }
        return try await database(id)
    }

    /// Every cell with the stores it serves. Stores that no cell names yet (placed before any
    /// shared cell was recorded; every shared cell of their database serves them) are listed
    /// under `unplaced`.
    func cells() async throws -> (cells: [CellView], unplaced: [String]) {
        let rows = try await platform.client.query(PlacementSQL.cells, logger: platform.logger)
            .collect((String, String, String, Int?, String?, String, String, String, String?, Date?, [String]).self)
        let cells = rows.map {
            CellView(id: $0.0, kind: $0.1, databaseID: $0.2, capacity: $0.3, endpoint: $0.4, version: $0.5, status: $0.6, runtime: $0.7,
                     store: $0.8, startedAt: $0.9, stores: $0.10)
        }
        return (cells, try await platform.client.query(PlacementSQL.unplacedStores, logger: platform.logger).collect(String.self))
    }

    /// Queues the move of a standard store to the shared cell `cellID` of its database. Already
    /// there: no job. A dedicated store moves by a plan change; a move between databases is a
    /// separate operation.
    func move(_ slug: StoreSlug, toCell cellID: String) async throws -> (StoreView, JobRecord?) {
        let store = try await platform.directory.get(slug)
        guard store.status == .active || store.status == .suspended else {
            throw LumoraError.conflict("store_not_active", "the store is \(store.status.rawValue); only an active or suspended store moves")
        }
        guard !store.plan.hasDedicatedCell else {
            throw LumoraError.conflict("dedicated_store", "an enterprise store has a cell of its own; change its plan to put it on a shared cell")
        }
        guard let target = try await cell(cellID) else {
            throw LumoraError.notFound("cell_not_found", "no cell '\(cellID.prefix(64))'")
        }
        guard target.kind == "shared" else {
            throw LumoraError.conflict("not_a_shared_cell", "the cell '\(cellID)' is a store's own cell; stores move between shared cells")
        }
        guard target.databaseID == store.databaseID else {
            throw LumoraError.conflict("other_database", "the cell '\(cellID)' serves the database '\(target.databaseID)' and the store is on '\(store.databaseID)'; "
                                       + "a move between databases is not available yet")
        }
        guard store.cellID != cellID else { return (platform.storeView(store), nil) }
        if try await platform.queue.activeJob(store: slug.rawValue, kinds: Self.changesToAStore) != nil {
            throw LumoraError.conflict("change_in_progress", "a change to this store is already under way")
        }
        let job = try await platform.queue.enqueue(kind: JobKind.moveStore, store: slug.rawValue,
                                                   payload: ["cell": cellID, "from": store.cellID ?? ""])
        return (platform.storeView(store), job)
    }

    /// Gives each store that no cell names yet the shared cell with the most room on its
    /// database; returns those placed.
    @discardableResult
    func placeUnplacedStores() async throws -> [String] {
        var placed: [String] = []
        for slug in try await platform.client.query(PlacementSQL.unplacedStores, logger: platform.logger).collect(String.self) {
            if try await platform.client.query(PlacementSQL.place(slug), logger: platform.logger).hasRows() { placed.append(slug) }
        }
        return placed
    }

    static let changesToAStore = [JobKind.provisionStore, JobKind.changePlan, JobKind.moveStore, JobKind.deleteStore]

    struct Cell: Sendable {
        let id: String
        let kind: String
        let databaseID: String
        let endpoint: String?
        let status: String
        let version: CellVersion
    }

    func cell(_ id: String) async throws -> Cell? {
        try await platform.client.query(PlacementSQL.cell(id), logger: platform.logger)
            .collect((String, String, String, String?, String, String, String?, String?).self)
            .first.map { Cell(id: $0.0, kind: $0.1, databaseID: $0.2, endpoint: $0.3, status: $0.4,
                              version: CellVersion(name: $0.5, binary: $0.6, image: $0.7)) }
    }
}

/// A standard store moves to another shared cell of its database while it sells. Both cells
/// read and write the same schema, so no data moves: the target is made sure to serve, then
/// the route flips in one statement. Edges follow the notification; a request that reaches
/// the old cell after it heard is refused as `wrong_cell` (having done nothing) and the edge
/// sends it again to the new one; requests already inside the old cell finish there, on the
/// same data. So no request fails and nothing needs draining.
struct MoveStoreJob: JobHandler {
    let platform: Platform

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        guard let raw = job.storeSlug, let slug = try? StoreSlug(validating: raw), let target = job.payload["cell"] else {
            throw PermanentJobFailure("the job names no store or cell")
        }
        let source = job.payload["from"].flatMap { $0.isEmpty ? nil : $0 }
        let placement = PlacementService(platform: platform)
        try await steps.step("target") {
            guard let cell = try await placement.cell(target), cell.kind == "shared" else {
                throw PermanentJobFailure("the cell \(target) is gone or not a shared cell")
            }
            // A shared cell that is not serving is started at the version it records, when
            // this manager runs the shared cells; one run elsewhere must already answer.
            var endpoint = cell.status == "ready" ? cell.endpoint : nil
            if endpoint == nil, platform.configuration.runsSharedCell {
                endpoint = try await platform.runtime.ensure(.shared(id: cell.id, version: cell.version)).endpoint
            }
            guard let endpoint, await HealthGate.isReady(endpoint) else {
                throw LumoraError(.unavailable, code: "cell_not_ready", message: "the cell \(target) does not answer /ready yet")
            }
        }
        try await steps.step("flip") {
            let rows = try await platform.client.query(PlacementSQL.storeCell(slug), logger: platform.logger).collect((String?, String).self)
            guard let (current, _) = rows.first else { throw PermanentJobFailure("the store \(slug) no longer exists") }
            // Run again after a flip whose step was not recorded: already there is done.
            if current == target { return }
            guard try await platform.client.query(PlacementSQL.flip(slug, from: source, to: target), logger: platform.logger).hasRows() else {
                throw PermanentJobFailure("the store \(slug) moved to \(current ?? "no cell") meanwhile; its move to \(target) was left")
            }
        }
    }
}
